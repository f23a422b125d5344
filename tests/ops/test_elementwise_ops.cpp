// The elementwise ops of ops/trig.hpp, ops/special.hpp, ops/activations.hpp, ops/rounding.hpp
// and ops/nonfinite.hpp: values against the C library or formulas evaluated with plain loops in
// this file, known values, edge cases (NaN, infinities, zeros, empty tensors), float and
// double, and inputs large enough for the threaded loops. Their gradients, second derivatives
// and jvps are checked over every shape family by the op-case table (tests/op_cases.hpp).

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "../helpers.hpp"

using namespace tgtest;
using namespace tg;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kPi = 3.14159265358979323846;
constexpr double kEulerGamma = 0.57721566490153286061;

struct ThreadCount {
    explicit ThreadCount(int n) : before(num_threads()) { set_num_threads(n); }
    ~ThreadCount() { set_num_threads(before); }
    int before;
};

// n points evenly spaced over [lo, hi].
std::vector<double> grid(double lo, double hi, std::size_t n) {
    std::vector<double> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = lo + (hi - lo) * double(i) / double(n - 1);
    return v;
}


struct UnaryCase {
    const char* name;
    std::function<Tensor(const Tensor&)> op;
    std::function<double(double)> reference;  // in double, with the C library
    std::vector<double> inputs;               // inside the domain
};

double sigmoid_ref(double x) {
    return 1 / (1 + std::exp(-x));
}
double softplus_ref(double x) {
    return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}

std::vector<UnaryCase> unary_cases() {
    const auto any = grid(-4, 4, 41);
    const auto open_unit = grid(-0.999, 0.999, 41);
    const auto positive = grid(0.05, 30, 41);
    return {
        {"tan", [](const Tensor& x) { return tan(x); }, [](double v) { return std::tan(v); },
         grid(-1.5, 1.5, 41)},
        {"asin", [](const Tensor& x) { return asin(x); }, [](double v) { return std::asin(v); },
         grid(-1, 1, 41)},
        {"acos", [](const Tensor& x) { return acos(x); }, [](double v) { return std::acos(v); },
         grid(-1, 1, 41)},
        {"atan", [](const Tensor& x) { return atan(x); }, [](double v) { return std::atan(v); },
         grid(-50, 50, 41)},
        {"sinh", [](const Tensor& x) { return sinh(x); }, [](double v) { return std::sinh(v); },
         any},
        {"cosh", [](const Tensor& x) { return cosh(x); }, [](double v) { return std::cosh(v); },
         any},
        {"asinh", [](const Tensor& x) { return asinh(x); }, [](double v) { return std::asinh(v); },
         grid(-50, 50, 41)},
        {"acosh", [](const Tensor& x) { return acosh(x); }, [](double v) { return std::acosh(v); },
         grid(1, 40, 41)},
        {"atanh", [](const Tensor& x) { return atanh(x); }, [](double v) { return std::atanh(v); },
         open_unit},
        {"erf", [](const Tensor& x) { return erf(x); }, [](double v) { return std::erf(v); }, any},
        {"erfc", [](const Tensor& x) { return erfc(x); }, [](double v) { return std::erfc(v); },
         grid(-4, 9, 41)},
        {"log1p", [](const Tensor& x) { return log1p(x); }, [](double v) { return std::log1p(v); },
         grid(-0.99, 1e-12, 41)},
        {"expm1", [](const Tensor& x) { return expm1(x); }, [](double v) { return std::expm1(v); },
         grid(-1e-10, 1e-10, 41)},
        {"log2", [](const Tensor& x) { return log2(x); }, [](double v) { return std::log2(v); },
         positive},
        {"log10", [](const Tensor& x) { return log10(x); }, [](double v) { return std::log10(v); },
         positive},
        {"exp2", [](const Tensor& x) { return exp2(x); }, [](double v) { return std::exp2(v); },
         grid(-20, 20, 41)},
        {"reciprocal", [](const Tensor& x) { return reciprocal(x); },
         [](double v) { return 1 / v; }, grid(-3.05, 3, 40)},
        {"rsqrt", [](const Tensor& x) { return rsqrt(x); },
         [](double v) { return 1 / std::sqrt(v); }, positive},
        {"lgamma", [](const Tensor& x) { return lgamma(x); },
         [](double v) { return std::lgamma(v); }, grid(-4.95, 30.05, 36)},
        {"gelu", [](const Tensor& x) { return gelu(x); },
         [](double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); }, any},
        {"gelu tanh", [](const Tensor& x) { return gelu(x, GeluApproximation::tanh); },
         [](double v) {
             return 0.5 * v * (1 + std::tanh(std::sqrt(2 / kPi) * (v + 0.044715 * v * v * v)));
         },
         any},
        {"silu", [](const Tensor& x) { return silu(x); },
         [](double v) { return v * sigmoid_ref(v); }, any},
        {"mish", [](const Tensor& x) { return mish(x); },
         [](double v) { return v * std::tanh(softplus_ref(v)); }, any},
        {"elu 0.7", [](const Tensor& x) { return elu(x, 0.7); },
         [](double v) { return v > 0 ? v : 0.7 * (std::exp(v) - 1); }, any},
        {"selu", [](const Tensor& x) { return selu(x); },
         [](double v) {
             return 1.0507009873554804934 * (v > 0 ? v : 1.6732632423543772848 * std::expm1(v));
         },
         any},
        {"logsigmoid", [](const Tensor& x) { return logsigmoid(x); },
         [](double v) { return std::log(sigmoid_ref(v)); }, any},
        {"hardtanh", [](const Tensor& x) { return hardtanh(x, -0.5, 2); },
         [](double v) { return std::min(2.0, std::max(-0.5, v)); }, any},
        {"softsign", [](const Tensor& x) { return softsign(x); },
         [](double v) { return v / (1 + std::abs(v)); }, any},
        {"round", [](const Tensor& x) { return round(x); },
         [](double v) { return std::nearbyint(v); }, grid(-3.5, 3.5, 29)},
        {"floor", [](const Tensor& x) { return floor(x); }, [](double v) { return std::floor(v); },
         grid(-3.5, 3.5, 29)},
        {"ceil", [](const Tensor& x) { return ceil(x); }, [](double v) { return std::ceil(v); },
         grid(-3.5, 3.5, 29)},
        {"trunc", [](const Tensor& x) { return trunc(x); }, [](double v) { return std::trunc(v); },
         grid(-3.5, 3.5, 29)},
        {"nan_to_num", [](const Tensor& x) { return nan_to_num(x); }, [](double v) { return v; },
         any},
    };
}

}  // namespace

