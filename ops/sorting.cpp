#include "ops/sorting.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "ops/gather_scatter.hpp"
#include "ops/kernels.hpp"

namespace tg {

namespace {

// The first k positions of each slice along `axis` in sorted order, as gather indices.
std::vector<std::int64_t> sorted_positions(const char* op, const Tensor& x, std::size_t axis,
                                           std::size_t k, bool descending) {
    const Shape& s = x.shape();
    std::size_t outer = 1, inner = 1;
    for (std::size_t d = 0; d < axis; ++d) outer *= s[d];
    for (std::size_t d = axis + 1; d < s.size(); ++d) inner *= s[d];
    const std::size_t n = s[axis];
    if (k > n) {
        throw ValueError(std::string(op) + ": k = " + std::to_string(k) + " exceeds the size " +
                         std::to_string(n) + " of axis " + std::to_string(axis) + " of " +
                         shape_str(s));
    }
    std::vector<std::int64_t> out(outer * k * inner);
    kernels::dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* a = x.array<T>().data();
        std::vector<std::int64_t> order(n);
        for (std::size_t o = 0; o < outer; ++o) {
            for (std::size_t i = 0; i < inner; ++i) {
                const T* row = a + o * n * inner + i;
                auto at = [&](std::int64_t j) { return row[static_cast<std::size_t>(j) * inner]; };
                std::iota(order.begin(), order.end(), 0);
                // NaN above every number; equal values keep their order (stable).
                std::stable_sort(order.begin(), order.end(), [&](std::int64_t p, std::int64_t q) {
                    const T u = at(p), v = at(q);
                    if (descending) return (std::isnan(u) && !std::isnan(v)) || u > v;
                    return (!std::isnan(u) && std::isnan(v)) || u < v;
                });
                for (std::size_t j = 0; j < k; ++j) out[(o * k + j) * inner + i] = order[j];
            }
        }
        return 0;
    });
    return out;
}

SortResult sorted(const char* op, const Tensor& x, std::size_t k, std::int64_t axis_in,
                  bool descending) {
    if (x.dim() == 0)
        throw ValueError(std::string(op) + ": needs at least 1 axis, got a 0-d tensor");
    const std::size_t axis = kernels::normalize_axis(op, axis_in, x.dim());
    std::vector<std::int64_t> idx = sorted_positions(op, x, axis, k, descending);
    Shape shape = x.shape();
    shape[axis] = k;
    Tensor values = gather(x, static_cast<std::int64_t>(axis), idx, shape);
    return {std::move(values), std::move(idx)};
}

}  // namespace

SortResult sort(const Tensor& x, std::int64_t axis, bool descending) {
    const std::size_t a = kernels::normalize_axis("sort", axis, std::max<std::size_t>(x.dim(), 1));
    return sorted("sort", x, x.dim() == 0 ? 0 : x.shape()[a], axis, descending);
}

SortResult topk(const Tensor& x, std::size_t k, std::int64_t axis, bool largest) {
    return sorted("topk", x, k, axis, largest);
}

}  // namespace tg
