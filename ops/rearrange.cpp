#include "ops/rearrange.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "autograd/grad_mode.hpp"
#include "ops/broadcast.hpp"
#include "ops/creation.hpp"
#include "ops/indexing.hpp"
#include "ops/kernels.hpp"
#include "ops/math.hpp"
#include "ops/shape.hpp"
#include "ops/slicing.hpp"

namespace tg {

namespace {

std::string dims_str(const Dims& d) {
    std::string s = "[";
    for (std::size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
    return s + "]";
}

// Python's i mod n (n > 0): never negative.
std::int64_t wrap(std::int64_t i, std::int64_t n) {
    const std::int64_t r = i % n;
    return r < 0 ? r + n : r;
}

// Distinct normalized axes, or ValueError naming the op.
std::vector<std::size_t> distinct_axes(const char* op, const Dims& axes, std::size_t rank) {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < axes.size(); ++i) {
        const std::size_t a = kernels::normalize_axis(op, axes[i], rank);
        if (std::find(out.begin(), out.end(), a) != out.end())
            throw ValueError(std::string(op) + ": axes " + dims_str(axes) + " repeat an axis");
        out.push_back(a);
    }
    return out;
}

// A constant 0/1 mask over the last two axes [n, m]: keep(row, col).
template <class F>
Tensor plane_mask(std::size_t n, std::size_t m, DType dtype, F keep) {
    std::vector<double> v(n * m);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < m; ++j)
            v[i * m + j] = keep(static_cast<std::int64_t>(i), static_cast<std::int64_t>(j)) ? 1 : 0;
    return from_vector(v, {n, m}, dtype);
}

Tensor triangle(const char* op, const Tensor& x, std::int64_t k, bool lower) {
    if (x.dim() < 2) {
        throw ValueError(std::string(op) + ": needs at least 2 axes, got " + shape_str(x.shape()));
    }
    const std::size_t n = x.shape()[x.dim() - 2], m = x.shape()[x.dim() - 1];
    const Tensor mask = plane_mask(n, m, x.dtype(), [&](std::int64_t i, std::int64_t j) {
        return lower ? j - i <= k : j - i >= k;
    });
    return where(mask, x, scalar_tensor(0.0, x.dtype()));
}

}  // namespace

Tensor flip(const Tensor& x, const Dims& axes) {
    Tensor y = x;
    for (std::size_t a : distinct_axes("flip", axes, x.dim())) {
        const auto n = static_cast<std::int64_t>(x.shape()[a]);
        std::vector<std::int64_t> idx(static_cast<std::size_t>(n));
        for (std::int64_t i = 0; i < n; ++i) idx[static_cast<std::size_t>(i)] = n - 1 - i;
        y = index_select(y, static_cast<std::int64_t>(a), idx);
    }
    return y;
}

Tensor roll(const Tensor& x, const Dims& shifts, const Dims& axes) {
    if (shifts.size() != axes.size()) {
        throw ValueError("roll: " + std::to_string(shifts.size()) + " shifts " + dims_str(shifts) +
                         " for " + std::to_string(axes.size()) + " axes " + dims_str(axes));
    }
    Tensor y = x;
    for (std::size_t i = 0; i < axes.size(); ++i) {
        const std::size_t a = kernels::normalize_axis("roll", axes[i], x.dim());
        const auto n = static_cast<std::int64_t>(x.shape()[a]);
        if (n == 0) continue;
        std::vector<std::int64_t> idx(static_cast<std::size_t>(n));
        for (std::int64_t j = 0; j < n; ++j)
            idx[static_cast<std::size_t>(j)] = wrap(j - shifts[i], n);
        y = index_select(y, static_cast<std::int64_t>(a), idx);
    }
    return y;
}

Tensor tile(const Tensor& x, const Dims& reps_in) {
    const std::size_t r = std::max(x.dim(), reps_in.size());
    std::vector<std::int64_t> reps(r - reps_in.size(), 1);
    reps.insert(reps.end(), reps_in.values.begin(), reps_in.values.end());
    Shape xs(r - x.dim(), 1);
    xs.insert(xs.end(), x.shape().begin(), x.shape().end());
    // x as [1, s0, 1, s1, ...] broadcast to [r0, s0, r1, s1, ...], then merged pairwise.
    std::vector<std::int64_t> spread, merged;
    Shape big;
    for (std::size_t d = 0; d < r; ++d) {
        if (reps[d] < 0) {
            throw ValueError("tile: negative repetition count in " + dims_str(reps_in));
        }
        spread.push_back(1);
        spread.push_back(static_cast<std::int64_t>(xs[d]));
        big.push_back(static_cast<std::size_t>(reps[d]));
        big.push_back(xs[d]);
        merged.push_back(reps[d] * static_cast<std::int64_t>(xs[d]));
    }
    kernels::checked_numel("tile", big, x.dtype());
    return reshape(broadcast_to(reshape(x, Dims(spread)), big), Dims(merged));
}

