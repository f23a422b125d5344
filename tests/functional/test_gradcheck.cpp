// gradcheck and gradgradcheck must catch wrong derivatives, not only pass right ones.

#include <cstring>
#include <thread>
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

namespace {

// x^3 with a vjp that is wrong by a relative 1e-5: g 3x^2 (1 + 1e-5). No jvp: reverse only.
const OpDef kCubeOffBy1e5{"cube_off_by_1e-5",
                          [](const OpCall& c, const Tensor& g, Tensor* gi) {
                              gi[0] = g * (3.0 * (1 + 1e-5)) * square(c.in(0));
                          },
                          nullptr};

// x^3 with a right first derivative whose own derivative is wrong by a relative 1e-5:
// 3 (x^2 (1 + 1e-5) - 1e-5 x_const^2) has the value 3x^2 but the derivative 6x (1 + 1e-5).
const OpDef kCubeSecondOffBy1e5{"cube_second_off_by_1e-5",
                                [](const OpCall& c, const Tensor& g, Tensor* gi) {
                                    const Tensor& x = c.in(0);
                                    gi[0] = g * 3.0 *
                                            (square(x) * (1 + 1e-5) - square(x.detach()) * 1e-5);
                                },
                                nullptr};

const OpDef kCube{
    "cube", [](const OpCall& c, const Tensor& g, Tensor* gi) { gi[0] = g * 3.0 * square(c.in(0)); },
    nullptr};

// The op tests' tolerances (tests/op_cases.hpp checks every op at these).
GradcheckOptions strict() {
    GradcheckOptions o;
    o.atol = 1e-7;
    o.rtol = 1e-6;
    return o;
}

bool bits_equal(const std::vector<double>& a, const std::vector<double>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

}  // namespace

TEST_CASE("gradcheck checks a module's parameters when f reads them directly", "[gradcheck]") {
    // The first thing a user tries: f runs the module and ignores its argument vector.
    Generator gen(5);
    auto net = std::make_shared<nn::Linear>(nn::LinearOptions(3, 2).dtype(kFloat64), gen);
    const Tensor x = sample({4, 3}, Domain::any, gen);
    const auto params = net->parameters();
    const auto before = params[0].to_vector();
    const auto version = params[0].version();

    auto right = [&](const std::vector<Tensor>&) { return tanh(net->forward(x)); };
    const GradcheckReport r = gradcheck(right, params);
    INFO(r.to_string());
    REQUIRE(r.passed);
    REQUIRE(r.checked == 8 * (6 + 2));
    REQUIRE(std::abs(r.worst_analytic) > 0.01);  // something was compared
    REQUIRE(gradgradcheck(right, params).passed);

    // A wrong derivative inside the module's function is found through the closure.
    auto wrong = [&](const std::vector<Tensor>&) { return cube_with(kWrongCube, net->forward(x)); };
    const GradcheckReport w = gradcheck(wrong, params);
    INFO(w.to_string());
    REQUIRE_FALSE(w.passed);
    REQUIRE_FALSE(w.inputs[0].passed);
    REQUIRE_FALSE(w.inputs[1].passed);
    GradcheckOptions fast;
    fast.fast = true;
    REQUIRE_FALSE(gradcheck(wrong, params, fast).passed);

    // The parameters come back bit for bit, their version counters and gradients untouched.
    REQUIRE(bits_equal(params[0].to_vector(), before));
    REQUIRE(params[0].version() == version);
    REQUIRE_FALSE(params[0].grad().defined());
}

TEST_CASE("gradcheck restores a perturbed input when f throws", "[gradcheck]") {
    const Tensor x = from_vector({0.1, 0.2, 0.3}, {3}, kFloat64).requires_grad_();
    const auto before = x.to_vector();
    int calls = 0;
    auto f = [&](const std::vector<Tensor>& in) {
        if (++calls == 3) throw IOError("f: simulated failure");  // inside a perturbation
        return in[0] * in[0];
    };
    REQUIRE_THROWS_AS(gradcheck(f, {x}), IOError);
    REQUIRE(bits_equal(x.to_vector(), before));
}

TEST_CASE("gradcheck fails an input the function does not depend on", "[gradcheck]") {
    const Tensor x = from_vector({0.5, 1.5}, {2}, kFloat64).requires_grad_();
    const Tensor z = from_vector({2.0, 3.0, 4.0}, {3}, kFloat64).requires_grad_();
    auto f = [](const std::vector<Tensor>& in) { return sin(in[0]); };  // in[1] unused
    GradcheckOptions o;
    for (bool fast : {false, true}) {
        o.fast = fast;
        INFO("fast " << fast);
        const GradcheckReport r = gradcheck(f, {x, z}, o);
        INFO(r.to_string());
        REQUIRE_FALSE(r.passed);
        REQUIRE(r.inputs[0].passed);
        REQUIRE_FALSE(r.inputs[0].unused);
        REQUIRE_FALSE(r.inputs[1].passed);
        REQUIRE(r.inputs[1].unused);
        REQUIRE(r.to_string().find("does not depend on input 1") != std::string::npos);
        REQUIRE(r.table().find("FAILED: unused") != std::string::npos);
        const GradcheckReport rr = gradgradcheck(f, {x, z}, o);
        INFO(rr.to_string());
        REQUIRE_FALSE(rr.passed);
        REQUIRE(rr.inputs[1].unused);
        REQUIRE(rr.to_string().find("does not depend on input 1") != std::string::npos);
    }
    // f ignores its argument vector altogether, and reads a tensor it was not given.
    const Tensor other = from_vector({1.0, 2.0}, {2}, kFloat64).requires_grad_();
    auto closure = [&](const std::vector<Tensor>&) { return exp(other); };
    REQUIRE_FALSE(gradcheck(closure, {x}).passed);
    REQUIRE_FALSE(gradgradcheck(closure, {x}).passed);

    // Opting in: the unused input is reported, not failed.
    GradcheckOptions allow;
    allow.allow_unused = true;
    allow.names = {"x", "z"};
    const GradcheckReport a = gradcheck(f, {x, z}, allow);
    REQUIRE(a.passed);
    REQUIRE(a.inputs[1].unused);
    REQUIRE(a.to_string().find("does not depend on input 1 (z)") != std::string::npos);
    REQUIRE(a.to_string().find("allowed") != std::string::npos);
    REQUIRE(gradgradcheck(f, {x, z}, allow).passed);
}

TEST_CASE("gradcheck keeps working for non-leaf inputs, constants and linear functions",
          "[gradcheck]") {
    const Tensor a = from_vector({0.5, -1.5, 2.0}, {3}, kFloat64).requires_grad_();
    const Tensor x = exp(a) * 0.5;  // not a leaf
    auto f = [](const std::vector<Tensor>& in) { return in[0] * in[0] * in[1]; };
    const Tensor c = from_vector({2.0, 3.0, -1.0}, {3}, kFloat64);  // does not require grad
    const GradcheckReport r = gradcheck(f, {x, c});
    INFO(r.to_string());
    REQUIRE(r.passed);
    REQUIRE(r.checked == 9);
    REQUIRE(gradgradcheck(f, {x, c}).passed);
    REQUIRE_FALSE(a.grad().defined());
    // A non-leaf made on another thread: its graph is not on this thread's tape, its values are.
    Tensor elsewhere;
    std::thread([&] { elsewhere = exp(a) * 0.5; }).join();
    REQUIRE(gradcheck(f, {elsewhere, c}).passed);
    REQUIRE(gradgradcheck(f, {elsewhere, c}).passed);
    // f is linear in in[0]: its second derivative there is zero, which is no unused input.
    const Tensor z = from_vector({0.3, 0.7, 1.1}, {3}, kFloat64).requires_grad_();
    auto linear = [](const std::vector<Tensor>& in) { return in[0] * 3.0 + sin(in[1]); };
    const GradcheckReport second = gradgradcheck(linear, {a, z});
    INFO(second.to_string());
    REQUIRE(second.passed);
    REQUIRE_FALSE(second.inputs[0].unused);
}

TEST_CASE("strict tolerances catch a derivative wrong by a relative 1e-5", "[gradcheck]") {
    const Tensor x = from_vector({0.5, -1.5, 2.0}, {3}, kFloat64).requires_grad_();
    auto off = [](const std::vector<Tensor>& in) { return cube_with(kCubeOffBy1e5, in[0]); };
    auto second_off = [](const std::vector<Tensor>& in) {
        return cube_with(kCubeSecondOffBy1e5, in[0]);
    };
    auto right = [](const std::vector<Tensor>& in) { return cube_with(kCube, in[0]); };

    // The default tolerances (atol 1e-5, rtol 1e-3) let both errors through ...
    REQUIRE(gradcheck(off, {x}).passed);
    REQUIRE(gradgradcheck(second_off, {x}).passed);
    // ... the strict ones do not, while the right op passes them to both orders.
    const GradcheckReport first = gradcheck(off, {x}, strict());
    INFO(first.to_string());
    REQUIRE_FALSE(first.passed);
    REQUIRE(first.max_rel_error == Approx(1e-5).epsilon(1e-3));
    GradcheckOptions strict_fast = strict();
    strict_fast.fast = true;
    REQUIRE_FALSE(gradcheck(off, {x}, strict_fast).passed);
    REQUIRE(gradcheck(second_off, {x}, strict()).passed);  // its first derivative is right
    const GradcheckReport second = gradgradcheck(second_off, {x}, strict());
    INFO(second.to_string());
    REQUIRE_FALSE(second.passed);
    REQUIRE_FALSE(second.inputs[0].passed);
    const GradcheckReport ok1 = gradcheck(right, {x}, strict());
    const GradcheckReport ok2 = gradgradcheck(right, {x}, strict());
    INFO(ok1.to_string() << "\n" << ok2.to_string());
    REQUIRE(ok1.passed);
    REQUIRE(ok2.passed);
}

TEST_CASE("fourth-order differences check what central differences cannot", "[gradcheck]") {
    // exp(2500 x): the central difference's error h^2 f'''/6 is 1e-12 * 2500^2 / 6 ~ 1e-6 of
    // f', past rtol 1e-6; Richardson's extrapolation leaves (h a)^4 / 30 ~ 1e-12.
    const Tensor x = from_vector({1e-3, -2e-3}, {2}, kFloat64).requires_grad_();
    const auto f = [](const std::vector<Tensor>& in) { return exp(2500.0 * in[0]); };
    GradcheckOptions o;
    o.atol = 1e-7;
    o.rtol = 1e-6;
    const GradcheckReport plain = gradcheck(f, {x}, o);
    INFO(plain);
    CHECK_FALSE(plain.passed);
    o.richardson = true;
    const GradcheckReport fourth = gradcheck(f, {x}, o);
    INFO(fourth);
    CHECK(fourth.passed);
    CHECK(fourth.max_rel_error < 1e-9);
}
