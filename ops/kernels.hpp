#pragma once
// Internal: the array loops behind the ops. Ops pick the element type once with dispatch(),
// then run a plain loop over contiguous row-major data (xarray's default layout). Plain loops
// on data() beat xtensor's expression machinery on the small arrays that dominate here.

#include <algorithm>
#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include <omp.h>

#include "../autograd/tensor.hpp"
#include "deferred.hpp"
#include "dims.hpp"
#include "threads.hpp"

namespace tg::kernels {

// Runs f(begin, end) over [0, n) split evenly across tapegrad's threads (tg::set_num_threads),
// but only when every thread gets at least `grain` items: below that, starting the threads
// costs more than it saves. f must not throw.
template <class F>
void parallel_for(std::size_t n, std::size_t grain, F f) {
    const auto threads = static_cast<std::size_t>(num_threads());
    const std::size_t chunks = std::min(threads, grain ? n / grain : n);
    if (chunks <= 1 || omp_in_parallel()) {
        f(std::size_t{0}, n);
        return;
    }
#pragma omp parallel for num_threads(static_cast <int>(chunks)) schedule(static)
    for (std::size_t c = 0; c < chunks; ++c) f(n * c / chunks, n * (c + 1) / chunks);
}

// Elementwise loops go parallel from this many elements per thread.
constexpr std::size_t kElementwiseGrain = std::size_t{1} << 14;

// The contiguous elementwise loops are compiled twice, for baseline x86-64 and for AVX2, and
// the loader picks one by the processor's features when the library loads (GCC's function
// multiversioning).
// libtorch dispatches its kernels the same way; the AVX2 loops run sigmoid and exp 2 to 4 times
// faster. Both clones do the same IEEE operations in the same order (C++17 mode does not fuse
// multiply-adds), so results do not depend on the processor.
// Not under ThreadSanitizer: the loader runs the clone selectors while it relocates the library,
// before the TSan runtime is up, and the instrumented selectors crash there.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__)
#define TG_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define TG_VECTOR_CLONES
#endif

template <class T, class F>
TG_VECTOR_CLONES void map_rows(const T* p, T* q, std::size_t begin, std::size_t end, F f) {
    for (std::size_t i = begin; i < end; ++i) q[i] = f(p[i]);
}

template <class T, class F>
TG_VECTOR_CLONES void map_rows(const T* a, const T* b, T* q, std::size_t begin, std::size_t end,
                               F f) {
    for (std::size_t i = begin; i < end; ++i) q[i] = f(a[i], b[i]);
}

template <class T, class F>
TG_VECTOR_CLONES void map_rows_scalar_b(const T* a, T b, T* q, std::size_t begin, std::size_t end,
                                        F f) {
    for (std::size_t i = begin; i < end; ++i) q[i] = f(a[i], b);
}

template <class T, class F>
TG_VECTOR_CLONES void map_rows_scalar_a(T a, const T* b, T* q, std::size_t begin, std::size_t end,
                                        F f) {
    for (std::size_t i = begin; i < end; ++i) q[i] = f(a, b[i]);
}

// Calls f(float{}) or f(double{}) according to d.
template <class F>
decltype(auto) dispatch(DType d, F&& f) {
    if (d == DType::f32) return f(float{});
    return f(double{});
}

template <class T>
xt::xarray<T> uninitialized(const Shape& shape) {
    return xt::xarray<T>::from_shape(shape);
}

template <class T>
xt::xarray<T> filled(const Shape& shape, T value) {
    auto a = uninitialized<T>(shape);
    std::fill(a.data(), a.data() + a.size(), value);
    return a;
}

std::size_t numel_of(const Shape& shape);
// The element count of a shape that comes from the user (creation, random, reshape, broadcast
// targets, conv/pool windows): ShapeError naming the op and the shape if the count overflows a
// size_t, or if that many elements of `dtype` would take more bytes than an array can hold
// (PTRDIFF_MAX). numel_of() itself does not check: it wraps silently, to 0 for [2^32, 2^32].
std::size_t checked_numel(const char* op, const Shape& shape, DType dtype);

// Throw DTypeError if a and b differ.
void check_same_dtype(const char* op, const Tensor& a, const Tensor& b);
// NumPy broadcasting of two shapes; ShapeError naming the op and both shapes.
Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b);
// A possibly negative axis, checked against the rank; ValueError if out of range.
std::size_t normalize_axis(const char* op, std::int64_t axis, std::size_t rank);
// The axes of a reduction over `axes` (possibly negative) of a tensor of this rank: a flag per
// axis, and the reduced axes in increasing order appended to `sorted`. ValueError naming the op
// for an axis out of range or given twice.
std::vector<bool> axis_flags(const char* op, std::size_t rank, const Dims& axes,
                             std::vector<std::int64_t>& sorted);
