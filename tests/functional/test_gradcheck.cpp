// gradcheck and gradgradcheck must catch wrong derivatives, not only pass right ones.

#include "../helpers.hpp"
#include "ops/kernels.hpp"

using namespace tgtest;
using namespace tg;

namespace {

// cube(x) = x^3 with a deliberately wrong derivative, 2x^2 instead of 3x^2.
const OpDef kWrongCube{
    "wrong_cube",
    [](const OpCall& c, const Tensor& g, Tensor* gi) { gi[0] = g * 2.0 * square(c.in(0)); },
    [](const OpCall& c, const Tensor* t) { return t[0] * 3.0 * square(c.in(0)); }};

// cube(x) with the right derivative, but computed on raw values: correct to first order, yet
// its backward is a constant, so second derivatives through it are wrong.
const OpDef kRawCube{"raw_cube",
                     [](const OpCall& c, const Tensor& g, Tensor* gi) {
                         const Tensor x =
                             c.in(0).detach();  // cut from the graph, as Flashlight's rules are
                         gi[0] = g * 3.0 * square(x);
                     },
                     nullptr};

Tensor cube_with(const OpDef& op, const Tensor& x) {
    return record(op, kernels::unary(x, [](auto v) { return v * v * v; }), {x});
}

}  // namespace

TEST_CASE("gradcheck passes a right derivative and reports the numbers", "[gradcheck]") {
    const Tensor x = from_vector({0.5, -1.5, 2.0}, {3}, kFloat64).requires_grad_();
    const auto r =
        gradcheck([](const std::vector<Tensor>& in) { return in[0] * in[0] * in[0]; }, {x});
    REQUIRE(r.passed);
    REQUIRE(r.checked == 9);
    REQUIRE(r.max_abs_error < 1e-8);
    const std::string text = r.to_string();
    REQUIRE(text.find("passed") != std::string::npos);
    REQUIRE(text.find("9 Jacobian entries") != std::string::npos);
}

TEST_CASE("gradcheck catches a wrong first derivative and says where", "[gradcheck]") {
    const Tensor x = from_vector({0.5, -1.5, 2.0}, {3}, kFloat64).requires_grad_();
    const auto r =
        gradcheck([](const std::vector<Tensor>& in) { return cube_with(kWrongCube, in[0]); }, {x});
    REQUIRE_FALSE(r.passed);
    // The worst entry is at x = 2: analytic 2*4 = 8, numeric 3*4 = 12.
    REQUIRE(r.worst_element == 2);
    REQUIRE(r.worst_analytic == Approx(8.0));
    REQUIRE(r.worst_numeric == Approx(12.0).epsilon(1e-6));
    REQUIRE(r.to_string().find("FAILED") != std::string::npos);
    GradcheckOptions fast;
    fast.fast = true;
    REQUIRE_FALSE(
        gradcheck([](const std::vector<Tensor>& in) { return cube_with(kWrongCube, in[0]); }, {x},
                  fast)
            .passed);
}

TEST_CASE("gradgradcheck catches a backward rule that is not itself differentiable",
          "[gradcheck]") {
    const Tensor x = from_vector({0.5, -1.5, 2.0}, {3}, kFloat64).requires_grad_();
    auto f = [](const std::vector<Tensor>& in) { return cube_with(kRawCube, in[0]); };
    REQUIRE(gradcheck(f, {x}).passed);            // first order is fine
    REQUIRE_FALSE(gradgradcheck(f, {x}).passed);  // second order is not
    auto right = [](const std::vector<Tensor>& in) { return in[0] * in[0] * in[0]; };
    REQUIRE(gradgradcheck(right, {x}).passed);
}

TEST_CASE("gradcheck checks only inputs that require grad, and wants float64", "[gradcheck]") {
    const Tensor x = from_vector({0.5, 1.5}, {2}, kFloat64).requires_grad_();
    const Tensor c = from_vector({2.0, 3.0}, {2}, kFloat64);
    GradcheckOptions o;
    o.names = {"x", "c"};
    const auto r =
        gradcheck([](const std::vector<Tensor>& in) { return in[0] * in[1]; }, {x, c}, o);
    REQUIRE(r.passed);
    REQUIRE(r.inputs[0].elements == 2);
    REQUIRE(r.inputs[1].elements == 0);
    REQUIRE(r.table().find("x") != std::string::npos);
    require_throws<DTypeError>(
        [&] {
            gradcheck([](const std::vector<Tensor>& in) { return in[0]; },
                      {to_dtype(x, kFloat32).requires_grad_()});
        },
        {"float32", "float64"});
    // The caller's gradients are left alone.
    REQUIRE_FALSE(x.grad().defined());
}
