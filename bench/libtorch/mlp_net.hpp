#pragma once
// The same MLP as bench/tapegrad/mlp_net.hpp, in libtorch: torch::linear (one addmm per layer),
// sigmoid, log-softmax and NLL, with the same weights, inputs and labels
// (bench/shared_inputs.hpp).

#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "shared.hpp"

namespace bench::libtorch {

struct MlpNet {
    std::vector<torch::Tensor> weights, biases;
    torch::Tensor x, labels;

    MlpNet(int batch, torch::Dtype dtype, std::uint64_t seed) {
        SharedRandom rng(seed);
        const auto& sizes = mlp_sizes();
        for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
            const double bound = 1.0 / std::sqrt(static_cast<double>(sizes[l]));
            const auto in = static_cast<std::int64_t>(sizes[l]);
            const auto out = static_cast<std::int64_t>(sizes[l + 1]);
            weights.push_back(
                shared_tensor(rng.uniform_values(sizes[l + 1] * sizes[l], -bound, bound), {out, in},
                              dtype)
                    .requires_grad_());
            biases.push_back(
                shared_tensor(rng.uniform_values(sizes[l + 1], -bound, bound), {out}, dtype)
                    .requires_grad_());
        }
        const auto n = static_cast<std::size_t>(batch);
        x = shared_tensor(rng.uniform_values(n * sizes[0], 0, 1),
                          {batch, static_cast<std::int64_t>(sizes[0])}, dtype);
        labels = shared_labels(rng.labels(n, static_cast<std::int64_t>(sizes.back())));
    }

    std::vector<torch::Tensor> parameters() const {
        std::vector<torch::Tensor> p;
        for (std::size_t l = 0; l < weights.size(); ++l) {
            p.push_back(weights[l]);
            p.push_back(biases[l]);
        }
        return p;
    }

    torch::Tensor logits(const std::vector<torch::Tensor>& params) const {
        torch::Tensor h = x;
        for (std::size_t l = 0; l < weights.size(); ++l) {
            h = torch::linear(h, params[2 * l], params[2 * l + 1]);
            if (l + 1 < weights.size()) h = torch::sigmoid(h);
        }
        return h;
    }

    torch::Tensor loss() const {
        return torch::nll_loss(torch::log_softmax(logits(parameters()), 1), labels);
    }

    // The same loss of `params` (the parameters as dual tensors) for forward-over-reverse:
    // libtorch 1.13 has no forward-mode rule for the backward functions of log_softmax and
    // nll_loss (_log_softmax_backward_data, nll_loss_backward: "Trying to use forward AD with
    // ... that does not support it"), so log-softmax is written as h - logsumexp(h) and the NLL
    // as a gather and a mean, whose backward functions do have one.
    torch::Tensor loss_for_forward_ad(const std::vector<torch::Tensor>& params) const {
        const torch::Tensor h = logits(params);
        const torch::Tensor log_p = h - torch::logsumexp(h, 1, /*keepdim=*/true);
        return -log_p.gather(1, labels.unsqueeze(1)).mean();
    }
};

}  // namespace bench::libtorch