// 0, 1, ..., x.dim() - 1: a reduction over everything.
std::vector<std::int64_t> all_axes(const Tensor& x);
// Row-major strides of a contiguous array of this shape.
std::vector<std::size_t> strides_of(const Shape& shape);

// Strides of `in` seen from an array of shape `out` that it broadcasts to: 0 on broadcast axes.
inline std::vector<std::size_t> broadcast_strides(const Shape& in, const Shape& out) {
    std::vector<std::size_t> s(out.size(), 0);
    std::size_t stride = 1;
    for (std::size_t k = 0; k < in.size(); ++k) {
        const std::size_t d_in = in.size() - 1 - k;
        const std::size_t d_out = out.size() - 1 - k;
        s[d_out] = in[d_in] == 1 ? 0 : stride;
        stride *= in[d_in];
    }
    return s;
}

// Merges neighbouring axes that every operand walks as one (the outer axis's stride is the
// inner axis's stride times the inner size; broadcast axes, of stride 0, merge with each other)
// and drops axes of size 1, so that loops run over fewer, longer rows: [N, C, H, W] against
// [1, C, 1, 1] becomes [N, C, H*W] against [0, 1, 0]. At least one axis remains.
template <std::size_t N>
void coalesce_axes(std::vector<std::size_t>& shape,
                   std::array<std::vector<std::size_t>, N>& strides) {
    std::vector<std::size_t> s;
    std::array<std::vector<std::size_t>, N> st;
    for (std::size_t d = 0; d < shape.size(); ++d) {
        if (shape[d] == 1) continue;
        bool merge = !s.empty();
        for (std::size_t k = 0; k < N && merge; ++k)
            merge = st[k].back() == strides[k][d] * shape[d];
        if (merge) {
            s.back() *= shape[d];
            for (std::size_t k = 0; k < N; ++k) st[k].back() = strides[k][d];
        } else {
            s.push_back(shape[d]);
            for (std::size_t k = 0; k < N; ++k) st[k].push_back(strides[k][d]);
        }
    }
    if (s.empty()) {
        s.push_back(1);
        for (std::size_t k = 0; k < N; ++k) st[k].push_back(0);
    }
    shape = std::move(s);
    strides = std::move(st);
}

