#include "ops/kernels.hpp"

#include <cstdint>

namespace tg {

std::string shape_str(const Shape& shape) {
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ", ";
        s += std::to_string(shape[i]);
    }
    return s + "]";
}

namespace kernels {

std::size_t numel_of(const Shape& shape) {
    std::size_t n = 1;
    for (auto d : shape) n *= d;
    return n;
}

std::size_t checked_numel(const char* op, const Shape& shape, DType dtype) {
    const std::size_t elem = dtype == kFloat32 ? sizeof(float) : sizeof(double);
    // As NumPy, the sizes other than 0 must fit too, even where an empty axis makes the count 0:
    // strides and offsets are products of them.
    std::size_t n = 1;
    bool overflow = false, empty = false;
    for (auto d : shape) {
        if (d == 0)
            empty = true;
        else
            overflow = __builtin_mul_overflow(n, d, &n) || overflow;
    }
    if (overflow) {
        throw ShapeError(std::string(op) + ": shape " + shape_str(shape) +
                         " has more elements than a size_t can count (the product of its sizes "
                         "overflows)");
    }
    constexpr auto kMaxBytes = static_cast<std::size_t>(PTRDIFF_MAX);
    if (n > kMaxBytes / elem) {
        throw ShapeError(std::string(op) + ": shape " + shape_str(shape) +
                         " is too large: " + std::to_string(n) + " elements of " +
                         dtype_name(dtype) + " take more than the " + std::to_string(kMaxBytes) +
                         " bytes an array can hold");
    }
    return empty ? 0 : n;
}

void check_same_dtype(const char* op, const Tensor& a, const Tensor& b) {
    if (a.dtype() != b.dtype()) {
        throw DTypeError(std::string(op) + ": cannot mix " + dtype_name(a.dtype()) + " " +
                         shape_str(a.shape()) + " and " + dtype_name(b.dtype()) + " " +
                         shape_str(b.shape()) + "; convert one with to_dtype()");
    }
}

Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b) {
    const std::size_t nd = std::max(a.size(), b.size());
    Shape out(nd);
    for (std::size_t k = 0; k < nd; ++k) {
        const std::size_t da = k < a.size() ? a[a.size() - 1 - k] : 1;
        const std::size_t db = k < b.size() ? b[b.size() - 1 - k] : 1;
        if (da != db && da != 1 && db != 1) {
            throw ShapeError(std::string(op) + ": shapes " + shape_str(a) + " and " + shape_str(b) +
                             " cannot be broadcast together");
        }
        out[nd - 1 - k] = da == 1 ? db : da;
    }
    return out;
}

std::vector<std::int64_t> all_axes(const Tensor& x) {
    std::vector<std::int64_t> all(x.dim());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::int64_t>(i);
    return all;
}

std::vector<bool> axis_flags(const char* op, std::size_t rank, const Dims& axes,
                             std::vector<std::int64_t>& sorted) {
    std::vector<bool> flags(rank, false);
    for (std::size_t i = 0; i < axes.size(); ++i) {
        const std::size_t a = normalize_axis(op, axes[i], rank);
        if (flags[a])
            throw ValueError(std::string(op) + ": axis " + std::to_string(axes[i]) +
                             " given twice");
        flags[a] = true;
    }
    for (std::size_t a = 0; a < flags.size(); ++a)
        if (flags[a]) sorted.push_back(static_cast<std::int64_t>(a));
    return flags;
}

std::size_t normalize_axis(const char* op, std::int64_t axis, std::size_t rank) {
    const auto r = static_cast<std::int64_t>(rank);
    if (axis < -r || axis >= r) {
        throw ValueError(std::string(op) + ": axis " + std::to_string(axis) +
                         " is out of range for a tensor of rank " + std::to_string(rank));
    }
    return static_cast<std::size_t>(axis < 0 ? axis + r : axis);
}

std::vector<std::size_t> strides_of(const Shape& shape) {
    std::vector<std::size_t> s(shape.size());
    std::size_t stride = 1;
    for (std::size_t k = shape.size(); k-- > 0;) {
        s[k] = stride;
        stride *= shape[k];
    }
    return s;
}

namespace {
// Sum of a row, returned in double. Elements are added in blocks of 256 with eight independent
// lanes, which the compiler vectorizes, and the block sums in double: the rounding error of a
// float sum stays that of a 32-element sum per lane, and the loop runs several times faster
// than one that converts every float to double.
template <class T>
double row_sum(const T* p, std::size_t n) {
    constexpr std::size_t kLanes = 8, kBlock = 256;
    double total = 0;
    std::size_t j = 0;
    for (; j + kBlock <= n; j += kBlock) {
        T lane[kLanes] = {};
        for (std::size_t k = 0; k < kBlock; k += kLanes)
            for (std::size_t l = 0; l < kLanes; ++l) lane[l] += p[j + k + l];
        T block = 0;
        for (std::size_t l = 0; l < kLanes; ++l) block += lane[l];
        total += static_cast<double>(block);
    }
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (; j + 4 <= n; j += 4) {
        s0 += p[j];
        s1 += p[j + 1];
        s2 += p[j + 2];
        s3 += p[j + 3];
    }
    for (; j < n; ++j) s0 += p[j];
    return total + ((s0 + s1) + (s2 + s3));
}
}  // namespace

// At most this many partial results when the first axis is reduced (see reduce_sum).
constexpr std::size_t kMaxPartialBlocks = 64;

