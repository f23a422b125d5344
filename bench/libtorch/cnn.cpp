// cnn: the same network and step as bench/tapegrad/cnn.cpp, with torch::nn modules and
// torch::optim::SGD, from the same weights, inputs and labels (bench/shared_inputs.hpp).

#include <torch/torch.h>

#include <cmath>

#include "shared.hpp"
#include "workloads.hpp"

namespace bench::libtorch {

Workload cnn() {
    return {
        "cnn", 32, 200, 20, [](const Args& a, Run& run) {
            namespace nn = torch::nn;
            torch::manual_seed(a.seed);  // the default initialisation, overwritten below
            const auto dtype = a.f64() ? torch::kFloat64 : torch::kFloat32;
            nn::Sequential net(nn::Conv2d(nn::Conv2dOptions(1, 8, 5)), nn::BatchNorm2d(8),
                               nn::ReLU(), nn::MaxPool2d(nn::MaxPool2dOptions(2)),
                               nn::Conv2d(nn::Conv2dOptions(8, 16, 5)), nn::BatchNorm2d(16),
                               nn::ReLU(), nn::MaxPool2d(nn::MaxPool2dOptions(2)), nn::Flatten(),
                               nn::Linear(256, 10));
            net->to(dtype);
            SharedRandom rng(a.seed);
            const auto named = net->named_parameters();
            for (const auto& shared : cnn_parameters()) {
                const torch::Tensor* p = named.find(shared.name);
                if (p == nullptr || static_cast<std::size_t>(p->numel()) != shared.numel)
                    throw std::runtime_error(std::string("cnn: no parameter ") + shared.name);
                const double bound = 1.0 / std::sqrt(shared.fan_in);
                assign_(*p, rng.uniform_values(shared.numel, -bound, bound));
            }
            const auto n = static_cast<std::size_t>(a.batch);
            const torch::Tensor x =
                shared_tensor(rng.uniform_values(n * 28 * 28, 0, 1), {a.batch, 1, 28, 28}, dtype);
            const torch::Tensor labels = shared_labels(rng.labels(n, 10));
            torch::optim::SGD opt(net->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9));
            const auto step = [&] {
                opt.zero_grad();
                torch::Tensor loss =
                    torch::nll_loss(torch::log_softmax(net->forward(x), 1), labels);
                loss.backward();
                opt.step();
                return loss;
            };
            check_training(run, net->parameters(), step);
            run.time(a.warmup, a.reps, step);
        }};
}

}  // namespace bench::libtorch
