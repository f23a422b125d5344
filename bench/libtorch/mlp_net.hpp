#pragma once
// The same MLP as bench/tapegrad/mlp_net.hpp, in libtorch.

#include <torch/torch.h>

#include <vector>

namespace bench::libtorch {

struct MlpNet {
    std::vector<torch::Tensor> weights, biases;
    torch::Tensor x, labels;

    MlpNet(int batch, torch::Dtype dtype, std::uint64_t seed) {
        torch::manual_seed(seed);
        const std::vector<std::int64_t> sizes{784, 30, 30, 30, 30, 10};
        const auto opts = torch::TensorOptions().dtype(dtype);
        for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
            const double bound = 1.0 / std::sqrt(static_cast<double>(sizes[l]));
            weights.push_back(torch::empty({sizes[l + 1], sizes[l]}, opts)
                                  .uniform_(-bound, bound)
                                  .requires_grad_());
            biases.push_back(
                torch::empty({sizes[l + 1]}, opts).uniform_(-bound, bound).requires_grad_());
        }
        x = torch::rand({batch, 784}, opts);
        labels = torch::randint(0, 10, {batch}, torch::TensorOptions().dtype(torch::kLong));
    }

    std::vector<torch::Tensor> parameters() const {
        std::vector<torch::Tensor> p;
        for (std::size_t l = 0; l < weights.size(); ++l) {
            p.push_back(weights[l]);
            p.push_back(biases[l]);
        }
        return p;
    }

    torch::Tensor loss() const {
        torch::Tensor h = x;
        for (std::size_t l = 0; l < weights.size(); ++l) {
            h = torch::matmul(h, weights[l].t()) + biases[l];
            if (l + 1 < weights.size()) h = torch::sigmoid(h);
        }
        return torch::nll_loss(torch::log_softmax(h, 1), labels);
    }

    void sgd_step(double lr) {
        torch::NoGradGuard no_grad;
        for (auto& p : parameters()) p.sub_(lr * p.grad());
    }
};

}  // namespace bench::libtorch