template <class T>
xt::xarray<T> reduce_sum(const xt::xarray<T>& x, const std::vector<bool>& reduce) {
    using Acc = double;
    const Shape& shape_in = x.shape();
    const std::size_t rank = shape_in.size();
    Shape out_shape(rank);
    for (std::size_t d = 0; d < rank; ++d) out_shape[d] = reduce[d] ? 1 : shape_in[d];
    const std::size_t out_n = numel_of(out_shape);
    std::vector<Acc> acc(out_n, Acc(0));
    auto finish = [&](const std::vector<Acc>& sums) {
        auto r = uninitialized<T>(out_shape);
        for (std::size_t i = 0; i < out_n; ++i) r.data()[i] = static_cast<T>(sums[i]);
        return r;
    };
    const T* p = x.data();
    const std::size_t total = x.size();
    if (total > 0 && rank > 0) {
        std::vector<std::size_t> shape(shape_in.begin(), shape_in.end());
        std::array<std::vector<std::size_t>, 1> st{broadcast_strides(out_shape, shape_in)};
        coalesce_axes(shape, st);
        const std::vector<std::size_t>& ost = st[0];
        const std::size_t nd = shape.size();
        // Walks the block of x spanned by axes first..nd-1 in order; the output offset follows
        // with stride 0 on reduced axes.
        // `index` is the caller's scratch (nd entries), so that a thread allocates it once.
        auto walk = [&](const T* block, Acc* out, std::size_t first,
                        std::vector<std::size_t>& index) {
            std::size_t block_n = 1;
            for (std::size_t d = first; d < nd; ++d) block_n *= shape[d];
            const std::size_t inner = shape[nd - 1];
            const std::size_t inner_stride = ost[nd - 1];
            std::fill(index.begin(), index.end(), std::size_t{0});
            std::size_t off = 0;
            for (std::size_t done = 0; done < block_n; done += inner) {
                const T* row = block + done;
                if (inner_stride == 0) {
                    out[off] += row_sum(row, inner);
                } else {
                    Acc* o = out + off;
                    for (std::size_t j = 0; j < inner; ++j) o[j] += row[j];
                }
                for (std::size_t d = nd - 1; d-- > first;) {
                    ++index[d];
                    off += ost[d];
                    if (index[d] < shape[d]) break;
                    off -= ost[d] * shape[d];
                    index[d] = 0;
                }
            }
        };
        // When the first axis is reduced (the batch axis of a per-channel sum), its items are
        // summed in blocks, each into a partial result of its own, and the partials are added
        // in block order. Threads then take whole items: the same parts of x that the op which
        // wrote it gave them, still in their own cache. Splitting by channel instead made each
        // thread read half its data from the other core's cache, and slowed the elementwise
        // passes after it as well. The blocks depend on the shape alone, so the bits do not
        // depend on the thread count.
        const std::size_t items = nd >= 2 && ost[0] == 0 ? shape[0] : 0;
        const std::size_t blocks = std::min<std::size_t>(items, kMaxPartialBlocks);
        if (blocks >= 2 && blocks * out_n <= total / 4) {
            const std::size_t item_n = total / items;
            std::vector<Acc> partial(blocks * out_n, Acc(0));
            const std::size_t grain =
                std::max<std::size_t>(1, kElementwiseGrain / (item_n * (items / blocks)));
            parallel_for(blocks, grain, [&](std::size_t b0, std::size_t b1) {
                std::vector<std::size_t> index(nd);
                for (std::size_t b = b0; b < b1; ++b)
                    for (std::size_t i = items * b / blocks; i < items * (b + 1) / blocks; ++i)
                        walk(p + i * item_n, partial.data() + b * out_n, 1, index);
            });
            for (std::size_t b = 0; b < blocks; ++b)
                for (std::size_t j = 0; j < out_n; ++j) acc[j] += partial[b * out_n + j];
            return finish(acc);
        }
        // Otherwise threads take slices of the first kept axis: every output element is then
        // summed by one thread, in the same order as on one thread.
        std::size_t kept = 0;
        while (kept < nd && ost[kept] == 0) ++kept;
        if (kept == nd || kept == nd - 1) {
            std::vector<std::size_t> index(nd);
            walk(p, acc.data(), 0, index);
        } else {
            std::size_t outer = 1, rest = 1;
            for (std::size_t d = 0; d < kept; ++d) outer *= shape[d];
            for (std::size_t d = kept + 1; d < nd; ++d) rest *= shape[d];
            const std::size_t D = shape[kept];
            const std::size_t grain = std::max<std::size_t>(1, kElementwiseGrain / (outer * rest));
            parallel_for(D, grain, [&](std::size_t i0, std::size_t i1) {
                std::vector<std::size_t> index(nd);
                for (std::size_t o = 0; o < outer; ++o)
                    for (std::size_t i = i0; i < i1; ++i)
                        walk(p + (o * D + i) * rest, acc.data() + i * ost[kept], kept + 1, index);
            });
        }
    } else if (total > 0) {
        acc[0] = p[0];
    }
    return finish(acc);
}

template xt::xarray<float> reduce_sum(const xt::xarray<float>&, const std::vector<bool>&);
template xt::xarray<double> reduce_sum(const xt::xarray<double>&, const std::vector<bool>&);

}  // namespace kernels
}  // namespace tg
