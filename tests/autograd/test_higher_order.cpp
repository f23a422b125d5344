// Derivatives of derivatives: grad of grad, Hessian-vector products against hand-derived
// Hessians, and the dense hessian helper.

#include "../helpers.hpp"

using namespace tgtest;
using namespace tg;

namespace {

// Rosenbrock f(x, y) = (1 - x)^2 + 100 (y - x^2)^2 on a 2-vector.
Tensor rosenbrock(const Tensor& p) {
    const Tensor x = slice(p, 0, 0, 1);
    const Tensor y = slice(p, 0, 1, 2);
    return sum(square(1.0 - x) + 100.0 * square(y - square(x)));
}

// Its Hessian, by hand: [[2 - 400 y + 1200 x^2, -400 x], [-400 x, 200]].
std::vector<double> rosenbrock_hessian(double x, double y) {
    return {2 - 400 * y + 1200 * x * x, -400 * x, -400 * x, 200};
}

}  // namespace

TEST_CASE("grad of grad of a polynomial, to the fourth order", "[higher-order]") {
    // f = x^4: f' = 4x^3, f'' = 12x^2, f''' = 24x, f'''' = 24
    const Tensor x = from_vector({1.5}, {}, kFloat64).requires_grad_();
    const auto opts = GradOptions().create_graph(true);
    const Tensor f = x * x * x * x;
    const Tensor d1 = grad({f}, {x}, {}, opts)[0];
    const Tensor d2 = grad({d1}, {x}, {}, opts)[0];
    const Tensor d3 = grad({d2}, {x}, {}, opts)[0];
    const Tensor d4 = grad({d3}, {x}, {}, opts)[0];
    require_close(d1, {4 * 1.5 * 1.5 * 1.5}, 1e-12);
    require_close(d2, {12 * 1.5 * 1.5}, 1e-12);
    require_close(d3, {24 * 1.5}, 1e-12);
    require_close(d4, {24}, 1e-12);
}

TEST_CASE("mixed second derivatives through transcendental ops", "[higher-order]") {
    // f(x, y) = exp(x y) + sin(x) tanh(y)
    const double xv = 0.3, yv = -0.7;
    const Tensor x = from_vector({xv}, {}, kFloat64).requires_grad_();
    const Tensor y = from_vector({yv}, {}, kFloat64).requires_grad_();
    const Tensor f = exp(x * y) + sin(x) * tanh(y);
    const auto g = grad({f}, {x, y}, {}, GradOptions().create_graph(true));
    const Tensor dxy = grad({g[0]}, {y})[0];
    const double t = std::tanh(yv);
    // d2f/dxdy = exp(xy) (1 + xy) + cos(x) (1 - tanh^2 y)
    require_close(dxy, {std::exp(xv * yv) * (1 + xv * yv) + std::cos(xv) * (1 - t * t)}, 1e-13);
}

TEST_CASE("HVPs of a quadratic form equal the hand-derived Hessian times v",
          "[higher-order][hvp]") {
    // f(x) = 1/2 x^T A x + b^T x has Hessian (A + A^T)/2 everywhere.
    Generator gen(7);
    const std::size_t n = 5;
    const Tensor A = sample({n, n}, Domain::any, gen);
    const Tensor b = sample({n}, Domain::any, gen);
    const Tensor x = sample({n}, Domain::any, gen).requires_grad_();
    const Tensor v = sample({n}, Domain::any, gen);
    auto f = [&] {
        const Tensor xc = reshape(x, {-1, 1});
        return 0.5 * sum(matmul(matmul(xc, A, true, false), xc)) + sum(b * x);
    };
    const auto a = A.to_vector(), vv = v.to_vector();
    std::vector<double> expect(n, 0.0);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j)
            expect[i] += 0.5 * (a[i * n + j] + a[j * n + i]) * vv[j];
    for (auto mode : {HvpMode::reverse_over_reverse, HvpMode::forward_over_reverse}) {
        INFO("mode " << static_cast<int>(mode));
        require_close(hvp(f, {x}, {v}, mode)[0], expect, 1e-12);
    }
}

