#pragma once
// tapegrad tensors made from bench/shared_inputs.hpp's values, and the check figures of a
// training step (bench/harness.hpp).

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "../harness.hpp"
#include "../shared_inputs.hpp"
#include "tapegrad.hpp"

namespace bench::tapegrad {

// Overwrites a parameter's values, rounded to its dtype.
inline void assign(const tg::Tensor& p, const std::vector<double>& values) {
    if (values.size() != p.numel())
        throw std::runtime_error("assign: " + std::to_string(values.size()) + " values for " +
                                 std::to_string(p.numel()) + " elements");
    tg::NoGradGuard no_grad;
    if (p.dtype() == tg::kFloat32) {
        float* w = p.mutable_array<float>().data();
        for (std::size_t i = 0; i < values.size(); ++i) w[i] = static_cast<float>(values[i]);
    } else {
        double* w = p.mutable_array<double>().data();
        for (std::size_t i = 0; i < values.size(); ++i) w[i] = values[i];
    }
}

inline std::vector<std::vector<double>> values_of(const std::vector<tg::Tensor>& ts) {
    std::vector<std::vector<double>> out;
    for (const auto& t : ts) out.push_back(t.to_vector());
    return out;
}

// Two untimed training steps: the loss and the gradient of the first, the loss of the second,
// and the change of the parameters over both (which checks the optimizer's update, momentum
// included). `step` zeroes the gradients, computes the loss, backpropagates, updates and returns
// the loss.
inline void check_training(Run& run, const std::vector<tg::Tensor>& params,
                           const std::function<tg::Tensor()>& step) {
    std::vector<std::vector<double>> update = values_of(params);
    run.check("loss", step().item());
    std::vector<tg::Tensor> grads;
    for (const auto& p : params) grads.push_back(p.grad());
    run.check_sums("grad", values_of(grads));
    run.check("loss_step2", step().item());
    const auto after = values_of(params);
    for (std::size_t i = 0; i < update.size(); ++i)
        for (std::size_t k = 0; k < update[i].size(); ++k)
            update[i][k] = after[i][k] - update[i][k];
    run.check_sums("update", update);
}

}  // namespace bench::tapegrad
