#include "ops/slicing.hpp"

#include <algorithm>
#include <string>

#include "autograd/op.hpp"
#include "ops/creation.hpp"
#include "ops/kernels.hpp"
#include "ops/shape.hpp"

namespace tg {

namespace {

Dims part(const OpCall& c, std::size_t which, std::size_t rank) {
    return Dims(c.int_list(which * rank, rank));
}

// slice attributes: [starts..., stops..., steps...]
const OpDef kSlice{"slice",
                   [](const OpCall& c, const Tensor& g, Tensor* gi) {
                       const std::size_t r = c.in(0).dim();
                       gi[0] = unslice(g, c.in(0).shape(), part(c, 0, r), part(c, 2, r));
                   },
                   [](const OpCall& c, const Tensor* t) {
                       const std::size_t r = c.in(0).dim();
                       return slice(t[0], part(c, 0, r), part(c, 1, r), part(c, 2, r));
                   }};

// unslice attributes: [starts..., steps...]; the slice that undoes it stops after g's extent.
Dims unslice_stops(const OpCall& c) {
    const std::size_t r = c.in(0).dim();
    std::vector<std::int64_t> stops(r);
    for (std::size_t d = 0; d < r; ++d) {
        const auto len = static_cast<std::int64_t>(c.in(0).shape()[d]);
        stops[d] = len == 0 ? c.ints(d) : c.ints(d) + (len - 1) * c.ints(r + d) + 1;
    }
    return Dims(std::move(stops));
}

const OpDef kUnslice{"unslice",
                     [](const OpCall& c, const Tensor& g, Tensor* gi) {
                         const std::size_t r = c.in(0).dim();
                         gi[0] = slice(g, part(c, 0, r), unslice_stops(c), part(c, 1, r));
                     },
                     [](const OpCall& c, const Tensor* t) {
                         const std::size_t r = c.in(0).dim();
                         return unslice(t[0], c.out().shape(), part(c, 0, r), part(c, 1, r));
                     }};

// concat attributes: [axis]
const OpDef kConcat{"concat",
                    [](const OpCall& c, const Tensor& g, Tensor* gi) {
                        const auto axis = c.ints(0);
                        std::int64_t offset = 0;
                        for (std::size_t k = 0; k < c.num_inputs(); ++k) {
                            const auto len = static_cast<std::int64_t>(
                                c.in(k).shape()[static_cast<std::size_t>(axis)]);
                            if (c.needs_grad(k)) gi[k] = slice(g, axis, offset, offset + len);
                            offset += len;
                        }
                    },
                    [](const OpCall& c, const Tensor* t) {
                        std::vector<Tensor> parts;
                        for (std::size_t k = 0; k < c.num_inputs(); ++k)
                            parts.push_back(t[k].defined() ? t[k] : zeros_like(c.in(k)));
                        return concat(parts, c.ints(0));
                    }};

void check_slice(const char* op, const Shape& shape, const Dims& starts, const Dims& stops,
                 const Dims& steps) {
    const std::size_t r = shape.size();
    if (starts.size() != r || stops.size() != r || steps.size() != r) {
        throw ValueError(std::string(op) + ": need one start, stop and step per axis of " +
                         shape_str(shape));
    }
    for (std::size_t d = 0; d < r; ++d) {
        const auto dim = static_cast<std::int64_t>(shape[d]);
        if (steps[d] < 1 || starts[d] < 0 || starts[d] > dim || stops[d] < starts[d] ||
            stops[d] > dim) {
            throw ValueError(std::string(op) + ": range " + std::to_string(starts[d]) + ":" +
                             std::to_string(stops[d]) + ":" + std::to_string(steps[d]) +
                             " does not fit axis " + std::to_string(d) + " of " + shape_str(shape));
        }
    }
}

}  // namespace

Tensor slice(const Tensor& x, const Dims& starts, const Dims& stops, const Dims& steps) {
    const Shape& in = x.shape();
    check_slice("slice", in, starts, stops, steps);
    const std::size_t r = in.size();
    Shape shape(r);
    bool whole = true;
    for (std::size_t d = 0; d < r; ++d) {
        shape[d] = static_cast<std::size_t>((stops[d] - starts[d] + steps[d] - 1) / steps[d]);
        whole = whole && shape[d] == in[d];
    }
    if (whole) return x;
    Tensor out = kernels::dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const auto& a = x.array<T>();
        const auto st = kernels::strides_of(in);
        std::size_t offset = 0;
        std::vector<std::size_t> strides(r);
        for (std::size_t d = 0; d < r; ++d) {
            offset += static_cast<std::size_t>(starts[d]) * st[d];
            strides[d] = static_cast<std::size_t>(steps[d]) * st[d];
        }
        auto res = kernels::uninitialized<T>(shape);
        kernels::strided_copy(a.data(), offset, strides, shape, res.data());
        return Tensor(std::move(res));
    });
    std::vector<std::int64_t> attrs;
    attrs.insert(attrs.end(), starts.values.begin(), starts.values.end());
    attrs.insert(attrs.end(), stops.values.begin(), stops.values.end());
    attrs.insert(attrs.end(), steps.values.begin(), steps.values.end());
    return record(kSlice, std::move(out), {x}, Attrs(attrs));
}

