// NaN propagates as in NumPy and PyTorch through relu, maximum/minimum, clamp, the max/min
// reductions, argmax and max-pooling, forward and backward. The expected values come from plain
// loops in this file. Large tensors run the vectorised loops and split across 2 threads, with
// NaN at the first and last element, inside and at the edges of each thread's chunk.

#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "../helpers.hpp"

using namespace tgtest;
using namespace tg;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

struct ThreadCount {
    explicit ThreadCount(int n) : before(num_threads()) { set_num_threads(n); }
    ~ThreadCount() { set_num_threads(before); }
    int before;
};

// Equal values, or NaN in both places.
void require_same(const std::vector<double>& got, const std::vector<double>& want) {
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        const bool same = std::isnan(want[i]) ? std::isnan(got[i]) : got[i] == want[i];
        if (!same)
            FAIL("index " << i << " of " << got.size() << ": got " << got[i] << ", want "
                          << want[i]);
    }
    SUCCEED();
}

// 98,309 values in [-1, 1) (more than 2^14 per thread on 2 threads), with NaN at the first and
// last element, around the middle (where two threads' chunks meet) and inside each chunk.
std::vector<double> big_with_nans(std::size_t n = 3 * (std::size_t{1} << 15) + 5) {
    Generator gen(11);
    std::vector<double> v(n);
    for (auto& x : v) x = gen.uniform(-1, 1);
    for (std::size_t at :
         {std::size_t{0}, std::size_t{1000}, n / 2 - 1, n / 2, n / 2 + 17, n - 1000, n - 1})
        v[at] = kNaN;
    return v;
}

double ref_max(double a, double b) {  // numpy.maximum
    return std::isnan(a) || std::isnan(b) ? kNaN : (a >= b ? a : b);
}
double ref_min(double a, double b) {  // numpy.minimum
    return std::isnan(a) || std::isnan(b) ? kNaN : (a <= b ? a : b);
}

}  // namespace

TEST_CASE("relu propagates NaN, small and large, on 1 and 2 threads", "[ops][nan]") {
    require_same(relu(from_vector({kNaN, -1, 1}, {3})).to_vector(), {kNaN, 0, 1});
    const std::vector<double> v = big_with_nans();
    std::vector<double> want(v.size());
    for (std::size_t i = 0; i < v.size(); ++i)
        want[i] = std::isnan(v[i]) ? kNaN : std::max(v[i], 0.0);
    for (int threads : {1, 2}) {
        ThreadCount tc(threads);
        for (DType dt : {kFloat32, kFloat64}) {
            // The float values are the doubles rounded; relu commutes with that rounding.
            const Tensor x = from_vector(v, {v.size()}, dt);
            std::vector<double> w = want;
            if (dt == kFloat32)
                for (auto& e : w) e = static_cast<double>(static_cast<float>(e));
            require_same(relu(x).to_vector(), w);
        }
    }
}

TEST_CASE("relu's gradient at NaN passes the incoming gradient, as PyTorch's threshold_backward",
          "[ops][nan]") {
    // PyTorch: relu(nan) = nan and grad = g where relu's result is not <= 0, so 1 at the NaN.
    const Tensor x = from_vector({kNaN, -1, 2, 0}, {4}, kFloat64).requires_grad_();
    const Tensor loss = sum(relu(x));
    REQUIRE(std::isnan(loss.item()));
    require_same(grad({loss}, {x})[0].to_vector(), {1, 0, 1, 0});

    // A NaN weight behind relu: the loss is NaN, not a finite number with a zero gradient.
    const Tensor w = from_vector({kNaN, 0.5}, {2}, kFloat64).requires_grad_();
    const Tensor in = from_vector({3, -4}, {2}, kFloat64);
    const Tensor l2 = sum(relu(mul(w, in)));
    REQUIRE(std::isnan(l2.item()));
    // d/dw relu(w x) = x [w x passes relu]: 3 for the NaN weight (as PyTorch), 0 for 0.5 * -4.
    require_same(grad({l2}, {w})[0].to_vector(), {3, 0});

    // Large: the gradient g * [not x <= 0] on both threads' chunks.
    const std::vector<double> v = big_with_nans();
    for (int threads : {1, 2}) {
        ThreadCount tc(threads);
        const Tensor xb = from_vector(v, {v.size()}, kFloat64).requires_grad_();
        const Tensor gb = grad({sum(relu(xb))}, {xb})[0];
        std::vector<double> want(v.size());
        for (std::size_t i = 0; i < v.size(); ++i) want[i] = v[i] <= 0 ? 0.0 : 1.0;
        require_same(gb.to_vector(), want);
    }
}

