// The reductions of ops/moments.hpp (var, stddev), ops/norms.hpp (vector_norm, frobenius_norm),
// ops/extrema.hpp (amax, amin, argmin, any, all) and ops/scans.hpp (cumsum, cumprod,
// logcumsumexp, prod), and mean over several axes: values against plain loops in this file,
// gradients at the special points (zeros, ties, zero variance) against closed forms computed
// with loops, NaN, infinities, empty tensors, float and double. Gradients, second derivatives
// and jvps at generic points are checked by the op-case table (tests/op_cases.hpp).

#include <algorithm>
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


using SliceFn = std::function<double(const std::vector<double>&)>;

// f over every slice of `values` (of `shape`) spanned by `axes`, in row-major order of the
// kept axes: the reference for any reduction.
std::vector<double> reduce_ref(const std::vector<double>& values, const Shape& shape,
                               const std::vector<std::size_t>& axes, const SliceFn& f) {
    std::vector<bool> reduced(shape.size(), false);
    for (auto a : axes) reduced[a] = true;
    std::size_t outer = 1;
    for (std::size_t d = 0; d < shape.size(); ++d)
        if (!reduced[d]) outer *= shape[d];
    std::vector<std::vector<double>> slices(outer);
    std::vector<std::size_t> idx(shape.size(), 0);
    for (std::size_t flat = 0; flat < values.size(); ++flat) {
        std::size_t o = 0;
        for (std::size_t d = 0; d < shape.size(); ++d)
            if (!reduced[d]) o = o * shape[d] + idx[d];
        slices[o].push_back(values[flat]);
        for (std::size_t d = shape.size(); d-- > 0;) {
            if (++idx[d] < shape[d]) break;
            idx[d] = 0;
        }
    }
    std::vector<double> out;
    for (const auto& s : slices) out.push_back(f(s));
    return out;
}

// f (a slice to a slice of the same length) along `axis`, in place of each slice.
std::vector<double> scan_ref(const std::vector<double>& values, const Shape& shape,
                             std::size_t axis,
                             const std::function<std::vector<double>(std::vector<double>)>& f) {
    std::size_t outer = 1, inner = 1;
    for (std::size_t d = 0; d < axis; ++d) outer *= shape[d];
    for (std::size_t d = axis + 1; d < shape.size(); ++d) inner *= shape[d];
    const std::size_t len = shape[axis];
    std::vector<double> out(values.size());
    for (std::size_t o = 0; o < outer; ++o) {
        for (std::size_t i = 0; i < inner; ++i) {
            std::vector<double> s(len);
            for (std::size_t k = 0; k < len; ++k) s[k] = values[(o * len + k) * inner + i];
            const std::vector<double> r = f(s);
            for (std::size_t k = 0; k < len; ++k) out[(o * len + k) * inner + i] = r[k];
        }
    }
    return out;
}

double mean_ref(const std::vector<double>& s) {
    double m = 0;
    for (double v : s) m += v;
    return m / double(s.size());
}

SliceFn var_ref(double correction) {
    return [correction](const std::vector<double>& s) {
        const double m = mean_ref(s);
        double q = 0;
        for (double v : s) q += (v - m) * (v - m);
        return q / std::max(0.0, double(s.size()) - correction);
    };
}

SliceFn norm_ref(double p) {
    return [p](const std::vector<double>& s) {
        if (p == kInf || p == -kInf) {
            double r = std::abs(s[0]);
            for (double v : s) r = p > 0 ? std::max(r, std::abs(v)) : std::min(r, std::abs(v));
            return r;
        }
        double q = 0;
        for (double v : s) q += p == 0 ? (v != 0 ? 1.0 : 0.0) : std::pow(std::abs(v), p);
        return p == 0 ? q : std::pow(q, 1 / p);
    };
}

Tensor seeded(const Shape& shape, std::uint64_t seed, DType dtype = kFloat64) {
    Generator gen(seed);
    return sample(shape, Domain::any, gen, dtype);
}

// The gradient of sum(f(x)) at x.
std::vector<double> gradient(const std::function<Tensor(const Tensor&)>& f,
                             const std::vector<double>& x, const Shape& shape) {
    const Tensor xs = from_vector(x, shape, kFloat64).requires_grad_(true);
    return grad({sum(f(xs))}, {xs})[0].to_vector();
}

}  // namespace