Tensor repeat(const Tensor& x, const Dims& reps) {
    if (reps.size() < x.dim()) {
        throw ValueError("repeat: " + std::to_string(reps.size()) + " repetition counts " +
                         dims_str(reps) + " for a tensor of rank " + std::to_string(x.dim()) +
                         "; give at least one per axis");
    }
    return tile(x, reps);
}

Tensor expand(const Tensor& x, const Dims& dims) {
    if (dims.size() < x.dim()) {
        throw ShapeError("expand: target " + dims_str(dims) + " has fewer axes than " +
                         shape_str(x.shape()));
    }
    const std::size_t lead = dims.size() - x.dim();
    Shape shape(dims.size());
    for (std::size_t d = 0; d < dims.size(); ++d) {
        if (dims[d] == -1 && d >= lead) {
            shape[d] = x.shape()[d - lead];
        } else if (dims[d] < 0) {
            throw ShapeError("expand: bad size " + std::to_string(dims[d]) + " at axis " +
                             std::to_string(d) + " of " + dims_str(dims) + " for " +
                             shape_str(x.shape()) + " (-1 keeps an existing axis only)");
        } else {
            shape[d] = static_cast<std::size_t>(dims[d]);
        }
    }
    return broadcast_to(x, shape);
}

Tensor tril(const Tensor& x, std::int64_t k) {
    return triangle("tril", x, k, true);
}

Tensor triu(const Tensor& x, std::int64_t k) {
    return triangle("triu", x, k, false);
}

Tensor diagonal(const Tensor& x, std::int64_t offset, std::int64_t axis1, std::int64_t axis2) {
    const std::size_t nd = x.dim();
    const std::size_t a1 = kernels::normalize_axis("diagonal", axis1, nd);
    const std::size_t a2 = kernels::normalize_axis("diagonal", axis2, nd);
    if (a1 == a2) {
        throw ValueError("diagonal: axis1 and axis2 are both axis " + std::to_string(a1) + " of " +
                         shape_str(x.shape()));
    }
    std::vector<std::int64_t> perm, dims;
    for (std::size_t d = 0; d < nd; ++d) {
        if (d != a1 && d != a2) {
            perm.push_back(static_cast<std::int64_t>(d));
            dims.push_back(static_cast<std::int64_t>(x.shape()[d]));
        }
    }
    perm.push_back(static_cast<std::int64_t>(a1));
    perm.push_back(static_cast<std::int64_t>(a2));
    const auto n = static_cast<std::int64_t>(x.shape()[a1]);
    const auto m = static_cast<std::int64_t>(x.shape()[a2]);
    // Element (i, i + offset) of the plane, flattened to i * m + i + offset.
    std::vector<std::int64_t> idx;
    for (std::int64_t i = std::max<std::int64_t>(0, -offset); i < n && i + offset < m; ++i)
        idx.push_back(i * m + i + offset);
    dims.push_back(n * m);
    const Tensor flat = reshape(permute(x, Dims(perm)), Dims(dims));
    return index_select(flat, -1, idx);
}

Tensor diag_embed(const Tensor& x, std::int64_t offset) {
    if (x.dim() == 0) throw ValueError("diag_embed: needs at least 1 axis, got a 0-d tensor");
    const auto n = static_cast<std::int64_t>(x.shape()[x.dim() - 1]);
    const std::int64_t size = n + std::abs(offset);
    Shape out(x.shape().begin(), x.shape().end() - 1);
    out.insert(out.end(), {static_cast<std::size_t>(size), static_cast<std::size_t>(size)});
    kernels::checked_numel("diag_embed", out, x.dtype());
    std::vector<std::int64_t> idx, dims(x.shape().begin(), x.shape().end() - 1);
    for (std::int64_t i = 0; i < n; ++i) {
        const std::int64_t row = offset >= 0 ? i : i - offset;
        idx.push_back(row * size + row + offset);
    }
    dims.push_back(size);
    dims.push_back(size);
    const Tensor flat = index_add(x, -1, idx, static_cast<std::size_t>(size * size));
    return reshape(flat, Dims(dims));
}

Tensor diag(const Tensor& x, std::int64_t k) {
    if (x.dim() == 1) return diag_embed(x, k);
    if (x.dim() == 2) return diagonal(x, k, 0, 1);
    throw ValueError("diag: needs a 1-D or 2-D tensor, got " + shape_str(x.shape()));
}

