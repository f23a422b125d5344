#include "ops/gather_scatter.hpp"

#include <string>

#include "autograd/grad_mode.hpp"
#include "autograd/op.hpp"
#include "ops/broadcast.hpp"
#include "ops/creation.hpp"
#include "ops/indexing.hpp"
#include "ops/kernels.hpp"
#include "ops/math.hpp"
#include "ops/shape.hpp"

namespace tg {

namespace {

// An index tensor as recorded in an op's attributes: [axis, rank, shape..., values...].
struct IndexAttr {
    std::int64_t axis;
    std::vector<std::int64_t> values;
    Shape shape;
};

IndexAttr index_attr(const OpCall& c) {
    const auto rank = static_cast<std::size_t>(c.ints(1));
    const std::size_t n = c.num_ints() - 2 - rank;
    return {c.ints(0), c.int_list(2 + rank, n), c.shape_attr(2, rank)};
}

std::vector<std::int64_t> attrs_of(std::size_t axis, const std::vector<std::int64_t>& index,
                                   const Shape& shape) {
    std::vector<std::int64_t> a{static_cast<std::int64_t>(axis),
                                static_cast<std::int64_t>(shape.size())};
    a.insert(a.end(), shape.begin(), shape.end());
    a.insert(a.end(), index.begin(), index.end());
    return a;
}

// gather's vjp is scatter_add into zeros; scatter_add's vjp to src is gather.
const OpDef kGather{"gather",
                    [](const OpCall& c, const Tensor& g, Tensor* gi) {
                        const IndexAttr a = index_attr(c);
                        gi[0] = scatter_add(zeros(c.in(0).shape(), g.dtype()), a.axis, a.values,
                                            a.shape, g);
                    },
                    [](const OpCall& c, const Tensor* t) {
                        const IndexAttr a = index_attr(c);
                        return gather(t[0], a.axis, a.values, a.shape);
                    }};

const OpDef kScatterAdd{"scatter_add",
                        [](const OpCall& c, const Tensor& g, Tensor* gi) {
                            const IndexAttr a = index_attr(c);
                            if (c.needs_grad(0)) gi[0] = g;
                            if (c.needs_grad(1)) gi[1] = gather(g, a.axis, a.values, a.shape);
                        },
                        [](const OpCall& c, const Tensor* t) {
                            const IndexAttr a = index_attr(c);
                            if (!t[1].defined()) return t[0];
                            const Tensor base =
                                t[0].defined() ? t[0] : zeros(c.out().shape(), c.out().dtype());
                            return scatter_add(base, a.axis, a.values, a.shape, t[1]);
                        }};

// Checks an index tensor against x and returns the normalized axis.
std::size_t check_index(const char* op, const Shape& x, std::int64_t axis_in,
                        const std::vector<std::int64_t>& index, const Shape& shape) {
    const std::size_t axis = kernels::normalize_axis(op, axis_in, x.size());
    if (shape.size() != x.size()) {
        throw ShapeError(std::string(op) + ": index of shape " + shape_str(shape) +
                         " must have the rank of the input " + shape_str(x));
    }
    if (kernels::numel_of(shape) != index.size()) {
        throw ShapeError(std::string(op) + ": " + std::to_string(index.size()) +
                         " index values for an index of shape " + shape_str(shape));
    }
    for (std::size_t d = 0; d < x.size(); ++d) {
        if (d != axis && shape[d] > x[d]) {
            throw ShapeError(std::string(op) + ": index of shape " + shape_str(shape) +
                             " is longer than the input " + shape_str(x) + " on axis " +
                             std::to_string(d));
        }
    }
    for (std::size_t k = 0; k < index.size(); ++k) {
        if (index[k] < 0 || static_cast<std::size_t>(index[k]) >= x[axis]) {
            throw ValueError(std::string(op) + ": index " + std::to_string(index[k]) +
                             " at position " + std::to_string(k) + " is out of range for axis " +
                             std::to_string(axis) + " of size " + std::to_string(x[axis]));
        }
    }
    return axis;
}

// Calls f(k, offset) for every position k of the index (row-major) with the offset of the
// element of an array of shape x that it addresses.
template <class F>
void for_each_target(const Shape& x, std::size_t axis, const std::vector<std::int64_t>& index,
                     const Shape& shape, F f) {
    const auto xs = kernels::strides_of(x);
    const std::size_t r = shape.size();
    std::vector<std::size_t> coord(r, 0);
    std::size_t base = 0;  // offset of coord with coord[axis] taken as 0
    for (std::size_t k = 0; k < index.size(); ++k) {
        f(k, base + static_cast<std::size_t>(index[k]) * xs[axis]);
        for (std::size_t d = r; d-- > 0;) {  // next coordinate, last axis fastest
            if (++coord[d] < shape[d]) {
                if (d != axis) base += xs[d];
                break;
            }
            if (d != axis) base -= (coord[d] - 1) * xs[d];
            coord[d] = 0;
        }
    }
}

}  // namespace

Tensor gather(const Tensor& x, std::int64_t axis_in, const std::vector<std::int64_t>& index,
              const Shape& shape) {
    const std::size_t axis = check_index("gather", x.shape(), axis_in, index, shape);
    Tensor out = kernels::dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* a = x.array<T>().data();
        auto r = kernels::uninitialized<T>(shape);
        T* p = r.data();
        for_each_target(x.shape(), axis, index, shape,
                        [&](std::size_t k, std::size_t off) { p[k] = a[off]; });
        return Tensor(std::move(r));
    });
    return record(kGather, std::move(out), {x}, Attrs(attrs_of(axis, index, shape)));
}

