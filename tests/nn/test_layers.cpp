// Layer forward values against plain loops, modes, and errors on bad input.

#include "nn_helpers.hpp"

using namespace tgtest;
using namespace tg;
namespace F = tg::nn::functional;

TEST_CASE("Linear computes x W^T + b", "[nn][layers]") {
    Generator gen(1);
    nn::Linear lin(nn::LinearOptions(3, 2).dtype(kFloat64), gen);
    REQUIRE(lin.weight.shape() == Shape{2, 3});
    REQUIRE(lin.bias.shape() == Shape{2});
    const Tensor x = sample({4, 3}, Domain::any, gen);
    const auto vx = x.to_vector(), w = lin.weight.to_vector(), b = lin.bias.to_vector();
    std::vector<double> expect;
    for (std::size_t n = 0; n < 4; ++n)
        for (std::size_t o = 0; o < 2; ++o) {
            double acc = b[o];
            for (std::size_t i = 0; i < 3; ++i) acc += vx[n * 3 + i] * w[o * 3 + i];
            expect.push_back(acc);
        }
    require_close(lin(x), expect, 1e-15, 1e-14);
    nn::Linear no_bias(nn::LinearOptions(3, 2).bias(false).dtype(kFloat64), gen);
    REQUIRE_FALSE(no_bias.bias.defined());
    REQUIRE(no_bias.parameters().size() == 1);
    require_throws<ShapeError>(
        [&] {
            lin(sample({4, 5}, Domain::any, gen));
        },
        {"linear", "[4, 5]", "[2, 3]"});
    require_throws<DTypeError>([&] { lin(to_dtype(x, kFloat32)); }, {"linear", "float32"});
}

TEST_CASE("Conv2d with a rectangular kernel, stride 3 and uneven padding", "[nn][layers]") {
    Generator gen(2);
    const std::size_t N = 2, C = 2, O = 3, H = 8, W = 7, kh = 3, kw = 2, sh = 3, sw = 2, ph = 1,
                      pw = 2;
    nn::Conv2d conv(
        nn::Conv2dOptions(C, O, {kh, kw}).stride({sh, sw}).padding({ph, pw}).dtype(kFloat64), gen);
    const Tensor x = sample({N, C, H, W}, Domain::any, gen);
    const Tensor y = conv(x);
    const std::size_t OH = (H + 2 * ph - kh) / sh + 1, OW = (W + 2 * pw - kw) / sw + 1;
    REQUIRE(y.shape() == Shape{N, O, OH, OW});
    const auto vx = x.to_vector(), w = conv.weight.to_vector(), b = conv.bias.to_vector();
    std::vector<double> expect;
    for (std::size_t n = 0; n < N; ++n)
        for (std::size_t o = 0; o < O; ++o)
            for (std::size_t oh = 0; oh < OH; ++oh)
                for (std::size_t ow = 0; ow < OW; ++ow) {
                    double acc = b[o];
                    for (std::size_t c = 0; c < C; ++c)
                        for (std::size_t i = 0; i < kh; ++i)
                            for (std::size_t j = 0; j < kw; ++j) {
                                const long yy =
                                    static_cast<long>(oh * sh + i) - static_cast<long>(ph);
                                const long xx =
                                    static_cast<long>(ow * sw + j) - static_cast<long>(pw);
                                if (yy < 0 || xx < 0 || yy >= static_cast<long>(H) ||
                                    xx >= static_cast<long>(W))
                                    continue;
                                acc += w[((o * C + c) * kh + i) * kw + j] *
                                       vx[((n * C + c) * H + static_cast<std::size_t>(yy)) * W +
                                          static_cast<std::size_t>(xx)];
                            }
                    expect.push_back(acc);
                }
    require_close(y, expect, 1e-14, 1e-13);
}