TEST_CASE("HVPs of Rosenbrock equal the hand-derived Hessian times v", "[higher-order][hvp]") {
    for (auto [px, py] : {std::pair{-1.2, 1.0}, std::pair{1.0, 1.0}, std::pair{0.3, -0.4}}) {
        const Tensor p = from_vector({px, py}, {2}, kFloat64).requires_grad_();
        const auto H = rosenbrock_hessian(px, py);
        for (auto [v0, v1] : {std::pair{1.0, 0.0}, std::pair{0.0, 1.0}, std::pair{0.7, -2.0}}) {
            const Tensor v = from_vector({v0, v1}, {2}, kFloat64);
            const std::vector<double> expect{H[0] * v0 + H[1] * v1, H[2] * v0 + H[3] * v1};
            for (auto mode : {HvpMode::reverse_over_reverse, HvpMode::forward_over_reverse}) {
                INFO("point " << px << "," << py << " v " << v0 << "," << v1 << " mode "
                              << static_cast<int>(mode));
                require_close(hvp([&] { return rosenbrock(p); }, {p}, {v}, mode)[0], expect, 1e-10);
            }
        }
        require_close(hessian(rosenbrock, p), H, 1e-10);
    }
}

TEST_CASE("a reusable HVP gives the same products as fresh ones", "[higher-order][hvp]") {
    const Tensor p = from_vector({-1.2, 1.0}, {2}, kFloat64).requires_grad_();
    HessianVectorProduct hv([&] { return rosenbrock(p); }, {p});
    REQUIRE(hv.loss() == Approx(24.2));
    require_close(hv.gradient()[0], {-215.6, -88.0}, 1e-10);
    const std::size_t before = Tape::current().size();
    for (int k = 0; k < 3; ++k) {
        const Tensor v = from_vector({1.0 + k, -1.0}, {2}, kFloat64);
        const auto H = rosenbrock_hessian(-1.2, 1.0);
        require_close(hv({v})[0], {H[0] * (1.0 + k) - H[1], H[2] * (1.0 + k) - H[3]}, 1e-10);
        REQUIRE(Tape::current().size() == before);  // products leave nothing behind
    }
    REQUIRE(hv.products() == 3);
}

TEST_CASE("HVPs through a small network agree between the two modes", "[higher-order][hvp]") {
    Generator gen(11);
    const Tensor x = sample({6, 4}, Domain::any, gen);
    const Tensor W1 = sample({4, 5}, Domain::any, gen).requires_grad_();
    const Tensor b1 = sample({5}, Domain::any, gen).requires_grad_();
    const Tensor W2 = sample({5, 3}, Domain::any, gen).requires_grad_();
    const std::vector<Tensor> params{W1, b1, W2};
    std::vector<Tensor> v;
    for (const auto& p : params) v.push_back(sample(p.shape(), Domain::any, gen));
    auto loss = [&] {
        return cross_entropy(matmul(tanh(matmul(x, W1) + b1), W2), {0, 2, 1, 1, 0, 2});
    };
    const auto r = hvp(loss, params, v, HvpMode::reverse_over_reverse);
    const auto f = hvp(loss, params, v, HvpMode::forward_over_reverse);
    for (std::size_t i = 0; i < params.size(); ++i) require_close_tensors(f[i], r[i], 1e-12, 1e-12);
}

TEST_CASE("forward-over-reverse HVPs leave nothing on the tape", "[higher-order][hvp]") {
    const Tensor p = from_vector({-1.2, 1.0}, {2}, kFloat64).requires_grad_();
    const Tensor v = from_vector({0.5, 2.0}, {2}, kFloat64);
    // exp of a product: the product's tangent is recorded (p requires grad), and exp's jvp
    // multiplies it by exp's own result.
    auto loss = [&] { return rosenbrock(p) + sum(exp(p * p)); };
    hvp(loss, {p}, {v}, HvpMode::forward_over_reverse);
    const std::size_t size = Tape::current().size();
    const std::size_t live = Tape::current().live_nodes();
    for (int i = 0; i < 20; ++i) {
        hvp(loss, {p}, {v}, HvpMode::forward_over_reverse);
        hvp(loss, {p}, {v}, HvpMode::reverse_over_reverse);
        REQUIRE(Tape::current().size() == size);
        REQUIRE(Tape::current().live_nodes() == live);
    }
}