TEST_CASE("elementwise ops match the C library and plain formulas in double and float",
          "[ops][elementwise]") {
    for (const auto& c : unary_cases()) {
        INFO(c.name);
        std::vector<double> expect;
        for (double v : c.inputs) expect.push_back(c.reference(v));
        const Shape shape{c.inputs.size()};
        require_same(c.op(from_vector(c.inputs, shape, kFloat64)).to_vector(), expect, 1e-15, 4e-15,
                     c.name);
        // float: inputs rounded to float, results against the double reference at float's
        // precision
        const Tensor xf = from_vector(c.inputs, shape, kFloat32);
        const Tensor yf = c.op(xf);
        REQUIRE(yf.dtype() == kFloat32);
        std::vector<double> expect_f;
        for (double v : xf.to_vector()) expect_f.push_back(c.reference(v));
        require_same(yf.to_vector(), expect_f, 1e-6, 2e-6, c.name);
    }
}

TEST_CASE("elementwise ops propagate NaN, keep shapes of empty tensors", "[ops][elementwise]") {
    for (const auto& c : unary_cases()) {
        INFO(c.name);
        for (DType dt : {kFloat32, kFloat64}) {
            const double inside = c.inputs[c.inputs.size() / 2];
            const auto y = c.op(from_vector({kNaN, inside}, {2}, dt)).to_vector();
            if (std::string(c.name) == "nan_to_num") {
                CHECK(y[0] == 0);
            } else {
                CHECK(std::isnan(y[0]));
            }
            CHECK(!std::isnan(y[1]));
            for (const Shape& s : {Shape{0}, Shape{2, 0, 3}}) {
                const Tensor e = c.op(zeros(s, dt));
                CHECK(e.shape() == s);
                CHECK(e.dtype() == dt);
            }
        }
    }
    using Binary = Tensor (*)(const Tensor&, const Tensor&);
    for (Binary f : {Binary(atan2), Binary(fmod), Binary(remainder)}) {
        const auto y =
            f(from_vector({kNaN, 1, 1}, {3}, kFloat64), from_vector({1, kNaN, 1}, {3}, kFloat64))
                .to_vector();
        CHECK(std::isnan(y[0]));
        CHECK(std::isnan(y[1]));
        CHECK(!std::isnan(y[2]));
        CHECK(f(zeros({0, 3}, kFloat32), zeros({3}, kFloat32)).shape() == Shape{0, 3});
    }
    const auto p = polygamma(2, from_vector({kNaN}, {1}, kFloat64)).to_vector();
    CHECK(std::isnan(p[0]));
    CHECK(digamma(zeros({0}, kFloat64)).shape() == Shape{0});
    CHECK(erfinv(zeros({3, 0}, kFloat32)).shape() == Shape{3, 0});
}

