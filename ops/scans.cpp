#include "ops/scans.hpp"

#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "autograd/errors.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/op.hpp"
#include "ops/arithmetic.hpp"
#include "ops/creation.hpp"
#include "ops/kernels.hpp"
#include "ops/math.hpp"
#include "ops/nonfinite.hpp"
#include "ops/reduction.hpp"
#include "ops/shape.hpp"
#include "ops/slicing.hpp"

namespace tg {

namespace {

Tensor linear_scan(const Tensor& a, const Tensor& b, std::size_t axis, bool reverse);

// v rounded to T; beyond float's range +-inf, as IEEE rounding gives (the plain cast of such a
// double to float is undefined behaviour).
template <class T>
T to_element(double v) {
    if constexpr (std::is_same_v<T, float>) {
        if (std::abs(v) > static_cast<double>(std::numeric_limits<float>::max()) && !std::isinf(v))
            return v > 0 ? std::numeric_limits<float>::infinity()
                         : -std::numeric_limits<float>::infinity();
    }
    return static_cast<T>(v);
}

// x moved one place along `axis`, zero-filled: towards higher indices (y_k = x_(k-1), y_0 = 0)
// when `later`, else towards lower ones (y_k = x_(k+1), y_(n-1) = 0). Built from slice and pad,
// so it differentiates like them.
Tensor shifted(const Tensor& x, std::size_t axis, bool later) {
    const std::size_t n = x.shape()[axis];
    if (n == 0) return x;
    const auto ax = static_cast<std::int64_t>(axis);
    const auto last = static_cast<std::int64_t>(n);
    std::vector<std::pair<std::size_t, std::size_t>> pads(x.dim(), {0, 0});
    if (later) {
        pads[axis] = {1, 0};
        return pad(slice(x, ax, 0, last - 1), pads);
    }
    pads[axis] = {0, 1};
    return pad(slice(x, ax, 1, last), pads);
}

// Attributes: [axis, reverse]. Forward: y_k = b_k + a_k y_(k-1) with y_(-1) = 0; reverse:
// y_k = b_k + a_k y_(k+1) with y_n = 0.
// The vjp of y = L^-1 b (L bidiagonal, 1 on the diagonal, -a_k beside it) is L^-T g: the same
// recurrence run the other way with the coefficients moved one place, lambda_k = g_k +
// a_(k+1) lambda_(k+1); then d/db = lambda and d/da_k = lambda_k y_(k-1). The jvp differentiates
// the recurrence: ydot_k = (bdot_k + adot_k y_(k-1)) + a_k ydot_(k-1).
const OpDef kLinearScan{
    "linear_scan",
    [](const OpCall& c, const Tensor& g, Tensor* gi) {
        const auto axis = static_cast<std::size_t>(c.ints(0));
        const bool reverse = c.ints(1) != 0;
        const Tensor lambda = linear_scan(shifted(c.in(0), axis, reverse), g, axis, !reverse);
        if (c.needs_grad(0)) gi[0] = mul(lambda, shifted(c.out(), axis, !reverse));
        if (c.needs_grad(1)) gi[1] = lambda;
    },
    [](const OpCall& c, const Tensor* t) {
        const auto axis = static_cast<std::size_t>(c.ints(0));
        const bool reverse = c.ints(1) != 0;
        Tensor drive = t[1];
        if (t[0].defined()) drive = add_defined(drive, mul(t[0], shifted(c.out(), axis, !reverse)));
        return linear_scan(c.in(0), drive, axis, reverse);
    }};

// The recurrence along `axis`; a and b have the same shape and dtype. Slices run in parallel;
// within a slice, each step updates a contiguous row of `inner` elements, accumulated in double.
Tensor linear_scan(const Tensor& a, const Tensor& b, std::size_t axis, bool reverse) {
    Tensor out = kernels::dispatch(b.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const auto& av = a.array<T>();
        const auto& bv = b.array<T>();
        const Shape& s = bv.shape();
        std::size_t outer = 1, inner = 1;
        const std::size_t len = s[axis];
        for (std::size_t d = 0; d < axis; ++d) outer *= s[d];
        for (std::size_t d = axis + 1; d < s.size(); ++d) inner *= s[d];
        auto r = kernels::uninitialized<T>(s);
        const std::size_t slice_size = std::max<std::size_t>(1, len * inner);
        kernels::parallel_for(
            outer, std::max<std::size_t>(1, kernels::kElementwiseGrain / slice_size),
            [&](std::size_t o0, std::size_t o1) {
                std::vector<double> acc(inner);
                for (std::size_t o = o0; o < o1; ++o) {
                    std::fill(acc.begin(), acc.end(), 0.0);
                    for (std::size_t step = 0; step < len; ++step) {
                        const std::size_t k = reverse ? len - 1 - step : step;
                        const std::size_t at = (o * len + k) * inner;
                        const T* ar = av.data() + at;
                        const T* br = bv.data() + at;
                        T* yr = r.data() + at;
                        for (std::size_t i = 0; i < inner; ++i) {
                            // a_k y = 0 at the first step even if a_k is inf or NaN: y_(-1) = 0
                            // is a boundary, not a value.
                            acc[i] =
                                step == 0 ? double(br[i]) : double(br[i]) + double(ar[i]) * acc[i];
                            yr[i] = to_element<T>(acc[i]);
                        }
                    }
                }
            });
        return Tensor(std::move(r));
    });
    return record(kLinearScan, std::move(out), {a, b},
                  Attrs({static_cast<std::int64_t>(axis), reverse ? 1 : 0}));
}

}  // namespace

