#include "ops/im2col.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include "autograd/op.hpp"
#include "ops/deferred.hpp"
#include "ops/kernels.hpp"

namespace tg {

namespace {

Window window_of(const OpCall& c, std::size_t first) {
    auto at = [&](std::size_t i) { return static_cast<std::size_t>(c.ints(first + i)); };
    return Window{at(0), at(1), at(2), at(3), at(4), at(5)};
}

// unfold attributes: [kh, kw, sh, sw, ph, pw]
const OpDef kUnfold{"unfold",
                    [](const OpCall& c, const Tensor& g, Tensor* gi) {
                        gi[0] = fold(g, c.in(0).shape()[2], c.in(0).shape()[3], window_of(c, 0));
                    },
                    [](const OpCall& c, const Tensor* t) { return unfold(t[0], window_of(c, 0)); }};

// fold attributes: [kh, kw, sh, sw, ph, pw]
const OpDef kFold{
    "fold",
    [](const OpCall& c, const Tensor& g, Tensor* gi) { gi[0] = unfold(g, window_of(c, 0)); },
    [](const OpCall& c, const Tensor* t) {
        return fold(t[0], c.out().shape()[2], c.out().shape()[3], window_of(c, 0));
    }};

std::vector<std::int64_t> attrs_of(const Window& w) {
    return {static_cast<std::int64_t>(w.kh), static_cast<std::int64_t>(w.kw),
            static_cast<std::int64_t>(w.sh), static_cast<std::int64_t>(w.sw),
            static_cast<std::int64_t>(w.ph), static_cast<std::int64_t>(w.pw)};
}

std::string window_str(const Window& w) {
    auto pair = [](std::size_t a, std::size_t b) {
        return std::to_string(a) + "x" + std::to_string(b);
    };
    return "kernel " + pair(w.kh, w.kw) + ", stride " + pair(w.sh, w.sw) + ", padding " +
           pair(w.ph, w.pw);
}

// The largest kernel size, stride, padding or padded input size accepted: the tape stores them
// as int64, and a size_t above this is most likely a negative number converted.
constexpr auto kMaxWindowValue = static_cast<std::size_t>(INT64_MAX);

void check_window(const char* op, const Window& w) {
    if (w.kh == 0 || w.kw == 0 || w.sh == 0 || w.sw == 0) {
        throw ValueError(std::string(op) + ": kernel " + std::to_string(w.kh) + "x" +
                         std::to_string(w.kw) + " with stride " + std::to_string(w.sh) + "x" +
                         std::to_string(w.sw) + " (all must be positive)");
    }
    for (std::size_t v : {w.kh, w.kw, w.sh, w.sw, w.ph, w.pw}) {
        if (v > kMaxWindowValue) {
            throw ValueError(std::string(op) + ": " + window_str(w) + ": " + std::to_string(v) +
                             " is out of range (a negative number converted to size_t?)");
        }
    }
}

// The sizes of one unfold/fold: images C x H x W, windows w, output OH x OW, and for every
// kernel row i (column j) the output rows [top, bottom) (columns [lo, hi)) whose taps fall
// inside the image; the others read the zero padding. Computed once per call: the divisions
// would cost more than the copies if they were redone for every image and channel.
struct Geometry {
    std::size_t C, H, W, OH, OW;
    Window w;
    std::vector<std::size_t> top, bottom, lo, hi;

    Geometry(std::size_t C_, std::size_t H_, std::size_t W_, std::size_t OH_, std::size_t OW_,
             const Window& w_)
        : C(C_), H(H_), W(W_), OH(OH_), OW(OW_), w(w_) {
        for (std::size_t i = 0; i < w.kh; ++i) {
            top.push_back(0);
            bottom.push_back(0);
            tap_span(H, OH, w.sh, w.ph, i, top.back(), bottom.back());
        }
        for (std::size_t j = 0; j < w.kw; ++j) {
            lo.push_back(0);
            hi.push_back(0);
            tap_span(W, OW, w.sw, w.pw, j, lo.back(), hi.back());
        }
    }

