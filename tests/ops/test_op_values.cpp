// Forward values against results computed independently with plain loops.

#include "../helpers.hpp"

using namespace tgtest;
using namespace tg;

namespace {
std::vector<double> values(const Tensor& t) {
    return t.to_vector();
}
}  // namespace

TEST_CASE("broadcasting arithmetic follows NumPy rules", "[ops][values]") {
    Generator gen(1);
    const Tensor a = sample({3, 1}, Domain::any, gen);
    const Tensor b = sample({1, 4}, Domain::any, gen);
    const Tensor c = a * b - a / (b * b + 1.0);
    REQUIRE(c.shape() == Shape{3, 4});
    const auto va = values(a), vb = values(b);
    std::vector<double> expect;
    for (std::size_t i = 0; i < 3; ++i)
        for (std::size_t j = 0; j < 4; ++j)
            expect.push_back(va[i] * vb[j] - va[i] / (vb[j] * vb[j] + 1));
    require_close(c, expect, 1e-14);
}

TEST_CASE("matmul matches a triple loop, with and without transposes and batches",
          "[ops][values]") {
    Generator gen(2);
    for (bool ta : {false, true}) {
        for (bool tb : {false, true}) {
            const std::size_t B = 2, M = 3, K = 4, N = 5;
            const Tensor a = sample(ta ? Shape{B, K, M} : Shape{B, M, K}, Domain::any, gen);
            const Tensor b = sample(tb ? Shape{N, K} : Shape{K, N}, Domain::any, gen);
            const Tensor c = matmul(a, b, ta, tb);
            REQUIRE(c.shape() == Shape{B, M, N});
            const auto va = values(a), vb = values(b);
            std::vector<double> expect;
            for (std::size_t s = 0; s < B; ++s)
                for (std::size_t i = 0; i < M; ++i)
                    for (std::size_t j = 0; j < N; ++j) {
                        double acc = 0;
                        for (std::size_t k = 0; k < K; ++k) {
                            const double x =
                                ta ? va[s * K * M + k * M + i] : va[s * M * K + i * K + k];
                            const double y = tb ? vb[j * K + k] : vb[k * N + j];
                            acc += x * y;
                        }
                        expect.push_back(acc);
                    }
            require_close(c, expect, 1e-12);
        }
    }
}

TEST_CASE("sum, mean and max over axes", "[ops][values]") {
    const Tensor x = from_vector({1, 5, 2, 7, 3, 3, -1, 0, 4, 2, 9, 8}, {2, 3, 2}, kFloat64);
    require_close(sum(x), {43}, 0);
    require_close(sum(x, {1}), {6, 15, 12, 10}, 0);
    REQUIRE(sum(x, {0, 2}, true).shape() == Shape{1, 3, 1});
    require_close(sum(x, {0, 2}, true), {5, 15, 23}, 0);
    require_close(mean(x, {2}), {3, 4.5, 3, -0.5, 3, 8.5}, 1e-15);
    require_close(max(x, 1), {3, 7, 9, 8}, 0);
    require_close(argmax(x, 1), {2, 1, 2, 2}, 0);
    require_close(min(x, 2, true), {1, 2, 3, -1, 2, 8}, 0);
}

TEST_CASE("softmax stays finite for logits of 1e4", "[ops][values]") {
    const Tensor z = from_vector({1e4, 0, -1e4, 1e4 + 1}, {1, 4}, kFloat64);
    const Tensor p = softmax(z, 1);
    const Tensor lp = log_softmax(z, 1);
    const double e = std::exp(-1.0);
    // log-softmax subtracts numbers near 1e4, whose spacing is 1.8e-12: that bounds the error.
    require_close(p, {e / (1 + e), 0, 0, 1 / (1 + e)}, 1e-11);
    REQUIRE(std::abs(lp.to_vector()[3] + std::log1p(e)) < 1e-12);
    for (double v : lp.to_vector()) REQUIRE(std::isfinite(v));
    const Tensor zf = to_dtype(z, kFloat32);
    for (double v : log_softmax(zf, 1).to_vector()) REQUIRE(std::isfinite(v));
    require_close(logsumexp(z, 1), {1e4 + 1 + std::log1p(e)}, 1e-9);
}

