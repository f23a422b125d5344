// cnn: one training step at batch 32 of conv 5x5 (1->8), batch-norm, ReLU, 2x2 max-pool,
// conv 5x5 (8->16), batch-norm, ReLU, 2x2 max-pool, flatten, linear 256->10, log-softmax, NLL,
// with SGD (lr 0.01, momentum 0.9). Built from tg::nn modules.

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

// PyTorch's SGD with momentum (dampening 0): v = momentum v + g; p -= lr v.
template <class T>
void sgd_momentum(const std::vector<tg::Tensor>& params, std::vector<tg::Tensor>& velocity,
                  double lr, double momentum) {
    tg::NoGradGuard no_grad;
    for (std::size_t i = 0; i < params.size(); ++i) {
        tg::Tensor p = params[i];
        T* w = p.mutable_array<T>().data();
        T* v = velocity[i].mutable_array<T>().data();
        const T* g = p.grad().array<T>().data();
        const std::size_t n = p.numel();
        for (std::size_t k = 0; k < n; ++k) {
            v[k] = static_cast<T>(momentum) * v[k] + g[k];
            w[k] -= static_cast<T>(lr) * v[k];
        }
    }
}

}  // namespace

Workload cnn() {
    return {"cnn", 32, 200, 20, [](const Args& a, Run& run) {
                const tg::DType dtype = a.f64() ? tg::kFloat64 : tg::kFloat32;
                tg::Generator gen(a.seed);
                auto net = make_cnn(dtype, gen);
                const auto n = static_cast<std::size_t>(a.batch);
                const tg::Tensor x = tg::rand({n, 1, 28, 28}, gen, dtype);
                std::vector<std::int64_t> labels;
                for (std::size_t i = 0; i < n; ++i)
                    labels.push_back(static_cast<std::int64_t>(gen.below(10)));
                const auto params = net->parameters();
                std::vector<tg::Tensor> velocity;
                for (const auto& p : params) velocity.push_back(tg::zeros_like(p));
                run.time(a.warmup, a.reps, [&] {
                    net->zero_grad();
                    tg::nll_loss(tg::log_softmax(net->forward(x), 1), labels).backward();
                    if (a.f64())
                        sgd_momentum<double>(params, velocity, 0.01, 0.9);
                    else
                        sgd_momentum<float>(params, velocity, 0.01, 0.9);
                });
            }};
}

}  // namespace bench::tapegrad