Tensor take_along_axis(const Tensor& x, const std::vector<std::int64_t>& index,
                       const Shape& index_shape, std::int64_t axis) {
    return gather(x, axis, index, index_shape);
}

Tensor scatter_add(const Tensor& x, std::int64_t axis_in, const std::vector<std::int64_t>& index,
                   const Shape& shape, const Tensor& src) {
    kernels::check_same_dtype("scatter_add", x, src);
    const std::size_t axis = check_index("scatter_add", x.shape(), axis_in, index, shape);
    if (src.shape() != shape) {
        throw ShapeError("scatter_add: src of shape " + shape_str(src.shape()) +
                         " must have the index's shape " + shape_str(shape));
    }
    Tensor out = kernels::dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        xt::xarray<T> r = x.array<T>();
        T* p = r.data();
        const T* s = src.array<T>().data();
        for_each_target(x.shape(), axis, index, shape,
                        [&](std::size_t k, std::size_t off) { p[off] += s[k]; });
        return Tensor(std::move(r));
    });
    return record(kScatterAdd, std::move(out), {x, src}, Attrs(attrs_of(axis, index, shape)));
}

Tensor scatter(const Tensor& x, std::int64_t axis_in, const std::vector<std::int64_t>& index,
               const Shape& shape, const Tensor& src) {
    kernels::check_same_dtype("scatter", x, src);
    const std::size_t axis = check_index("scatter", x.shape(), axis_in, index, shape);
    if (src.shape() != shape) {
        throw ShapeError("scatter: src of shape " + shape_str(src.shape()) +
                         " must have the index's shape " + shape_str(shape));
    }
    // The places written, as a constant 0/1 mask; a place written twice is an error.
    Tensor written;
    {
        NoGradGuard constant;
        std::vector<double> hits(x.numel(), 0.0);
        std::size_t twice = hits.size();
        for_each_target(x.shape(), axis, index, shape, [&](std::size_t k, std::size_t off) {
            if (hits[off] != 0 && twice == hits.size()) twice = k;
            hits[off] = 1;
        });
        if (twice != hits.size()) {
            throw ValueError("scatter: index " + std::to_string(index[twice]) + " at position " +
                             std::to_string(twice) +
                             " writes a place that another entry writes too (the result would "
                             "depend on the write order); use scatter_add to add them");
        }
        written = from_vector(hits, x.shape(), x.dtype());
    }
    // src at the written places (each written once, so adding to zeros writes it), x elsewhere.
    return where(written,
                 scatter_add(zeros(x.shape(), x.dtype()), static_cast<std::int64_t>(axis), index,
                             shape, src),
                 x);
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, double value) {
    kernels::check_same_dtype("masked_fill", x, mask);
    if (kernels::broadcast_shapes("masked_fill", mask.shape(), x.shape()) != x.shape()) {
        throw ShapeError("masked_fill: mask of shape " + shape_str(mask.shape()) +
                         " does not broadcast to the input's shape " + shape_str(x.shape()));
    }
    return where(mask, scalar_tensor(value, x.dtype()), x);
}

Tensor masked_select(const Tensor& x, const Tensor& mask) {
    kernels::check_same_dtype("masked_select", x, mask);
    const Shape shape = kernels::broadcast_shapes("masked_select", mask.shape(), x.shape());
    std::vector<std::int64_t> picked;
    {
        NoGradGuard constant;
        const std::vector<double> m = broadcast_to(mask, shape).to_vector();
        for (std::size_t i = 0; i < m.size(); ++i)
            if (m[i] != 0) picked.push_back(static_cast<std::int64_t>(i));
    }
    return index_select(reshape(broadcast_to(x, shape), {-1}), 0, picked);
}

}  // namespace tg