TEST_CASE("Conv2d rejects bad input with clear errors", "[nn][layers][errors]") {
    Generator gen(3);
    nn::Conv2d conv(nn::Conv2dOptions(1, 2, 5).dtype(kFloat64), gen);
    // Kernel larger than the padded input.
    require_throws<ShapeError>(
        [&] {
            conv(sample({1, 1, 3, 8}, Domain::any, gen));
        },
        {"Conv2d(1, 2, kernel_size=5x5", "kernel 5x5 is larger than the padded input 3x8",
         "[1, 1, 3, 8]"});
    nn::Conv2d padded(nn::Conv2dOptions(1, 2, 5).padding(1).dtype(kFloat64), gen);
    require_throws<ShapeError>(
        [&] {
            padded(sample({1, 1, 2, 2}, Domain::any, gen));
        },
        {"padded input 4x4", "padding 1x1"});
    // A 3x3 input with padding 1 fits a 5x5 kernel exactly.
    REQUIRE(padded(sample({1, 1, 3, 3}, Domain::any, gen)).shape() == Shape{1, 2, 1, 1});
    require_throws<ShapeError>(
        [&] {
            conv(sample({1, 3, 8, 8}, Domain::any, gen));
        },
        {"[1, 3, 8, 8]", "expected [N, 1, H, W]"});
    require_throws<ShapeError>([&] { conv(sample({8, 8}, Domain::any, gen)); }, {"[8, 8]"});
    require_throws<ValueError>([&] { nn::Conv2d(nn::Conv2dOptions(1, 2, 4).padding(nn::kSame)); },
                               {"'same' padding needs an odd kernel", "4x4"});
    require_throws<ValueError>([&] { nn::Conv2d(nn::Conv2dOptions(1, 2, 3).stride(0)); },
                               {"Conv2d", "positive"});
    require_throws<DTypeError>(
        [&] {
            conv(sample({1, 1, 8, 8}, Domain::any, gen, kFloat32));
        },
        {"conv2d", "float32", "float64"});
}

TEST_CASE("'same' padding keeps the size at stride 1 and gives ceil(size / stride) beyond",
          "[nn][layers]") {
    Generator gen(4);
    for (std::size_t k : {1, 3, 5, 7}) {
        for (std::size_t s : {1, 2, 3}) {
            nn::Conv2d conv(nn::Conv2dOptions(1, 1, k).stride(s).padding(nn::kSame).dtype(kFloat64),
                            gen);
            const Tensor y = conv(sample({1, 1, 9, 8}, Domain::any, gen));
            REQUIRE(y.shape() == Shape{1, 1, (9 + s - 1) / s, (8 + s - 1) / s});
        }
    }
}

namespace {
// Pooling by plain loops; padded taps are skipped by max and count as zeros for the average.
std::vector<double> pool_loops(const Tensor& x, std::size_t k, std::size_t s, std::size_t p,
                               bool take_max) {
    const auto v = x.to_vector();
    const std::size_t N = x.shape()[0], C = x.shape()[1], H = x.shape()[2], W = x.shape()[3];
    const std::size_t OH = (H + 2 * p - k) / s + 1, OW = (W + 2 * p - k) / s + 1;
    std::vector<double> out;
    for (std::size_t n = 0; n < N; ++n)
        for (std::size_t c = 0; c < C; ++c)
            for (std::size_t oh = 0; oh < OH; ++oh)
                for (std::size_t ow = 0; ow < OW; ++ow) {
                    double best = -1e300, total = 0;
                    for (std::size_t i = 0; i < k; ++i)
                        for (std::size_t j = 0; j < k; ++j) {
                            const long y = static_cast<long>(oh * s + i) - static_cast<long>(p);
                            const long xx = static_cast<long>(ow * s + j) - static_cast<long>(p);
                            if (y < 0 || xx < 0 || y >= static_cast<long>(H) ||
                                xx >= static_cast<long>(W))
                                continue;
                            const double e = v[((n * C + c) * H + static_cast<std::size_t>(y)) * W +
                                               static_cast<std::size_t>(xx)];
                            best = std::max(best, e);
                            total += e;
                        }
                    out.push_back(take_max ? best : total / static_cast<double>(k * k));
                }
    return out;
}
}  // namespace

