#pragma once
// The workloads' MLP, 784-30-30-30-30-10 with sigmoid hidden layers, written with plain ops so
// that it matches the libtorch counterpart op for op.

#include <vector>

#include "tapegrad.hpp"

namespace bench::tapegrad {

struct MlpNet {
    std::vector<tg::Tensor> weights, biases;  // weights [out, in], as in torch::nn::Linear
    tg::Tensor x;
    std::vector<std::int64_t> labels;

    MlpNet(int batch, tg::DType dtype, std::uint64_t seed) {
        tg::Generator gen(seed);
        const std::vector<std::size_t> sizes{784, 30, 30, 30, 30, 10};
        for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
            const double bound = 1.0 / std::sqrt(static_cast<double>(sizes[l]));
            weights.push_back(
                tg::uniform({sizes[l + 1], sizes[l]}, -bound, bound, gen, dtype).requires_grad_());
            biases.push_back(
                tg::uniform({sizes[l + 1]}, -bound, bound, gen, dtype).requires_grad_());
        }
        const auto n = static_cast<std::size_t>(batch);
        x = tg::rand({n, 784}, gen, dtype);
        for (std::size_t i = 0; i < n; ++i)
            labels.push_back(static_cast<std::int64_t>(gen.below(10)));
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
            h = tg::matmul(h, weights[l], false, true) + biases[l];
            if (l + 1 < weights.size()) h = tg::sigmoid(h);
        }
        return tg::nll_loss(tg::log_softmax(h, 1), labels);
    }

    void sgd_step(double lr) {
        tg::NoGradGuard no_grad;
        for (auto& p : parameters()) {
            tg::Tensor q = p;
            if (q.dtype() == tg::kFloat32)
                q.mutable_array<float>() -= static_cast<float>(lr) * q.grad().array<float>();
            else
                q.mutable_array<double>() -= lr * q.grad().array<double>();
        }
    }
};

}  // namespace bench::tapegrad
