// Module: registration, recursive naming, modes, zero_grad, Sequential, printing.

#include "nn_helpers.hpp"

using namespace tgtest;
using namespace tg;

namespace {

// A user-defined module in the libtorch style: submodules and a parameter of its own.
class Net : public nn::Module {
  public:
    explicit Net(Generator& gen) : Module("Net") {
        features = register_module(
            "features",
            std::make_shared<nn::Sequential>(
                std::make_shared<nn::Conv2d>(nn::Conv2dOptions(1, 2, 3).dtype(kFloat64), gen),
                std::make_shared<nn::BatchNorm2d>(nn::BatchNormOptions(2).dtype(kFloat64)),
                std::make_shared<nn::ReLU>(), std::make_shared<nn::Flatten>()));
        head = register_module(
            "head", std::make_shared<nn::Linear>(nn::LinearOptions(8, 3).dtype(kFloat64), gen));
        scale = register_parameter("scale", ones({1}, kFloat64));
    }
    Tensor forward(const Tensor& x) override { return (*head)((*features)(x)) * scale; }

    std::shared_ptr<nn::Sequential> features;
    std::shared_ptr<nn::Linear> head;
    Tensor scale;
};

std::vector<std::string> names_of(const nn::NamedTensors& list) {
    std::vector<std::string> out;
    for (const auto& [name, t] : list) out.push_back(name);
    return out;
}

}  // namespace

TEST_CASE("parameters and buffers are named by their path", "[nn][module]") {
    Generator gen(1);
    Net net(gen);
    const std::vector<std::string> params{
        "scale",           "features.0.weight", "features.0.bias", "features.1.weight",
        "features.1.bias", "head.weight",       "head.bias"};
    REQUIRE(names_of(net.named_parameters()) == params);
    REQUIRE(names_of(net.named_buffers()) ==
            std::vector<std::string>{"features.1.running_mean", "features.1.running_var"});
    REQUIRE(names_of(net.named_parameters(false)) == std::vector<std::string>{"scale"});
    // The tensors carry their names, so a report can say which parameter it means.
    for (const auto& [name, t] : net.state()) CHECK(t.name() == name);
    // The handles are the module's own tensors, not copies.
    REQUIRE(net.named_parameters()[5].second.same(net.head->weight));
    for (const auto& p : net.parameters()) {
        CHECK(p.requires_grad());
        CHECK(p.is_leaf());
    }
    for (const auto& b : net.buffers()) CHECK_FALSE(b.requires_grad());
    REQUIRE(net.num_parameters() == 1 + (2 * 9 + 2) + (2 + 2) + (3 * 8 + 3));
    std::vector<std::string> modules;
    for (const auto& [name, m] : net.named_modules())
        modules.push_back(name + ":" + m->type_name());
    REQUIRE(modules == std::vector<std::string>{":Net", "features:Sequential", "features.0:Conv2d",
                                                "features.1:BatchNorm2d", "features.2:ReLU",
                                                "features.3:Flatten", "head:Linear"});
}

TEST_CASE("train() and eval() reach every submodule", "[nn][module]") {
    Generator gen(2);
    Net net(gen);
    REQUIRE(net.is_training());
    net.eval();
    for (const auto& [name, m] : net.named_modules()) CHECK_FALSE(m->is_training());
    net.train();
    for (const auto& [name, m] : net.named_modules()) CHECK(m->is_training());
    net.features->train(false);
    CHECK(net.is_training());
    CHECK_FALSE((*net.features)[1]->is_training());
}

TEST_CASE("zero_grad clears every parameter's gradient", "[nn][module]") {
    Generator gen(3);
    Net net(gen);
    const Tensor x = sample({2, 1, 4, 4}, Domain::any, gen);
    sum(net(x)).backward();
    for (const auto& p : net.parameters()) REQUIRE(p.grad().defined());
    const Tensor g_before = net.head->weight.grad();
    net.zero_grad();
    for (const auto& p : net.parameters()) {
        REQUIRE(p.grad().defined());
        for (double v : p.grad().to_vector()) CHECK(v == 0.0);
    }
    // Gradients accumulate from zero again.
    sum(net(x)).backward();
    require_close_tensors(net.head->weight.grad(), g_before, 1e-14, 1e-14);
    net.zero_grad(true);
    for (const auto& p : net.parameters()) CHECK_FALSE(p.grad().defined());
}

