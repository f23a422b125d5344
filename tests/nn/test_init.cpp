// Initialisers: each distribution's range, mean and variance for a seed (within tolerances
// derived from the sample size), determinism, fans, gains, and the layers' defaults.

#include "nn_helpers.hpp"

using namespace tgtest;
using namespace tg;
namespace init = tg::nn::init;

namespace {

struct Stats {
    double mean, var, min, max;
};

Stats stats_of(const Tensor& t) {
    const auto v = t.to_vector();
    Stats s{0, 0, v[0], v[0]};
    for (double x : v) {
        s.mean += x;
        s.min = std::min(s.min, x);
        s.max = std::max(s.max, x);
    }
    s.mean /= static_cast<double>(v.size());
    for (double x : v) s.var += (x - s.mean) * (x - s.mean);
    s.var /= static_cast<double>(v.size() - 1);
    return s;
}

// The sample mean lies within 5 standard errors of the true mean, and the sample variance
// within 5 of its standard errors (sqrt(2/n) sigma^2 for a normal, 0.9/sqrt(n) sigma^2 bounds
// the uniform's).
void check_moments(const Tensor& t, double mean, double var) {
    const Stats s = stats_of(t);
    const double n = static_cast<double>(t.numel());
    INFO("mean " << s.mean << " (want " << mean << "), variance " << s.var << " (want " << var
                 << ")");
    CHECK(std::abs(s.mean - mean) < 5 * std::sqrt(var / n));
    CHECK(std::abs(s.var - var) < 5 * std::sqrt(2.0 / n) * var);
}

}  // namespace

TEST_CASE("fans and gains follow PyTorch", "[nn][init]") {
    REQUIRE(init::fans(zeros({30, 20})).fan_in == 20);
    REQUIRE(init::fans(zeros({30, 20})).fan_out == 30);
    REQUIRE(init::fans(zeros({8, 3, 5, 5})).fan_in == 75);
    REQUIRE(init::fans(zeros({8, 3, 5, 5})).fan_out == 200);
    require_throws<ValueError>([] { init::fans(zeros({5})); }, {"[5]", "fewer than 2"});
    CHECK(init::calculate_gain(init::Nonlinearity::tanh) == Approx(5.0 / 3.0));
    CHECK(init::calculate_gain(init::Nonlinearity::relu) == Approx(std::sqrt(2.0)));
    CHECK(init::calculate_gain(init::Nonlinearity::leaky_relu, 0.2) ==
          Approx(std::sqrt(2.0 / 1.04)));
    CHECK(init::calculate_gain(init::Nonlinearity::sigmoid) == 1.0);
}

TEST_CASE("each initialiser draws from its distribution", "[nn][init]") {
    Generator gen(1234);
    const std::size_t out = 200, in = 300;
    Tensor w = zeros({out, in}, kFloat64).requires_grad_();

    const double a = std::sqrt(6.0 / (in + out));
    init::xavier_uniform_(w, gen);
    CHECK(stats_of(w).max <= a);
    CHECK(stats_of(w).min >= -a);
    check_moments(w, 0, a * a / 3);

    init::xavier_normal_(w, gen, 2.0);
    check_moments(w, 0, 4.0 * 2.0 / (in + out));

    init::kaiming_uniform_(w, gen, 0, init::FanMode::fan_in, init::Nonlinearity::relu);
    const double bound = std::sqrt(3.0) * std::sqrt(2.0) / std::sqrt(double(in));
    CHECK(stats_of(w).max <= bound);
    check_moments(w, 0, 2.0 / in);

    init::kaiming_normal_(w, gen, 0, init::FanMode::fan_out, init::Nonlinearity::relu);
    check_moments(w, 0, 2.0 / out);

    init::lecun_normal_(w, gen);
    check_moments(w, 0, 1.0 / in);
    init::lecun_uniform_(w, gen);
    CHECK(stats_of(w).max <= std::sqrt(3.0 / in));
    check_moments(w, 0, 1.0 / in);

    // Nielsen: weights N(0, 1/n_in), biases N(0, 1).
    Tensor b = zeros({20000}, kFloat64);
    init::nielsen_(w, b, gen);
    check_moments(w, 0, 1.0 / in);
    check_moments(b, 0, 1.0);

    init::constant_(w, 0.25);
    CHECK(stats_of(w).min == 0.25);
    CHECK(stats_of(w).max == 0.25);
    init::normal_(w, 3.0, 0.5, gen);
    check_moments(w, 3.0, 0.25);
    // The tensor keeps its identity and its requires_grad.
    CHECK(w.requires_grad());
    CHECK(w.is_leaf());
}

TEST_CASE("initialisers are deterministic for a seed", "[nn][init]") {
    Tensor a = zeros({50, 40}), b = zeros({50, 40});
    Generator g1(7), g2(7), g3(8);
    init::kaiming_normal_(a, g1);
    init::kaiming_normal_(b, g2);
    require_close_tensors(a, b, 0);
    init::kaiming_normal_(b, g3);
    CHECK(a.to_vector() != b.to_vector());
    // Layers built from the same seed are identical, in float too.
    Generator h1(5), h2(5);
    nn::Conv2d c1(nn::Conv2dOptions(3, 4, 3), h1), c2(nn::Conv2dOptions(3, 4, 3), h2);
    require_close_tensors(c1.weight, c2.weight, 0);
    require_close_tensors(c1.bias, c2.bias, 0);
    // The default generator is reseeded by manual_seed.
    nn::manual_seed(77);
    nn::Linear l1(nn::LinearOptions(6, 5));
    nn::manual_seed(77);
    nn::Linear l2(nn::LinearOptions(6, 5));
    require_close_tensors(l1.weight, l2.weight, 0);
}

TEST_CASE("layers default to PyTorch's initialisation", "[nn][init]") {
    Generator gen(9);
    nn::Linear lin(nn::LinearOptions(400, 300).dtype(kFloat64), gen);
    const double bound = 1 / std::sqrt(400.0);
    CHECK(stats_of(lin.weight).max <= bound);
    CHECK(stats_of(lin.weight).min >= -bound);
    check_moments(lin.weight, 0, bound * bound / 3);
    CHECK(stats_of(lin.bias).max <= bound);
    nn::Conv2d conv(nn::Conv2dOptions(16, 64, 5).dtype(kFloat64), gen);
    const double cb = 1 / std::sqrt(16.0 * 25);
    CHECK(stats_of(conv.weight).max <= cb);
    check_moments(conv.weight, 0, cb * cb / 3);
    nn::BatchNorm2d bn(nn::BatchNormOptions(4));
    require_close(bn.weight, {1, 1, 1, 1}, 0);
    require_close(bn.bias, {0, 0, 0, 0}, 0);
}
