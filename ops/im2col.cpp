#include "ops/im2col.hpp"

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

// Walks every (column row, output pixel) pair and hands the image offset (or none) to f.
template <class F>
void for_each_tap(std::size_t C, std::size_t H, std::size_t W, std::size_t OH, std::size_t OW,
                  const Window& w, F f) {
    const std::size_t L = OH * OW;
    for (std::size_t c = 0; c < C; ++c) {
        for (std::size_t i = 0; i < w.kh; ++i) {
            for (std::size_t j = 0; j < w.kw; ++j) {
                const std::size_t row = (c * w.kh + i) * w.kw + j;
                for (std::size_t oh = 0; oh < OH; ++oh) {
                    const std::ptrdiff_t y = static_cast<std::ptrdiff_t>(oh * w.sh + i) -
                                             static_cast<std::ptrdiff_t>(w.ph);
                    const bool y_in = y >= 0 && y < static_cast<std::ptrdiff_t>(H);
                    for (std::size_t ow = 0; ow < OW; ++ow) {
                        const std::ptrdiff_t x = static_cast<std::ptrdiff_t>(ow * w.sw + j) -
                                                 static_cast<std::ptrdiff_t>(w.pw);
                        const bool in = y_in && x >= 0 && x < static_cast<std::ptrdiff_t>(W);
                        const std::size_t col = row * L + oh * OW + ow;
                        f(col, in,
                          in ? (c * H + static_cast<std::size_t>(y)) * W +
                                   static_cast<std::size_t>(x)
                             : 0);
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
        for (std::size_t n = 0; n < N; ++n) {
            const T* img = a.data() + n * C * H * W;
            T* cols = r.data() + n * rows * L;
            for_each_tap(C, H, W, OH, OW, w, [&](std::size_t col, bool in, std::size_t pix) {
                cols[col] = in ? img[pix] : T(0);
            });
        }
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
        for (std::size_t n = 0; n < N; ++n) {
            const T* src = a.data() + n * C * k * L;
            T* img = r.data() + n * C * H * W;
            for_each_tap(C, H, W, OH, OW, w, [&](std::size_t col, bool in, std::size_t pix) {
                if (in) img[pix] += src[col];
            });
        }
        return Tensor(std::move(r));
    });
    return record(kFold, std::move(out), {cols}, Attrs(attrs_of(w)));
}

}  // namespace tg
