// Hooks on module parameters and removable tensor hooks: they fire once per backward with the
// complete gradient (checked against closed forms computed with plain loops), can replace it,
// and stop when removed.

#include <map>

#include "../helpers.hpp"

using namespace tgtest;
using namespace tg;

namespace {

std::shared_ptr<nn::Linear> linear_f64(std::size_t in, std::size_t out, Generator& gen,
                                       bool bias = true) {
    return std::make_shared<nn::Linear>(nn::LinearOptions(in, out).dtype(kFloat64).bias(bias), gen);
}

// C = 1/2 sum_{n,i} y_ni^2 with y = x W^T + b: dC/dW = y^T x, dC/db = sum over rows of y.
struct LinearGrads {
    std::vector<double> w, b;
};
LinearGrads quadratic_grads(const std::vector<double>& x, std::size_t n, std::size_t in,
                            const std::vector<double>& W, const std::vector<double>& b,
                            std::size_t out) {
    std::vector<double> y(n * out);
    for (std::size_t r = 0; r < n; ++r)
        for (std::size_t i = 0; i < out; ++i) {
            double s = b[i];
            for (std::size_t k = 0; k < in; ++k) s += x[r * in + k] * W[i * in + k];
            y[r * out + i] = s;
        }
    LinearGrads g{std::vector<double>(out * in, 0.0), std::vector<double>(out, 0.0)};
    for (std::size_t r = 0; r < n; ++r)
        for (std::size_t i = 0; i < out; ++i) {
            g.b[i] += y[r * out + i];
            for (std::size_t k = 0; k < in; ++k) g.w[i * in + k] += y[r * out + i] * x[r * in + k];
        }
    return g;
}

Tensor half_sum_of_squares(const Tensor& y) {
    return 0.5 * sum(square(y));
}

}  // namespace

TEST_CASE("a module's parameter hook fires once per backward with the right gradient",
          "[research][hooks]") {
    Generator gen(3);
    auto lin = linear_f64(4, 3, gen);
    const Tensor x = sample({5, 4}, Domain::any, gen);
    const LinearGrads expected =
        quadratic_grads(x.to_vector(), 5, 4, lin->weight.to_vector(), lin->bias.to_vector(), 3);

    std::map<std::string, int> calls;
    std::map<std::string, std::vector<double>> seen;
    auto handle =
        research::register_parameter_hook(*lin, [&](const std::string& name, const Tensor& g) {
            ++calls[name];
            seen[name] = g.to_vector();
            return Tensor();
        });
    REQUIRE(handle.active());

    half_sum_of_squares((*lin)(x)).backward();
    REQUIRE(calls == std::map<std::string, int>{{"weight", 1}, {"bias", 1}});
    require_close(seen["weight"], expected.w, 1e-12, 1e-12, "dC/dW seen by the hook");
    require_close(seen["bias"], expected.b, 1e-12, 1e-12, "dC/db seen by the hook");
    // Observing does not change what backward stores.
    require_close(lin->weight.grad(), expected.w, 1e-12, 1e-12, "weight.grad()");

    // A second backward: one more call each, and the hook sees that backward's gradient alone
    // while .grad() accumulates.
    half_sum_of_squares((*lin)(x)).backward();
    REQUIRE(calls == std::map<std::string, int>{{"weight", 2}, {"bias", 2}});
    require_close(seen["bias"], expected.b, 1e-12, 1e-12, "second backward's dC/db");
    std::vector<double> twice = expected.b;
    for (double& v : twice) v *= 2;
    require_close(lin->bias.grad(), twice, 1e-12, 1e-12, "accumulated bias.grad()");

    handle.remove();
    REQUIRE_FALSE(handle.active());
    half_sum_of_squares((*lin)(x)).backward();
    REQUIRE(calls == std::map<std::string, int>{{"weight", 2}, {"bias", 2}});
}

TEST_CASE("a parameter used twice gets one call with the summed gradient", "[research][hooks]") {
    // y = W (W x), C = sum(y): dC/dW = 1 (W x)^T + (W^T 1) x^T.
    Generator gen(4);
    auto lin = linear_f64(3, 3, gen, false);
    auto net = std::make_shared<nn::Sequential>(lin, lin);  // the same module twice
    const Tensor x = sample({1, 3}, Domain::any, gen);
    const auto W = lin->weight.to_vector();
    const auto xv = x.to_vector();
    std::vector<double> Wx(3, 0.0), Wt1(3, 0.0);
    for (std::size_t i = 0; i < 3; ++i)
        for (std::size_t k = 0; k < 3; ++k) {
            Wx[i] += W[i * 3 + k] * xv[k];
            Wt1[k] += W[i * 3 + k];
        }
    std::vector<double> expected(9);
    for (std::size_t i = 0; i < 3; ++i)
        for (std::size_t k = 0; k < 3; ++k) expected[i * 3 + k] = Wx[k] + Wt1[i] * xv[k];

    int calls = 0;
    std::vector<double> seen;
    auto handle =
        research::register_parameter_hook(*net, [&](const std::string& name, const Tensor& g) {
            ++calls;
            CHECK(name == "0.weight");  // listed once, under its first path
            seen = g.to_vector();
            return Tensor();
        });
    sum((*net)(x)).backward();
    REQUIRE(calls == 1);
    require_close(seen, expected, 1e-12, 1e-12, "summed dC/dW");
}