// ---- var and stddev ---------------------------------------------------------------------------

TEST_CASE("var and stddev equal the two-pass formula over any axes", "[ops][statistics]") {
    const Shape shape{3, 4, 5};
    struct Case {
        std::vector<std::int64_t> axes;
        std::vector<std::size_t> ref_axes;
    };
    const std::vector<Case> cases{
        {{0}, {0}}, {{-1}, {2}}, {{0, 2}, {0, 2}}, {{2, 0, 1}, {0, 1, 2}}};
    for (DType dtype : {kFloat64, kFloat32}) {
        const Tensor x = seeded(shape, 1, dtype);
        const double tol = dtype == kFloat64 ? 1e-13 : 1e-5;
        for (const auto& c : cases) {
            for (double correction : {0.0, 1.0, 2.5}) {
                for (bool keepdims : {false, true}) {
                    INFO("correction " << correction << " keepdims " << keepdims);
                    const auto ref =
                        reduce_ref(x.to_vector(), shape, c.ref_axes, var_ref(correction));
                    const Tensor v = var(x, Dims(c.axes), correction, keepdims);
                    const Tensor s = stddev(x, Dims(c.axes), correction, keepdims);
                    REQUIRE(v.dtype() == dtype);
                    require_close(v, ref, tol, tol, "var");
                    std::vector<double> sref = ref;
                    for (auto& e : sref) e = std::sqrt(e);
                    require_close(s, sref, tol, tol, "stddev");
                    Shape expect;
                    for (std::size_t d = 0; d < shape.size(); ++d) {
                        const bool r =
                            std::find(c.ref_axes.begin(), c.ref_axes.end(), d) != c.ref_axes.end();
                        if (!r || keepdims) expect.push_back(r ? 1 : shape[d]);
                    }
                    REQUIRE(v.shape() == expect);
                    REQUIRE(s.shape() == expect);
                }
            }
        }
        const auto all = reduce_ref(x.to_vector(), shape, {0, 1, 2}, var_ref(1));
        require_close(var(x), all, tol, tol, "var of everything");
        REQUIRE(var(x).dim() == 0);
        require_close(stddev(x), {std::sqrt(all[0])}, tol, tol, "stddev of everything");
    }
}

TEST_CASE("var is exact for values with a large common offset", "[ops][statistics]") {
    // E[x^2] - E[x]^2 would lose every digit here; the two-pass form keeps them.
    const Tensor x = from_vector({1e9 + 1, 1e9 + 2, 1e9 + 3, 1e9 + 4}, {4}, kFloat64);
    require_close(var(x), {5.0 / 3.0}, 1e-12, 1e-12, "var");
}

TEST_CASE("var and stddev: degenerate divisors, NaN and bad arguments", "[ops][statistics]") {
    // N <= correction: 0 / 0 = NaN for one element, s / 0 = inf otherwise (as PyTorch).
    require_same(var(from_vector({3}, {1}, kFloat64), {0}).to_vector(), {kNaN}, 0, 0, "N = 1");
    require_same(var(from_vector({1, 2}, {2}, kFloat64), {0}, 2).to_vector(), {kInf}, 0, 0,
                 "N = correction");
    require_same(stddev(from_vector({1, 2}, {2}, kFloat64), {0}, 3).to_vector(), {kInf}, 0, 0,
                 "N < correction");
    const Tensor with_nan = from_vector({1, kNaN, 3, 4, 5, 6}, {2, 3}, kFloat64);
    require_same(var(with_nan, {1}).to_vector(), {kNaN, 1.0}, 1e-15, 0, "NaN row");
    require_same(stddev(with_nan, {1}).to_vector(), {kNaN, 1.0}, 1e-15, 0, "NaN row");
    require_throws<ValueError>(
        [] {
            var(zeros({2, 0}, kFloat64), {1});
        },
        {"var", "[2, 0]", "empty"});
    require_throws<ValueError>([] { var(zeros({3}, kFloat64), {0}, -1); }, {"var", "correction"});
    require_throws<ValueError>([] { var(zeros({3}, kFloat64), {0}, kNaN); }, {"var", "correction"});
    require_throws<ValueError>(
        [] {
            var(zeros({3, 2}, kFloat64), {0, 0});
        },
        {"var", "given twice"});
    require_throws<ValueError>(
        [] {
            stddev(zeros({3, 2}, kFloat64), {0, -2});
        },
        {"stddev", "given twice"});
    require_throws<ValueError>([] { stddev(zeros({3, 2}, kFloat64), {2}); }, {"stddev"});
    require_throws<ValueError>([] { stddev(zeros({0}, kFloat64), {0}); }, {"stddev", "empty"});
    // Reducing over a kept empty axis gives an empty result.
    REQUIRE(var(zeros({0, 3}, kFloat64), {1}).shape() == Shape{0});
}

