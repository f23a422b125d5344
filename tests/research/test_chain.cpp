// The lecture's chain of one sigmoid neuron per layer (Nielsen, chapter 5): the autodiff
// gradient dC/db_1 against equation (19),
//   dC/db_1 = s'(z_1) w_2 s'(z_2) w_3 s'(z_3) w_4 s'(z_4) dC/da_4,
// evaluated with plain doubles, and the exploding construction (w_j = 100, b_j = -100 a_{j-1},
// so s'(z_j) = 1/4 and every factor w_j s'(z_j) is 25).

#include <cmath>

#include "../helpers.hpp"

using namespace tgtest;
using namespace tg;

namespace {

double sigma(double z) {
    return 1.0 / (1.0 + std::exp(-z));
}

// A chain of `depth` Linear(1, 1) + Sigmoid layers in double.
std::shared_ptr<nn::Sequential> chain(std::size_t depth, Generator& gen) {
    auto net = std::make_shared<nn::Sequential>();
    for (std::size_t j = 0; j < depth; ++j) {
        net->push_back(std::make_shared<nn::Linear>(nn::LinearOptions(1, 1).dtype(kFloat64), gen));
        net->push_back(std::make_shared<nn::Sigmoid>());
    }
    return net;
}

std::shared_ptr<nn::Linear> layer(const nn::Sequential& net, std::size_t j) {
    return net.at<nn::Linear>(2 * j);
}

void set(Tensor t, double v) {
    NoGradGuard no_grad;
    t.mutable_array<double>().data()[0] = v;
}

// The cross-entropy cost of one output a against target y, and its derivative in a.
double cost_derivative(double a, double y) {
    return (a - y) / (a * (1 - a));
}

}  // namespace

TEST_CASE("equation (19): dC/db_1 of a 4-neuron chain is the product of its factors",
          "[research][chain]") {
    for (std::uint64_t seed : {1, 2, 3, 4, 5}) {
        Generator gen(seed);
        auto net = chain(4, gen);
        std::vector<double> w(4), b(4);
        for (std::size_t j = 0; j < 4; ++j) {
            // Nielsen's initialisation for one input: w ~ N(0, 1), b ~ N(0, 1).
            nn::init::nielsen_(layer(*net, j)->weight, layer(*net, j)->bias, gen);
            w[j] = layer(*net, j)->weight.item();
            b[j] = layer(*net, j)->bias.item();
        }
        const double a0 = gen.uniform(0.1, 0.9), y = seed % 2 == 0 ? 1.0 : 0.0;

        // Forward and equation (19) with plain doubles.
        std::vector<double> z(4), a(5);
        a[0] = a0;
        for (std::size_t j = 0; j < 4; ++j) {
            z[j] = w[j] * a[j] + b[j];
            a[j + 1] = sigma(z[j]);
        }
        auto sp = [&](std::size_t j) { return a[j + 1] * (1 - a[j + 1]); };  // s'(z_j)
        const double dC_da4 = cost_derivative(a[4], y);
        const double eq19 = sp(0) * w[1] * sp(1) * w[2] * sp(2) * w[3] * sp(3) * dC_da4;

        const Tensor x = from_vector({a0}, {1, 1}, kFloat64);
        const Tensor target = from_vector({y}, {1, 1}, kFloat64);
        binary_cross_entropy((*net)(x), target).backward();
        const double autodiff = layer(*net, 0)->bias.grad().item();
        INFO("seed " << seed << ": eq. (19) " << eq19 << ", autodiff " << autodiff);
        REQUIRE(autodiff == Approx(eq19).epsilon(1e-12).margin(1e-300));

        // The same reasoning for every layer: dC/db_j = s'(z_j) prod_{k>j} w_k s'(z_k) dC/da_4,
        // and dC/dw_j = a_{j-1} dC/db_j.
        for (std::size_t j = 0; j < 4; ++j) {
            double d = sp(j) * dC_da4;
            for (std::size_t k = j + 1; k < 4; ++k) d *= w[k] * sp(k);
            CHECK(layer(*net, j)->bias.grad().item() == Approx(d).epsilon(1e-12));
            CHECK(layer(*net, j)->weight.grad().item() == Approx(a[j] * d).epsilon(1e-12));
        }
    }
}

TEST_CASE("the exploding construction: every layer back multiplies dC/db by 25",
          "[research][chain]") {
    const std::size_t depth = 6;
    Generator gen(1);
    auto net = chain(depth, gen);
    const double a0 = 0.3, y = 1.0;
    // w_j = 100 and b_j = -100 a_{j-1}: z_j = 0, a_j = 1/2 (a_0 for the first layer).
    double a_prev = a0;
    for (std::size_t j = 0; j < depth; ++j) {
        set(layer(*net, j)->weight, 100.0);
        set(layer(*net, j)->bias, -100.0 * a_prev);
        a_prev = 0.5;
    }
    const Tensor out = (*net)(from_vector({a0}, {1, 1}, kFloat64));
    REQUIRE(out.item() == 0.5);
    binary_cross_entropy(out, from_vector({y}, {1, 1}, kFloat64)).backward();
    // dC/db_j = (1/4) 25^(depth-j) dC/da_L with dC/da_L = (1/2 - 1) / (1/4) = -2, j = 1..depth.
    const double dC_da = cost_derivative(0.5, y);
    REQUIRE(dC_da == -2.0);
    for (std::size_t j = 0; j < depth; ++j) {
        const double expected = 0.25 * std::pow(25.0, static_cast<double>(depth - 1 - j)) * dC_da;
        CHECK(layer(*net, j)->bias.grad().item() == Approx(expected).epsilon(1e-12));
    }
    // And the per-layer norms from the statistics helpers grow by exactly 25 per layer back.
    const auto stats = research::grad_stats(*net);
    for (std::size_t j = 0; j + 1 < depth; ++j) {
        const double inner = stats.parameter(std::to_string(2 * j) + ".bias").grad_norm;
        const double outer = stats.parameter(std::to_string(2 * j + 2) + ".bias").grad_norm;
        CHECK(inner / outer == Approx(25.0).epsilon(1e-12));
    }
}
