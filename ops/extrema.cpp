#include "ops/extrema.hpp"

#include <string>
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

namespace tg {

namespace {

// Which axes a reduction over `axes` removes, in increasing order; ValueError for an axis out of
// range or given twice.
std::vector<std::int64_t> sorted_axes(const char* op, const Tensor& x, const Dims& axes) {
    std::vector<std::int64_t> sorted;
    kernels::axis_flags(op, x.dim(), axes, sorted);
    return sorted;
}

// x's shape with the reduced axes set to 1.
Shape kept_shape(const Shape& in, const std::vector<std::int64_t>& axes) {
    Shape s = in;
    for (auto a : axes) s[static_cast<std::size_t>(a)] = 1;
    return s;
}

// The share of the gradient each element of x gets: 1/k at the k elements equal to the maximum
// of their slice (the NaNs, where the maximum is NaN), 0 elsewhere. A constant.
Tensor tie_weights(const Tensor& x, const Tensor& maxima, const std::vector<std::int64_t>& axes) {
    NoGradGuard constant;
    const Tensor xc = x.detach();
    const Tensor m = reshape(maxima.detach(), kept_shape(x.shape(), axes));
    const Tensor mask = add(eq(xc, m), mul(isnan(xc), isnan(m)));
    return div(mask, sum(mask, Dims(axes), true));
}

// Attributes of amax: [keepdims, reduced axes in increasing order...].
const OpDef kAmax{
    "amax",
    [](const OpCall& c, const Tensor& g, Tensor* gi) {
        const std::vector<std::int64_t> axes = c.int_list(1, c.num_ints() - 1);
        const Tensor& x = c.in(0);
        gi[0] = mul(tie_weights(x, c.out(), axes), reshape(g, kept_shape(x.shape(), axes)));
    },
    [](const OpCall& c, const Tensor* t) {
        const std::vector<std::int64_t> axes = c.int_list(1, c.num_ints() - 1);
        return sum(mul(tie_weights(c.in(0), c.out(), axes), t[0]), Dims(axes), c.ints(0) != 0);
    }};

}  // namespace

Tensor amax(const Tensor& x, const Dims& axes_in, bool keepdims) {
    const std::vector<std::int64_t> axes = sorted_axes("amax", x, axes_in);
    std::vector<bool> reduced(x.dim(), false);
    for (auto a : axes) reduced[static_cast<std::size_t>(a)] = true;
    // Kept axes first, then the reduced ones: each slice to reduce becomes one contiguous row.
    std::vector<std::int64_t> order;
    Shape out_shape;
    std::size_t len = 1;
    for (std::size_t d = 0; d < x.dim(); ++d) {
        if (!reduced[d]) {
            order.push_back(static_cast<std::int64_t>(d));
            out_shape.push_back(x.shape()[d]);
        } else {
            len *= x.shape()[d];
            if (keepdims) out_shape.push_back(1);
        }
        if (reduced[d] && x.shape()[d] == 0) {
            throw ValueError("amax: axis " + std::to_string(d) + " of " + shape_str(x.shape()) +
                             " is empty (the maximum of no elements is undefined)");
        }
    }
    order.insert(order.end(), axes.begin(), axes.end());
    Tensor rows;
    {
        NoGradGuard values_only;
        rows = permute(x.detach(), Dims(order));
    }
    Tensor out = kernels::dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* p = rows.array<T>().data();
        auto r = kernels::uninitialized<T>(out_shape);
        const std::size_t outer = r.size();
        for (std::size_t o = 0; o < outer; ++o) {
            const T* row = p + o * len;
            T best = row[0];
            // The first NaN wins and stays (NaN compares false with everything).
            for (std::size_t k = 1; k < len && best == best; ++k)
                if (row[k] > best || row[k] != row[k]) best = row[k];
            r.data()[o] = best;
        }
        return Tensor(std::move(r));
    });
    std::vector<std::int64_t> attrs{keepdims ? 1 : 0};
    attrs.insert(attrs.end(), axes.begin(), axes.end());
    return record(kAmax, std::move(out), {x}, Attrs(attrs));
}

Tensor amin(const Tensor& x, const Dims& axes, bool keepdims) {
    sorted_axes("amin", x, axes);  // errors name amin
    for (std::size_t i = 0; i < axes.size(); ++i) {
        const std::size_t a = kernels::normalize_axis("amin", axes[i], x.dim());
        if (x.shape()[a] == 0) {
            throw ValueError("amin: axis " + std::to_string(a) + " of " + shape_str(x.shape()) +
                             " is empty (the minimum of no elements is undefined)");
        }
    }
    return neg(amax(neg(x), axes, keepdims));
}

Tensor argmin(const Tensor& x, std::int64_t axis) {
    const std::size_t a = kernels::normalize_axis("argmin", axis, x.dim());
    if (x.shape()[a] == 0) {
        throw ValueError("argmin: axis " + std::to_string(a) + " of " + shape_str(x.shape()) +
                         " is empty");
    }
    NoGradGuard constant;
    // -x maps the first minimum to the first maximum, and NaN to NaN.
    return argmax(neg(x.detach()), axis);
}

Tensor any(const Tensor& x, const Dims& axes, bool keepdims) {
    const std::vector<std::int64_t> sorted = sorted_axes("any", x, axes);
    NoGradGuard constant;
    const Tensor zero = zeros({}, x.dtype());
    // 1 - (x == 0) is 1 at NaN too.
    const Tensor nonzero = sub(ones({}, x.dtype()), eq(x.detach(), zero));
    return gt(sum(nonzero, Dims(sorted), keepdims), 0.0);
}

Tensor all(const Tensor& x, const Dims& axes, bool keepdims) {
    const std::vector<std::int64_t> sorted = sorted_axes("all", x, axes);
    NoGradGuard constant;
    const Tensor zero = zeros({}, x.dtype());
    return eq(sum(eq(x.detach(), zero), Dims(sorted), keepdims), zero);
}

}  // namespace tg