TEST_CASE("stddev's gradient is 0, not NaN, where the variance is 0", "[ops][statistics]") {
    // A constant slice: the slope of sqrt at 0 is infinite and (x - mean) is 0. The composite
    // sqrt(var) gives 0 * inf = NaN; stddev gives 0, and so does its second derivative.
    const Tensor x = from_vector({2, 2, 2, 1, 3, 5}, {2, 3}, kFloat64).requires_grad_(true);
    const Tensor s = stddev(x, {1});
    const auto g = grad({sum(s)}, {x}, {}, GradOptions().create_graph(true))[0];
    // Second row: (x - mean) / ((N - 1) stddev) with mean 3, stddev 2.
    require_close(g, {0, 0, 0, -0.5, 0, 0.5}, 1e-15, 0, "gradient");
    const auto h = hessian([](const Tensor& v) { return sum(stddev(v, {1})); }, x.detach())
                       .to_vector();  // [6, 6]: rows and columns 0..2 belong to the constant row
    for (std::size_t i = 0; i < 6; ++i) {
        for (std::size_t j = 0; j < 6; ++j) {
            INFO("hessian " << i << ", " << j);
            REQUIRE(std::isfinite(h[i * 6 + j]));
            if (i < 3 || j < 3) REQUIRE(h[i * 6 + j] == 0);
        }
    }
    // The plain composite does give NaN there: the case stddev exists for.
    const auto plain = grad({sum(sqrt(var(x, {1})))}, {x})[0].to_vector();
    REQUIRE(std::isnan(plain[0]));
}

// ---- norms ------------------------------------------------------------------------------------

TEST_CASE("vector_norm equals (sum |x|^p)^(1/p) for every p, over all or some axes",
          "[ops][norms]") {
    const Shape shape{3, 4, 2};
    for (DType dtype : {kFloat64, kFloat32}) {
        // Zeros included, to exercise the masked powers.
        Tensor x = seeded(shape, 2, dtype);
        std::vector<double> xv = x.to_vector();
        xv[3] = 0;
        xv[10] = 0;
        x = from_vector(xv, shape, dtype);
        xv = x.to_vector();
        const double tol = dtype == kFloat64 ? 1e-13 : 2e-6;
        for (double p : {2.0, 1.0, 3.0, 0.5, 1.5, kInf, -kInf, 0.0, -1.0}) {
            INFO("p = " << p);
            require_same(vector_norm(x, p).to_vector(),
                         reduce_ref(xv, shape, {0, 1, 2}, norm_ref(p)), tol, tol, "all");
            REQUIRE(vector_norm(x, p).dim() == 0);
            require_same(vector_norm(x, p, {1}).to_vector(),
                         reduce_ref(xv, shape, {1}, norm_ref(p)), tol, tol, "axis 1");
            const Tensor k = vector_norm(x, p, {0, -1}, true);
            REQUIRE(k.shape() == Shape{1, 4, 1});
            require_same(k.to_vector(), reduce_ref(xv, shape, {0, 2}, norm_ref(p)), tol, tol,
                         "axes 0, 2 keepdims");
        }
        require_same(frobenius_norm(x).to_vector(), reduce_ref(xv, shape, {0, 1, 2}, norm_ref(2)),
                     tol, tol, "frobenius");
        require_same(frobenius_norm(x, {1, 2}).to_vector(),
                     reduce_ref(xv, shape, {1, 2}, norm_ref(2)), tol, tol, "frobenius over axes");
    }
}