TEST_CASE("elementwise ops at infinities, zeros and the ends of their domains",
          "[ops][elementwise]") {
    const auto at = [](Tensor (*f)(const Tensor&), std::vector<double> x) {
        return f(from_vector(x, {x.size()}, kFloat64)).to_vector();
    };
    require_same(at(atan, {kInf, -kInf, -0.0}), {kPi / 2, -kPi / 2, 0}, 1e-16, 0, "atan");
    CHECK(std::signbit(at(atan, {-0.0})[0]));
    require_same(at(asin, {1, -1, 1.5}), {kPi / 2, -kPi / 2, kNaN}, 1e-16, 0, "asin");
    require_same(at(acos, {1, -1, -1.5}), {0, kPi, kNaN}, 1e-15, 0, "acos");
    require_same(at(acosh, {1, 0.5, kInf}), {0, kNaN, kInf}, 0, 0, "acosh");
    require_same(at(atanh, {1, -1, 2}), {kInf, -kInf, kNaN}, 0, 0, "atanh");
    require_same(at(sinh, {kInf, -kInf, 800}), {kInf, -kInf, kInf}, 0, 0, "sinh");
    require_same(at(erf, {kInf, -kInf}), {1, -1}, 0, 0, "erf");
    require_same(at(erfc, {kInf, -kInf, 30}), {0, 2, 0}, 0, 0, "erfc");
    require_same(at(erfinv, {1, -1, 1.5, -2, 0}), {kInf, -kInf, kNaN, kNaN, 0}, 0, 0, "erfinv");
    CHECK(std::signbit(at(erfinv, {-0.0})[0]));
    require_same(at(log1p, {-1, -2, kInf}), {-kInf, kNaN, kInf}, 0, 0, "log1p");
    require_same(at(expm1, {-kInf, kInf}), {-1, kInf}, 0, 0, "expm1");
    require_same(at(log2, {0, -1, 1024}), {-kInf, kNaN, 10}, 0, 0, "log2");
    require_same(at(log10, {0, -1, 1000}), {-kInf, kNaN, 3}, 0, 1e-16, "log10");
    require_same(at(exp2, {-kInf, 10, 1e4}), {0, 1024, kInf}, 0, 0, "exp2");
    require_same(at(reciprocal, {0.0, -0.0, kInf}), {kInf, -kInf, 0}, 0, 0, "reciprocal");
    require_same(at(rsqrt, {0, -1, kInf, 4}), {kInf, kNaN, 0, 0.5}, 0, 0, "rsqrt");
    require_same(at(lgamma, {0, -1, -2, 1, 2, kInf}), {kInf, kInf, kInf, 0, 0, kInf}, 0, 0,
                 "lgamma");
    require_same(at(digamma, {0.0, -0.0, -1, -2, kInf, -kInf}),
                 {-kInf, kInf, kNaN, kNaN, kInf, kNaN}, 0, 0, "digamma");
    require_same(at(silu, {-kInf, kInf, -800}), {0, kInf, 0}, 0, 0, "silu");
    require_same(at(mish, {-kInf, kInf}), {0, kInf}, 0, 0, "mish");
    require_same(at([](const Tensor& x) { return gelu(x); }, {-kInf, kInf, -40}), {0, kInf, 0}, 0,
                 0, "gelu");
    require_same(
        at([](const Tensor& x) { return gelu(x, GeluApproximation::tanh); }, {-kInf, kInf}),
        {0, kInf}, 0, 0, "gelu tanh");
    require_same(at([](const Tensor& x) { return elu(x); }, {-kInf, kInf}), {-1, kInf}, 0, 0,
                 "elu");
    require_same(at(softsign, {-kInf, kInf}), {-1, 1}, 0, 0, "softsign");
    require_same(at([](const Tensor& x) { return hardtanh(x); }, {-kInf, kInf}), {-1, 1}, 0, 0,
                 "hardtanh");
}

