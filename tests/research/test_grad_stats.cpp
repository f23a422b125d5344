// Gradient statistics against hand-derived numbers and against plain loops over the gradients,
// per parameter and pooled per layer, and the recorder that gathers them through hooks.

#include <cmath>
#include <limits>

#include "../helpers.hpp"

using namespace tgtest;
using namespace tg;

namespace {

struct Expected {
    double norm, mean, max_abs, weight_norm, ratio;
};

// The statistics of the concatenation of several (value, gradient) pairs, with plain loops.
Expected by_loops(const std::vector<std::vector<double>>& values,
                  const std::vector<std::vector<double>>& grads) {
    double gsq = 0, gsum = 0, gmax = 0, wsq = 0;
    std::size_t n = 0;
    for (const auto& v : values) {
        for (double w : v) wsq += w * w;
        n += v.size();
    }
    for (const auto& g : grads)
        for (double x : g) {
            gsq += x * x;
            gsum += x;
            if (std::abs(x) > gmax) gmax = std::abs(x);
        }
    return {std::sqrt(gsq), gsum / static_cast<double>(n), gmax, std::sqrt(wsq),
            std::sqrt(gsq) / std::sqrt(wsq)};
}

void require_stats(const research::GradStats& s, const Expected& e, const std::string& what) {
    INFO(what);
    REQUIRE(s.has_grad);
    REQUIRE(s.finite);
    CHECK(s.grad_norm == Approx(e.norm).epsilon(1e-13));
    CHECK(s.grad_mean == Approx(e.mean).epsilon(1e-13).margin(1e-16));
    CHECK(s.grad_max_abs == Approx(e.max_abs).epsilon(1e-13));
    CHECK(s.weight_norm == Approx(e.weight_norm).epsilon(1e-13));
    CHECK(s.ratio == Approx(e.ratio).epsilon(1e-13));
}

std::shared_ptr<nn::Sequential> small_mlp(Generator& gen) {
    return std::make_shared<nn::Sequential>(
        std::make_shared<nn::Linear>(nn::LinearOptions(5, 4).dtype(kFloat64), gen),
        std::make_shared<nn::Sigmoid>(),
        std::make_shared<nn::Linear>(nn::LinearOptions(4, 3).dtype(kFloat64), gen),
        std::make_shared<nn::Sigmoid>());
}

Tensor mlp_cost(nn::Module& net, Generator& gen) {
    const Tensor x = sample({6, 5}, Domain::any, gen);
    const Tensor y = one_hot({0, 1, 2, 0, 1, 2}, 3, kFloat64);
    return binary_cross_entropy(net(x), y);
}

}  // namespace

TEST_CASE("statistics of one tensor, derived by hand", "[research][grad_stats]") {
    // w = [3, 4, 0, 0] (norm 5), g = [0.6, -0.8, 0, 0.2]: norm sqrt(0.36 + 0.64 + 0.04) =
    // sqrt(1.04), mean 0, max |g| 0.8, ratio sqrt(1.04) / 5.
    const Tensor w = from_vector({3, 4, 0, 0}, {2, 2}, kFloat64);
    const Tensor g = from_vector({0.6, -0.8, 0, 0.2}, {2, 2}, kFloat64);
    const auto s = research::tensor_grad_stats("w", w, g);
    CHECK(s.name == "w");
    CHECK(s.kind == "[2, 2]");
    CHECK(s.elements == 4);
    require_stats(s, {std::sqrt(1.04), 0.0, 0.8, 5.0, std::sqrt(1.04) / 5.0}, "hand-derived");

    // float32 tensors work too (statistics in double).
    const auto f = research::tensor_grad_stats("wf", to_dtype(w, kFloat32), to_dtype(g, kFloat32));
    CHECK(f.grad_norm == Approx(std::sqrt(1.04)).epsilon(1e-6));
}

TEST_CASE("the ratio's conventions at zero weights, and non-finite gradients",
          "[research][grad_stats]") {
    const Tensor zero_w = zeros({3}, kFloat64);
    const auto inf =
        research::tensor_grad_stats("b", zero_w, from_vector({0, 1, 0}, {3}, kFloat64));
    CHECK(std::isinf(inf.ratio));
    const auto none = research::tensor_grad_stats("b", zero_w, zeros({3}, kFloat64));
    CHECK(none.ratio == 0.0);
    CHECK(none.has_grad);

    const double nan = std::numeric_limits<double>::quiet_NaN();
    const auto bad = research::tensor_grad_stats("w", ones({3}, kFloat64),
                                                 from_vector({1, nan, 2}, {3}, kFloat64));
    CHECK_FALSE(bad.finite);
    CHECK(std::isnan(bad.grad_norm));
    CHECK(std::isnan(bad.grad_max_abs));  // not hidden behind the other elements' maximum

    const auto missing = research::tensor_grad_stats("w", ones({3}, kFloat64), Tensor());
    CHECK_FALSE(missing.has_grad);
    CHECK(missing.grad_norm == 0.0);
    CHECK(missing.weight_norm == Approx(std::sqrt(3.0)));
}