TEST_CASE("vector_norm's gradient is the subgradient 0 at zero", "[ops][norms]") {
    // At x = 0 the 2-norm has no derivative; PyTorch returns 0 (sqrt alone would give NaN).
    // Every other row checks the formula sign(x) |x|^(p-1) / norm^(p-1).
    const Shape shape{2, 3};
    const std::vector<double> xv{0, 0, 0, 0.5, -2, 0};
    for (double p : {2.0, 3.0, 1.5, 0.5, 1.0}) {
        INFO("p = " << p);
        const auto g = gradient([p](const Tensor& x) { return vector_norm(x, p, {1}); }, xv, shape);
        const double norm = std::pow(std::pow(0.5, p) + std::pow(2.0, p), 1 / p);
        std::vector<double> expect{0, 0, 0};
        for (double v : {0.5, -2.0})
            expect.push_back((v > 0 ? 1 : -1) * std::pow(std::abs(v), p - 1) /
                             std::pow(norm, p - 1));
        expect.push_back(0);
        require_close(g, expect, 1e-14, 1e-14, "gradient");
        // The second derivative at the zero row is 0 too, not NaN (the 1-norm's gradient
        // sign(x) is a constant: nothing to differentiate).
        if (p == 1) continue;
        const Tensor h = hessian([p](const Tensor& v) { return sum(vector_norm(v, p, {1})); },
                                 from_vector(xv, shape, kFloat64));
        const auto hv = h.to_vector();  // [6, 6]: rows and columns 0..2 belong to the zero row
        for (std::size_t i = 0; i < 6; ++i) {
            for (std::size_t j = 0; j < 6; ++j) {
                INFO("hessian " << i << ", " << j);
                REQUIRE(std::isfinite(hv[i * 6 + j]));
                if (i < 3 || j < 3) REQUIRE(hv[i * 6 + j] == 0);
            }
        }
    }
    // The inf-norm's gradient is split between ties: |-2| = |2| share sign(x) / 2.
    const auto ginf =
        gradient([](const Tensor& x) { return vector_norm(x, kInf); }, {1, -2, 2, 0.5}, {4});
    require_close(ginf, {0, -0.5, 0.5, 0}, 0, 0, "inf-norm ties");
    // The 0-"norm" is a count: a constant.
    const Tensor x0 = from_vector({1, 0, kNaN}, {3}, kFloat64).requires_grad_(true);
    REQUIRE(vector_norm(x0, 0).to_vector()[0] == 2);
    REQUIRE_FALSE(vector_norm(x0, 0).requires_grad());
}

TEST_CASE("vector_norm: NaN, empty tensors, bad p", "[ops][norms]") {
    const Tensor x = from_vector({1, kNaN, 3, 4}, {2, 2}, kFloat64);
    for (double p : {2.0, 1.0, 3.0, kInf, -kInf})
        require_same(
            vector_norm(x, p, {1}).to_vector(),
            {kNaN, p == -kInf ? 3.0
                              : (p == 1 ? 7.0
                                        : (p == kInf ? 4.0
                                                     : std::pow(std::pow(3.0, p) + std::pow(4.0, p),
                                                                1 / p)))},
            1e-14, 0, "NaN row");
    REQUIRE(vector_norm(zeros({0}, kFloat64)).to_vector() == std::vector<double>{0});
    REQUIRE(vector_norm(zeros({2, 0}, kFloat64), 2, {1}).to_vector() == std::vector<double>{0, 0});
    require_throws<ValueError>(
        [] {
            vector_norm(zeros({2, 0}, kFloat64), kInf, {1});
        },
        {"vector_norm", "empty", "[2, 0]"});
    require_throws<ValueError>([] { vector_norm(zeros({2}, kFloat64), kNaN); },
                               {"vector_norm", "NaN"});
}

// ---- amax, amin, argmin, any, all, mean over several axes -------------------------------------

TEST_CASE("amax and amin over several axes equal plain loops", "[ops][extrema]") {
    const Shape shape{3, 4, 5};
    for (DType dtype : {kFloat64, kFloat32}) {
        const Tensor x = seeded(shape, 3, dtype);
        const auto xv = x.to_vector();
        const SliceFn mx = [](const std::vector<double>& s) {
            return *std::max_element(s.begin(), s.end());
        };
        const SliceFn mn = [](const std::vector<double>& s) {
            return *std::min_element(s.begin(), s.end());
        };
        for (const auto& axes :
             std::vector<std::vector<std::size_t>>{{0}, {2}, {0, 2}, {0, 1, 2}}) {
            const std::vector<std::int64_t> ax(axes.begin(), axes.end());
            require_close(amax(x, Dims(ax)), reduce_ref(xv, shape, axes, mx), 0, 0, "amax");
            require_close(amin(x, Dims(ax)), reduce_ref(xv, shape, axes, mn), 0, 0, "amin");
            REQUIRE(amax(x, Dims(ax), true).dim() == 3);
        }
    }
    // An empty list reduces nothing.
    const Tensor y = seeded({2, 3}, 4);
    require_close_tensors(amax(y, Dims()), y, 0);
}