TEST_CASE("MaxPool2d and AvgPool2d against plain loops", "[nn][layers]") {
    Generator gen(5);
    // All-negative input: padded zeros must never win the max.
    Tensor x = affine(sample({2, 3, 7, 6}, Domain::positive, gen), -1, 0);
    struct Config {
        std::size_t k, s, p;
    };
    for (const Config c : {Config{2, 2, 0}, Config{3, 1, 1}, Config{3, 2, 1}, Config{2, 1, 1}}) {
        INFO("kernel " << c.k << " stride " << c.s << " padding " << c.p);
        nn::MaxPool2d maxpool(nn::MaxPool2dOptions(c.k).stride(nn::Size2(c.s)).padding(c.p));
        nn::AvgPool2d avgpool(nn::AvgPool2dOptions(c.k).stride(nn::Size2(c.s)).padding(c.p));
        require_close(maxpool(x), pool_loops(x, c.k, c.s, c.p, true), 0, 0, "max");
        require_close(avgpool(x), pool_loops(x, c.k, c.s, c.p, false), 1e-15, 1e-14, "avg");
    }
    // The stride defaults to the kernel size.
    REQUIRE(nn::MaxPool2d(nn::MaxPool2dOptions(2))(x).shape() == Shape{2, 3, 3, 3});
}

TEST_CASE("MaxPool2d sends the gradient to the first maximum of each window", "[nn][layers]") {
    // One 1x1x2x4 image with a tie in the second window.
    const Tensor x = from_vector({1, 5, 7, 7, 2, 3, 0, 7}, {1, 1, 2, 4}, kFloat64).requires_grad_();
    nn::MaxPool2d pool(nn::MaxPool2dOptions(2));
    const Tensor y = pool(x);
    require_close(y, {5, 7}, 0);
    sum(y).backward();
    require_close(x.grad(), {0, 1, 1, 0, 0, 0, 0, 0}, 0);
}

TEST_CASE("pooling errors", "[nn][layers][errors]") {
    Generator gen(6);
    const Tensor x = sample({1, 1, 3, 3}, Domain::any, gen);
    require_throws<ShapeError>([&] { F::max_pool2d(x, 4); },
                               {"max_pool2d", "kernel 4x4 is larger than the padded input 3x3"});
    require_throws<ValueError>([&] { F::avg_pool2d(x, 2, std::nullopt, 2); },
                               {"avg_pool2d", "more than half the kernel"});
    require_throws<ShapeError>(
        [&] {
            F::max_pool2d(sample({3, 3}, Domain::any, gen), 2);
        },
        {"[N, C, H, W]", "[3, 3]"});
}

TEST_CASE("BatchNorm uses its running statistics in eval mode", "[nn][batchnorm]") {
    Generator gen(7);
    nn::BatchNorm2d bn(nn::BatchNormOptions(2).momentum(0.2).dtype(kFloat64));
    nn::init::uniform_(bn.weight, 0.5, 1.5, gen);
    nn::init::uniform_(bn.bias, -1, 1, gen);
    // Three training batches move the running statistics; follow them with loops.
    std::vector<double> rm{0, 0}, rv{1, 1};
    for (int step = 0; step < 3; ++step) {
        const Tensor x = affine(sample({4, 2, 3, 3}, Domain::any, gen), 2.0, 1.0 + step);
        bn(x);
        const auto v = x.to_vector();
        for (std::size_t c = 0; c < 2; ++c) {
            double mu = 0, ss = 0;
            const double m = 4 * 9;
            for (std::size_t n = 0; n < 4; ++n)
                for (std::size_t s = 0; s < 9; ++s) mu += v[(n * 2 + c) * 9 + s];
            mu /= m;
            for (std::size_t n = 0; n < 4; ++n)
                for (std::size_t s = 0; s < 9; ++s) {
                    const double d = v[(n * 2 + c) * 9 + s] - mu;
                    ss += d * d;
                }
            rm[c] = 0.8 * rm[c] + 0.2 * mu;
            rv[c] = 0.8 * rv[c] + 0.2 * ss / (m - 1);
        }
    }
    require_close(bn.running_mean, rm, 1e-14, 1e-12);
    require_close(bn.running_var, rv, 1e-14, 1e-12);

    bn.eval();
    const Tensor x = sample({3, 2, 2, 2}, Domain::any, gen);
    const auto v = x.to_vector(), g = bn.weight.to_vector(), b = bn.bias.to_vector();
    std::vector<double> expect(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) {
        const std::size_t c = (i / 4) % 2;
        expect[i] = g[c] * (v[i] - rm[c]) / std::sqrt(rv[c] + 1e-5) + b[c];
    }
    require_close(bn(x), expect, 1e-14, 1e-13);
    // Eval mode leaves the running statistics alone and works on a single example.
    require_close(bn.running_mean, rm, 1e-14, 1e-12);
    REQUIRE(bn(sample({1, 2, 1, 1}, Domain::any, gen)).shape() == Shape{1, 2, 1, 1});
    // Gradients flow to gamma and beta in eval mode too.
    const Tensor xe = sample({3, 2, 2, 2}, Domain::any, gen).requires_grad_();
    const auto ge = grad({sum(bn(xe))}, {xe, bn.weight, bn.bias});
    std::vector<double> dx(v.size()), dgamma(2, 0), dbeta(2, 0);
    const auto ve = xe.to_vector();
    for (std::size_t i = 0; i < v.size(); ++i) {
        const std::size_t c = (i / 4) % 2;
        dx[i] = g[c] / std::sqrt(rv[c] + 1e-5);
        dgamma[c] += (ve[i] - rm[c]) / std::sqrt(rv[c] + 1e-5);
        dbeta[c] += 1;
    }
    require_close(ge[0], dx, 1e-14, 1e-13);
    require_close(ge[1], dgamma, 1e-13, 1e-13);
    require_close(ge[2], dbeta, 0);
}