TEST_CASE("erfinv inverts std::erf to about an ulp, also near +-1", "[ops][elementwise][erfinv]") {
    std::vector<double> x = grid(-0.999, 0.999, 201);
    for (double d : {1e-3, 1e-6, 1e-9, 1e-12, 1e-15}) {
        x.push_back(1 - d);
        x.push_back(-(1 - d));
    }
    for (double s : {1e-300, 1e-20, 1e-8}) x.push_back(s);
    const auto y = erfinv(from_vector(x, {x.size()}, kFloat64)).to_vector();
    for (std::size_t i = 0; i < x.size(); ++i) {
        INFO("x = " << x[i] << ", erfinv(x) = " << y[i]);
        // erf(erfinv(x)) = x to within erf's own rounding (an ulp or two of x)
        CHECK(std::abs(std::erf(y[i]) - x[i]) <= 4.5e-16 * std::abs(x[i]) + 1e-300);
        // and in the tails 1 - x to within a few ulps of 1 - x, which erf cannot see
        if (std::abs(x[i]) > 0.5)
            // an ulp of y moves erfc(y) by 2 y^2 ulps
            CHECK(std::abs(std::erfc(std::abs(y[i])) - (1 - std::abs(x[i]))) <=
                  4.5e-16 * (2 + 2 * y[i] * y[i]) * (1 - std::abs(x[i])));
    }
    // Known value and the Taylor series at 0: erfinv(x) = sqrt(pi)/2 (x + pi x^3 / 12 + ...)
    require_close(erfinv(from_vector({0.5, 1e-5}, {2}, kFloat64)),
                  {0.47693627620446987338, std::sqrt(kPi) / 2 * (1e-5 + kPi * 1e-15 / 12)}, 0,
                  2e-16);
    // float: the double result rounded
    const auto yf = erfinv(from_vector(x, {x.size()}, kFloat32)).to_vector();
    const auto xf = from_vector(x, {x.size()}, kFloat32).to_vector();
    for (std::size_t i = 0; i < x.size(); ++i) {
        INFO("x = " << xf[i]);
        if (std::abs(xf[i]) == 1) {
            CHECK(std::isinf(yf[i]));
        } else {
            CHECK(std::abs(std::erf(yf[i]) - xf[i]) <= 1.2e-7 * std::abs(xf[i]) + 1e-38);
        }
    }
}

TEST_CASE("digamma: known values and the derivative of std::lgamma", "[ops][elementwise][gamma]") {
    // digamma(n) = H(n-1) - gamma, digamma(1/2) = -gamma - 2 ln 2, digamma(-1/2) = that + 2
    std::vector<double> x{0.5, -0.5},
        expect{-kEulerGamma - 2 * std::log(2.0), -kEulerGamma - 2 * std::log(2.0) + 2};
    double harmonic = 0;
    for (int n = 1; n <= 30; ++n) {
        x.push_back(n);
        expect.push_back(harmonic - kEulerGamma);
        harmonic += 1.0 / n;
    }
    require_close(digamma(from_vector(x, {x.size()}, kFloat64)), expect, 1e-15, 2e-16, "digamma");
    REQUIRE(digamma(from_vector({1}, {1}, kFloat64)).item() ==
            Approx(-0.5772156649015329).epsilon(1e-15));

    // d/dx lgamma by Richardson-extrapolated central differences of std::lgamma (error ~1e-11),
    // on both sides of 0 (lgamma is log|Gamma|, whose derivative is digamma there too)
    std::vector<double> pts{
        0.07, 0.3,  0.75, 1.4616321449683623, 2.5, 7.3, 9.99, 10.01, 25.1, 300.7, -0.5,
        -1.7, -2.3, -7.45};
    std::vector<double> fd;
    for (double p : pts) {
        const double h = 1e-3 * std::min(1.0, std::abs(p));
        auto central = [p](double s) {
            return (std::lgamma(p + s) - std::lgamma(p - s)) / (2 * s);
        };
        fd.push_back((4 * central(h / 2) - central(h)) / 3);
    }
    require_close(digamma(from_vector(pts, {pts.size()}, kFloat64)), fd, 2e-9, 2e-9, "digamma");
    // large x: ln x - 1/(2x) - 1/(12 x^2)
    const double big = 1e7;
    require_close(digamma(from_vector({big}, {1}, kFloat64)),
                  {std::log(big) - 0.5 / big - 1 / (12 * big * big)}, 0, 1e-16);
    // float: computed in double and rounded
    require_close(digamma(from_vector(pts, {pts.size()}, kFloat32)),
                  digamma(to_dtype(from_vector(pts, {pts.size()}, kFloat32), kFloat64)).to_vector(),
                  1e-6, 1e-6, "digamma float");
}

namespace {
// polygamma(n, x) = (-1)^(n+1) n! sum_k (x + k)^-(n+1): the first 2000 terms summed directly,
// the rest by Euler-Maclaurin (integral, half the first term left out, and one correction).
double polygamma_series(int n, double x) {
    const int terms = 2000;
    double s = 0;
    for (int k = terms - 1; k >= 0; --k) s += std::pow(x + k, -(n + 1));
    const double a = x + terms;
    s += std::pow(a, -n) / n + 0.5 * std::pow(a, -(n + 1)) + (n + 1) / 12.0 * std::pow(a, -(n + 2));
    return (n % 2 == 1 ? 1 : -1) * std::tgamma(n + 1.0) * s;
}
}  // namespace