TEST_CASE("amax and amin split the gradient evenly among ties", "[ops][extrema]") {
    // Row 0: the maximum 3 three times; row 1: once. PyTorch's amax gives each tie 1/3.
    const std::vector<double> xv{3, 1, 3, 3, -1, 0, 2, -1};
    const auto g = gradient([](const Tensor& x) { return amax(x, {1}); }, xv, {2, 4});
    require_close(g, {1.0 / 3, 0, 1.0 / 3, 1.0 / 3, 0, 0, 1, 0}, 1e-16, 0, "amax");
    const auto gm = gradient([](const Tensor& x) { return amin(x, {1}); }, xv, {2, 4});
    require_close(gm, {0, 1, 0, 0, 0.5, 0, 0, 0.5}, 1e-16, 0, "amin");
    // Over both axes: 3 is the maximum of all four... three ties.
    const auto gall = gradient([](const Tensor& x) { return amax(x, {0, 1}); }, xv, {2, 4});
    require_close(gall, {1.0 / 3, 0, 1.0 / 3, 1.0 / 3, 0, 0, 0, 0}, 1e-16, 0, "amax all");
    // Forward mode: the mean of the tied tangents.
    const Tensor x = from_vector(xv, {2, 4}, kFloat64);
    const Tensor t = from_vector({1, 2, 3, 4, 5, 6, 7, 8}, {2, 4}, kFloat64);
    const auto r = jvp([](const std::vector<Tensor>& in) { return amax(in[0], {1}); }, {x}, {t});
    require_close(r.tangent, {(1.0 + 3 + 4) / 3, 7}, 1e-15, 0, "jvp");
}

TEST_CASE("amax, amin, argmin: NaN, infinities, empty axes", "[ops][extrema]") {
    const Tensor x = from_vector({1, kNaN, 3, -kInf, kInf, 2}, {2, 3}, kFloat64);
    require_same(amax(x, {1}).to_vector(), {kNaN, kInf}, 0, 0, "amax");
    require_same(amin(x, {1}).to_vector(), {kNaN, -kInf}, 0, 0, "amin");
    require_same(amax(x, {0}).to_vector(), {1, kNaN, 3}, 0, 0, "amax axis 0");
    // The gradient goes to the NaN, as PyTorch's.
    const auto g = gradient([](const Tensor& v) { return amax(v, {1}); }, x.to_vector(), {2, 3});
    require_close(g, {0, 1, 0, 0, 1, 0}, 0, 0, "gradient at NaN");
    require_throws<ValueError>(
        [] {
            amax(zeros({2, 0}, kFloat64), {1});
        },
        {"amax", "empty", "[2, 0]"});
    require_throws<ValueError>([] { amin(zeros({0, 2}, kFloat64), {0}); }, {"amin", "empty"});
    require_throws<ValueError>([] { amax(zeros({2}, kFloat64), {1}); }, {"amax"});
    REQUIRE(amax(zeros({0, 2}, kFloat64), {1}).shape() == Shape{0});
    // argmin: the first minimum, the first NaN.
    const Tensor y = from_vector({3, 1, 1, 2, 5, kNaN, 0, kNaN}, {2, 4}, kFloat64);
    REQUIRE(argmin(y, 1).to_vector() == std::vector<double>{1, 1});
    REQUIRE(argmin(y, 0).to_vector() == std::vector<double>{0, 1, 1, 1});
    REQUIRE_FALSE(argmin(y.requires_grad_(true), 1).requires_grad());
    require_throws<ValueError>([] { argmin(zeros({2, 0}, kFloat64), 1); }, {"argmin", "empty"});
}