// out[i] = f(ins[0][i'], ins[1][i''], ...) where each input broadcasts to out's shape.
template <class T, std::size_t N, class F>
void broadcast_apply(const std::array<const xt::xarray<T>*, N>& ins, xt::xarray<T>& out, F f) {
    T* q = out.data();
    const std::size_t total = out.size();
    if (total == 0) return;
    if (out.shape().empty()) {
        std::array<T, N> v;
        for (std::size_t k = 0; k < N; ++k) v[k] = ins[k]->data()[0];
        q[0] = std::apply(f, v);
        return;
    }
    std::vector<std::size_t> shape(out.shape().begin(), out.shape().end());
    std::array<std::vector<std::size_t>, N> st;
    std::array<const T*, N> base;
    for (std::size_t k = 0; k < N; ++k) {
        st[k] = broadcast_strides(ins[k]->shape(), out.shape());
        base[k] = ins[k]->data();
    }
    coalesce_axes(shape, st);
    const std::size_t nd = shape.size();
    const std::size_t inner = shape[nd - 1];
    std::array<std::size_t, N> is;
    for (std::size_t k = 0; k < N; ++k) is[k] = st[k][nd - 1];
    // Rows of the innermost axis, split across threads; each range starts from its own
    // multi-index, so the result does not depend on the thread count.
    const std::size_t rows = total / inner;
    parallel_for(rows, std::max<std::size_t>(1, kElementwiseGrain / inner),
                 [&](std::size_t r0, std::size_t r1) {
                     std::vector<std::size_t> index(nd, 0);
                     std::array<std::size_t, N> off{};
                     std::size_t rest = r0;
                     for (std::size_t d = nd - 1; d-- > 0;) {
                         index[d] = rest % shape[d];
                         rest /= shape[d];
                         for (std::size_t k = 0; k < N; ++k) off[k] += index[d] * st[k][d];
                     }
                     for (std::size_t done = r0 * inner; done < r1 * inner; done += inner) {
                         T* row = q + done;
                         if constexpr (N == 2) {
                             // The common rows: both operands contiguous, or one of them a repeated
                             // scalar.
                             const T* a = base[0] + off[0];
                             const T* b = base[1] + off[1];
                             if (is[0] == 1 && is[1] == 1) {
                                 map_rows(a, b, row, 0, inner, f);
                             } else if (is[0] == 1 && is[1] == 0) {
                                 map_rows_scalar_b(a, b[0], row, 0, inner, f);
                             } else if (is[0] == 0 && is[1] == 1) {
                                 map_rows_scalar_a(a[0], b, row, 0, inner, f);
                             } else {
                                 for (std::size_t j = 0; j < inner; ++j)
                                     row[j] = f(a[j * is[0]], b[j * is[1]]);
                             }
                         } else {
                             for (std::size_t j = 0; j < inner; ++j) {
                                 std::array<T, N> v;
                                 for (std::size_t k = 0; k < N; ++k)
                                     v[k] = base[k][off[k] + j * is[k]];
                                 row[j] = std::apply(f, v);
                             }
                         }
                         // Advance the multi-index over all but the innermost axis.
                         for (std::size_t d = nd - 1; d-- > 0;) {
                             ++index[d];
                             for (std::size_t k = 0; k < N; ++k) off[k] += st[k][d];
                             if (index[d] < shape[d]) break;
                             for (std::size_t k = 0; k < N; ++k) off[k] -= st[k][d] * shape[d];
                             index[d] = 0;
                         }
                     }
                 });
}

// Whether t's values are pending (see ops/deferred.hpp); inline, as every elementwise op asks.
inline bool is_pending(const Tensor& t) {
    return t.defined() && t.impl()->deferred != nullptr;
}

template <class F>
Tensor unary_values(const Tensor& x, F f) {
    return dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const auto& a = x.array<T>();
        auto r = uninitialized<T>(a.shape());
        const T* p = a.data();
        T* q = r.data();
        const std::size_t n = a.size();
        parallel_for(n, kElementwiseGrain,
                     [&](std::size_t b, std::size_t e) { map_rows(p, q, b, e, f); });
        return Tensor(std::move(r));
    });
}

// Elementwise map of one tensor.
template <class F>
Tensor unary(const Tensor& x, F f) {
    if (is_pending(x)) {
        // f(broadcast(s)) = broadcast(f(s)): map the source and keep the result pending.
        if (const Tensor* source = pending_broadcast_source(x))
            return deferred_broadcast(unary_values(*source, f), x.shape());
    }
    return unary_values(x, f);
}

template <class F>
Tensor binary_values(const char* op, const Tensor& x, const Tensor& y, F f) {
    return dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const auto& a = x.array<T>();
        const auto& b = y.array<T>();
        const T* pa = a.data();
        const T* pb = b.data();
        if (a.shape() == b.shape()) {
            auto r = uninitialized<T>(a.shape());
            T* q = r.data();
            const std::size_t n = a.size();
            parallel_for(n, kElementwiseGrain,
                         [&](std::size_t b, std::size_t e) { map_rows(pa, pb, q, b, e, f); });
            return Tensor(std::move(r));
        }
        const Shape shape = broadcast_shapes(op, a.shape(), b.shape());
        auto r = uninitialized<T>(shape);
        T* q = r.data();
        const std::size_t n = r.size();
        if (b.size() == 1 && shape == a.shape()) {
            const T v = pb[0];
            parallel_for(n, kElementwiseGrain, [&](std::size_t b, std::size_t e) {
                map_rows_scalar_b(pa, v, q, b, e, f);
            });
        } else if (a.size() == 1 && shape == b.shape()) {
            const T v = pa[0];
            parallel_for(n, kElementwiseGrain, [&](std::size_t b, std::size_t e) {
                map_rows_scalar_a(v, pb, q, b, e, f);
            });
        } else {
            broadcast_apply<T, 2>({&a, &b}, r, f);
        }
        return Tensor(std::move(r));
    });
}

