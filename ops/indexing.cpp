#include "ops/indexing.hpp"

#include <string>

#include "autograd/op.hpp"
#include "ops/kernels.hpp"

namespace tg {

namespace {

// index_select attributes: [axis, indices...]
const OpDef kIndexSelect{"index_select",
                         [](const OpCall& c, const Tensor& g, Tensor* gi) {
                             const auto axis = static_cast<std::size_t>(c.ints(0));
                             gi[0] = index_add(g, c.ints(0), c.int_list(1, c.num_ints() - 1),
                                               c.in(0).shape()[axis]);
                         },
                         [](const OpCall& c, const Tensor* t) {
                             return index_select(t[0], c.ints(0), c.int_list(1, c.num_ints() - 1));
                         }};

// index_add attributes: [axis, indices...]
const OpDef kIndexAdd{"index_add",
                      [](const OpCall& c, const Tensor& g, Tensor* gi) {
                          gi[0] = index_select(g, c.ints(0), c.int_list(1, c.num_ints() - 1));
                      },
                      [](const OpCall& c, const Tensor* t) {
                          const auto axis = static_cast<std::size_t>(c.ints(0));
                          return index_add(t[0], c.ints(0), c.int_list(1, c.num_ints() - 1),
                                           c.out().shape()[axis]);
                      }};

struct Slabs {
    std::size_t outer = 1, inner = 1;
};

Slabs slabs_of(const Shape& s, std::size_t axis) {
    Slabs r;
    for (std::size_t d = 0; d < axis; ++d) r.outer *= s[d];
    for (std::size_t d = axis + 1; d < s.size(); ++d) r.inner *= s[d];
    return r;
}

void check_indices(const char* op, const std::vector<std::int64_t>& idx, std::size_t size,
                   std::size_t axis) {
    for (std::size_t k = 0; k < idx.size(); ++k) {
        if (idx[k] < 0 || static_cast<std::size_t>(idx[k]) >= size) {
            throw ValueError(std::string(op) + ": index " + std::to_string(idx[k]) +
                             " at position " + std::to_string(k) + " is out of range for axis " +
                             std::to_string(axis) + " of size " + std::to_string(size));
        }
    }
}

std::vector<std::int64_t> attrs_of(std::size_t axis, const std::vector<std::int64_t>& idx) {
    std::vector<std::int64_t> a{static_cast<std::int64_t>(axis)};
    a.insert(a.end(), idx.begin(), idx.end());
    return a;
}

}  // namespace

Tensor index_select(const Tensor& x, std::int64_t axis_in, const std::vector<std::int64_t>& idx) {
    const std::size_t axis = kernels::normalize_axis("index_select", axis_in, x.dim());
    check_indices("index_select", idx, x.shape()[axis], axis);
    Shape shape = x.shape();
    shape[axis] = idx.size();
    Tensor out = kernels::dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const auto& a = x.array<T>();
        const Slabs s = slabs_of(a.shape(), axis);
        const std::size_t len = a.shape()[axis];
        auto r = kernels::uninitialized<T>(shape);
        for (std::size_t o = 0; o < s.outer; ++o) {
            for (std::size_t k = 0; k < idx.size(); ++k) {
                const T* src = a.data() + (o * len + static_cast<std::size_t>(idx[k])) * s.inner;
                std::copy(src, src + s.inner, r.data() + (o * idx.size() + k) * s.inner);
            }
        }
        return Tensor(std::move(r));
    });
    return record(kIndexSelect, std::move(out), {x}, Attrs(attrs_of(axis, idx)));
}

Tensor index_add(const Tensor& src, std::int64_t axis_in, const std::vector<std::int64_t>& idx,
                 std::size_t size) {
    const std::size_t axis = kernels::normalize_axis("index_add", axis_in, src.dim());
    if (src.shape()[axis] != idx.size()) {
        throw ShapeError("index_add: " + std::to_string(idx.size()) + " indices for axis " +
                         std::to_string(axis) + " of " + shape_str(src.shape()));
    }
    check_indices("index_add", idx, size, axis);
    Shape shape = src.shape();
    shape[axis] = size;
    Tensor out = kernels::dispatch(src.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const auto& a = src.array<T>();
        const Slabs s = slabs_of(a.shape(), axis);
        auto r = kernels::filled<T>(shape, T(0));
        for (std::size_t o = 0; o < s.outer; ++o) {
            for (std::size_t k = 0; k < idx.size(); ++k) {
                const T* from = a.data() + (o * idx.size() + k) * s.inner;
                T* to = r.data() + (o * size + static_cast<std::size_t>(idx[k])) * s.inner;
                for (std::size_t i = 0; i < s.inner; ++i) to[i] += from[i];
            }
        }
        return Tensor(std::move(r));
    });
    return record(kIndexAdd, std::move(out), {src}, Attrs(attrs_of(axis, idx)));
}

}  // namespace tg