TEST_CASE("polygamma against its series and known values", "[ops][elementwise][gamma]") {
    const std::vector<double> x{0.2, 0.5, 1, 1.7, 3.3, 9.5, 14, 60.2, -0.5, -2.25};
    for (int n : {1, 2, 3, 4, 7}) {
        INFO("n = " << n);
        std::vector<double> expect;
        for (double v : x) expect.push_back(polygamma_series(n, v));
        require_close(polygamma(n, from_vector(x, {x.size()}, kFloat64)), expect, 0, 1e-13);
        require_close(polygamma(n, from_vector(x, {x.size()}, kFloat32)), expect, 0, 2e-6);
    }
    const double zeta3 = 1.2020569031595942854;
    require_close(polygamma(1, from_vector({1, 0.5, -0.5}, {3}, kFloat64)),
                  {kPi * kPi / 6, kPi * kPi / 2, kPi * kPi / 2 + 4}, 0, 4e-16);
    require_close(polygamma(2, from_vector({1}, {1}, kFloat64)), {-2 * zeta3}, 0, 4e-16);
    require_close(polygamma(3, from_vector({1}, {1}, kFloat64)), {std::pow(kPi, 4) / 15}, 0, 4e-16);
    // poles, infinity, order 0
    require_same(polygamma(1, from_vector({0, -3, kInf}, {3}, kFloat64)).to_vector(),
                 {kInf, kInf, 0}, 0, 0, "polygamma 1");
    const Tensor xs = from_vector(x, {x.size()}, kFloat64);
    require_close(polygamma(0, xs), digamma(xs).to_vector(), 0, 0);
    // float results beyond float's range are +-inf (polygamma(1, x) ~ 1/x^2 near 0)
    const auto pf = polygamma(1, from_vector({1e-30, 1e-18}, {2}, kFloat32)).to_vector();
    CHECK(pf[0] == kInf);
    CHECK(pf[1] == Approx(1e36).epsilon(1e-6));
    CHECK(digamma(from_vector({1e-45}, {1}, kFloat32)).item() == -kInf);
    require_throws<ValueError>([&] { polygamma(-1, xs); }, {"polygamma", "-1"});
    require_throws<ValueError>([&] { polygamma(171, xs); }, {"polygamma", "171"});
}

TEST_CASE("digamma's derivative chain closes: grad of grad of lgamma is polygamma(1, .)",
          "[ops][elementwise][gamma]") {
    const Tensor x = from_vector({0.7, 2.5, -1.5}, {3}, kFloat64).requires_grad_();
    const Tensor g1 = grad({sum(lgamma(x))}, {x}, {}, GradOptions().create_graph(true))[0];
    const Tensor g2 = grad({sum(g1)}, {x}, {}, GradOptions().create_graph(true))[0];
    const Tensor g3 = grad({sum(g2)}, {x})[0];
    std::vector<double> e1, e2, e3;
    for (double v : {0.7, 2.5, -1.5}) {
        e2.push_back(polygamma_series(1, v));
        e3.push_back(polygamma_series(2, v));
    }
    require_close(g1, digamma(x.detach()).to_vector(), 0, 0);
    require_close(g2, e2, 0, 1e-13);
    require_close(g3, e3, 0, 1e-13);
}

TEST_CASE("round halves to even; rounding results are constants", "[ops][elementwise][rounding]") {
    for (DType dt : {kFloat32, kFloat64}) {
        const Tensor x =
            from_vector({-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.6, -2.6, 0.49999997}, {9}, dt);
        require_close(round(x), {-2, -2, 0, 0, 2, 2, 3, -3, 0}, 0);
        CHECK(std::signbit(round(x).to_vector()[2]));  // -0.5 -> -0, as C and PyTorch
        require_close(floor(x), {-3, -2, -1, 0, 1, 2, 2, -3, 0}, 0);
        require_close(ceil(x), {-2, -1, -0.0, 1, 2, 3, 3, -2, 1}, 0);
        require_close(trunc(x), {-2, -1, 0, 0, 1, 2, 2, -2, 0}, 0);
    }
    // Piecewise constant: no gradient flows through them, and they carry no tangent.
    const Tensor x = from_vector({0.3, 1.7, -2.2}, {3}, kFloat64).requires_grad_();
    using Unary = Tensor (*)(const Tensor&);
    for (Unary f : {Unary(round), Unary(floor), Unary(ceil), Unary(trunc)}) {
        const Tensor y = f(x * 3.0);
        CHECK(!y.requires_grad());
        // d/dx sum(x f(3x)) = f(3x), computed here with the C library
        const Tensor g = grad({sum(x * y)}, {x})[0];
        std::vector<double> expect;
        for (double v : x.to_vector())
            expect.push_back(f(from_vector({3 * v}, {1}, kFloat64)).item());
        require_close(g, expect, 0);
    }
    const JvpResult r = jvp([](const std::vector<Tensor>& in) { return floor(in[0]) * in[0]; },
                            {x.detach()}, {ones({3}, kFloat64)});
    require_close(r.tangent, {0, 1, -3}, 0);
}