TEST_CASE("any and all over axes, with NaN and empty axes", "[ops][extrema]") {
    const Tensor x = from_vector({0, 0, 0, 1, 2, 3, 0, kNaN, 4}, {3, 3}, kFloat64);
    REQUIRE(any(x, {1}).to_vector() == std::vector<double>{0, 1, 1});
    REQUIRE(all(x, {1}).to_vector() == std::vector<double>{0, 1, 0});
    REQUIRE(any(x, {0, 1}).to_vector() == std::vector<double>{1});
    REQUIRE(all(x, {0, 1}, true).shape() == Shape{1, 1});
    REQUIRE(all(from_vector({kNaN, 1}, {2}, kFloat32), {0}).to_vector() == std::vector<double>{1});
    REQUIRE(any(zeros({2, 0}, kFloat64), {1}).to_vector() == std::vector<double>{0, 0});
    REQUIRE(all(zeros({2, 0}, kFloat64), {1}).to_vector() == std::vector<double>{1, 1});
    REQUIRE_FALSE(any(x.requires_grad_(true), {1}).requires_grad());
}

TEST_CASE("mean over several axes with keepdims equals a plain loop", "[ops][statistics]") {
    const Shape shape{2, 3, 4};
    const Tensor x = seeded(shape, 5);
    const auto ref = reduce_ref(x.to_vector(), shape, {0, 2}, mean_ref);
    require_close(mean(x, {0, 2}), ref, 1e-15, 1e-15, "mean");
    const Tensor k = mean(x, {2, 0}, true);
    REQUIRE(k.shape() == Shape{1, 3, 1});
    require_close(k, ref, 1e-15, 1e-15, "mean keepdims");
    // Each element's gradient is 1 / (number averaged).
    const auto g = gradient(
        [](const Tensor& v) {
            return mean(v, {0, 2}, true);
        },
        x.to_vector(), shape);
    for (double e : g) REQUIRE(std::abs(e - 1.0 / 8) < 1e-16);
}

// ---- cumsum, cumprod, logcumsumexp, prod --------------------------------------------------------

namespace {

std::vector<double> cumsum_ref(std::vector<double> s) {
    for (std::size_t k = 1; k < s.size(); ++k) s[k] += s[k - 1];
    return s;
}
std::vector<double> cumprod_ref(std::vector<double> s) {
    for (std::size_t k = 1; k < s.size(); ++k) s[k] *= s[k - 1];
    return s;
}
// log(sum_(j<=k) exp(x_j)) in long double: a sum of exp(x_j - m) rescaled whenever the
// running maximum m grows.
std::vector<double> logcumsumexp_ref(std::vector<double> s) {
    std::vector<double> out(s.size());
    long double m = -kInf, acc = 0;
    for (std::size_t k = 0; k < s.size(); ++k) {
        const long double v = s[k];
        if (std::isnan(static_cast<double>(v)) || std::isnan(static_cast<double>(m))) {
            m = kNaN;
        } else if (v > m) {
            acc = (std::isinf(static_cast<double>(m)) ? 0 : acc * std::exp(m - v)) + 1;
            m = v;
        } else if (!std::isinf(static_cast<double>(m))) {
            acc += std::exp(v - m);
        }
        out[k] = std::isinf(static_cast<double>(m)) || std::isnan(static_cast<double>(m))
                     ? static_cast<double>(m)
                     : static_cast<double>(std::log(acc) + m);
    }
    return out;
}

}  // namespace

TEST_CASE("cumsum, cumprod and logcumsumexp equal plain loops along every axis", "[ops][scans]") {
    const Shape shape{3, 4, 5};
    for (DType dtype : {kFloat64, kFloat32}) {
        const Tensor x = seeded(shape, 6, dtype);
        const auto xv = x.to_vector();
        const double tol = dtype == kFloat64 ? 1e-14 : 1e-6;
        for (std::int64_t axis : {0, 1, 2, -1}) {
            INFO("axis " << axis);
            const std::size_t a = static_cast<std::size_t>(axis < 0 ? axis + 3 : axis);
            const Tensor c = cumsum(x, axis);
            REQUIRE(c.shape() == shape);
            REQUIRE(c.dtype() == dtype);
            require_close(c, scan_ref(xv, shape, a, cumsum_ref), tol, tol, "cumsum");
            require_close(cumprod(x, axis), scan_ref(xv, shape, a, cumprod_ref), tol, tol,
                          "cumprod");
            require_close(logcumsumexp(x, axis), scan_ref(xv, shape, a, logcumsumexp_ref), tol, tol,
                          "logcumsumexp");
        }
    }
}

