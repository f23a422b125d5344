#pragma once
// The same problem as bench/tapegrad/logistic.hpp, in libtorch, from the same points and labels
// (bench/shared_inputs.hpp).

#include <torch/torch.h>

#include <vector>

#include "shared.hpp"

namespace bench::libtorch {

struct LogisticRegression {
    static constexpr double kLambda = 0.01;
    torch::Tensor x, y, w, b;

    LogisticRegression(std::int64_t points, std::int64_t features, torch::Dtype dtype,
                       std::uint64_t seed) {
        SharedRandom rng(seed);
        const auto n = static_cast<std::size_t>(points), d = static_cast<std::size_t>(features);
        x = shared_tensor(rng.normal_values(n * d), {points, features}, dtype);
        std::vector<double> labels(n);
        for (auto& l : labels) l = static_cast<double>(rng.below(2));
        y = shared_tensor(labels, {points, 1}, dtype);
        const auto opts = torch::TensorOptions().dtype(dtype);
        w = torch::zeros({features, 1}, opts).requires_grad_();
        b = torch::zeros({1}, opts).requires_grad_();
    }

    std::vector<torch::Tensor> parameters() const { return {w, b}; }

    torch::Tensor loss() const {
        const torch::Tensor z = torch::addmm(b, x, w);  // x w + b in one call
        return torch::binary_cross_entropy_with_logits(z, y) +
               (0.5 * kLambda) * torch::square(w).sum();
    }
};

}  // namespace bench::libtorch