    // For kernel offset j along an axis: the outputs [first, last) whose tap
    // o * stride + j - pad lies inside the image (of `size` pixels, `count` outputs).
    static void tap_span(std::size_t size, std::size_t count, std::size_t stride, std::size_t pad,
                         std::size_t j, std::size_t& first, std::size_t& last) {
        last = size + pad > j ? std::min(count, (size + pad - j + stride - 1) / stride) : 0;
        first = std::min(last, j >= pad ? std::size_t(0) : (pad - j + stride - 1) / stride);
    }
};

// Short runs: a conv's output rows are often only 8 to 30 pixels. A call to memcpy for each
// costs several times the copy itself, and so does a vectorised loop of unknown length with its
// overlap checks and remainder. Runs are copied in blocks of 8 elements of known size, which
// the compiler turns into a few vector moves, then element by element; gcc must not turn these
// loops back into library calls.
#if defined(__GNUC__) && !defined(__clang__)
#define TG_PLAIN_LOOPS __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define TG_PLAIN_LOOPS
#endif

template <class T>
TG_PLAIN_LOOPS inline void copy_run(T* __restrict out, const T* __restrict src, std::size_t n) {
    std::size_t k = 0;
    for (; k + 8 <= n; k += 8) std::memcpy(out + k, src + k, 8 * sizeof(T));
    for (; k < n; ++k) out[k] = src[k];
}

template <class T>
TG_PLAIN_LOOPS inline void add_run(T* __restrict out, const T* __restrict in, std::size_t n) {
    std::size_t k = 0;
    for (; k + 8 <= n; k += 8)
        for (std::size_t m = 0; m < 8; ++m) out[k + m] += in[k + m];
    for (; k < n; ++k) out[k] += in[k];
}

// Whole rows of a kernel tap (no padding to the left or right): `rows` runs of `width` elements,
// taken every `step` pixels from image rows `stride` apart and packed in the columns. Made for
// common widths, and steps 1 (convolution) and 2 (pooling), with both known to the compiler,
// which turns each run into a few vector moves: a conv's rows are short (4 to 32), and a run of
// unknown length costs several times as much in loop control as in copying.
template <class T>
using RowsFn = void (*)(T* cols, const T* img, std::size_t rows, std::size_t stride,
                        std::size_t width, std::size_t step);

template <class T, std::size_t L, std::size_t S>
TG_PLAIN_LOOPS void copy_rows(T* __restrict cols, const T* __restrict img, std::size_t rows,
                              std::size_t stride, std::size_t /*width*/, std::size_t /*step*/) {
    for (std::size_t r = 0; r < rows; ++r, cols += L, img += stride) {
        if constexpr (S == 1) {
            std::memcpy(cols, img, L * sizeof(T));
        } else {
            for (std::size_t k = 0; k < L; ++k) cols[k] = img[S * k];
        }
    }
}

template <class T, std::size_t L, std::size_t S>
TG_PLAIN_LOOPS void add_rows(T* __restrict img, const T* __restrict cols, std::size_t rows,
                             std::size_t stride, std::size_t /*width*/, std::size_t /*step*/) {
    for (std::size_t r = 0; r < rows; ++r, cols += L, img += stride)
        for (std::size_t k = 0; k < L; ++k) img[S * k] += cols[k];
}

template <class T>
TG_PLAIN_LOOPS void copy_rows_any(T* __restrict cols, const T* __restrict img, std::size_t rows,
                                  std::size_t stride, std::size_t width, std::size_t step) {
    for (std::size_t r = 0; r < rows; ++r, cols += width, img += stride) {
        if (step == 1) {
            copy_run(cols, img, width);
        } else {
            for (std::size_t k = 0; k < width; ++k) cols[k] = img[k * step];
        }
    }
}

template <class T>
TG_PLAIN_LOOPS void add_rows_any(T* __restrict img, const T* __restrict cols, std::size_t rows,
                                 std::size_t stride, std::size_t width, std::size_t step) {
    for (std::size_t r = 0; r < rows; ++r, cols += width, img += stride) {
        if (step == 1) {
            add_run(img, cols, width);
        } else {
            for (std::size_t k = 0; k < width; ++k) img[k * step] += cols[k];
        }
    }
}

template <class T, bool kAdd, std::size_t S>
RowsFn<T> rows_fn(std::size_t width) {
    switch (width) {
#define TG_ROWS_CASE(L) \
    case L:             \
        return kAdd ? add_rows<T, L, S> : copy_rows<T, L, S>;
        TG_ROWS_CASE(4)
        TG_ROWS_CASE(6)
        TG_ROWS_CASE(7)
        TG_ROWS_CASE(8)
        TG_ROWS_CASE(10)
        TG_ROWS_CASE(12)
        TG_ROWS_CASE(14)
        TG_ROWS_CASE(16)
        TG_ROWS_CASE(24)
        TG_ROWS_CASE(26)
        TG_ROWS_CASE(28)
        TG_ROWS_CASE(32)
#undef TG_ROWS_CASE
        default:
            return kAdd ? add_rows_any<T> : copy_rows_any<T>;
    }
}

template <class T, bool kAdd>
RowsFn<T> rows_fn(std::size_t width, std::size_t step) {
    if (step == 1) return rows_fn<T, kAdd, 1>(width);
    if (step == 2) return rows_fn<T, kAdd, 2>(width);
    return kAdd ? add_rows_any<T> : copy_rows_any<T>;
}

// The loops below walk the columns [C*kh*kw, OH*OW] of one image row by row: each output row
// of a kernel tap is a run of an image row, contiguous at stride 1. Rows and columns that fall
// in the padding are split off first, so that the inner loops carry no tests.
// Whole images per thread: enough of them that a thread gets at least 2^14 column entries.
std::size_t images_per_thread(std::size_t entries_per_image) {
    constexpr std::size_t kEntriesPerThread = std::size_t{1} << 14;
    return std::max<std::size_t>(1, (kEntriesPerThread + entries_per_image - 1) /
                                        std::max<std::size_t>(entries_per_image, 1));
}

template <class T>
TG_PLAIN_LOOPS void unfold_image(const T* img, T* cols, const Geometry& g) {
    const std::size_t kh = g.w.kh, kw = g.w.kw, sh = g.w.sh, sw = g.w.sw, ph = g.w.ph;
    const std::size_t H = g.H, W = g.W, OH = g.OH, OW = g.OW, pw = g.w.pw;
    const std::size_t plane_size = OH * OW, row_step = sh * W;
    const RowsFn<T> whole_rows = rows_fn<T, false>(OW, sw);
    T* dst = cols;
    for (std::size_t c = 0; c < g.C; ++c) {
        const T* plane = img + c * H * W;
        for (std::size_t i = 0; i < kh; ++i) {
            const std::size_t top = g.top[i], bottom = g.bottom[i];
            for (std::size_t j = 0; j < kw; ++j, dst += plane_size) {
                const std::size_t lo = g.lo[j], hi = g.hi[j];
                // The padding: whole rows above and below, and the ends of the rows between.
                for (T* p = dst; p < dst + top * OW; ++p) *p = T(0);
                for (T* p = dst + bottom * OW; p < dst + plane_size; ++p) *p = T(0);
                if (top >= bottom) continue;
                if (lo == 0 && hi == OW) {
                    whole_rows(dst + top * OW, plane + (top * sh + i - ph) * W + (j - pw),
                               bottom - top, row_step, OW, sw);
                    continue;
                }
                const std::size_t n = hi > lo ? hi - lo : 0;
                // Output row oh reads image row oh * sh + i - ph from column lo * sw + j - pw.
                const T* src = plane + (top * sh + i - ph) * W + (lo * sw + j - pw);
                T* out = dst + top * OW;
                for (std::size_t oh = top; oh < bottom; ++oh, src += row_step, out += OW) {
                    for (std::size_t k = 0; k < lo; ++k) out[k] = T(0);
                    if (sw == 1) {
                        copy_run(out + lo, src, n);
                    } else {
                        for (std::size_t k = 0; k < n; ++k) out[lo + k] = src[k * sw];
                    }
                    for (std::size_t k = hi; k < OW; ++k) out[k] = T(0);
                }
            }
        }
    }
}

// The adjoint of unfold_image: adds every column entry to its pixel of img (zeroed before).
template <class T>
TG_PLAIN_LOOPS void fold_image(const T* cols, T* img, const Geometry& g) {
    const std::size_t kh = g.w.kh, kw = g.w.kw, sh = g.w.sh, sw = g.w.sw, ph = g.w.ph;
    const std::size_t H = g.H, W = g.W, OH = g.OH, OW = g.OW, pw = g.w.pw;
    const std::size_t plane_size = OH * OW, row_step = sh * W;
    const RowsFn<T> whole_rows = rows_fn<T, true>(OW, sw);
    const T* src = cols;
    for (std::size_t c = 0; c < g.C; ++c) {
        T* plane = img + c * H * W;
        for (std::size_t i = 0; i < kh; ++i) {
            const std::size_t top = g.top[i], bottom = g.bottom[i];
            for (std::size_t j = 0; j < kw; ++j, src += plane_size) {
                const std::size_t lo = g.lo[j], hi = g.hi[j];
                if (top >= bottom || lo >= hi) continue;
                if (lo == 0 && hi == OW) {
                    whole_rows(plane + (top * sh + i - ph) * W + (j - pw), src + top * OW,
                               bottom - top, row_step, OW, sw);
                    continue;
                }
                T* out = plane + (top * sh + i - ph) * W + (lo * sw + j - pw);
                const T* in = src + top * OW + lo;
                const std::size_t n = hi - lo;
                for (std::size_t oh = top; oh < bottom; ++oh, in += OW, out += row_step) {
                    if (sw == 1) {
                        add_run(out, in, n);
                    } else {
                        for (std::size_t k = 0; k < n; ++k) out[k * sw] += in[k];
                    }
                }
            }
        }
    }
}

}  // namespace

std::size_t padded_size(const char* op, std::size_t size, std::size_t padding) {
    // Within int64, so that no index arithmetic on it overflows.
    if (padding > kMaxWindowValue || size > kMaxWindowValue ||
        padding > (kMaxWindowValue - size) / 2) {
        throw ValueError(std::string(op) + ": padding " + std::to_string(padding) +
                         " is too large for an input of size " + std::to_string(size) +
                         " (the padded size overflows)");
    }
    return size + 2 * padding;
}

std::size_t window_count(const char* op, std::size_t size, std::size_t kernel, std::size_t stride,
                         std::size_t padding) {
    const std::size_t padded = padded_size(op, size, padding);
    if (kernel > padded) {
        throw ShapeError(std::string(op) + ": kernel size " + std::to_string(kernel) +
                         " is larger than the padded input size " + std::to_string(padded) +
                         " (input " + std::to_string(size) + ", padding " +
                         std::to_string(padding) + ")");
    }
    return (padded - kernel) / stride + 1;
}

namespace {

// unfold's columns, written image by image when they are read (see ops/deferred.hpp).
class DeferredColumns final : public DeferredBatch {
  public:
    DeferredColumns(const Tensor& x, const Geometry& g)
        : DeferredBatch(images_per_thread(g.C * g.w.kh * g.w.kw * g.OH * g.OW)),
          x_(snapshot(x)),
          g_(g) {}
    void item(std::size_t n, float* out) const override { write(n, out); }
    void item(std::size_t n, double* out) const override { write(n, out); }