TEST_CASE("maximum, minimum and clamp propagate NaN from either side", "[ops][nan]") {
    const Tensor a = from_vector({kNaN, 1, 2, kNaN}, {4}, kFloat64);
    const Tensor b = from_vector({1, kNaN, 0, kNaN}, {4}, kFloat64);
    require_same(maximum(a, b).to_vector(), {kNaN, kNaN, 2, kNaN});
    require_same(minimum(a, b).to_vector(), {kNaN, kNaN, 0, kNaN});
    require_same(maximum(scalar_tensor(kNaN, kFloat64), scalar_tensor(1, kFloat64)).to_vector(),
                 {kNaN});
    require_same(clamp(from_vector({kNaN, -5, 5, 0.5}, {4}, kFloat64), -1, 1).to_vector(),
                 {kNaN, -1, 1, 0.5});

    // The gradient reaches the NaN operand (PyTorch gives it to both); none is silently lost.
    const Tensor la = from_vector({kNaN, 1}, {2}, kFloat64).requires_grad_();
    const Tensor lb = from_vector({1, kNaN}, {2}, kFloat64).requires_grad_();
    const auto g = grad({sum(maximum(la, lb))}, {la, lb});
    require_same(g[0].to_vector(), {1, 0});
    require_same(g[1].to_vector(), {0, 1});

    // Large, same shapes and against a scalar, on 1 and 2 threads, both dtypes.
    const std::vector<double> v = big_with_nans();
    std::vector<double> u(v.rbegin(), v.rend());  // NaNs mirrored: some meet, some do not
    for (std::size_t i = 0; i < u.size(); i += 3) u[i] = -u[i];
    for (int threads : {1, 2}) {
        ThreadCount tc(threads);
        for (DType dt : {kFloat32, kFloat64}) {
            auto rounded = [&](std::vector<double> w) {
                if (dt == kFloat32)
                    for (auto& e : w) e = static_cast<double>(static_cast<float>(e));
                return w;
            };
            const std::vector<double> vr = rounded(v), ur = rounded(u);
            const Tensor x = from_vector(v, {v.size()}, dt);
            const Tensor y = from_vector(u, {u.size()}, dt);
            std::vector<double> wmax(v.size()), wmin(v.size()), wmaxs(v.size()), wclamp(v.size());
            for (std::size_t i = 0; i < v.size(); ++i) {
                wmax[i] = ref_max(vr[i], ur[i]);
                wmin[i] = ref_min(vr[i], ur[i]);
                wmaxs[i] = ref_max(vr[i], 0.25);
                wclamp[i] = ref_min(ref_max(vr[i], -0.5), 0.5);
            }
            require_same(maximum(x, y).to_vector(), wmax);
            require_same(minimum(x, y).to_vector(), wmin);
            require_same(maximum(x, scalar_tensor(0.25, dt)).to_vector(), wmaxs);
            require_same(maximum(scalar_tensor(0.25, dt), x).to_vector(), wmaxs);
            require_same(clamp(x, -0.5, 0.5).to_vector(), wclamp);
        }
    }
}

TEST_CASE("max and min over an axis are NaN wherever the slice holds a NaN", "[ops][nan]") {
    for (const auto& row : std::vector<std::vector<double>>{
             {1, kNaN, 3}, {kNaN, 1, 3}, {1, 3, kNaN}, {kNaN, kNaN, 3}}) {
        const Tensor x = from_vector(row, {3}, kFloat64);
        REQUIRE(std::isnan(max(x, 0).item()));
        REQUIRE(std::isnan(min(x, 0).item()));
    }
    // Reduced along the outer axis: the vectorised running maximum over rows.
    const Tensor cols = from_vector({kNaN, 1, 2, 3, 4, kNaN, 5, 0, 1}, {3, 3}, kFloat64);
    require_same(max(cols, 0).to_vector(), {kNaN, 4, kNaN});
    require_same(min(cols, 0).to_vector(), {kNaN, 0, kNaN});
}

