#pragma once
// Plain-loop references for unfold (im2col), fold (col2im) and a matrix times a batch of
// matrices, shared by the ops tests. Every index is computed here from the geometry, with no
// tapegrad code on the way.

#include <cstddef>
#include <vector>

#include "tapegrad.hpp"

namespace tgtest {

struct Geometry {
    std::size_t N, C, H, W, kh, kw, s, p, OH, OW;
    Geometry(std::size_t N_, std::size_t C_, std::size_t H_, std::size_t W_, std::size_t k,
             std::size_t s_, std::size_t p_)
        : N(N_),
          C(C_),
          H(H_),
          W(W_),
          kh(k),
          kw(k),
          s(s_),
          p(p_),
          OH((H_ + 2 * p_ - k) / s_ + 1),
          OW((W_ + 2 * p_ - k) / s_ + 1) {}
    std::size_t K() const { return C * kh * kw; }
    std::size_t P() const { return OH * OW; }
    tg::Window window() const { return tg::Window{kh, kw, s, s, p, p}; }
};

// Calls f(pixel, entry) for every column entry [N, C*kh*kw, OH*OW] that reads an image pixel
// [N, C, H, W] (the others read the zero padding), with plain loops.
template <class F>
void each_tap(const Geometry& g, F f) {
    for (std::size_t n = 0; n < g.N; ++n)
        for (std::size_t c = 0; c < g.C; ++c)
            for (std::size_t i = 0; i < g.kh; ++i)
                for (std::size_t j = 0; j < g.kw; ++j)
                    for (std::size_t oh = 0; oh < g.OH; ++oh)
                        for (std::size_t ow = 0; ow < g.OW; ++ow) {
                            const long h = long(oh * g.s + i) - long(g.p);
                            const long w = long(ow * g.s + j) - long(g.p);
                            if (h < 0 || w < 0 || h >= long(g.H) || w >= long(g.W)) continue;
                            const std::size_t row = (c * g.kh + i) * g.kw + j;
                            f(((n * g.C + c) * g.H + std::size_t(h)) * g.W + std::size_t(w),
                              (n * g.K() + row) * g.P() + oh * g.OW + ow);
                        }
}

// im2col: [N, C*kh*kw, OH*OW].
inline std::vector<double> columns(const std::vector<double>& x, const Geometry& g) {
    std::vector<double> cols(g.N * g.K() * g.P(), 0.0);
    each_tap(g, [&](std::size_t pixel, std::size_t entry) { cols[entry] = x[pixel]; });
    return cols;
}

// col2im: every column entry added back to its pixel.
inline std::vector<double> fold_ref(const std::vector<double>& cols, const Geometry& g) {
    std::vector<double> x(g.N * g.C * g.H * g.W, 0.0);
    each_tap(g, [&](std::size_t pixel, std::size_t entry) { x[pixel] += cols[entry]; });
    return x;
}

// out[n] = op(a) b[n] with plain loops; a is [m, k] (or [k, m] when ta), b is [N, k, cols].
inline std::vector<double> batch_product(const std::vector<double>& a, bool ta, std::size_t m,
                                         std::size_t k, const std::vector<double>& b, std::size_t N,
                                         std::size_t cols) {
    std::vector<double> out(N * m * cols, 0.0);
    for (std::size_t n = 0; n < N; ++n)
        for (std::size_t r = 0; r < m; ++r)
            for (std::size_t c = 0; c < cols; ++c) {
                double s = 0;
                for (std::size_t q = 0; q < k; ++q)
                    s += (ta ? a[q * m + r] : a[r * k + q]) * b[(n * k + q) * cols + c];
                out[(n * m + r) * cols + c] = s;
            }
    return out;
}

}  // namespace tgtest