  private:
    template <class T>
    void write(std::size_t n, T* out) const {
        unfold_image(x_.array<T>().data() + n * g_.C * g_.H * g_.W, out, g_);
    }

    Tensor x_;
    Geometry g_;
};

}  // namespace

Tensor unfold(const Tensor& x, const Window& w) {
    check_window("unfold", w);
    if (x.dim() != 4) {
        throw ShapeError("unfold: needs an [N, C, H, W] input, got " + shape_str(x.shape()));
    }
    const std::size_t N = x.shape()[0], C = x.shape()[1], H = x.shape()[2], W = x.shape()[3];
    const std::size_t OH = window_count("unfold", H, w.kh, w.sh, w.ph);
    const std::size_t OW = window_count("unfold", W, w.kw, w.sw, w.pw);
    const std::size_t rows = kernels::checked_numel("unfold", Shape{C, w.kh, w.kw}, x.dtype());
    const std::size_t L = kernels::checked_numel("unfold", Shape{OH, OW}, x.dtype());
    kernels::checked_numel("unfold", Shape{N, rows, L}, x.dtype());
    Tensor out =
        deferred_result(x.dtype(), Shape{N, rows, L},
                        std::make_unique<DeferredColumns>(x, Geometry{C, H, W, OH, OW, w}));
    return record(kUnfold, std::move(out), {x}, Attrs(attrs_of(w)));
}

Tensor fold(const Tensor& cols, std::size_t H, std::size_t W, const Window& w) {
    check_window("fold", w);
    const std::size_t OH = window_count("fold", H, w.kh, w.sh, w.ph);
    const std::size_t OW = window_count("fold", W, w.kw, w.sw, w.pw);
    const std::size_t k = kernels::checked_numel("fold", Shape{w.kh, w.kw}, cols.dtype());
    const std::size_t L = kernels::checked_numel("fold", Shape{OH, OW}, cols.dtype());
    if (cols.dim() != 3 || cols.shape()[1] % k != 0 || cols.shape()[2] != L) {
        throw ShapeError("fold: columns " + shape_str(cols.shape()) + " do not match a " +
                         std::to_string(w.kh) + "x" + std::to_string(w.kw) + " window over " +
                         std::to_string(H) + "x" + std::to_string(W) + " (expected [N, C*" +
                         std::to_string(k) + ", " + std::to_string(L) + "])");
    }
    const std::size_t N = cols.shape()[0], C = cols.shape()[1] / k;
    kernels::checked_numel("fold", Shape{N, C, H, W}, cols.dtype());
    // Pending columns (the product of a conv's filters and its output gradient) are made one
    // image at a time, in cache, just before they are folded.
    const DeferredBatch* pending = pending_batch(cols);
    Tensor out = kernels::dispatch(cols.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* a = pending ? nullptr : cols.array<T>().data();
        auto r = kernels::uninitialized<T>(Shape{N, C, H, W});
        const Geometry g{C, H, W, OH, OW, w};
        const std::size_t per_image = C * k * L;
        kernels::parallel_for(N, images_per_thread(per_image), [&](std::size_t b, std::size_t e) {
            std::fill(r.data() + b * C * H * W, r.data() + e * C * H * W, T(0));
            const ItemBuffer<T> image(pending ? per_image : 0);
            for (std::size_t n = b; n < e; ++n) {
                const T* columns = pending ? image.data() : a + n * per_image;
                if (pending) pending->item(n, image.data());
                fold_image(columns, r.data() + n * C * H * W, g);
            }
        });
        return Tensor(std::move(r));
    });
    return record(kFold, std::move(out), {cols}, Attrs(attrs_of(w)));
}

}  // namespace tg