TEST_CASE("BatchNorm options and errors", "[nn][batchnorm][errors]") {
    Generator gen(8);
    nn::BatchNorm1d plain(
        nn::BatchNormOptions(3).affine(false).track_running_stats(false).dtype(kFloat64));
    REQUIRE(plain.parameters().empty());
    REQUIRE(plain.buffers().empty());
    // Without running statistics, eval mode normalises with the batch's own.
    plain.eval();
    const Tensor x = sample({5, 3}, Domain::any, gen);
    const Tensor y = plain(x);
    const auto vy = y.to_vector();
    for (std::size_t c = 0; c < 3; ++c) {
        double mu = 0, var = 0;
        for (std::size_t n = 0; n < 5; ++n) mu += vy[n * 3 + c] / 5;
        for (std::size_t n = 0; n < 5; ++n) var += (vy[n * 3 + c] - mu) * (vy[n * 3 + c] - mu) / 5;
        CHECK(std::abs(mu) < 1e-14);
        CHECK(std::abs(var - 1) < 1e-4);  // var / (var + eps) with eps = 1e-5
    }
    nn::BatchNorm2d bn(nn::BatchNormOptions(3).dtype(kFloat64));
    require_throws<ShapeError>(
        [&] {
            bn(sample({2, 4, 3, 3}, Domain::any, gen));
        },
        {"BatchNorm2d(3", "[N, 3, H, W]", "[2, 4, 3, 3]"});
    require_throws<ShapeError>([&] { bn(sample({2, 3}, Domain::any, gen)); }, {"[2, 3]"});
    require_throws<ValueError>(
        [&] {
            bn(sample({1, 3, 1, 1}, Domain::any, gen));
        },
        {"1 value per channel", "at least 2"});
    require_throws<ValueError>([&] { nn::BatchNorm1d(nn::BatchNormOptions(3).momentum(1.5)); },
                               {"momentum"});
}

TEST_CASE("Dropout zeroes with probability p, scales by 1/(1-p), and is off in eval",
          "[nn][layers]") {
    nn::Dropout drop(nn::DropoutOptions(0.25).seed(9));
    const Tensor x = ones({100, 100}, kFloat64).requires_grad_();
    const Tensor y = drop(x);
    const auto v = y.to_vector();
    std::size_t zeros = 0;
    for (double e : v) {
        REQUIRE((e == 0.0 || std::abs(e - 1 / 0.75) < 1e-15));
        zeros += e == 0.0;
    }
    // 10000 Bernoulli(0.25) draws: mean 2500, standard deviation 43.3; allow 5 sigma.
    CHECK(std::abs(static_cast<double>(zeros) - 2500.0) < 5 * 43.3);
    // The gradient is the same mask.
    sum(y).backward();
    require_close(x.grad(), v, 0);
    // The same seed gives the same mask; the next call a different one.
    nn::Dropout again(nn::DropoutOptions(0.25).seed(9));
    require_close(again(x), v, 0);
    CHECK(again(x).to_vector() != v);
    drop.eval();
    REQUIRE(drop(x).same(x));
    require_throws<ValueError>([] { nn::Dropout(nn::DropoutOptions(1.5)); }, {"Dropout", "1.5"});
}