Tensor cumsum(const Tensor& x, std::int64_t axis_in) {
    const std::size_t axis = kernels::normalize_axis("cumsum", axis_in, x.dim());
    return linear_scan(ones_like(x), x, axis, false);
}

Tensor cumprod(const Tensor& x, std::int64_t axis_in) {
    const std::size_t axis = kernels::normalize_axis("cumprod", axis_in, x.dim());
    // y_0 = b_0 = x_0; then y_k = 0 + x_k y_(k-1). b is x_0 followed by zeros (slice and pad, so
    // that x gets its gradient through both a and b).
    const std::size_t n = x.shape()[axis];
    if (n == 0) return affine(x, 1, 0);
    std::vector<std::pair<std::size_t, std::size_t>> pads(x.dim(), {0, 0});
    pads[axis] = {0, n - 1};
    const Tensor first = pad(slice(x, static_cast<std::int64_t>(axis), 0, 1), pads);
    return linear_scan(x, first, axis, false);
}

Tensor logcumsumexp(const Tensor& x, std::int64_t axis_in) {
    const std::size_t axis = kernels::normalize_axis("logcumsumexp", axis_in, x.dim());
    if (x.shape()[axis] == 0) return affine(x, 1, 0);
    // With M_k the running maximum (a constant, so no derivative flows through it: y does not
    // depend on it), S_k = sum_(j<=k) exp(x_j - M_k) obeys
    // S_k = exp(M_(k-1) - M_k) S_(k-1) + exp(x_k - M_k), a linear recurrence whose terms are at
    // most 1 and S_k >= 1, and y_k = log S_k + M_k. An infinite M_k is replaced by 0 (any
    // finite shift is exact), so -inf - -inf and inf - inf never occur.
    Tensor shift, decay;
    {
        NoGradGuard constant;
        const Tensor xc = x.detach();
        Tensor running = kernels::dispatch(x.dtype(), [&](auto tag) {
            using T = decltype(tag);
            const auto& xv = xc.array<T>();
            const Shape& s = xv.shape();
            std::size_t outer = 1, inner = 1;
            const std::size_t len = s[axis];
            for (std::size_t d = 0; d < axis; ++d) outer *= s[d];
            for (std::size_t d = axis + 1; d < s.size(); ++d) inner *= s[d];
            auto m = kernels::uninitialized<T>(s);
            for (std::size_t o = 0; o < outer; ++o) {
                for (std::size_t k = 0; k < len; ++k) {
                    const std::size_t at = (o * len + k) * inner;
                    for (std::size_t i = 0; i < inner; ++i) {
                        const T v = xv.data()[at + i];
                        if (k == 0) {
                            m.data()[at + i] = v;
                        } else {
                            const T prev = m.data()[at - inner + i];
                            m.data()[at + i] = v > prev || v != v ? v : prev;
                        }
                    }
                }
            }
            return Tensor(std::move(m));
        });
        shift = where(isinf(running), zeros({}, x.dtype()), running);
        // exp(M_(k-1) - M_k); its first entry multiplies y_(-1) = 0 and is never used.
        decay = exp(sub(shifted(shift, axis, true), shift));
    }
    const Tensor s = linear_scan(decay, exp(sub(x, shift)), axis, false);
    return add(log(s), shift);
}

Tensor prod(const Tensor& x, std::int64_t axis_in, bool keepdims) {
    const std::size_t axis = kernels::normalize_axis("prod", axis_in, x.dim());
    const std::size_t n = x.shape()[axis];
    const auto ax = static_cast<std::int64_t>(axis);
    // The empty product is 1; adding the (empty) sum keeps the result connected to x.
    if (n == 0) return affine(sum(x, {ax}, keepdims), 1, 1);
    const Tensor last =
        slice(cumprod(x, ax), ax, static_cast<std::int64_t>(n) - 1, static_cast<std::int64_t>(n));
    return keepdims ? last : squeeze(last, ax);
}

Tensor prod(const Tensor& x) {
    return prod(reshape(x, Dims({static_cast<std::int64_t>(x.numel())})), 0, false);
}

}  // namespace tg