TEST_CASE("max, min, argmax and their gradients on large tensors with NaN", "[ops][nan]") {
    // [4, L] along axis 1: four slices, two per thread; slice 3 holds no NaN.
    // [3, L] along axis 0: L columns in one vectorised pass.
    const std::size_t L = (std::size_t{1} << 15) + 3;
    Generator gen(5);
    std::vector<double> v(4 * L);
    for (auto& x : v) x = gen.uniform(-1, 1);
    for (std::size_t at : {std::size_t{0}, L + L / 2, L + L / 2 + 9, 3 * L - 1}) v[at] = kNaN;
    for (int threads : {1, 2}) {
        ThreadCount tc(threads);
        for (DType dt : {kFloat32, kFloat64}) {
            const Tensor x = from_vector(v, {4, L}, dt);
            const std::vector<double> xr = x.to_vector();
            // Along axis 1.
            std::vector<double> wmax(4), wmin(4), warg(4), wmask(4 * L, 0.0);
            for (std::size_t o = 0; o < 4; ++o) {
                double hi = xr[o * L], lo = xr[o * L];
                std::size_t arg = 0;
                for (std::size_t k = 0; k < L; ++k) {
                    const double e = xr[o * L + k];
                    hi = ref_max(hi, e);
                    lo = ref_min(lo, e);
                    const double best = xr[o * L + arg];
                    if (!std::isnan(best) && (std::isnan(e) || e > best)) arg = k;
                }
                wmax[o] = hi;
                wmin[o] = lo;
                warg[o] = static_cast<double>(arg);
                wmask[o * L + arg] = 1;
            }
            require_same(max(x, 1).to_vector(), wmax);
            require_same(min(x, 1).to_vector(), wmin);
            require_same(argmax(x, 1).to_vector(), warg);
            require_same(argmax_mask(x, 1).to_vector(), wmask);
            // The gradient of max goes to the first NaN, as PyTorch's max(dim) index.
            if (dt == kFloat64) {
                const Tensor xl = from_vector(v, {4, L}, dt).requires_grad_();
                require_same(grad({sum(max(xl, 1))}, {xl})[0].to_vector(), wmask);
            }
            // Along axis 0 of the first three rows, viewed as [3, L].
            const Tensor x3 =
                from_vector(std::vector<double>(v.begin(), v.begin() + 3 * L), {3, L}, dt);
            std::vector<double> cmax(L), carg(L);
            for (std::size_t i = 0; i < L; ++i) {
                double hi = xr[i];
                std::size_t arg = 0;
                for (std::size_t k = 0; k < 3; ++k) {
                    const double e = xr[k * L + i];
                    hi = ref_max(hi, e);
                    const double best = xr[arg * L + i];
                    if (!std::isnan(best) && (std::isnan(e) || e > best)) arg = k;
                }
                cmax[i] = hi;
                carg[i] = static_cast<double>(arg);
            }
            require_same(max(x3, 0).to_vector(), cmax);
            require_same(argmax(x3, 0).to_vector(), carg);
        }
    }
}

TEST_CASE("argmax of a slice with NaN is the first NaN's index, as NumPy", "[ops][nan]") {
    require_same(argmax(from_vector({1, kNaN, 3, kNaN}, {4}, kFloat64), 0).to_vector(), {1});
    require_same(argmax(from_vector({kNaN, 1, 3}, {3}, kFloat64), 0).to_vector(), {0});
    require_same(argmax(from_vector({1, 3, kNaN}, {3}, kFloat32), 0).to_vector(), {2});
    require_same(argmax_mask(from_vector({1, kNaN, 3, kNaN}, {4}, kFloat64), 0).to_vector(),
                 {0, 1, 0, 0});
}

TEST_CASE("max-pooling propagates a NaN to every window that holds it", "[ops][nan]") {
    // A 4x4 image, NaN at (1, 2): 2x2 windows of stride 2 put it in window (0, 1) only; with
    // padding 1 and stride 1 in 3x3 windows it is in every window that covers it.
    std::vector<double> img(16);
    for (std::size_t i = 0; i < 16; ++i) img[i] = static_cast<double>(i);
    img[1 * 4 + 2] = kNaN;
    const Tensor x = from_vector(img, {1, 1, 4, 4}, kFloat64).requires_grad_();
    const Tensor y = nn::functional::max_pool2d(x, 2);
    require_same(y.to_vector(), {5, kNaN, 13, 15});
    // The gradient of the NaN window goes to the NaN pixel.
    std::vector<double> want(16, 0.0);
    want[5] = want[6] = want[13] = want[15] = 1;
    require_same(grad({sum(y)}, {x})[0].to_vector(), want);

    const Tensor yp = nn::functional::max_pool2d(x, 3, nn::Size2(1), 1);
    std::vector<double> wp(16);
    for (std::size_t r = 0; r < 4; ++r)
        for (std::size_t c = 0; c < 4; ++c) {
            double m = -std::numeric_limits<double>::infinity();
            for (std::size_t i = r > 0 ? r - 1 : 0; i <= std::min<std::size_t>(r + 1, 3); ++i)
                for (std::size_t j = c > 0 ? c - 1 : 0; j <= std::min<std::size_t>(c + 1, 3); ++j)
                    m = ref_max(m, img[i * 4 + j]);
            wp[r * 4 + c] = m;
        }
    require_same(yp.to_vector(), wp);
}
