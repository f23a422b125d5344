// cnn: one training step at batch 32 of conv 5x5 (1->8), batch-norm, ReLU, 2x2 max-pool,
// conv 5x5 (8->16), batch-norm, ReLU, 2x2 max-pool, flatten, linear 256->10, log-softmax, NLL,
// with tg::optim::SGD (lr 0.01, momentum 0.9). Built from tg::nn modules; the convolution and
// linear weights, the inputs and the labels come from bench/shared_inputs.hpp.

#include <algorithm>
#include <cmath>

#include "shared.hpp"
#include "tapegrad.hpp"
#include "workloads.hpp"

namespace bench::tapegrad {

namespace {

std::shared_ptr<tg::nn::Sequential> make_cnn(tg::DType dtype, tg::Generator& gen) {
    using namespace tg::nn;
    return std::make_shared<Sequential>(
        std::make_shared<Conv2d>(Conv2dOptions(1, 8, 5).dtype(dtype), gen),
        std::make_shared<BatchNorm2d>(BatchNormOptions(8).dtype(dtype)), std::make_shared<ReLU>(),
        std::make_shared<MaxPool2d>(MaxPool2dOptions(2)),
        std::make_shared<Conv2d>(Conv2dOptions(8, 16, 5).dtype(dtype), gen),
        std::make_shared<BatchNorm2d>(BatchNormOptions(16).dtype(dtype)), std::make_shared<ReLU>(),
        std::make_shared<MaxPool2d>(MaxPool2dOptions(2)), std::make_shared<Flatten>(),
        std::make_shared<Linear>(LinearOptions(256, 10).dtype(dtype), gen));
}

}  // namespace

Workload cnn() {
    return {"cnn", 32, 200, 20, [](const Args& a, Run& run) {
                const tg::DType dtype = a.f64() ? tg::kFloat64 : tg::kFloat32;
                tg::Generator gen(a.seed);
                auto net = make_cnn(dtype, gen);
                SharedRandom rng(a.seed);
                const auto named = net->named_parameters();
                for (const auto& shared : cnn_parameters()) {
                    const auto it = std::find_if(named.begin(), named.end(), [&](const auto& np) {
                        return np.first == shared.name;
                    });
                    if (it == named.end() || it->second.numel() != shared.numel)
                        throw std::runtime_error(std::string("cnn: no parameter ") + shared.name);
                    const double bound = 1.0 / std::sqrt(shared.fan_in);
                    assign(it->second, rng.uniform_values(shared.numel, -bound, bound));
                }
                const auto n = static_cast<std::size_t>(a.batch);
                const tg::Tensor x =
                    tg::from_vector(rng.uniform_values(n * 28 * 28, 0, 1), {n, 1, 28, 28}, dtype);
                const std::vector<std::int64_t> labels = rng.labels(n, 10);
                tg::optim::SGD opt(named, tg::optim::SGDOptions(0.01).momentum(0.9));
                const auto step = [&] {
                    opt.zero_grad();
                    tg::Tensor loss = tg::nll_loss(tg::log_softmax(net->forward(x), 1), labels);
                    loss.backward();
                    opt.step();
                    return loss;
                };
                check_training(run, net->parameters(), step);
                run.time(a.warmup, a.reps, step);
            }};
}

}  // namespace bench::tapegrad