TEST_CASE("Sequential applies its modules in order", "[nn][module]") {
    Generator gen(4);
    auto lin = std::make_shared<nn::Linear>(nn::LinearOptions(3, 2).dtype(kFloat64), gen);
    nn::Sequential seq{lin, std::make_shared<nn::Tanh>()};
    seq.push_back("out", std::make_shared<nn::Sigmoid>());
    REQUIRE(seq.size() == 3);
    const Tensor x = sample({4, 3}, Domain::any, gen);
    require_close_tensors(seq(x), sigmoid(tanh((*lin)(x))), 0);
    REQUIRE(seq.at<nn::Linear>(0) == lin);
    REQUIRE(names_of(seq.named_parameters()) == std::vector<std::string>{"0.weight", "0.bias"});
    require_throws<ValueError>([&] { seq.at<nn::Conv2d>(0); }, {"Linear"});
    require_throws<ValueError>([&] { seq[7]; }, {"index 7", "3 modules"});
}

TEST_CASE("registration errors", "[nn][module][errors]") {
    Generator gen(5);
    nn::Sequential seq;
    seq.push_back("a", std::make_shared<nn::ReLU>());
    require_throws<ValueError>([&] { seq.push_back("a", std::make_shared<nn::ReLU>()); },
                               {"'a'", "already taken"});
    require_throws<ValueError>([&] { seq.push_back("a.b", std::make_shared<nn::ReLU>()); },
                               {"'a.b'", "contains '.'"});
    require_throws<ValueError>([&] { seq.push_back("n", nullptr); }, {"null"});
    const Tensor x = ones({2}, kFloat64).requires_grad_();
    require_throws<GraphError>([&] { seq.register_parameter("p", x * 2.0); }, {"leaf"});
    require_throws<GraphError>([&] { seq.register_buffer("b", x); }, {"does not require grad"});
}

TEST_CASE("reset_parameters re-initialises deterministically", "[nn][module]") {
    Generator g1(6), g2(99);
    Net a(g1), b(g2);
    CHECK(a.head->weight.to_vector() != b.head->weight.to_vector());
    Generator s1(42), s2(42);
    a.reset_parameters(s1);
    b.reset_parameters(s2);
    const auto pa = a.parameters(), pb = b.parameters();
    for (std::size_t i = 0; i < pa.size(); ++i) require_close_tensors(pa[i], pb[i], 0);
    // Batch norm returns to gamma = 1, beta = 0 and fresh running statistics.
    require_close(a.features->at<nn::BatchNorm2d>(1)->weight, {1, 1}, 0);
    require_close(a.features->at<nn::BatchNorm2d>(1)->running_var, {1, 1}, 0);
}

TEST_CASE("modules print as a tree", "[nn][module]") {
    Generator gen(7);
    Net net(gen);
    const std::string s = net.to_string();
    INFO(s);
    CHECK(s.find("Net(\n  (features): Sequential(\n    (0): Conv2d(1, 2, kernel_size=3x3") !=
          std::string::npos);
    CHECK(s.find("(head): Linear(in_features=8, out_features=3, bias=true)") != std::string::npos);
}

TEST_CASE("a module shared by two parents lists its parameters once", "[nn][module]") {
    Generator gen(8);
    auto shared = std::make_shared<nn::Linear>(nn::LinearOptions(2, 2).dtype(kFloat64), gen);
    nn::Sequential seq{shared, std::make_shared<nn::Tanh>(), shared};
    REQUIRE(names_of(seq.named_parameters()) == std::vector<std::string>{"0.weight", "0.bias"});
    REQUIRE(seq.parameters().size() == 2);
}
