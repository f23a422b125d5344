#pragma once
// libtorch tensors made from bench/shared_inputs.hpp's values, and the check figures of a
// training step (bench/harness.hpp).

#include <torch/torch.h>

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "../harness.hpp"
#include "../shared_inputs.hpp"

namespace bench::libtorch {

// A tensor of `dtype` holding `values` (doubles) rounded to it.
inline torch::Tensor shared_tensor(std::vector<double> values, at::IntArrayRef shape,
                                   torch::Dtype dtype) {
    return torch::from_blob(values.data(), shape, torch::kFloat64)
        .to(dtype, /*non_blocking=*/false, /*copy=*/true);  // a copy: `values` dies here
}

inline torch::Tensor shared_labels(std::vector<std::int64_t> labels) {
    return torch::from_blob(labels.data(), {static_cast<std::int64_t>(labels.size())}, torch::kLong)
        .clone();
}

// Overwrites a parameter's values, rounded to its dtype.
inline void assign_(const torch::Tensor& p, const std::vector<double>& values) {
    if (values.size() != static_cast<std::size_t>(p.numel()))
        throw std::runtime_error("assign_: " + std::to_string(values.size()) + " values for " +
                                 std::to_string(p.numel()) + " elements");
    torch::NoGradGuard no_grad;
    p.copy_(shared_tensor(values, p.sizes(), torch::kFloat64));
}

inline std::vector<std::vector<double>> values_of(const std::vector<torch::Tensor>& ts) {
    std::vector<std::vector<double>> out;
    for (const auto& t : ts) {
        const torch::Tensor d = t.detach().to(torch::kFloat64).contiguous();
        const double* p = d.data_ptr<double>();
        out.emplace_back(p, p + d.numel());
    }
    return out;
}

// Two untimed training steps: the loss and the gradient of the first, the loss of the second,
// and the change of the parameters over both (which checks the optimizer's update, momentum
// included). `step` zeroes the gradients, computes the loss, backpropagates, updates and returns
// the loss.
inline void check_training(Run& run, const std::vector<torch::Tensor>& params,
                           const std::function<torch::Tensor()>& step) {
    std::vector<std::vector<double>> update = values_of(params);
    run.check("loss", step().item<double>());
    std::vector<torch::Tensor> grads;
    for (const auto& p : params) grads.push_back(p.grad());
    run.check_sums("grad", values_of(grads));
    run.check("loss_step2", step().item<double>());
    const auto after = values_of(params);
    for (std::size_t i = 0; i < update.size(); ++i)
        for (std::size_t k = 0; k < update[i].size(); ++k)
            update[i][k] = after[i][k] - update[i][k];
    run.check_sums("update", update);
}

}  // namespace bench::libtorch
