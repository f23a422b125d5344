// Forward-over-reverse HVPs against reverse-over-reverse ones through whole models: the mlp
// workload's network, and Conv2d, BatchNorm (train mode) and MaxPool2d. In double they must agree
// to 1e-12: both are exact, they only take different paths through the same rules.

#include "../helpers.hpp"

using namespace tgtest;
using namespace tg;

namespace {

void require_modes_agree(const std::function<Tensor()>& loss, const std::vector<Tensor>& params,
                         Generator& gen, const std::string& what) {
    std::vector<Tensor> v;
    for (const auto& p : params) v.push_back(sample(p.shape(), Domain::any, gen));
    const auto rr = hvp(loss, params, v, HvpMode::reverse_over_reverse);
    const auto fr = hvp(loss, params, v, HvpMode::forward_over_reverse);
    REQUIRE(rr.size() == params.size());
    double largest = 0;
    for (std::size_t i = 0; i < params.size(); ++i) {
        for (double x : rr[i].to_vector()) largest = std::max(largest, std::abs(x));
        require_close(fr[i].to_vector(), rr[i].to_vector(), 1e-12, 1e-12,
                      what + " parameter " + std::to_string(i));
    }
    REQUIRE(largest > 1e-6);  // a Hessian that is not zero, so agreement means something
}

}  // namespace

TEST_CASE("HVP modes agree on the mlp workload's network", "[hvp][models]") {
    Generator gen(31);
    auto net = std::make_shared<nn::Sequential>();
    const std::vector<std::size_t> sizes{784, 30, 30, 30, 30, 10};
    for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
        net->push_back(std::make_shared<nn::Linear>(
            nn::LinearOptions(sizes[l], sizes[l + 1]).dtype(kFloat64), gen));
        if (l + 2 < sizes.size()) net->push_back(std::make_shared<nn::Sigmoid>());
    }
    const Tensor x = rand({8, 784}, gen, kFloat64);
    const std::vector<std::int64_t> labels{0, 3, 9, 1, 1, 7, 2, 5};
    require_modes_agree([&] { return nll_loss(log_softmax(net->forward(x), 1), labels); },
                        net->parameters(), gen, "mlp");
}

TEST_CASE("HVP modes agree through Conv2d, BatchNorm2d and MaxPool2d", "[hvp][models]") {
    Generator gen(32);
    auto net = std::make_shared<nn::Sequential>(
        std::make_shared<nn::Conv2d>(nn::Conv2dOptions(2, 3, 3).padding(nn::kSame).dtype(kFloat64),
                                     gen),
        std::make_shared<nn::BatchNorm2d>(nn::BatchNormOptions(3).dtype(kFloat64)),
        std::make_shared<nn::Tanh>(), std::make_shared<nn::MaxPool2d>(nn::MaxPool2dOptions(2)),
        std::make_shared<nn::Flatten>(),
        std::make_shared<nn::Linear>(nn::LinearOptions(3 * 3 * 3, 4).dtype(kFloat64), gen));
    net->train();
    const Tensor x = sample({5, 2, 6, 6}, Domain::any, gen);
    const std::vector<std::int64_t> labels{0, 1, 2, 3, 1};
    require_modes_agree([&] { return cross_entropy(net->forward(x), labels); }, net->parameters(),
                        gen, "conv-bn-pool");
}

TEST_CASE("HVP modes agree through each layer alone, including the input", "[hvp][models]") {
    Generator gen(33);
    const Tensor x = sample({3, 2, 5, 5}, Domain::any, gen).requires_grad_();
    const Tensor w = sample({4, 2, 3, 3}, Domain::any, gen).requires_grad_();
    const Tensor b = sample({4}, Domain::any, gen).requires_grad_();
    const Tensor u = sample({3, 4, 3, 3}, Domain::any, gen);
    require_modes_agree([&] { return sum(u * square(nn::functional::conv2d(x, w, b))); }, {x, w, b},
                        gen, "conv2d");

    const Tensor gamma = sample({2}, Domain::positive, gen).requires_grad_();
    const Tensor beta = sample({2}, Domain::any, gen).requires_grad_();
    const Tensor z = sample({3, 2, 5, 5}, Domain::any, gen);
    require_modes_agree(
        [&] {
            const Tensor y =
                nn::functional::batch_norm(x, Tensor(), Tensor(), gamma, beta, true, 0.1, 1e-5);
            return sum(z * tanh(y));
        },
        {x, gamma, beta}, gen, "batch_norm");

    const Tensor p = sample({3, 2, 2, 2}, Domain::any, gen);
    require_modes_agree(
        [&] { return sum(p * square(nn::functional::max_pool2d(x, 2, std::nullopt, 0))); }, {x},
        gen, "max_pool2d");
}
