// Dense Jacobians and Hessians in both modes, and forward-mode jvp, against hand derivations.

#include "../helpers.hpp"

using namespace tgtest;
using namespace tg;

TEST_CASE("jacobian in forward and reverse mode matches the hand-derived one", "[jacobian]") {
    // f(x) = [x0 x1, sin(x2), x0 + x2^2, exp(x1)]
    auto f = [](const Tensor& x) {
        const Tensor x0 = slice(x, 0, 0, 1), x1 = slice(x, 0, 1, 2), x2 = slice(x, 0, 2, 3);
        return concat({x0 * x1, sin(x2), x0 + square(x2), exp(x1)}, 0);
    };
    const double a = 0.5, b = -1.25, c = 2.0;
    const Tensor x = from_vector({a, b, c}, {3}, kFloat64);
    const std::vector<double> expect{b, a, 0, 0, 0, std::cos(c), 1, 0, 2 * c, 0, std::exp(b), 0};
    for (auto mode : {JacobianMode::forward, JacobianMode::reverse, JacobianMode::automatic}) {
        const Tensor J = jacobian(f, x, mode);
        REQUIRE(J.shape() == Shape{4, 3});
        require_close(J, expect, 1e-14);
    }
}

TEST_CASE("jvp gives the directional derivative without recording", "[jvp]") {
    const Tensor x = from_vector({0.3, -0.8}, {2}, kFloat64).requires_grad_();
    const Tensor t = from_vector({1.0, 2.0}, {2}, kFloat64);
    const std::size_t before = Tape::current().size();
    const auto r = jvp([](const std::vector<Tensor>& in) { return tanh(in[0]) * in[0]; }, {x}, {t});
    REQUIRE(Tape::current().size() == before);
    std::vector<double> expect;
    const std::vector<double> xs{0.3, -0.8}, ts{1.0, 2.0};
    for (int i = 0; i < 2; ++i) {
        const double th = std::tanh(xs[i]);
        expect.push_back(((1 - th * th) * xs[i] + th) * ts[i]);
    }
    require_close(r.tangent, expect, 1e-15);
    require_close(r.value, {std::tanh(0.3) * 0.3, std::tanh(-0.8) * -0.8}, 1e-15);
    REQUIRE_FALSE(x.tangent().defined());  // the tangent is gone after the call
}

TEST_CASE("hessian of a scalar function of a matrix", "[jacobian]") {
    // f(X) = sum(X^3) has a diagonal Hessian 6 X.
    const Tensor X = from_vector({1, -2, 0.5, 3}, {2, 2}, kFloat64);
    const Tensor H = hessian([](const Tensor& m) { return sum(pow(m, 3.0)); }, X);
    REQUIRE(H.shape() == Shape{2, 2, 2, 2});
    std::vector<double> expect(16, 0.0);
    const std::vector<double> xs{1, -2, 0.5, 3};
    for (int i = 0; i < 4; ++i)
        expect[static_cast<std::size_t>(i * 4 + i)] = 6 * xs[static_cast<std::size_t>(i)];
    require_close(H, expect, 1e-12);
}
