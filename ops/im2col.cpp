#include "ops/im2col.hpp"

#include <algorithm>
#include <string>

#include "autograd/op.hpp"
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

void check_window(const char* op, const Window& w) {
    if (w.kh == 0 || w.kw == 0 || w.sh == 0 || w.sw == 0) {
        throw ValueError(std::string(op) + ": kernel " + std::to_string(w.kh) + "x" +
                         std::to_string(w.kw) + " with stride " + std::to_string(w.sh) + "x" +
                         std::to_string(w.sw) + " (all must be positive)");
    }
}

// The sizes of one unfold/fold: images C x H x W, windows w, output OH x OW.
struct Geometry {
    std::size_t C, H, W, OH, OW;
    Window w;
};

// For kernel column j: the output columns [lo, hi) whose tap ow * sw + j - pw lies inside the
// image; the others fall in the zero padding.
void tap_span(const Geometry& g, std::size_t j, std::size_t& lo, std::size_t& hi) {
    const std::size_t sw = g.w.sw, pw = g.w.pw;
    hi = g.W + pw > j ? std::min(g.OW, (g.W + pw - j + sw - 1) / sw) : 0;
    lo = std::min(hi, j >= pw ? std::size_t(0) : (pw - j + sw - 1) / sw);
}

// The loops below walk the columns [C*kh*kw, OH*OW] of one image row by row: each output row
// of a kernel tap is a contiguous run of the image row (stride 1) or a strided one.
template <class T>
void unfold_image(const T* img, T* cols, const Geometry& g) {
    const std::size_t kh = g.w.kh, kw = g.w.kw, sh = g.w.sh, sw = g.w.sw, ph = g.w.ph;
    const std::size_t H = g.H, W = g.W, OH = g.OH, OW = g.OW, pw = g.w.pw;
    T* dst = cols;
    for (std::size_t c = 0; c < g.C; ++c) {
        const T* plane = img + c * H * W;
        for (std::size_t i = 0; i < kh; ++i) {
            for (std::size_t j = 0; j < kw; ++j) {
                std::size_t lo, hi;
                tap_span(g, j, lo, hi);
                for (std::size_t oh = 0; oh < OH; ++oh, dst += OW) {
                    const std::size_t y = oh * sh + i;  // row in the padded image
                    if (y < ph || y - ph >= H || lo == hi) {
                        std::fill(dst, dst + OW, T(0));
                        continue;
                    }
                    std::fill(dst, dst + lo, T(0));
                    std::fill(dst + hi, dst + OW, T(0));
                    const T* src = plane + (y - ph) * W + (lo * sw + j - pw);
                    T* out = dst + lo;
                    const std::size_t n = hi - lo;
                    if (sw == 1) {
                        std::copy(src, src + n, out);
                    } else {
                        for (std::size_t k = 0; k < n; ++k) out[k] = src[k * sw];
                    }
                }
            }
        }
    }
}

// The adjoint of unfold_image: adds every column entry to its pixel of img (zeroed before).
template <class T>
void fold_image(const T* cols, T* img, const Geometry& g) {
    const std::size_t kh = g.w.kh, kw = g.w.kw, sh = g.w.sh, sw = g.w.sw, ph = g.w.ph;
    const std::size_t H = g.H, W = g.W, OH = g.OH, OW = g.OW, pw = g.w.pw;
    const T* src = cols;
    for (std::size_t c = 0; c < g.C; ++c) {
        T* plane = img + c * H * W;
        for (std::size_t i = 0; i < kh; ++i) {
            for (std::size_t j = 0; j < kw; ++j) {
                std::size_t lo, hi;
                tap_span(g, j, lo, hi);
                for (std::size_t oh = 0; oh < OH; ++oh, src += OW) {
                    const std::size_t y = oh * sh + i;
                    if (y < ph || y - ph >= H || lo == hi) continue;
                    T* out = plane + (y - ph) * W + (lo * sw + j - pw);
                    const T* in = src + lo;
                    const std::size_t n = hi - lo;
                    if (sw == 1) {
                        for (std::size_t k = 0; k < n; ++k) out[k] += in[k];
                    } else {
                        for (std::size_t k = 0; k < n; ++k) out[k * sw] += in[k];
                    }
                }
            }
        }
    }
}

}  // namespace

std::size_t window_count(const char* op, std::size_t size, std::size_t kernel, std::size_t stride,
                         std::size_t padding) {
    const std::size_t padded = size + 2 * padding;
    if (kernel > padded) {
        throw ShapeError(std::string(op) + ": kernel size " + std::to_string(kernel) +
                         " is larger than the padded input size " + std::to_string(padded) +
                         " (input " + std::to_string(size) + ", padding " +
                         std::to_string(padding) + ")");
    }
    return (padded - kernel) / stride + 1;
}

Tensor unfold(const Tensor& x, const Window& w) {
    check_window("unfold", w);
    if (x.dim() != 4) {
        throw ShapeError("unfold: needs an [N, C, H, W] input, got " + shape_str(x.shape()));
    }
    const std::size_t N = x.shape()[0], C = x.shape()[1], H = x.shape()[2], W = x.shape()[3];
    const std::size_t OH = window_count("unfold", H, w.kh, w.sh, w.ph);
    const std::size_t OW = window_count("unfold", W, w.kw, w.sw, w.pw);
    const std::size_t rows = C * w.kh * w.kw;
    const std::size_t L = OH * OW;
    Tensor out = kernels::dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const auto& a = x.array<T>();
        auto r = kernels::uninitialized<T>(Shape{N, rows, L});
        const Geometry g{C, H, W, OH, OW, w};
        for (std::size_t n = 0; n < N; ++n)
            unfold_image(a.data() + n * C * H * W, r.data() + n * rows * L, g);
        return Tensor(std::move(r));
    });
    return record(kUnfold, std::move(out), {x}, Attrs(attrs_of(w)));
}

Tensor fold(const Tensor& cols, std::size_t H, std::size_t W, const Window& w) {
    check_window("fold", w);
    const std::size_t OH = window_count("fold", H, w.kh, w.sh, w.ph);
    const std::size_t OW = window_count("fold", W, w.kw, w.sw, w.pw);
    const std::size_t k = w.kh * w.kw;
    if (cols.dim() != 3 || cols.shape()[1] % k != 0 || cols.shape()[2] != OH * OW) {
        throw ShapeError("fold: columns " + shape_str(cols.shape()) + " do not match a " +
                         std::to_string(w.kh) + "x" + std::to_string(w.kw) + " window over " +
                         std::to_string(H) + "x" + std::to_string(W) + " (expected [N, C*" +
                         std::to_string(k) + ", " + std::to_string(OH * OW) + "])");
    }
    const std::size_t N = cols.shape()[0], C = cols.shape()[1] / k, L = OH * OW;
    Tensor out = kernels::dispatch(cols.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const auto& a = cols.array<T>();
        auto r = kernels::filled<T>(Shape{N, C, H, W}, T(0));
        const Geometry g{C, H, W, OH, OW, w};
        for (std::size_t n = 0; n < N; ++n)
            fold_image(a.data() + n * C * k * L, r.data() + n * C * H * W, g);
        return Tensor(std::move(r));
    });
    return record(kFold, std::move(out), {cols}, Attrs(attrs_of(w)));
}

}  // namespace tg