// Elementwise map of two tensors with NumPy broadcasting.
template <class F>
Tensor binary(const char* op, const Tensor& x, const Tensor& y, F f) {
    check_same_dtype(op, x, y);
    if (is_pending(x) || is_pending(y)) {
        const Tensor* sx = pending_broadcast_source(x);
        const Tensor* sy = pending_broadcast_source(y);
        if (sx != nullptr || sy != nullptr) {
            // Read a pending broadcast's source instead: the sources broadcast to the same
            // result.
            const Shape shape = broadcast_shapes(op, x.shape(), y.shape());
            Tensor r = binary_values(op, sx ? *sx : x, sy ? *sy : y, f);
            return r.shape() == shape ? r : deferred_broadcast(r, shape);
        }
    }
    return binary_values(op, x, y, f);
}

// Sum of x over the axes marked in `reduce` (same rank as x); the result has x's rank with
// reduced axes of size 1. Accumulates in double for float inputs.
template <class T>
xt::xarray<T> reduce_sum(const xt::xarray<T>& x, const std::vector<bool>& reduce);

}  // namespace tg::kernels

namespace tg::kernels {

// dst (contiguous, of `shape`) [i] = src[offset + sum_d index_d(i) * strides[d]].
template <class T>
void strided_copy(const T* src, std::size_t offset, const std::vector<std::size_t>& strides,
                  const Shape& shape_in, T* dst) {
    const std::size_t total = numel_of(shape_in);
    if (total == 0) return;
    if (shape_in.empty()) {
        dst[0] = src[offset];
        return;
    }
    std::vector<std::size_t> shape(shape_in.begin(), shape_in.end());
    std::array<std::vector<std::size_t>, 1> st{strides};
    coalesce_axes(shape, st);
    const std::vector<std::size_t>& sv = st[0];
    const std::size_t nd = shape.size();
    const std::size_t inner = shape[nd - 1];
    const std::size_t is = sv[nd - 1];
    // Rows of the innermost axis, split across threads, each range from its own multi-index.
    parallel_for(total / inner, std::max<std::size_t>(1, kElementwiseGrain / inner),
                 [&](std::size_t r0, std::size_t r1) {
                     std::vector<std::size_t> index(nd, 0);
                     std::size_t off = offset;
                     std::size_t rest = r0;
                     for (std::size_t d = nd - 1; d-- > 0;) {
                         index[d] = rest % shape[d];
                         rest /= shape[d];
                         off += index[d] * sv[d];
                     }
                     for (std::size_t done = r0 * inner; done < r1 * inner; done += inner) {
                         if (is == 1) {
                             std::copy(src + off, src + off + inner, dst + done);
                         } else if (is == 0) {
                             std::fill(dst + done, dst + done + inner, src[off]);
                         } else {
                             for (std::size_t j = 0; j < inner; ++j)
                                 dst[done + j] = src[off + j * is];
                         }
                         for (std::size_t d = nd - 1; d-- > 0;) {
                             ++index[d];
                             off += sv[d];
                             if (index[d] < shape[d]) break;
                             off -= sv[d] * shape[d];
                             index[d] = 0;
                         }
                     }
                 });
}

// dst[offset + sum_d index_d(i) * strides[d]] += src (contiguous, of `shape`) [i].
template <class T>
void strided_add(const T* src, const Shape& shape, T* dst, std::size_t offset,
                 const std::vector<std::size_t>& strides) {
    const std::size_t nd = shape.size();
    const std::size_t total = numel_of(shape);
    if (total == 0) return;
    if (nd == 0) {
        dst[offset] += src[0];
        return;
    }
    const std::size_t inner = shape[nd - 1];
    const std::size_t is = strides[nd - 1];
    std::vector<std::size_t> index(nd, 0);
    std::size_t off = offset;
    for (std::size_t done = 0; done < total; done += inner) {
        for (std::size_t j = 0; j < inner; ++j) dst[off + j * is] += src[done + j];
        for (std::size_t d = nd - 1; d-- > 0;) {
            ++index[d];
            off += strides[d];
            if (index[d] < shape[d]) break;
            off -= strides[d] * shape[d];
            index[d] = 0;
        }
    }
}

}  // namespace tg::kernels