Tensor slice(const Tensor& x, std::int64_t axis_in, std::int64_t start, std::int64_t stop,
             std::int64_t step) {
    const std::size_t axis = kernels::normalize_axis("slice", axis_in, x.dim());
    if (step < 1) throw ValueError("slice: step " + std::to_string(step) + " must be at least 1");
    const auto dim = static_cast<std::int64_t>(x.shape()[axis]);
    auto clampi = [dim](std::int64_t i) {
        if (i < 0) i += dim;
        return std::clamp<std::int64_t>(i, 0, dim);
    };
    start = clampi(start);
    stop = std::max(clampi(stop), start);
    std::vector<std::int64_t> starts(x.dim(), 0), stops(x.dim()), steps(x.dim(), 1);
    for (std::size_t d = 0; d < x.dim(); ++d) stops[d] = static_cast<std::int64_t>(x.shape()[d]);
    starts[axis] = start;
    stops[axis] = stop;
    steps[axis] = step;
    return slice(x, Dims(starts), Dims(stops), Dims(steps));
}

Tensor unslice(const Tensor& g, const Shape& shape, const Dims& starts, const Dims& steps) {
    const std::size_t r = shape.size();
    if (g.dim() != r || starts.size() != r || steps.size() != r) {
        throw ValueError("unslice: " + shape_str(g.shape()) + " into " + shape_str(shape) +
                         " needs one start and step per axis");
    }
    kernels::checked_numel("unslice", shape, g.dtype());
    for (std::size_t d = 0; d < r; ++d) {
        const auto len = static_cast<std::int64_t>(g.shape()[d]);
        const std::int64_t last = len == 0 ? starts[d] : starts[d] + (len - 1) * steps[d] + 1;
        if (steps[d] < 1 || starts[d] < 0 || last > static_cast<std::int64_t>(shape[d])) {
            throw ShapeError("unslice: " + shape_str(g.shape()) + " does not fit into " +
                             shape_str(shape) + " on axis " + std::to_string(d));
        }
    }
    if (g.shape() == shape) return g;
    Tensor out = kernels::dispatch(g.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const auto& a = g.array<T>();
        auto res = kernels::filled<T>(shape, T(0));
        const auto st = kernels::strides_of(shape);
        std::size_t offset = 0;
        std::vector<std::size_t> strides(r);
        for (std::size_t d = 0; d < r; ++d) {
            offset += static_cast<std::size_t>(starts[d]) * st[d];
            strides[d] = static_cast<std::size_t>(steps[d]) * st[d];
        }
        kernels::strided_add(a.data(), a.shape(), res.data(), offset, strides);
        return Tensor(std::move(res));
    });
    std::vector<std::int64_t> attrs(starts.values);
    attrs.insert(attrs.end(), steps.values.begin(), steps.values.end());
    return record(kUnslice, std::move(out), {g}, Attrs(attrs));
}

Tensor pad(const Tensor& x, const std::vector<std::pair<std::size_t, std::size_t>>& pads) {
    if (pads.size() != x.dim()) {
        throw ValueError("pad: " + std::to_string(pads.size()) + " (before, after) pairs for " +
                         shape_str(x.shape()) + "; give one per axis");
    }
    Shape shape(x.dim());
    std::vector<std::int64_t> starts(x.dim()), steps(x.dim(), 1);
    for (std::size_t d = 0; d < x.dim(); ++d) {
        shape[d] = x.shape()[d] + pads[d].first + pads[d].second;
        starts[d] = static_cast<std::int64_t>(pads[d].first);
    }
    return unslice(x, shape, Dims(starts), Dims(steps));
}

Tensor concat(const std::vector<Tensor>& xs, std::int64_t axis_in) {
    if (xs.empty()) throw ValueError("concat: no tensors given");
    const Tensor& first = xs[0];
    const std::size_t axis = kernels::normalize_axis("concat", axis_in, first.dim());
    Shape shape = first.shape();
    shape[axis] = 0;
    for (const Tensor& t : xs) {
        kernels::check_same_dtype("concat", first, t);
        bool fits = t.dim() == first.dim();
        for (std::size_t d = 0; fits && d < t.dim(); ++d)
            fits = d == axis || t.shape()[d] == first.shape()[d];
        if (!fits) {
            throw ShapeError("concat: shapes " + shape_str(first.shape()) + " and " +
                             shape_str(t.shape()) + " differ off axis " + std::to_string(axis));
        }
        shape[axis] += t.shape()[axis];
    }
    if (xs.size() == 1) return first;
    Tensor out = kernels::dispatch(first.dtype(), [&](auto tag) {
        using T = decltype(tag);
        auto res = kernels::uninitialized<T>(shape);
        std::size_t outer = 1;
        for (std::size_t d = 0; d < axis; ++d) outer *= shape[d];
        const std::size_t row = shape[axis] * (kernels::numel_of(shape) /
                                               std::max<std::size_t>(outer * shape[axis], 1));
        std::size_t offset = 0;
        for (const Tensor& t : xs) {
            const auto& a = t.array<T>();
            const std::size_t block = outer == 0 ? 0 : a.size() / outer;
            for (std::size_t o = 0; o < outer; ++o)
                std::copy(a.data() + o * block, a.data() + (o + 1) * block,
                          res.data() + o * row + offset);
            offset += block;
        }
        return Tensor(std::move(res));
    });
    return record(kConcat, std::move(out), xs, Attrs({static_cast<std::int64_t>(axis)}));
}

Tensor stack(const std::vector<Tensor>& xs, std::int64_t axis) {
    if (xs.empty()) throw ValueError("stack: no tensors given");
    const std::size_t a = kernels::normalize_axis("stack", axis, xs[0].dim() + 1);
    std::vector<Tensor> parts;
    parts.reserve(xs.size());
    for (const Tensor& t : xs) {
        if (t.shape() != xs[0].shape()) {
            throw ShapeError("stack: shapes " + shape_str(xs[0].shape()) + " and " +
                             shape_str(t.shape()) + " differ");
        }
        parts.push_back(unsqueeze(t, static_cast<std::int64_t>(a)));
    }
    return concat(parts, static_cast<std::int64_t>(a));
}

}  // namespace tg
