#pragma once
// The same problem as bench/tapegrad/logistic.hpp, in libtorch.

#include <torch/torch.h>

#include <vector>

namespace bench::libtorch {

struct LogisticRegression {
    static constexpr double kLambda = 0.01;
    torch::Tensor x, y, w, b;

    LogisticRegression(std::int64_t points, std::int64_t features, torch::Dtype dtype,
                       std::uint64_t seed) {
        torch::manual_seed(seed);
        const auto opts = torch::TensorOptions().dtype(dtype);
        x = torch::randn({points, features}, opts);
        y = torch::randint(0, 2, {points, 1}, opts);
        w = torch::zeros({features, 1}, opts).requires_grad_();
        b = torch::zeros({1}, opts).requires_grad_();
    }

    std::vector<torch::Tensor> parameters() const { return {w, b}; }

    torch::Tensor loss() const {
        const torch::Tensor z = torch::matmul(x, w) + b;
        return torch::binary_cross_entropy_with_logits(z, y) +
               (0.5 * kLambda) * torch::square(w).sum();
    }
};

}  // namespace bench::libtorch