TEST_CASE("per-parameter and per-layer statistics of a module match plain loops",
          "[research][grad_stats]") {
    Generator gen(11);
    auto net = small_mlp(gen);
    mlp_cost(*net, gen).backward();
    const auto report = research::grad_stats(*net);

    REQUIRE(report.parameters.size() == 4);
    REQUIRE(report.layers.size() == 2);
    for (const auto& [name, p] : net->named_parameters()) {
        const auto& s = report.parameter(name);
        CHECK(s.kind == shape_str(p.shape()));
        CHECK(s.elements == p.numel());
        require_stats(s, by_loops({p.to_vector()}, {p.grad().to_vector()}), name);
    }
    for (const std::string layer : {"0", "2"}) {
        auto lin = std::dynamic_pointer_cast<nn::Linear>(
            (*net)[static_cast<std::size_t>(std::stoi(layer))]);
        const auto& s = report.layer(layer);
        CHECK(s.kind == "Linear");
        CHECK(s.elements == lin->weight.numel() + lin->bias.numel());
        require_stats(s,
                      by_loops({lin->weight.to_vector(), lin->bias.to_vector()},
                               {lin->weight.grad().to_vector(), lin->bias.grad().to_vector()}),
                      "layer " + layer);
    }

    // The same from gradients given explicitly (tg::grad leaves .grad() alone).
    net->zero_grad(true);
    Generator again(11);
    auto net2 = small_mlp(again);
    const auto grads = tg::grad({mlp_cost(*net2, again)}, net2->parameters());
    const auto given = research::grad_stats(*net2, grads);
    for (std::size_t i = 0; i < 4; ++i) {
        CHECK(given.parameters[i].grad_norm ==
              Approx(report.parameters[i].grad_norm).epsilon(1e-14));
    }
    REQUIRE_FALSE(net2->parameters()[0].grad().defined());

    // The text forms name every row.
    const std::string table = report.table();
    for (const auto& name : {"0.weight", "0.bias", "2.weight", "2.bias", "Linear", "ratio"})
        CHECK(table.find(name) != std::string::npos);
    const std::string csv = report.csv();
    CHECK(std::count(csv.begin(), csv.end(), '\n') == 1 + 4 + 2);
}

TEST_CASE("named tensors: layers by name, missing gradients, and errors",
          "[research][grad_stats]") {
    Tensor a = from_vector({1, 2}, {2}, kFloat64).requires_grad_(true);
    Tensor b = from_vector({2}, {1}, kFloat64).requires_grad_(true);
    Tensor c = from_vector({1, 1, 1}, {3}, kFloat64).requires_grad_(true);
    a.set_grad(from_vector({0.5, -1}, {2}, kFloat64));
    c.set_grad(from_vector({0, 2, 0}, {3}, kFloat64));
    const nn::NamedTensors params{{"enc.fc.w", a}, {"enc.fc.b", b}, {"scale", c}};
    const auto r = research::grad_stats(params);
    REQUIRE(r.layers.size() == 2);
    CHECK(r.layers[0].name == "enc.fc");
    CHECK(r.layers[1].name == "(root)");
    CHECK_FALSE(r.parameter("enc.fc.b").has_grad);
    // The layer pools a's gradient with zeros for b: norm sqrt(1.25), mean -0.5/3, max 1,
    // weights [1, 2, 2] of norm 3.
    require_stats(r.layer("enc.fc"), {std::sqrt(1.25), -0.5 / 3, 1.0, 3.0, std::sqrt(1.25) / 3},
                  "pooled layer");
    CHECK(r.table().find("-") != std::string::npos);

    require_throws<ValueError>([&] { (void)r.parameter("nope"); }, {"nope", "enc.fc.w"});
    require_throws<ValueError>([&] { (void)r.layer("enc"); }, {"layer", "enc.fc"});
    require_throws<ValueError>([&] { research::grad_stats(params, {Tensor()}); },
                               {"1 gradients for 3 parameters"});
    require_throws<ShapeError>(
        [&] {
            research::grad_stats(params, {zeros({5}, kFloat64), Tensor(), Tensor()});
        },
        {"enc.fc.w", "[5]", "[2]"});
}

TEST_CASE("GradRecorder keeps one entry per backward, through hooks", "[research][recorder]") {
    Generator gen(12);
    auto net = small_mlp(gen);
    std::vector<std::vector<double>> bias_grads;  // of "2.bias", computed apart
    std::vector<std::vector<double>> bias_values;
    {
        research::GradRecorder rec(*net);
        REQUIRE(rec.names() ==
                std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});
        optim::SGD sgd(net->named_parameters(), optim::SGDOptions(0.5));
        for (int step = 0; step < 3; ++step) {
            sgd.zero_grad();
            mlp_cost(*net, gen).backward();
            bias_grads.push_back(net->parameters()[3].grad().to_vector());
            bias_values.push_back(net->parameters()[3].to_vector());
            sgd.step();
        }
        rec.pause();
        mlp_cost(*net, gen).backward();  // not recorded
        rec.resume();
        REQUIRE(rec.steps() == 3);
        const auto& h = rec.history("2.bias");
        REQUIRE(h.size() == 3);
        for (std::size_t k = 0; k < 3; ++k) {
            // The weight norm is the value before the step that used the gradient.
            require_stats(h[k], by_loops({bias_values[k]}, {bias_grads[k]}),
                          "step " + std::to_string(k));
        }
        const std::string csv = rec.csv();
        CHECK(std::count(csv.begin(), csv.end(), '\n') == 1 + 3 * 4);
        require_throws<ValueError>([&] { (void)rec.history("x"); }, {"x", "0.weight"});
        rec.clear();
        REQUIRE(rec.steps() == 0);
    }
    // The recorder is gone: its hooks are inert and training goes on.
    net->zero_grad();
    mlp_cost(*net, gen).backward();
    REQUIRE(net->parameters()[3].grad().defined());
}