TEST_CASE("fmod and remainder: C and Python semantics, broadcasting, PyTorch's gradients",
          "[ops][elementwise][rounding]") {
    const std::vector<double> av{-7, 7, -7, 7, 5.5, -0.0, 3, 1e-300, 1e17};
    const std::vector<double> bv{3, -3, -3, 3, 0.0, 2, kInf, -1, 3};
    const Tensor a = from_vector(av, {av.size()}, kFloat64);
    const Tensor b = from_vector(bv, {bv.size()}, kFloat64);
    std::vector<double> e_fmod, e_rem;
    for (std::size_t i = 0; i < av.size(); ++i) {
        e_fmod.push_back(std::fmod(av[i], bv[i]));
        // Python's %: the sign of the divisor
        double m = std::fmod(av[i], bv[i]);
        if (m != 0 && (m < 0) != (bv[i] < 0)) m += bv[i];
        e_rem.push_back(m);
    }
    require_same(fmod(a, b).to_vector(), e_fmod, 0, 0, "fmod");
    require_same(remainder(a, b).to_vector(), e_rem, 0, 0, "remainder");
    require_same(fmod(a, b).to_vector(), {-1, 1, -1, 1, kNaN, -0.0, 3, 1e-300, 1}, 0, 0, "fmod");
    require_same(remainder(a, b).to_vector(), {2, -2, -1, 1, kNaN, 0, 3, -1, 1}, 0, 0, "remainder");

    // Broadcast [3, 1] against [4]; the gradient wrt b is -trunc(a/b) resp. -floor(a/b),
    // summed over the broadcast axis, computed here with plain loops.
    Generator gen(11);
    const Tensor aa = (sample({3, 1}, Domain::any, gen) * 4.0).requires_grad_();
    const Tensor bb = sample({4}, Domain::away_from_zero, gen).requires_grad_();
    const auto va = aa.to_vector(), vb = bb.to_vector();
    for (bool python : {false, true}) {
        INFO((python ? "remainder" : "fmod"));
        const Tensor y = python ? remainder(aa, bb) : fmod(aa, bb);
        REQUIRE(y.shape() == Shape{3, 4});
        std::vector<double> expect_y, expect_ga(3, 0), expect_gb(4, 0);
        for (std::size_t i = 0; i < 3; ++i)
            for (std::size_t j = 0; j < 4; ++j) {
                const double q = python ? std::floor(va[i] / vb[j]) : std::trunc(va[i] / vb[j]);
                expect_y.push_back(va[i] - q * vb[j]);
                expect_ga[i] += 1;
                expect_gb[j] -= q;
            }
        require_close(y, expect_y, 1e-14, 1e-14);
        const auto g = grad({sum(y)}, {aa, bb});
        require_close(g[0], expect_ga, 0);
        require_close(g[1], expect_gb, 0);
    }
}

TEST_CASE("isnan, isinf, isfinite and nan_to_num", "[ops][elementwise][nonfinite]") {
    for (DType dt : {kFloat32, kFloat64}) {
        const Tensor x = from_vector({kNaN, kInf, -kInf, 0, -1.5, 1e30}, {2, 3}, dt);
        require_close(isnan(x), {1, 0, 0, 0, 0, 0}, 0);
        require_close(isinf(x), {0, 1, 1, 0, 0, 0}, 0);
        require_close(isfinite(x), {0, 0, 0, 1, 1, 1}, 0);
        CHECK(isnan(x).dtype() == dt);
        CHECK(isnan(x).shape() == Shape{2, 3});
        const double big = dt == kFloat32 ? double(std::numeric_limits<float>::max())
                                          : std::numeric_limits<double>::max();
        require_close(nan_to_num(x),
                      {0, big, -big, 0, -1.5, double(from_vector({1e30}, {1}, dt).item())}, 0);
        require_close(nan_to_num(x, 7, 8.0, -9.0),
                      {7, 8, -9, 0, -1.5, double(from_vector({1e30}, {1}, dt).item())}, 0);
    }
    // beyond float's range: +-inf, never an undefined cast
    const auto y =
        nan_to_num(from_vector({kInf, -kInf}, {2}, kFloat32), 0, 1e300, -1e300).to_vector();
    CHECK(y[0] == kInf);
    CHECK(y[1] == -kInf);
    // The gradient is 1 where x is finite and 0 where it was replaced (PyTorch's rule).
    const Tensor x = from_vector({kNaN, 2, kInf, -3, -kInf}, {5}, kFloat64).requires_grad_();
    require_close(grad({sum(nan_to_num(x) * 2.0)}, {x})[0], {0, 2, 0, 2, 0}, 0);
    // Masks are constants.
    CHECK(!isnan(x).requires_grad());
}

