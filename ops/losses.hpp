#pragma once
// Loss functions, composed from primitives. Each returns a 0-d tensor.

#include <cstdint>
#include <vector>

#include "../autograd/tensor.hpp"

namespace tg {

// Mean of (prediction - target)^2 over all elements.
Tensor mse_loss(const Tensor& prediction, const Tensor& target);
// The lecture's quadratic cost C = 1/(2n) sum_x ||y(x) - a(x)||^2, n = rows of the batch.
Tensor quadratic_cost(const Tensor& prediction, const Tensor& target);
// Negative log-likelihood of log-probabilities [N, C] at the given labels, averaged over N.
Tensor nll_loss(const Tensor& log_probs, const std::vector<std::int64_t>& labels);
// Cross-entropy from logits [N, C]: log_softmax then NLL. Stable for large logits.
Tensor cross_entropy(const Tensor& logits, const std::vector<std::int64_t>& labels);
// Binary cross-entropy from logits, elementwise against 0/1 targets, averaged:
// mean(softplus(z) - y z), which never takes the log of 0.
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& targets);
// Cross-entropy of probabilities a against 0/1 targets y, as in Nielsen's book:
// -mean over rows of sum_j [y_j ln a_j + (1 - y_j) ln(1 - a_j)]. ValueError for a probability
// outside [0, 1]; NaN propagates.
Tensor binary_cross_entropy(const Tensor& probabilities, const Tensor& targets);

}  // namespace tg
