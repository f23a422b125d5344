// Conv2d's deltas against the lecture's closed form (lecture 7, equations (7) and (8)),
// generalised to several input and output channels, stride and zero padding, and its weight and
// bias gradients against the correlation of the input activations with the next layer's delta.
//
// Network: z^l (the input) -> a^l = sigmoid(z^l) -> z^{l+1} = Conv2d(a^l) -> a^{l+1} =
// sigmoid(z^{l+1}) -> C = 1/(2n) sum ||y - a^{l+1}||^2, the lecture's quadratic cost.
// Everything on the reference side is plain loops over std::vector<double>.

#include "conv_reference.hpp"
#include "nn_helpers.hpp"

using namespace tgtest;
using namespace tg;

namespace {

struct Case {
    std::size_t cin, cout, k, stride;
    bool same;
    std::size_t H = 7, W = 6, N = 2;
};

void check_case(const Case& cs) {
    INFO("cin " << cs.cin << " cout " << cs.cout << " kernel " << cs.k << " stride " << cs.stride
                << " padding " << (cs.same ? "same" : "0"));
    Generator gen(1000 + cs.k * 100 + cs.stride * 10 + cs.cin * 3 + cs.cout + (cs.same ? 7 : 0));
    const std::size_t N = cs.N, C = cs.cin, O = cs.cout, H = cs.H, W = cs.W, k = cs.k,
                      s = cs.stride;
    const std::size_t p = cs.same ? (k - 1) / 2 : 0;
    const std::size_t OH = (H + 2 * p - k) / s + 1, OW = (W + 2 * p - k) / s + 1;

    auto opts = nn::Conv2dOptions(C, O, k).stride(s).dtype(kFloat64);
    if (cs.same) opts.padding(nn::kSame);
    nn::Conv2d conv(opts, gen);
    REQUIRE(conv.padding() == nn::Size2(p));

    const Tensor z0 = sample({N, C, H, W}, Domain::any, gen).requires_grad_();
    const Tensor y = sample({N, O * OH * OW}, Domain::unit, gen);
    const Tensor a0 = sigmoid(z0);
    const Tensor z1 = conv.forward(a0);
    REQUIRE(z1.shape() == Shape{N, O, OH, OW});
    const Tensor a1 = sigmoid(z1);
    const Tensor cost = quadratic_cost(reshape(a1, {static_cast<std::int64_t>(N), -1}), y);
    const auto grads = grad({cost}, {z0, z1, conv.weight, conv.bias});

    // ---- the reference, with plain loops (conv_reference.hpp) ----
    const auto vz0 = z0.to_vector(), vw = conv.weight.to_vector(), vb = conv.bias.to_vector(),
               vy = y.to_vector();
    const ConvGeometry g{N, C, H, W, O, k, s, p};
    std::vector<double> va0(vz0.size());
    for (std::size_t i = 0; i < vz0.size(); ++i) va0[i] = sigmoid_of(vz0[i]);
    // Forward: z^{l+1}_{x',y'} = sum_c sum_{a,b} w_{ab} a^l_{x's+a-p, y's+b-p} + b.
    const std::vector<double> vz1 = conv_forward(va0, vw, vb, g);
    require_close(z1, vz1, 1e-13, 0, "z^{l+1}");

    // delta^{l+1} = dC/dz^{l+1} = (a^{l+1} - y) / n * sigma'(z^{l+1}).
    std::vector<double> d1(vz1.size());
    for (std::size_t i = 0; i < vz1.size(); ++i) {
        const double a = sigmoid_of(vz1[i]);
        d1[i] = (a - vy[i]) / static_cast<double>(N) * a * (1 - a);
    }
    require_close(grads[1], d1, 1e-15, 1e-12, "delta^{l+1}");

    // Equation (7), with stride and padding and a sum over output channels:
    // delta^l_{x,y} = sigma'(z^l_{x,y}) sum_o sum_{x',y'} delta^{l+1}_{x',y'} w_{x-x's+p, y-y's+p}.
    std::vector<double> d0 = conv_input_delta(d1, vw, g);
    for (std::size_t i = 0; i < d0.size(); ++i) d0[i] *= va0[i] * (1 - va0[i]);
    require_close(grads[0], d0, 1e-15, 1e-10, "delta^l by equation (7)");

    if (s == 1) {
        // Equation (8): the same delta as delta^{l+1}, zero-padded by k-1-p, correlated with the
        // filter rotated by 180 degrees, summed over output channels, times sigma'(z^l).
        const long q = static_cast<long>(k - 1 - p);
        std::vector<double> d8(vz0.size(), 0.0);
        for (std::size_t n = 0; n < N; ++n)
            for (std::size_t c = 0; c < C; ++c)
                for (std::size_t x = 0; x < H; ++x)
                    for (std::size_t yy = 0; yy < W; ++yy) {
                        double acc = 0;
                        for (std::size_t o = 0; o < O; ++o)
                            for (std::size_t a = 0; a < k; ++a)
                                for (std::size_t b = 0; b < k; ++b) {
                                    const double rotated = vw[g.filter(o, c, k - 1 - a, k - 1 - b)];
                                    const long ox = static_cast<long>(x + a) - q;
                                    const long oy = static_cast<long>(yy + b) - q;
                                    if (ox < 0 || oy < 0 || ox >= static_cast<long>(OH) ||
                                        oy >= static_cast<long>(OW))
                                        continue;
                                    acc += rotated * d1[g.out(n, o, static_cast<std::size_t>(ox),
                                                              static_cast<std::size_t>(oy))];
                                }
                        const double sa = va0[g.in(n, c, x, yy)];
                        d8[g.in(n, c, x, yy)] = acc * sa * (1 - sa);
                    }
        require_close(grads[0], d8, 1e-15, 1e-10, "delta^l by equation (8)");
    }

    // dC/dw_{o,c,a,b} = sum_n sum_{x',y'} delta^{l+1}_{n,o,x',y'} a^l_{n,c,x's+a-p,y's+b-p};
    // dC/db_o = sum_n sum_{x',y'} delta^{l+1}_{n,o,x',y'}.
    std::vector<double> dw, db;
    conv_filter_gradients(d1, va0, g, dw, db);
    require_close(grads[2], dw, 1e-15, 1e-10, "dC/dw");
    require_close(grads[3], db, 1e-15, 1e-10, "dC/db");
}

}  // namespace

TEST_CASE("Conv2d deltas match the lecture's equations (7) and (8)", "[nn][conv][closed-form]") {
    const std::vector<std::pair<std::size_t, std::size_t>> channels{{1, 1}, {2, 3}, {3, 2}};
    for (std::size_t k : {1, 3, 5})
        for (std::size_t stride : {1, 2})
            for (bool same : {false, true})
                for (const auto& [cin, cout] : channels) check_case({cin, cout, k, stride, same});
}

TEST_CASE("Conv2d deltas on a non-square kernel-sized image", "[nn][conv][closed-form]") {
    // The kernel exactly covers the image: one output pixel per channel.
    check_case({2, 2, 5, 1, false, 5, 5, 3});
    // Stride larger than the kernel skips pixels, whose deltas must be zero up to sigma'.
    check_case({1, 2, 1, 2, false, 5, 4, 2});
}