TEST_CASE("activations: stable forms, hardtanh's ends, errors", "[ops][elementwise][activations]") {
    for (DType dt : {kFloat32, kFloat64}) {
        const auto ls = logsigmoid(from_vector({-1e4, -100, 1e4, 40}, {4}, dt)).to_vector();
        CHECK(ls[0] == -1e4);
        CHECK(ls[1] == Approx(-100 - std::exp(-100.0)).epsilon(1e-15));
        CHECK(ls[2] == 0);
        CHECK(ls[3] == Approx(-std::exp(-40.0)).epsilon(dt == kFloat32 ? 1e-6 : 1e-15));
        // gelu for very negative x: x Phi(x), no cancellation in 1 + erf(x / sqrt 2)
        const double v = -20;
        const double phi_ref = 0.5 * std::erfc(-v / std::sqrt(2.0));
        if (dt == kFloat64)
            CHECK(gelu(from_vector({v}, {1}, dt)).item() == Approx(v * phi_ref).epsilon(1e-12));
    }
    // hardtanh: derivative 1 strictly inside, 0 at and beyond the ends
    const Tensor x = from_vector({-2, -1, 0.3, 0.5, 3, kNaN}, {6}, kFloat64).requires_grad_();
    const Tensor y = hardtanh(x, -1, 0.5);
    require_same(y.to_vector(), {-1, -1, 0.3, 0.5, 0.5, kNaN}, 0, 0, "hardtanh");
    require_close(slice(grad({sum(y)}, {x})[0], 0, 0, 5), {0, 0, 1, 0, 0}, 0);
    require_throws<ValueError>([&] { hardtanh(x, 1, -1); }, {"hardtanh", "min_val", "max_val"});
    // ELU's derivative below 0 is alpha e^x
    const Tensor z = from_vector({-0.7, 0.4}, {2}, kFloat64).requires_grad_();
    require_close(grad({sum(elu(z, 2.0))}, {z})[0], {2 * std::exp(-0.7), 1}, 1e-16);
}

TEST_CASE("binary elementwise ops check dtypes and shapes", "[ops][elementwise]") {
    const Tensor a = zeros({2, 3}, kFloat64);
    require_throws<DTypeError>([&] { atan2(a, zeros({2, 3}, kFloat32)); }, {"atan2"});
    require_throws<ShapeError>([&] { fmod(a, zeros({2}, kFloat64)); }, {"fmod", "[2, 3]", "[2]"});
    require_throws<ShapeError>([&] { remainder(a, zeros({4}, kFloat64)); }, {"remainder"});
}

TEST_CASE("elementwise ops on large inputs split across threads like plain loops",
          "[ops][elementwise][threads]") {
    const std::size_t n = 50000;  // > 2^15: on 2 threads, both get a part
    Generator gen(12);
    for (DType dt : {kFloat32, kFloat64}) {
        INFO((dt == kFloat32 ? "float" : "double"));
        const double tol = dt == kFloat32 ? 2e-6 : 1e-15;
        const Tensor x = sample({n}, Domain::unit, gen, dt);
        const Tensor y = reshape(x, {250, 200});
        const Tensor b = sample({200}, Domain::away_from_zero, gen, dt);
        const auto xv = x.to_vector(), bv = b.to_vector();
        auto run = [&] {
            return std::vector<std::vector<double>>{atanh(x).to_vector(),
                                                    erf(x).to_vector(),
                                                    lgamma(x).to_vector(),
                                                    digamma(x).to_vector(),
                                                    gelu(x).to_vector(),
                                                    atan2(y, b).to_vector(),
                                                    remainder(y * 5.0, b).to_vector()};
        };
        std::vector<std::vector<double>> two, one;
        {
            ThreadCount tc(2);
            two = run();
        }
        {
            ThreadCount tc(1);
            one = run();
        }
        // The same bits on 1 and 2 threads.
        for (std::size_t k = 0; k < two.size(); ++k) {
            INFO("result " << k);
            CHECK(two[k] == one[k]);
        }
        // And the values of plain loops (digamma: of the same op on one element at a time).
        double (*const refs[])(double) = {
            [](double v) { return std::atanh(v); }, [](double v) { return std::erf(v); },
            [](double v) { return std::lgamma(v); },
            [](double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); }};
        const std::size_t which[] = {0, 1, 2, 4};
        for (std::size_t k = 0; k < 4; ++k) {
            std::vector<double> e(n);
            for (std::size_t i = 0; i < n; ++i) e[i] = refs[k](xv[i]);
            require_all_close(two[which[k]], e, tol, tol, "unary " + std::to_string(which[k]));
        }
        std::vector<double> e_digamma;
        for (std::size_t i = 0; i < n; i += 997)
            e_digamma.push_back(digamma(from_vector({xv[i]}, {1}, dt)).item());
        std::vector<double> got_digamma;
        for (std::size_t i = 0; i < n; i += 997) got_digamma.push_back(two[3][i]);
        require_close(got_digamma, e_digamma, 0, 0, "digamma");
        std::vector<double> e_atan2(n), e_rem(n);
        for (std::size_t i = 0; i < n; ++i) {
            const double bi = bv[i % 200];
            e_atan2[i] = std::atan2(xv[i], bi);
            // y * 5 is rounded to the dtype first, as the op sees it
            const double a = dt == kFloat32 ? double(static_cast<float>(xv[i] * 5)) : xv[i] * 5;
            double m = std::fmod(a, bi);
            if (m != 0 && (m < 0) != (bi < 0)) m += bi;
            e_rem[i] = m;
        }
        require_all_close(two[5], e_atan2, tol, tol, "atan2");
        require_all_close(two[6], e_rem, 10 * tol, 0, "remainder");
    }
}