TEST_CASE("unfold places every window as a column", "[ops][values]") {
    Generator gen(3);
    const std::size_t N = 2, C = 2, H = 5, W = 4;
    const Window w{3, 2, 2, 1, 1, 0};
    const Tensor x = sample({N, C, H, W}, Domain::any, gen);
    const Tensor cols = unfold(x, w);
    const std::size_t OH = (H + 2 * w.ph - w.kh) / w.sh + 1, OW = (W + 2 * w.pw - w.kw) / w.sw + 1;
    REQUIRE(cols.shape() == Shape{N, C * w.kh * w.kw, OH * OW});
    const auto vx = values(x);
    std::vector<double> expect;
    for (std::size_t n = 0; n < N; ++n)
        for (std::size_t c = 0; c < C; ++c)
            for (std::size_t i = 0; i < w.kh; ++i)
                for (std::size_t j = 0; j < w.kw; ++j)
                    for (std::size_t oh = 0; oh < OH; ++oh)
                        for (std::size_t ow = 0; ow < OW; ++ow) {
                            const long y =
                                static_cast<long>(oh * w.sh + i) - static_cast<long>(w.ph);
                            const long xx =
                                static_cast<long>(ow * w.sw + j) - static_cast<long>(w.pw);
                            const bool in = y >= 0 && y < static_cast<long>(H) && xx >= 0 &&
                                            xx < static_cast<long>(W);
                            expect.push_back(
                                in ? vx[((n * C + c) * H + static_cast<std::size_t>(y)) * W +
                                        static_cast<std::size_t>(xx)]
                                   : 0.0);
                        }
    require_close(cols, expect, 0);
    // fold is unfold's adjoint: <unfold(x), u> == <x, fold(u)> for any u.
    const Tensor u = sample(cols.shape(), Domain::any, gen);
    const double lhs = sum(cols * u).item();
    const double rhs = sum(x * fold(u, H, W, w)).item();
    REQUIRE(std::abs(lhs - rhs) < 1e-12);
}

TEST_CASE("slicing, padding, concat, stack and index_select", "[ops][values]") {
    const Tensor x = from_vector({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, {3, 4}, kFloat64);
    require_close(slice(x, 1, 1, 4, 2), {1, 3, 5, 7, 9, 11}, 0);
    require_close(slice(x, 0, -1, 10), {8, 9, 10, 11}, 0);
    const Tensor p = pad(slice(x, 0, 0, 1), {{1, 0}, {0, 1}});
    REQUIRE(p.shape() == Shape{2, 5});
    require_close(p, {0, 0, 0, 0, 0, 0, 1, 2, 3, 0}, 0);
    require_close(concat({slice(x, 1, 0, 1), slice(x, 1, 3, 4)}, 1), {0, 3, 4, 7, 8, 11}, 0);
    const Tensor s = stack({slice(x, 0, 0, 1), slice(x, 0, 2, 3)}, 0);
    REQUIRE(s.shape() == Shape{2, 1, 4});
    require_close(s, {0, 1, 2, 3, 8, 9, 10, 11}, 0);
    require_close(index_select(x, 1, {3, 3, 0}), {3, 3, 0, 7, 7, 4, 11, 11, 8}, 0);
    require_close(index_add(from_vector({1, 2, 3}, {3}, kFloat64), 0, {2, 0, 2}, 4), {2, 0, 4, 0},
                  0);
    require_close(permute(reshape(x, {2, 2, 3}), {2, 0, 1}), {0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11},
                  0);
}

TEST_CASE("activations and their stable forms", "[ops][values]") {
    const Tensor z = from_vector({-800, -1, 0, 2, 800}, {5}, kFloat64);
    require_close(sigmoid(z), {0, 1 / (1 + std::exp(1.0)), 0.5, 1 / (1 + std::exp(-2.0)), 1},
                  1e-15);
    require_close(
        softplus(z),
        {0, std::log1p(std::exp(-1.0)), std::log(2.0), 2 + std::log1p(std::exp(-2.0)), 800}, 1e-12);
    require_close(relu(z), {0, 0, 0, 2, 800}, 0);
    require_close(leaky_relu(z, 0.1), {-80, -0.1, 0, 2, 800}, 1e-12);
    require_close(maximum(z, zeros_like(z)), {0, 0, 0, 2, 800}, 0);
    require_close(where(gt(z, 0.0), z, -z), {800, 1, 0, 2, 800}, 0);
}