TEST_CASE("the scans run on threads with the same results", "[ops][scans]") {
    // 40 slices of 1000: more than one thread's share (ops/kernels.hpp's grain).
    const Shape shape{40, 1000};
    const Tensor x = seeded(shape, 7);
    const auto ref = scan_ref(x.to_vector(), shape, 1, cumsum_ref);
    ScopedNumThreads two(2);
    require_all_close(cumsum(x, 1), ref, 1e-12, 1e-12, "cumsum");
    require_all_close(logcumsumexp(x, 1), scan_ref(x.to_vector(), shape, 1, logcumsumexp_ref),
                      1e-12, 1e-12, "logcumsumexp");
}

TEST_CASE("logcumsumexp neither overflows nor underflows, and handles infinities", "[ops][scans]") {
    const Tensor x = from_vector({-1000, 0, 1000, 1000}, {4}, kFloat64);
    require_close(logcumsumexp(x, 0), {-1000, 0, 1000, 1000 + std::log(2.0)}, 1e-12, 1e-15, "big");
    const Tensor f = from_vector({-1000, 0, 1000, 1000}, {4}, kFloat32);
    require_close(logcumsumexp(f, 0), {-1000, 0, 1000, 1000 + std::log(2.0)}, 1e-4, 1e-6, "float");
    require_same(
        logcumsumexp(from_vector({-kInf, -kInf, 1, kInf, 2}, {5}, kFloat64), 0).to_vector(),
        {-kInf, -kInf, 1, kInf, kInf}, 1e-15, 0, "infinities");
    require_same(logcumsumexp(from_vector({1, kNaN, 2}, {3}, kFloat64), 0).to_vector(),
                 {1, kNaN, kNaN}, 0, 0, "NaN");
    // d y_k / d x_j = exp(x_j - y_k): at x = (0, 0) the gradient of y_0 + y_1 is (1.5, 0.5).
    const auto g = gradient([](const Tensor& v) { return logcumsumexp(v, 0); }, {0, 0}, {2});
    require_close(g, {1.5, 0.5}, 1e-15, 0, "gradient");
}

TEST_CASE("cumsum and cumprod: NaN, infinities, empty tensors", "[ops][scans]") {
    require_same(cumsum(from_vector({1, kNaN, 2}, {3}, kFloat64), 0).to_vector(), {1, kNaN, kNaN},
                 0, 0, "cumsum NaN");
    require_same(cumprod(from_vector({2, kNaN, 0}, {3}, kFloat64), 0).to_vector(), {2, kNaN, kNaN},
                 0, 0, "cumprod NaN");
    // inf at the first place is a value, not a coefficient of the empty y_(-1).
    require_same(cumprod(from_vector({kInf, 2, 0}, {3}, kFloat64), 0).to_vector(),
                 {kInf, kInf, kNaN}, 0, 0, "cumprod inf");
    // An element past float's range is inf; the running sum is kept in double, so the next
    // element is finite again.
    require_same(cumsum(from_vector({3e38, 3e38, -3e38}, {3}, kFloat32), 0).to_vector(),
                 {3e38, kInf, 3e38}, 1e32, 0, "float overflow");
    require_same(cumprod(from_vector({-1e30, 1e30}, {2}, kFloat32), 0).to_vector(), {-1e30, -kInf},
                 1e24, 0, "float overflow");
    require_same(cumsum(from_vector({kInf, 1}, {2}, kFloat64), 0).to_vector(), {kInf, kInf}, 0, 0,
                 "cumsum inf");
    for (const Shape& s : {Shape{0}, Shape{2, 0}, Shape{0, 3}}) {
        REQUIRE(cumsum(zeros(s, kFloat64), -1).shape() == s);
        REQUIRE(cumprod(zeros(s, kFloat64), -1).shape() == s);
        REQUIRE(logcumsumexp(zeros(s, kFloat64), -1).shape() == s);
    }
    // A 0-d tensor has no axis to scan along.
    require_throws<ValueError>([] { cumsum(scalar_tensor(2.0, kFloat64), 0); }, {"cumsum"});
    require_throws<ValueError>([] { cumsum(zeros({2}, kFloat64), 1); }, {"cumsum"});
    require_throws<ValueError>([] { cumprod(zeros({2}, kFloat64), -2); }, {"cumprod"});
}