namespace {

// The helical valley (More, Garbow and Hillstrom 1981, problem 7):
// f = 100 [(x3 - 10 theta)^2 + (r - 1)^2] + x3^2, theta = atan2(x2, x1) / (2 pi),
// r = sqrt(x1^2 + x2^2).
Tensor helical_valley(const Tensor& x) {
    const Tensor x1 = slice(x, 0, 0, 1), x2 = slice(x, 0, 1, 2), x3 = slice(x, 0, 2, 3);
    const Tensor theta = atan2(x2, x1) * (1 / (2 * kPi));
    const Tensor r = sqrt(square(x1) + square(x2));
    return sum(100.0 * (square(x3 - 10.0 * theta) + square(r - 1.0)) + square(x3));
}

// Its gradient and Hessian derived by hand: with A = x3 - 10 theta and B = r - 1,
// f = 100 A^2 + 100 B^2 + x3^2, so grad f = 200 (A grad A + B grad B) + 2 x3 e3 and
// H = 200 (grad A grad A^T + A H_A + grad B grad B^T + B H_B) + 2 e3 e3^T.
void helical_valley_closed_form(const double* x, double* g, double* h) {
    const double x1 = x[0], x2 = x[1], x3 = x[2];
    const double r2 = x1 * x1 + x2 * x2, r = std::sqrt(r2), r4 = r2 * r2, r3 = r2 * r;
    const double A = x3 - 10 * std::atan2(x2, x1) / (2 * kPi), B = r - 1;
    const double dA[3] = {5 * x2 / (kPi * r2), -5 * x1 / (kPi * r2), 1};
    const double dB[3] = {x1 / r, x2 / r, 0};
    const double HA[3][3] = {{-10 * x1 * x2 / (kPi * r4), 5 * (x1 * x1 - x2 * x2) / (kPi * r4), 0},
                             {5 * (x1 * x1 - x2 * x2) / (kPi * r4), 10 * x1 * x2 / (kPi * r4), 0},
                             {0, 0, 0}};
    const double HB[3][3] = {
        {x2 * x2 / r3, -x1 * x2 / r3, 0}, {-x1 * x2 / r3, x1 * x1 / r3, 0}, {0, 0, 0}};
    for (int i = 0; i < 3; ++i) {
        g[i] = 200 * (A * dA[i] + B * dB[i]) + (i == 2 ? 2 * x3 : 0);
        for (int j = 0; j < 3; ++j)
            h[3 * i + j] = 200 * (dA[i] * dA[j] + A * HA[i][j] + dB[i] * dB[j] + B * HB[i][j]) +
                           (i == 2 && j == 2 ? 2 : 0);
    }
}

}  // namespace

TEST_CASE("helical valley: gradient and Hessian through atan2 match the closed forms",
          "[ops][elementwise][atan2]") {
    const std::vector<std::vector<double>> points{
        {1, 0.5, 0.2}, {-1, 0.5, 0.3}, {0.8, -0.6, -0.1}, {-0.3, -1.2, 2}, {1, 1e-3, 0}};
    for (const auto& p : points) {
        INFO("x = " << p[0] << ", " << p[1] << ", " << p[2]);
        double g[3], h[9];
        helical_valley_closed_form(p.data(), g, h);
        const Tensor x = from_vector(p, {3}, kFloat64).requires_grad_();
        require_close(grad({helical_valley(x)}, {x})[0], std::vector<double>(g, g + 3), 1e-11,
                      1e-12, "gradient");
        const Tensor H = hessian(helical_valley, from_vector(p, {3}, kFloat64));
        REQUIRE(H.shape() == Shape{3, 3});
        require_close(H, std::vector<double>(h, h + 9), 1e-9, 1e-12, "Hessian");
    }
    // The minimum at (1, 0, 0): f = 0 and a zero gradient.
    const Tensor x = from_vector({1, 0, 0}, {3}, kFloat64).requires_grad_();
    CHECK(helical_valley(x).item() == 0);
    require_close(grad({helical_valley(x)}, {x})[0], {0, 0, 0}, 1e-15);
}