std::vector<Tensor> split(const Tensor& x, std::size_t size, std::int64_t axis) {
    const std::size_t a = kernels::normalize_axis("split", axis, x.dim());
    if (size == 0) throw ValueError("split: piece size 0 for " + shape_str(x.shape()));
    const std::size_t n = x.shape()[a];
    std::vector<std::size_t> sizes;
    for (std::size_t s = 0; s < n; s += size) sizes.push_back(std::min(size, n - s));
    if (n == 0) sizes.push_back(0);  // as PyTorch: one empty piece
    return split(x, sizes, axis);
}

std::vector<Tensor> split(const Tensor& x, const std::vector<std::size_t>& sizes,
                          std::int64_t axis) {
    const std::size_t a = kernels::normalize_axis("split", axis, x.dim());
    std::size_t total = 0;
    for (std::size_t s : sizes) total += s;
    if (total != x.shape()[a]) {
        throw ShapeError("split: piece sizes add up to " + std::to_string(total) + ", not to the " +
                         std::to_string(x.shape()[a]) + " of axis " + std::to_string(a) + " of " +
                         shape_str(x.shape()));
    }
    std::vector<Tensor> out;
    std::int64_t start = 0;
    for (std::size_t s : sizes) {
        const auto stop = start + static_cast<std::int64_t>(s);
        out.push_back(slice(x, static_cast<std::int64_t>(a), start, stop));
        start = stop;
    }
    return out;
}

std::vector<Tensor> chunk(const Tensor& x, std::size_t chunks, std::int64_t axis) {
    const std::size_t a = kernels::normalize_axis("chunk", axis, x.dim());
    if (chunks == 0) throw ValueError("chunk: 0 chunks for " + shape_str(x.shape()));
    const std::size_t n = x.shape()[a];
    return split(x, std::max<std::size_t>(1, (n + chunks - 1) / chunks), axis);
}

Tensor pad(const Tensor& x, const std::vector<std::pair<std::size_t, std::size_t>>& pads,
           PadMode mode, double value) {
    if (pads.size() != x.dim()) {
        throw ValueError("pad: " + std::to_string(pads.size()) + " (before, after) pairs for " +
                         shape_str(x.shape()) + "; give one per axis");
    }
    if (mode == PadMode::constant) {
        const Tensor padded = pad(x, pads);
        if (value == 0) return padded;
        Tensor inside;
        {
            NoGradGuard constant;
            inside = pad(ones(x.shape(), x.dtype()), pads);
        }
        return where(inside, padded, scalar_tensor(value, x.dtype()));
    }
    const char* name = mode == PadMode::reflect     ? "pad (reflect)"
                       : mode == PadMode::replicate ? "pad (replicate)"
                                                    : "pad (circular)";
    Shape padded(x.dim());
    for (std::size_t d = 0; d < x.dim(); ++d) {
        const std::size_t limit = std::numeric_limits<std::int64_t>::max();
        if (pads[d].first > limit || pads[d].second > limit - pads[d].first ||
            x.shape()[d] > limit - pads[d].first - pads[d].second) {
            throw ShapeError(std::string(name) + ": pads (" + std::to_string(pads[d].first) + ", " +
                             std::to_string(pads[d].second) + ") of axis " + std::to_string(d) +
                             " of " + shape_str(x.shape()) + " overflow the axis length");
        }
        padded[d] = x.shape()[d] + pads[d].first + pads[d].second;
    }
    kernels::checked_numel(name, padded, x.dtype());
    Tensor y = x;
    for (std::size_t d = 0; d < x.dim(); ++d) {
        const auto [before, after] = pads[d];
        if (before == 0 && after == 0) continue;
        const auto n = static_cast<std::int64_t>(x.shape()[d]);
        if (n == 0 ||
            (mode == PadMode::reflect && (before >= x.shape()[d] || after >= x.shape()[d]))) {
            throw ValueError(std::string(name) + ": pads (" + std::to_string(before) + ", " +
                             std::to_string(after) + ") do not fit axis " + std::to_string(d) +
                             " of " + shape_str(x.shape()) +
                             (mode == PadMode::reflect ? " (each must be below the axis size)"
                                                       : " (the axis is empty)"));
        }
        std::vector<std::int64_t> idx;
        for (auto p = -static_cast<std::int64_t>(before); p < n + static_cast<std::int64_t>(after);
             ++p) {
            std::int64_t i = p;
            if (mode == PadMode::reflect) {
                if (i < 0) i = -i;
                if (i >= n) i = 2 * (n - 1) - i;
            } else if (mode == PadMode::replicate) {
                i = std::clamp<std::int64_t>(i, 0, n - 1);
            } else {
                i = wrap(i, n);
            }
            idx.push_back(i);
        }
        y = index_select(y, static_cast<std::int64_t>(d), idx);
    }
    return y;
}

}  // namespace tg
