#pragma once
// A 2-D convolution and its derivatives with plain loops over std::vector<double>: the forward
// sum, the lecture's equation (7) for the input delta (lecture 7), and the weight and bias
// gradients as correlations of the input with the output delta. Shared by the closed-form conv
// test and the full-size network checks; no tapegrad code on the way.

#include <cstddef>
#include <vector>

namespace tgtest {

// Input [N, C, H, W], filters [O, C, k, k], output [N, O, OH, OW]; stride s, zero padding p.
struct ConvGeometry {
    std::size_t N, C, H, W, O, k, s, p, OH, OW;
    ConvGeometry(std::size_t N_, std::size_t C_, std::size_t H_, std::size_t W_, std::size_t O_,
                 std::size_t k_, std::size_t s_, std::size_t p_)
        : N(N_),
          C(C_),
          H(H_),
          W(W_),
          O(O_),
          k(k_),
          s(s_),
          p(p_),
          OH((H_ + 2 * p_ - k_) / s_ + 1),
          OW((W_ + 2 * p_ - k_) / s_ + 1) {}
    std::size_t in(std::size_t n, std::size_t c, std::size_t x, std::size_t y) const {
        return ((n * C + c) * H + x) * W + y;
    }
    std::size_t out(std::size_t n, std::size_t o, std::size_t x, std::size_t y) const {
        return ((n * O + o) * OH + x) * OW + y;
    }
    std::size_t filter(std::size_t o, std::size_t c, std::size_t a, std::size_t b) const {
        return ((o * C + c) * k + a) * k + b;
    }
    // The input row (or column) that output row o reads under tap a, or -1 in the padding.
    long tap(std::size_t o, std::size_t a, std::size_t size) const {
        const long v = static_cast<long>(o * s + a) - static_cast<long>(p);
        return v >= 0 && v < static_cast<long>(size) ? v : -1;
    }
};

// z_{n,o,x',y'} = sum_c sum_{a,b} w_{o,c,a,b} x_{n,c,x's+a-p,y's+b-p} + b_o.
inline std::vector<double> conv_forward(const std::vector<double>& x, const std::vector<double>& w,
                                        const std::vector<double>& bias, const ConvGeometry& g) {
    std::vector<double> z(g.N * g.O * g.OH * g.OW);
    for (std::size_t n = 0; n < g.N; ++n)
        for (std::size_t o = 0; o < g.O; ++o)
            for (std::size_t ox = 0; ox < g.OH; ++ox)
                for (std::size_t oy = 0; oy < g.OW; ++oy) {
                    double acc = bias[o];
                    for (std::size_t c = 0; c < g.C; ++c)
                        for (std::size_t a = 0; a < g.k; ++a)
                            for (std::size_t b = 0; b < g.k; ++b) {
                                const long xx = g.tap(ox, a, g.H), yy = g.tap(oy, b, g.W);
                                if (xx < 0 || yy < 0) continue;
                                acc += w[g.filter(o, c, a, b)] *
                                       x[g.in(n, c, static_cast<std::size_t>(xx),
                                              static_cast<std::size_t>(yy))];
                            }
                    z[g.out(n, o, ox, oy)] = acc;
                }
    return z;
}

// Equation (7) without the activation's derivative, with stride and padding and a sum over
// output channels: dC/dx_{x,y} = sum_o sum_{x',y'} delta_{x',y'} w_{x-x's+p, y-y's+p}, the sum
// taken over the taps a = x - x's + p in [0, k) (and b likewise) whose x' is an output row.
inline std::vector<double> conv_input_delta(const std::vector<double>& delta,
                                            const std::vector<double>& w, const ConvGeometry& g) {
    std::vector<double> d(g.N * g.C * g.H * g.W, 0.0);
    // The output row x' = (x + p - a) / s that reads row x under tap a, or -1.
    const auto source = [&](std::size_t x, std::size_t a, std::size_t size) -> long {
        const long v = static_cast<long>(x + g.p) - static_cast<long>(a);
        if (v < 0 || v % static_cast<long>(g.s) != 0) return -1;
        return v / static_cast<long>(g.s) < static_cast<long>(size) ? v / static_cast<long>(g.s)
                                                                    : -1;
    };
    for (std::size_t n = 0; n < g.N; ++n)
        for (std::size_t c = 0; c < g.C; ++c)
            for (std::size_t x = 0; x < g.H; ++x)
                for (std::size_t y = 0; y < g.W; ++y) {
                    double acc = 0;
                    for (std::size_t o = 0; o < g.O; ++o)
                        for (std::size_t a = 0; a < g.k; ++a) {
                            const long ox = source(x, a, g.OH);
                            if (ox < 0) continue;
                            for (std::size_t b = 0; b < g.k; ++b) {
                                const long oy = source(y, b, g.OW);
                                if (oy < 0) continue;
                                acc += delta[g.out(n, o, static_cast<std::size_t>(ox),
                                                   static_cast<std::size_t>(oy))] *
                                       w[g.filter(o, c, a, b)];
                            }
                        }
                    d[g.in(n, c, x, y)] = acc;
                }
    return d;
}

// dC/dw_{o,c,a,b} = sum_n sum_{x',y'} delta_{n,o,x',y'} x_{n,c,x's+a-p,y's+b-p};
// dC/db_o = sum_n sum_{x',y'} delta_{n,o,x',y'}.
inline void conv_filter_gradients(const std::vector<double>& delta, const std::vector<double>& x,
                                  const ConvGeometry& g, std::vector<double>& dw,
                                  std::vector<double>& db) {
    dw.assign(g.O * g.C * g.k * g.k, 0.0);
    db.assign(g.O, 0.0);
    for (std::size_t n = 0; n < g.N; ++n)
        for (std::size_t o = 0; o < g.O; ++o)
            for (std::size_t ox = 0; ox < g.OH; ++ox)
                for (std::size_t oy = 0; oy < g.OW; ++oy) {
                    const double d = delta[g.out(n, o, ox, oy)];
                    db[o] += d;
                    for (std::size_t c = 0; c < g.C; ++c)
                        for (std::size_t a = 0; a < g.k; ++a)
                            for (std::size_t b = 0; b < g.k; ++b) {
                                const long xx = g.tap(ox, a, g.H), yy = g.tap(oy, b, g.W);
                                if (xx < 0 || yy < 0) continue;
                                dw[g.filter(o, c, a, b)] +=
                                    d * x[g.in(n, c, static_cast<std::size_t>(xx),
                                               static_cast<std::size_t>(yy))];
                            }
                }
}

}  // namespace tgtest
