// Forward mode for every op: jvp against central differences, jvp against vjp, and
// forward-over-reverse HVPs against reverse-over-reverse ones.

#include "../op_cases.hpp"

using namespace tgtest;
using namespace tg;

namespace {

std::vector<Tensor> random_like(const std::vector<Tensor>& xs, Generator& gen) {
    std::vector<Tensor> out;
    for (const auto& x : xs) out.push_back(sample(x.shape(), Domain::any, gen));
    return out;
}

// x + s t for every input.
std::vector<Tensor> shifted(const std::vector<Tensor>& xs, const std::vector<Tensor>& ts,
                            double s) {
    std::vector<Tensor> out;
    for (std::size_t i = 0; i < xs.size(); ++i)
        out.push_back((xs[i].detach() + ts[i] * s).detach());
    return out;
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
    return s;
}

}  // namespace

TEST_CASE("every op's jvp matches central differences", "[jvp]") {
    Generator gen(8);
    const double eps = 1e-6;
    for (const auto& c : all_op_cases()) {
        INFO(c.name);
        // Small tangents keep x +- eps t inside every op's domain and away from its kinks.
        std::vector<Tensor> t = random_like(c.inputs, gen);
        for (auto& ti : t) ti = ti * 0.1;
        const JvpResult r = jvp(c.f, c.inputs, t);
        std::vector<double> plus, minus;
        {
            NoGradGuard plain;
            plus = c.f(shifted(c.inputs, t, eps)).to_vector();
            minus = c.f(shifted(c.inputs, t, -eps)).to_vector();
        }
        REQUIRE(r.tangent.shape() == r.value.shape());
        std::vector<double> fd(plus.size());
        for (std::size_t k = 0; k < fd.size(); ++k) fd[k] = (plus[k] - minus[k]) / (2 * eps);
        require_close(r.tangent.to_vector(), fd, 1e-7, 1e-6, c.name);
    }
}

TEST_CASE("every op's jvp agrees with its vjp: u.(J t) = (J^T u).t", "[jvp]") {
    Generator gen(9);
    for (const auto& c : all_op_cases()) {
        INFO(c.name);
        const std::vector<Tensor> t = random_like(c.inputs, gen);
        const JvpResult r = jvp(c.f, c.inputs, t);
        const Tensor u = sample(r.value.shape(), Domain::any, gen);
        std::vector<Tensor> xs;
        for (const auto& x : c.inputs) xs.push_back(x.detach().requires_grad_());
        const Tensor y = c.f(xs);
        const auto g = grad({y}, xs, {u}, GradOptions().allow_unused(true));
        double rhs = 0;
        for (std::size_t i = 0; i < xs.size(); ++i)
            if (g[i].defined()) rhs += dot(g[i].to_vector(), t[i].to_vector());
        const double lhs = dot(u.to_vector(), r.tangent.to_vector());
        REQUIRE(std::abs(lhs - rhs) <= 1e-12 * (1 + std::abs(lhs)));
    }
}

TEST_CASE("forward-over-reverse HVPs equal reverse-over-reverse ones on every op", "[jvp][hvp]") {
    Generator gen(10);
    for (const auto& c : all_op_cases()) {
        INFO(c.name);
        std::vector<Tensor> xs;
        for (const auto& x : c.inputs) xs.push_back(x.detach().requires_grad_());
        Tensor u;
        {
            NoGradGuard plain;
            u = sample(c.f(xs).shape(), Domain::any, gen);
        }
        // A scalar loss whose Hessian involves the op's second derivatives and, through the
        // square, the derivatives of its vjp.
        auto loss = [&] { return sum(u * c.f(xs)) + 0.5 * sum(square(c.f(xs))); };
        const std::vector<Tensor> v = random_like(xs, gen);
        const auto rr = hvp(loss, xs, v, HvpMode::reverse_over_reverse);
        const auto fr = hvp(loss, xs, v, HvpMode::forward_over_reverse);
        for (std::size_t i = 0; i < xs.size(); ++i)
            require_close(fr[i].to_vector(), rr[i].to_vector(), 1e-12, 1e-12, c.name);
    }
}
