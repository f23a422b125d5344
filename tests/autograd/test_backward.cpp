// backward(), grad(), accumulation, zeroing, detach, no-grad and hooks.

#include "../helpers.hpp"

using namespace tgtest;
using namespace tg;

TEST_CASE("backward gives the hand-derived gradient of a small expression", "[autograd]") {
    // f(a, b) = sum(a * b + exp(a)) ; df/da = b + exp(a), df/db = a
    const Tensor a = from_vector({0.5, -1.0, 2.0}, {3}, kFloat64).requires_grad_();
    const Tensor b = from_vector({1.5, 0.25, -3.0}, {3}, kFloat64).requires_grad_();
    sum(a * b + exp(a)).backward();
    require_close(a.grad(), {1.5 + std::exp(0.5), 0.25 + std::exp(-1.0), -3.0 + std::exp(2.0)},
                  1e-14);
    require_close(b.grad(), {0.5, -1.0, 2.0}, 0);
}

TEST_CASE("gradients accumulate into leaves until zeroed", "[autograd]") {
    const Tensor w = from_vector({2.0, 3.0}, {2}, kFloat64).requires_grad_();
    sum(w * w).backward();
    require_close(w.grad(), {4, 6}, 0);
    sum(w * 3.0).backward();
    require_close(w.grad(), {7, 9}, 0);
    Tensor w2 = w;
    w2.zero_grad();
    require_close(w.grad(), {0, 0}, 0);
    sum(w).backward();
    require_close(w.grad(), {1, 1}, 0);
    w2.clear_grad();
    REQUIRE_FALSE(w.grad().defined());
}

TEST_CASE("a tensor used twice gets both contributions", "[autograd]") {
    const Tensor x = from_vector({1.5}, {1}, kFloat64).requires_grad_();
    const Tensor y = x * x * x + x;  // 3x^2 + 1
    y.backward();
    require_close(x.grad(), {3 * 1.5 * 1.5 + 1}, 1e-14);
}

TEST_CASE("grad() returns gradients without touching .grad()", "[autograd]") {
    const Tensor x = from_vector({1, 2, 3}, {3}, kFloat64).requires_grad_();
    const Tensor h = tanh(x);
    const Tensor y = sum(h * h);
    const auto g = grad({y}, {x, h}, {}, GradOptions().retain_graph(true));
    REQUIRE_FALSE(x.grad().defined());
    std::vector<double> dx, dh;
    for (double v : {1.0, 2.0, 3.0}) {
        const double t = std::tanh(v);
        dh.push_back(2 * t);
        dx.push_back(2 * t * (1 - t * t));
    }
    require_close(g[0], dx, 1e-14);
    require_close(g[1], dh, 1e-14);
}

TEST_CASE("grad_outputs weight a non-scalar output", "[autograd]") {
    const Tensor x = from_vector({1, 2}, {2}, kFloat64).requires_grad_();
    const Tensor y = x * x;
    const auto g = grad({y}, {x}, {from_vector({10, 100}, {2}, kFloat64)});
    require_close(g[0], {20, 400}, 0);
}

TEST_CASE("no-grad and detach stop recording", "[autograd]") {
    const Tensor x = from_vector({1, 2}, {2}, kFloat64).requires_grad_();
    {
        NoGradGuard off;
        const Tensor y = x * 2.0;
        REQUIRE_FALSE(y.requires_grad());
        {
            EnableGradGuard on;
            REQUIRE((x * 2.0).requires_grad());
        }
    }
    const Tensor d = (x * 2.0).detach();
    REQUIRE(d.is_leaf());
    REQUIRE_FALSE(d.requires_grad());
    // A detached factor is a constant: d(sum(x * detach(x)))/dx = detach(x).
    sum(x * x.detach()).backward();
    require_close(x.grad(), {1, 2}, 0);
}

TEST_CASE("hooks see and may replace the gradient; retain_grad keeps a non-leaf's", "[autograd]") {
    const Tensor x = from_vector({1, 2}, {2}, kFloat64).requires_grad_();
    Tensor h = x * 3.0;
    std::vector<double> seen;
    h.register_hook([&](const Tensor& g) {
        seen = g.to_vector();
        return g * 10.0;
    });
    h.retain_grad();
    sum(h * h).backward();
    require_close(seen, {6, 12}, 0);
    require_close(h.grad(), {60, 120}, 0);
    require_close(x.grad(), {180, 360}, 0);
}

TEST_CASE("parameters are updated in place under no-grad, and version checks catch misuse",
          "[autograd]") {
    Tensor w = from_vector({1, 2}, {2}, kFloat64).requires_grad_();
    const Tensor loss = sum(w * w);
    {
        NoGradGuard off;
        w.mutable_array<double>() -= 0.5 * w.array<double>();  // a gradient step on the values
    }
    // The graph saved w before the update: backward through it would use a stale value.
    require_throws<GraphError>([&] { loss.backward(); }, {"modified in place"});
    require_throws<GraphError>([&] { w.mutable_array<double>(); }, {"NoGradGuard"});
}

TEST_CASE("float gradients agree with double", "[autograd][float]") {
    Generator gen(5);
    const Tensor xd = sample({4, 3}, Domain::any, gen).requires_grad_();
    const Tensor wd = sample({3, 2}, Domain::any, gen).requires_grad_();
    const Tensor xf = to_dtype(xd, kFloat32).requires_grad_();
    const Tensor wf = to_dtype(wd, kFloat32).requires_grad_();
    sum(sigmoid(matmul(xd, wd))).backward();
    sum(sigmoid(matmul(xf, wf))).backward();
    REQUIRE(wf.grad().dtype() == kFloat32);
    require_close(wf.grad().to_vector(), wd.grad().to_vector(), 1e-5, 1e-5);
    require_close(xf.grad().to_vector(), xd.grad().to_vector(), 1e-5, 1e-5);
}

TEST_CASE("reshape's backward reuses the gradient's buffer only when no one else can see it",
          "[autograd]") {
    // The gradient flowing into reshape is taken over when only the backward pass holds it.
    // A gradient the user gave, retained, or saw in a hook must keep its values.
    const Tensor x = from_vector({1, 2, 3, 4, 5, 6}, {2, 3}, kFloat64).requires_grad_(true);
    const Tensor seed = from_vector({6, 5, 4, 3, 2, 1}, {3, 2}, kFloat64);
    reshape(x, {3, 2}).backward(seed);
    CHECK(seed.to_vector() == std::vector<double>{6, 5, 4, 3, 2, 1});
    CHECK(x.grad().to_vector() == std::vector<double>{6, 5, 4, 3, 2, 1});

    x.clear_grad();
    const Tensor w = from_vector({1, -1, 2, -2, 3, -3}, {3, 2}, kFloat64);
    const Tensor y = reshape(x, {3, 2});
    y.retain_grad();
    Tensor seen;
    y.register_hook([&seen](const Tensor& g) {
        seen = g;
        return Tensor();
    });
    sum(mul(y, w)).backward();
    CHECK(y.grad().to_vector() == std::vector<double>{1, -1, 2, -2, 3, -3});
    CHECK(seen.to_vector() == std::vector<double>{1, -1, 2, -2, 3, -3});
    CHECK(x.grad().to_vector() == std::vector<double>{1, -1, 2, -2, 3, -3});
    CHECK(x.grad().shape() == Shape{2, 3});
}