TEST_CASE("a parameter hook can replace the gradient", "[research][hooks]") {
    Generator gen(5);
    auto lin = linear_f64(2, 2, gen);
    const Tensor x = sample({3, 2}, Domain::any, gen);
    const LinearGrads expected =
        quadratic_grads(x.to_vector(), 3, 2, lin->weight.to_vector(), lin->bias.to_vector(), 2);
    std::vector<double> seen_by_second;
    auto scale =
        research::register_parameter_hook(*lin, [](const std::string& name, const Tensor& g) {
            return name == "bias" ? g * 10.0 : Tensor();
        });
    // A later hook sees the replacement.
    auto observe = research::register_hook(lin->bias, [&](const Tensor& g) {
        seen_by_second = g.to_vector();
        return Tensor();
    });
    half_sum_of_squares((*lin)(x)).backward();
    std::vector<double> tenfold = expected.b;
    for (double& v : tenfold) v *= 10;
    require_close(lin->bias.grad(), tenfold, 1e-12, 1e-12, "replaced bias gradient");
    require_close(seen_by_second, tenfold, 1e-12, 1e-12, "what the later hook saw");
    require_close(lin->weight.grad(), expected.w, 1e-12, 1e-12, "weight untouched");

    // The replacement reaches the optimizer: one SGD step with lr 1 moves b by -10 dC/db.
    const auto b0 = lin->bias.to_vector();
    optim::SGD sgd(lin->named_parameters(), optim::SGDOptions(1.0));
    sgd.step();
    std::vector<double> b1(2);
    for (std::size_t i = 0; i < 2; ++i) b1[i] = b0[i] - tenfold[i];
    require_close(lin->bias, b1, 1e-12, 1e-12, "bias after the step");

    // Removing the replacing hook restores plain gradients.
    scale.remove();
    observe.remove();
    lin->zero_grad(true);
    half_sum_of_squares((*lin)(x)).backward();
    const LinearGrads now =
        quadratic_grads(x.to_vector(), 3, 2, lin->weight.to_vector(), lin->bias.to_vector(), 2);
    require_close(lin->bias.grad(), now.b, 1e-12, 1e-12, "bias gradient after removal");
}

TEST_CASE("a replacement of the wrong shape is a GraphError", "[research][hooks]") {
    Generator gen(6);
    auto lin = linear_f64(2, 2, gen);
    auto handle = research::register_parameter_hook(
        *lin, [](const std::string&, const Tensor&) { return zeros({5}, kFloat64); });
    const Tensor x = sample({1, 2}, Domain::any, gen);
    require_throws<GraphError>([&] { sum((*lin)(x)).backward(); }, {"hook", "[5]"});
}

TEST_CASE("hooks also run under tg::grad and with create_graph", "[research][hooks]") {
    // C = sum(w^3): dC/dw = 3 w^2. With create_graph the gradient the hook sees is recorded, so
    // it can be differentiated again: d/dw sum(3 w^2) = 6 w.
    Generator gen(7);
    Tensor w = sample({4}, Domain::any, gen).requires_grad_(true);
    Tensor captured;
    int calls = 0;
    auto handle = research::register_hook(w, [&](const Tensor& g) {
        ++calls;
        captured = g;
        return Tensor();
    });
    const auto wv = w.to_vector();
    const auto g = tg::grad({sum(pow(w, 3.0))}, {w}, {}, GradOptions().create_graph(true));
    REQUIRE(calls == 1);
    REQUIRE(captured.requires_grad());
    std::vector<double> first(4), expected_second(4);
    for (std::size_t i = 0; i < 4; ++i) {
        first[i] = 3 * wv[i] * wv[i];
        expected_second[i] = 6 * wv[i];
    }
    require_close(captured, first, 1e-12, 1e-12, "dC/dw seen by the hook");
    require_close(g[0], first, 1e-12, 1e-12, "dC/dw");
    const auto second = tg::grad({sum(captured)}, {w})[0];
    require_close(second, expected_second, 1e-12, 1e-12, "d/dw of the hook's gradient");
    REQUIRE(calls == 2);  // the second differentiation reached w too
}

TEST_CASE("frozen parameters are skipped, and bad input is rejected", "[research][hooks]") {
    Generator gen(8);
    auto lin = linear_f64(2, 2, gen);
    lin->bias.requires_grad_(false);
    std::vector<std::string> names;
    auto handle = research::register_parameter_hook(*lin, [&](const std::string& n, const Tensor&) {
        names.push_back(n);
        return Tensor();
    });
    sum((*lin)(sample({2, 2}, Domain::any, gen))).backward();
    REQUIRE(names == std::vector<std::string>{"weight"});

    require_throws<GraphError>(
        [&] {
            research::register_parameter_hook(
                lin->named_parameters(),
                [](const std::string&, const Tensor&) { return Tensor(); });
        },
        {"register_parameter_hook", "'bias'", "does not require grad"});
    require_throws<ValueError>([&] { research::register_parameter_hook(*lin, nullptr); },
                               {"empty"});
    research::HookHandle none;
    REQUIRE_FALSE(none.active());
    none.remove();  // harmless
}
