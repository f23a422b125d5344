#pragma once
// The workloads' MLP, 784-30-30-30-30-10 with sigmoid hidden layers, a linear output,
// log-softmax and NLL, written with tg::nn::functional::linear as a tapegrad user would. Its
// weights, inputs and labels come from bench/shared_inputs.hpp, as libtorch's counterpart's do.

#include <cmath>
#include <vector>

#include "shared.hpp"
#include "tapegrad.hpp"

namespace bench::tapegrad {

struct MlpNet {
    std::vector<tg::Tensor> weights, biases;  // weights [out, in], as in torch::nn::Linear
    tg::Tensor x;
    std::vector<std::int64_t> labels;

    MlpNet(int batch, tg::DType dtype, std::uint64_t seed) {
        SharedRandom rng(seed);
        const auto& sizes = mlp_sizes();
        for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
            const double bound = 1.0 / std::sqrt(static_cast<double>(sizes[l]));
            weights.push_back(
                tg::from_vector(rng.uniform_values(sizes[l + 1] * sizes[l], -bound, bound),
                                {sizes[l + 1], sizes[l]}, dtype)
                    .requires_grad_());
            biases.push_back(tg::from_vector(rng.uniform_values(sizes[l + 1], -bound, bound),
                                             {sizes[l + 1]}, dtype)
                                 .requires_grad_());
        }
        const auto n = static_cast<std::size_t>(batch);
        x = tg::from_vector(rng.uniform_values(n * sizes[0], 0, 1), {n, sizes[0]}, dtype);
        labels = rng.labels(n, static_cast<std::int64_t>(sizes.back()));
    }

    std::vector<tg::Tensor> parameters() const {
        std::vector<tg::Tensor> p;
        for (std::size_t l = 0; l < weights.size(); ++l) {
            p.push_back(weights[l]);
            p.push_back(biases[l]);
        }
        return p;
    }

    tg::Tensor loss() const {
        tg::Tensor h = x;
        for (std::size_t l = 0; l < weights.size(); ++l) {
            h = tg::nn::functional::linear(h, weights[l], biases[l]);
            if (l + 1 < weights.size()) h = tg::sigmoid(h);
        }
        return tg::nll_loss(tg::log_softmax(h, 1), labels);
    }
};

}  // namespace bench::tapegrad
