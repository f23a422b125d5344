// cnn: the same network and step as bench/tapegrad/cnn.cpp, with torch::nn modules and
// torch::optim::SGD.

#include <torch/torch.h>

#include "workloads.hpp"

namespace bench::libtorch {

Workload cnn() {
    return {"cnn", 32, 200, 20, [](const Args& a, Run& run) {
                namespace nn = torch::nn;
                torch::manual_seed(a.seed);
                const auto dtype = a.f64() ? torch::kFloat64 : torch::kFloat32;
                nn::Sequential net(nn::Conv2d(nn::Conv2dOptions(1, 8, 5)), nn::BatchNorm2d(8),
                                   nn::ReLU(), nn::MaxPool2d(nn::MaxPool2dOptions(2)),
                                   nn::Conv2d(nn::Conv2dOptions(8, 16, 5)), nn::BatchNorm2d(16),
                                   nn::ReLU(), nn::MaxPool2d(nn::MaxPool2dOptions(2)),
                                   nn::Flatten(), nn::Linear(256, 10));
                net->to(dtype);
                const auto opts = torch::TensorOptions().dtype(dtype);
                const torch::Tensor x = torch::rand({a.batch, 1, 28, 28}, opts);
                const torch::Tensor labels =
                    torch::randint(0, 10, {a.batch}, torch::TensorOptions().dtype(torch::kLong));
                torch::optim::SGD opt(net->parameters(),
                                      torch::optim::SGDOptions(0.01).momentum(0.9));
                run.time(a.warmup, a.reps, [&] {
                    opt.zero_grad();
                    torch::nll_loss(torch::log_softmax(net->forward(x), 1), labels).backward();
                    opt.step();
                });
            }};
}

}  // namespace bench::libtorch
