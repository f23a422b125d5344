#include "ops/reduction.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "autograd/op.hpp"
#include "ops/arithmetic.hpp"
#include "ops/broadcast.hpp"
#include "ops/kernels.hpp"
#include "ops/shape.hpp"

namespace tg {

namespace {

// The input's shape with reduced axes set to 1: the shape a gradient is reshaped to before it
// is broadcast back.
Shape kept_shape(const Shape& in, const OpCall& c, std::size_t first_axis) {
    Shape s = in;
    for (std::size_t i = first_axis; i < c.num_ints(); ++i)
        s[static_cast<std::size_t>(c.ints(i))] = 1;
    return s;
}

// Attributes of sum: [keepdims, axes...].
const OpDef kSum{"sum",
                 [](const OpCall& c, const Tensor& g, Tensor* gi) {
                     const Shape& in = c.in(0).shape();
                     gi[0] = broadcast_to(reshape(g, kept_shape(in, c, 1)), in);
                 },
                 [](const OpCall& c, const Tensor* t) {
                     return sum(t[0], Dims(c.int_list(1, c.num_ints() - 1)), c.ints(0) != 0);
                 }};

Tensor first_max_mask(const Tensor& x, std::size_t axis, const Tensor* maxima);

// Attributes of max: [keepdims, axis]. The mask of each maximum is found from the maxima the
// forward pass computed.
const OpDef kMax{
    "max",
    [](const OpCall& c, const Tensor& g, Tensor* gi) {
        const Tensor& x = c.in(0);
        const auto axis = static_cast<std::size_t>(c.ints(1));
        gi[0] = mul(first_max_mask(x, axis, &c.out()), reshape(g, kept_shape(x.shape(), c, 1)));
    },
    [](const OpCall& c, const Tensor* t) {
        const auto axis = static_cast<std::size_t>(c.ints(1));
        return sum(mul(first_max_mask(c.in(0), axis, &c.out()), t[0]), {c.ints(1)}, c.ints(0) != 0);
    }};

Shape reduced_shape(const Shape& in, const std::vector<bool>& flags, bool keepdims) {
    Shape s;
    for (std::size_t d = 0; d < in.size(); ++d) {
        if (!flags[d])
            s.push_back(in[d]);
        else if (keepdims)
            s.push_back(1);
    }
    return s;
}

// For one axis: how many slices, how long each is, and the stride between its elements.
struct AxisWalk {
    std::size_t outer, len, inner;
};

AxisWalk walk_of(const Shape& s, std::size_t axis) {
    AxisWalk w{1, s[axis], 1};
    for (std::size_t d = 0; d < axis; ++d) w.outer *= s[d];
    for (std::size_t d = axis + 1; d < s.size(); ++d) w.inner *= s[d];
    return w;
}

// Whole slices (len x inner) per thread: enough that a thread gets 2^15 elements.
std::size_t slices_per_thread(const AxisWalk& w) {
    return std::max<std::size_t>(
        1, kernels::kElementwiseGrain / std::max<std::size_t>(1, w.len * w.inner));
}

void check_nonempty_axis(const char* op, const Tensor& x, std::size_t axis) {
    if (x.shape()[axis] == 0) {
        throw ValueError(std::string(op) + ": axis " + std::to_string(axis) + " of " +
                         shape_str(x.shape()) + " is empty");
    }
}

// The larger of v and top, or NaN if either is NaN (numpy.maximum); branch-free, so it
// vectorises.
template <class T>
inline T nan_max(T v, T top) {
    return v > top || v != v ? v : top;
}

// top[i] = the largest of the len rows (each `inner` long) starting at base; NaN if any is.
template <class T>
void running_max(const T* __restrict base, std::size_t len, std::size_t inner, T* __restrict top) {
    std::copy(base, base + inner, top);
    for (std::size_t k = 1; k < len; ++k) {
        const T* row = base + k * inner;
        for (std::size_t i = 0; i < inner; ++i) top[i] = nan_max(row[i], top[i]);
    }
}

// mask[i] = 1 where row[i] is the maximum (a NaN, where the maximum is NaN) and no earlier row
// was; written as arithmetic on 0/1 values so that it vectorises.
template <class T>
void mark_first(const T* __restrict row, const T* __restrict top, T* __restrict found,
                T* __restrict mask, std::size_t inner) {
    for (std::size_t i = 0; i < inner; ++i) {
        const bool same = row[i] == top[i] || (row[i] != row[i] && top[i] != top[i]);
        const T hit = (same ? T(1) : T(0)) * (T(1) - found[i]);
        mask[i] = hit;
        found[i] += hit;
    }
}

}  // namespace

Tensor sum(const Tensor& x) {
    std::vector<std::int64_t> all(x.dim());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::int64_t>(i);
    return sum(x, Dims(std::move(all)), false);
}

Tensor sum(const Tensor& x, const Dims& axes, bool keepdims) {
    std::vector<std::int64_t> attrs{keepdims ? 1 : 0};
    const std::vector<bool> flags = kernels::axis_flags("sum", x.dim(), axes, attrs);
    const Shape shape = reduced_shape(x.shape(), flags, keepdims);
    Tensor out = kernels::dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        auto r = kernels::reduce_sum(x.array<T>(), flags);
        r.reshape(shape);
        return Tensor(std::move(r));
    });
    return record(kSum, std::move(out), {x}, Attrs(attrs));
}

Tensor mean(const Tensor& x) {
    if (x.numel() == 0) throw ValueError("mean: the tensor " + shape_str(x.shape()) + " is empty");
    return affine(sum(x), 1.0 / static_cast<double>(x.numel()), 0);
}