TEST_CASE("activation modules and Flatten", "[nn][layers]") {
    const Tensor x = from_vector({-2, -0.5, 0.5, 3}, {2, 2}, kFloat64);
    std::vector<double> sig, th, re, lr, sp;
    for (double v : {-2.0, -0.5, 0.5, 3.0}) {
        sig.push_back(1 / (1 + std::exp(-v)));
        th.push_back(std::tanh(v));
        re.push_back(v > 0 ? v : 0);
        lr.push_back(v > 0 ? v : 0.2 * v);
        sp.push_back(std::log1p(std::exp(v)));
    }
    require_close(nn::Sigmoid()(x), sig, 1e-15, 1e-15);
    require_close(nn::Tanh()(x), th, 1e-15, 1e-15);
    require_close(nn::ReLU()(x), re, 0);
    require_close(nn::LeakyReLU(0.2)(x), lr, 1e-16);
    require_close(nn::Softplus()(x), sp, 1e-15, 1e-15);
    // The activations of ops/activations.hpp, against their formulas with the C library.
    std::vector<double> gelu_v, gelu_t, silu_v, mish_v, elu_v, selu_v, logsig, hard, soft;
    for (double v : {-2.0, -0.5, 0.5, 3.0}) {
        gelu_v.push_back(0.5 * v * (1 + std::erf(v / std::sqrt(2.0))));
        gelu_t.push_back(0.5 * v *
                         (1 + std::tanh(0.7978845608028654 * (v + 0.044715 * v * v * v))));
        silu_v.push_back(v / (1 + std::exp(-v)));
        mish_v.push_back(v * std::tanh(std::log1p(std::exp(v))));
        elu_v.push_back(v > 0 ? v : 0.5 * std::expm1(v));
        selu_v.push_back(1.0507009873554805 * (v > 0 ? v : 1.6732632423543772 * std::expm1(v)));
        logsig.push_back(-std::log1p(std::exp(-v)));
        hard.push_back(std::min(1.0, std::max(-0.6, v)));
        soft.push_back(v / (1 + std::abs(v)));
    }
    require_close(nn::GELU()(x), gelu_v, 1e-15, 1e-15);
    require_close(nn::GELU(GeluApproximation::tanh)(x), gelu_t, 1e-15, 1e-15);
    require_close(nn::SiLU()(x), silu_v, 1e-15, 1e-15);
    require_close(nn::Mish()(x), mish_v, 1e-15, 1e-15);
    require_close(nn::ELU(0.5)(x), elu_v, 1e-16, 1e-15);
    require_close(nn::SELU()(x), selu_v, 1e-15, 1e-15);
    require_close(nn::LogSigmoid()(x), logsig, 1e-15, 1e-15);
    require_close(nn::Hardtanh(-0.6, 1)(x), hard, 0);
    require_close(nn::Softsign()(x), soft, 1e-16, 1e-15);
    CHECK(nn::GELU(GeluApproximation::tanh).repr() == "GELU(approximate='tanh')");
    CHECK(nn::ELU(0.5).repr() == "ELU(alpha=0.5)");
    CHECK(nn::Hardtanh(-0.6, 1).repr() == "Hardtanh(min_val=-0.6, max_val=1)");
    require_throws<ValueError>([] { nn::Hardtanh(2, 1); }, {"Hardtanh", "min_val 2", "max_val 1"});
    Generator gen(10);
    const Tensor img = sample({2, 3, 4, 5}, Domain::any, gen);
    const Tensor flat = nn::Flatten()(img);
    REQUIRE(flat.shape() == Shape{2, 60});
    require_close(flat, img.to_vector(), 0);
    REQUIRE(nn::Flatten(2)(img).shape() == Shape{2, 3, 20});
}
