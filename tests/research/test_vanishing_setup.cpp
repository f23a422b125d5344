// The vanishing_gradients example measures what it says: its cost is Nielsen's cross-entropy
// of sigmoid outputs, and its ||grad_b^l C|| are those of Nielsen's backpropagation
// (delta^L = a^L - y, delta^l = (W^{l+1}^T delta^{l+1}) * s'(z^l), averaged over the images),
// written here with plain loops.

#include <cmath>

#include "../../examples/vanishing_gradients/networks.hpp"
#include "../helpers.hpp"

using namespace tgtest;
using namespace tg;

namespace {

double sigma(double z) {
    return 1.0 / (1.0 + std::exp(-z));
}

// Nielsen's cost -1/n sum [y ln a + (1-y) ln(1-a)] with a = s(z), from the log form.
double cost_by_loops(const std::vector<double>& z, const std::vector<double>& y, std::size_t n) {
    double c = 0;
    for (std::size_t i = 0; i < z.size(); ++i) {
        const double a = sigma(z[i]);
        c -= y[i] * std::log(a) + (1 - y[i]) * std::log(1 - a);
    }
    return c / static_cast<double>(n);
}

struct Layer {
    std::vector<double> W, b;  // W [out, in]
    std::size_t in, out;
};

// Mean over the rows of x of dC/db^l for every hidden layer l (Nielsen's backprop).
std::vector<std::vector<double>> bias_grads_by_loops(const std::vector<Layer>& layers,
                                                     const std::vector<double>& x,
                                                     const std::vector<double>& y, std::size_t n,
                                                     bool relu) {
    const std::size_t L = layers.size();
    std::vector<std::vector<double>> mean_delta(L);
    for (std::size_t l = 0; l < L; ++l) mean_delta[l].assign(layers[l].out, 0.0);
    for (std::size_t r = 0; r < n; ++r) {
        std::vector<std::vector<double>> z(L), a(L + 1);
        a[0].assign(x.begin() + static_cast<std::ptrdiff_t>(r * layers[0].in),
                    x.begin() + static_cast<std::ptrdiff_t>((r + 1) * layers[0].in));
        for (std::size_t l = 0; l < L; ++l) {
            const Layer& ly = layers[l];
            z[l].assign(ly.out, 0.0);
            a[l + 1].assign(ly.out, 0.0);
            for (std::size_t i = 0; i < ly.out; ++i) {
                double s = ly.b[i];
                for (std::size_t k = 0; k < ly.in; ++k) s += ly.W[i * ly.in + k] * a[l][k];
                z[l][i] = s;
                const bool hidden = l + 1 < L;
                a[l + 1][i] = hidden && relu ? std::max(0.0, s) : sigma(s);
            }
        }
        std::vector<double> delta(layers[L - 1].out);
        for (std::size_t i = 0; i < delta.size(); ++i) delta[i] = a[L][i] - y[r * delta.size() + i];
        for (std::size_t l = L; l-- > 0;) {
            for (std::size_t i = 0; i < delta.size(); ++i)
                mean_delta[l][i] += delta[i] / static_cast<double>(n);
            if (l == 0) break;
            const Layer& ly = layers[l];
            std::vector<double> prev(ly.in, 0.0);
            for (std::size_t k = 0; k < ly.in; ++k) {
                double s = 0;
                for (std::size_t i = 0; i < ly.out; ++i) s += ly.W[i * ly.in + k] * delta[i];
                const double zk = z[l - 1][k];
                const double deriv = relu ? (zk > 0 ? 1.0 : 0.0) : sigma(zk) * (1 - sigma(zk));
                prev[k] = s * deriv;
            }
            delta = prev;
        }
    }
    mean_delta.pop_back();  // the output layer is not hidden
    return mean_delta;
}

double norm(const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x * x;
    return std::sqrt(s);
}

}  // namespace

TEST_CASE("the example's cost is Nielsen's cross-entropy of sigmoid outputs",
          "[research][vanishing]") {
    Generator gen(21);
    const std::size_t n = 5, k = 4;
    Tensor z = (3.0 * sample({n, k}, Domain::any, gen)).detach().requires_grad_(true);
    const Tensor y = one_hot({0, 3, 1, 2, 3}, k, kFloat64);
    const Tensor c = vg::nielsen_cost(z, y);
    REQUIRE(c.item() == Approx(cost_by_loops(z.to_vector(), y.to_vector(), n)).epsilon(1e-12));
    // The same number as tg::binary_cross_entropy of the sigmoid outputs.
    REQUIRE(c.item() == Approx(binary_cross_entropy(sigmoid(z), y).item()).epsilon(1e-12));
    // dC/dz = (s(z) - y) / n: Nielsen's delta = a - y, averaged.
    c.backward();
    std::vector<double> expected;
    const auto zv = z.to_vector(), yv = y.to_vector();
    for (std::size_t i = 0; i < zv.size(); ++i)
        expected.push_back((sigma(zv[i]) - yv[i]) / static_cast<double>(n));
    require_close(z.grad(), expected, 1e-14, 1e-12, "dC/dz");

    // Saturated outputs (s(40) rounds to 1 in double) keep a finite cost and gradient.
    Tensor big = from_vector({40, -40, 40, -40}, {1, 4}, kFloat64).requires_grad_(true);
    const Tensor target = from_vector({1, 0, 0, 1}, {1, 4}, kFloat64);
    const Tensor cb = vg::nielsen_cost(big, target);
    REQUIRE(cb.item() == Approx(80.0).epsilon(1e-12));  // two outputs wrong by 40 each
    cb.backward();
    require_close(big.grad(), {0, 0, 1, -1}, 1e-15, 0, "saturated dC/dz");
}

TEST_CASE("the example's ||grad_b^l C|| match backpropagation written with plain loops",
          "[research][vanishing]") {
    const std::vector<std::size_t> sizes{6, 5, 4, 4, 3};
    for (vg::Variant v : {vg::Variant::sigmoid, vg::Variant::relu_he}) {
        Generator gen(22);
        vg::Network net = vg::make_network(v, sizes, gen);
        REQUIRE(net.hidden_bias_names == std::vector<std::string>{"0.bias", "2.bias", "4.bias"});
        std::vector<Layer> layers;
        for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
            auto lin = net.net->at<nn::Linear>(2 * l);
            layers.push_back(
                {lin->weight.to_vector(), lin->bias.to_vector(), sizes[l], sizes[l + 1]});
        }
        const std::size_t n = 7;
        vg::Data d;
        d.x = rand({n, sizes[0]}, gen, kFloat64);
        d.labels = {0, 1, 2, 0, 1, 2, 0};
        d.y = one_hot(d.labels, 3, kFloat64);
        const vg::HiddenNorms norms = vg::hidden_grad_norms(net, d);
        const auto expected = bias_grads_by_loops(layers, d.x.to_vector(), d.y.to_vector(), n,
                                                  v == vg::Variant::relu_he);
        REQUIRE(norms.bias.size() == 3);
        for (std::size_t l = 0; l < 3; ++l) {
            INFO(vg::variant_name(v) << " hidden layer " << l + 1);
            CHECK(norms.bias[l] == Approx(norm(expected[l])).epsilon(1e-12));
        }
    }
}
