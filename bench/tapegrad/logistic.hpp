#pragma once
// The newton_cg workload's problem, written with plain ops to match bench/libtorch/logistic.hpp:
// L2-regularised logistic regression, loss = mean(softplus(z) - y z) + lambda/2 |w|^2 with
// z = X w + b, on `points` random points (features approximately N(0, 1)) with random 0/1
// labels, from bench/shared_inputs.hpp as libtorch's counterpart's.

#include <vector>

#include "shared.hpp"
#include "tapegrad.hpp"

namespace bench::tapegrad {

struct LogisticRegression {
    static constexpr double kLambda = 0.01;
    tg::Tensor x, y, w, b;

    LogisticRegression(std::size_t points, std::size_t features, tg::DType dtype,
                       std::uint64_t seed) {
        SharedRandom rng(seed);
        x = tg::from_vector(rng.normal_values(points * features), {points, features}, dtype);
        std::vector<double> labels(points);
        for (auto& l : labels) l = static_cast<double>(rng.below(2));
        y = tg::from_vector(labels, {points, 1}, dtype);
        w = tg::zeros({features, 1}, dtype).requires_grad_();
        b = tg::zeros({1}, dtype).requires_grad_();
    }

    std::vector<tg::Tensor> parameters() const { return {w, b}; }

    tg::Tensor loss() const {
        const tg::Tensor z = tg::matmul(x, w) + b;
        return tg::binary_cross_entropy_with_logits(z, y) +
               (0.5 * kLambda) * tg::sum(tg::square(w));
    }
};

}  // namespace bench::tapegrad