Tensor mean(const Tensor& x, const Dims& axes, bool keepdims) {
    // The number of elements averaged: the product of the reduced axes' sizes (not
    // numel(x) / numel(s), which is 0 / 0 when an axis that is kept is empty).
    std::size_t count = 1;
    std::vector<std::int64_t> sorted;
    const std::vector<bool> flags = kernels::axis_flags("mean", x.dim(), axes, sorted);
    for (std::size_t d = 0; d < flags.size(); ++d)
        if (flags[d]) count *= x.shape()[d];
    if (count == 0) {
        throw ValueError("mean: reducing an empty axis of " + shape_str(x.shape()) +
                         " (the mean of no elements is undefined)");
    }
    return affine(sum(x, axes, keepdims), 1.0 / static_cast<double>(count), 0);
}

Tensor max(const Tensor& x, std::int64_t axis_in, bool keepdims) {
    const std::size_t axis = kernels::normalize_axis("max", axis_in, x.dim());
    check_nonempty_axis("max", x, axis);
    std::vector<bool> flags(x.dim(), false);
    flags[axis] = true;
    const Shape shape = reduced_shape(x.shape(), flags, keepdims);
    Tensor out = kernels::dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const auto& a = x.array<T>();
        const AxisWalk w = walk_of(a.shape(), axis);
        auto r = kernels::uninitialized<T>(shape);
        T* q = r.data();
        kernels::parallel_for(w.outer, slices_per_thread(w), [&](std::size_t o0, std::size_t o1) {
            for (std::size_t o = o0; o < o1; ++o) {
                const T* base = a.data() + o * w.len * w.inner;
                T* dst = q + o * w.inner;
                std::copy(base, base + w.inner, dst);
                for (std::size_t k = 1; k < w.len; ++k) {
                    const T* row = base + k * w.inner;
                    for (std::size_t i = 0; i < w.inner; ++i) dst[i] = nan_max(row[i], dst[i]);
                }
            }
        });
        return Tensor(std::move(r));
    });
    return record(kMax, std::move(out), {x},
                  Attrs({keepdims ? 1 : 0, static_cast<std::int64_t>(axis)}));
}

Tensor min(const Tensor& x, std::int64_t axis, bool keepdims) {
    check_nonempty_axis("min", x, kernels::normalize_axis("min", axis, x.dim()));
    return neg(max(neg(x), axis, keepdims));
}

namespace {

// 1 at the first maximum along `axis` of every slice, 0 elsewhere. `maxima`, if given, holds
// those maxima already (max's result, [outer, inner] in memory whether or not it kept the axis).
Tensor first_max_mask(const Tensor& x, std::size_t axis, const Tensor* maxima) {
    return kernels::dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const auto& a = x.array<T>();
        const AxisWalk w = walk_of(a.shape(), axis);
        const T* given = maxima ? maxima->array<T>().data() : nullptr;
        auto r = kernels::uninitialized<T>(a.shape());  // every entry is written below
        // Slice by slice along the axis, so that the inner loops run over contiguous memory
        // without branches: the maximum of every position (unless given), then one pass that
        // marks the first element equal to it.
        kernels::parallel_for(w.outer, slices_per_thread(w), [&](std::size_t o0, std::size_t o1) {
            std::vector<T> top(given ? 0 : w.inner), found(w.inner);
            for (std::size_t o = o0; o < o1; ++o) {
                const T* base = a.data() + o * w.len * w.inner;
                T* mask = r.data() + o * w.len * w.inner;
                const T* best = given ? given + o * w.inner : top.data();
                if (!given) running_max(base, w.len, w.inner, top.data());
                std::fill(found.begin(), found.end(), T(0));
                for (std::size_t k = 0; k < w.len; ++k)
                    mark_first(base + k * w.inner, best, found.data(), mask + k * w.inner, w.inner);
            }
        });
        return Tensor(std::move(r));
    });
}

}  // namespace

Tensor argmax_mask(const Tensor& x, std::int64_t axis_in) {
    const std::size_t axis = kernels::normalize_axis("argmax_mask", axis_in, x.dim());
    check_nonempty_axis("argmax_mask", x, axis);
    return first_max_mask(x, axis, nullptr);
}

Tensor argmax(const Tensor& x, std::int64_t axis_in) {
    const std::size_t axis = kernels::normalize_axis("argmax", axis_in, x.dim());
    check_nonempty_axis("argmax", x, axis);
    std::vector<bool> flags(x.dim(), false);
    flags[axis] = true;
    const Shape shape = reduced_shape(x.shape(), flags, false);
    return kernels::dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const auto& a = x.array<T>();
        const AxisWalk w = walk_of(a.shape(), axis);
        auto r = kernels::uninitialized<T>(shape);
        for (std::size_t o = 0; o < w.outer; ++o) {
            const T* base = a.data() + o * w.len * w.inner;
            for (std::size_t i = 0; i < w.inner; ++i) {
                // The first maximum, or the first NaN (as NumPy and PyTorch): once the best is
                // NaN nothing replaces it.
                std::size_t best = 0;
                for (std::size_t k = 1; k < w.len; ++k) {
                    const T v = base[k * w.inner + i], b = base[best * w.inner + i];
                    if (v > b || (v != v && b == b)) best = k;
                }
                r.data()[o * w.inner + i] = static_cast<T>(best);
            }
        }
        return Tensor(std::move(r));
    });
}

}  // namespace tg