TEST_CASE("prod equals a plain loop; its gradient with zeros is the product of the others",
          "[ops][scans]") {
    const Shape shape{3, 4};
    const Tensor x = seeded(shape, 8);
    const SliceFn product = [](const std::vector<double>& s) {
        double p = 1;
        for (double v : s) p *= v;
        return p;
    };
    require_close(prod(x, 1), reduce_ref(x.to_vector(), shape, {1}, product), 1e-15, 1e-14,
                  "axis 1");
    require_close(prod(x, 0, true), reduce_ref(x.to_vector(), shape, {0}, product), 1e-15, 1e-14,
                  "axis 0");
    REQUIRE(prod(x, 0, true).shape() == Shape{1, 4});
    require_close(prod(x), reduce_ref(x.to_vector(), shape, {0, 1}, product), 1e-15, 1e-14, "all");
    REQUIRE(prod(x).dim() == 0);
    // Rows with no zero, one zero and two zeros. d prod / d x_i = the product of the others.
    const std::vector<double> xv{2, -3, 0.5, 4, 1.5, 0, -2, 3, 0, 2, 0, 5};
    const auto g = gradient([](const Tensor& v) { return prod(v, 1); }, xv, shape);
    std::vector<double> expect(xv.size());
    for (std::size_t r = 0; r < 3; ++r) {
        for (std::size_t i = 0; i < 4; ++i) {
            double p = 1;
            for (std::size_t j = 0; j < 4; ++j)
                if (j != i) p *= xv[r * 4 + j];
            expect[r * 4 + i] = p;
        }
    }
    require_close(g, expect, 0, 0, "gradient");
    // Second derivatives: d^2 prod / dx_i dx_j = the product of all but x_i and x_j (i != j),
    // 0 on the diagonal; with two zeros, the mixed derivative of the zeros is not 0.
    for (std::size_t r = 0; r < 3; ++r) {
        const std::vector<double> row(xv.begin() + long(r) * 4, xv.begin() + long(r) * 4 + 4);
        const Tensor h =
            hessian([](const Tensor& v) { return prod(v, 0); }, from_vector(row, {4}, kFloat64));
        std::vector<double> hexp(16);
        for (std::size_t i = 0; i < 4; ++i) {
            for (std::size_t j = 0; j < 4; ++j) {
                double p = i == j ? 0 : 1;
                for (std::size_t k = 0; k < 4; ++k)
                    if (k != i && k != j) p *= row[k];
                hexp[i * 4 + j] = p;
            }
        }
        INFO("row " << r);
        require_close(h, hexp, 1e-15, 0, "hessian");
    }
    // Forward mode with zeros: sum_i t_i prod_(j != i) x_j.
    const Tensor t = from_vector({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, shape, kFloat64);
    const auto r = jvp([](const std::vector<Tensor>& in) { return prod(in[0], 1); },
                       {from_vector(xv, shape, kFloat64)}, {t});
    std::vector<double> jexp(3, 0);
    for (std::size_t k = 0; k < 12; ++k) jexp[k / 4] += t.to_vector()[k] * expect[k];
    require_close(r.tangent, jexp, 1e-15, 0, "jvp");
}

TEST_CASE("prod: empty axes give 1, NaN propagates", "[ops][scans]") {
    REQUIRE(prod(zeros({0}, kFloat64)).to_vector() == std::vector<double>{1});
    REQUIRE(prod(zeros({2, 0}, kFloat64), 1).to_vector() == std::vector<double>{1, 1});
    REQUIRE(prod(zeros({0, 2}, kFloat64), 1).shape() == Shape{0});
    REQUIRE(prod(zeros({2, 0}, kFloat32), 1, true).shape() == Shape{2, 1});
    require_same(prod(from_vector({0, kNaN, 1, 2}, {2, 2}, kFloat64), 1).to_vector(), {kNaN, 2}, 0,
                 0, "NaN");
    require_throws<ValueError>([] { prod(zeros({2}, kFloat64), 3); }, {"prod"});
    // The empty product still differentiates: an empty gradient.
    const Tensor e = zeros({0}, kFloat64).requires_grad_(true);
    REQUIRE(grad({prod(e)}, {e})[0].shape() == Shape{0});
}
