#pragma once
// Classification metrics on logits or probabilities [N, classes]. Not differentiable.

#include <cstdint>
#include <vector>

#include "../autograd/tensor.hpp"

namespace tg::nn {

// How many rows have their largest entry at the label (the first maximum on ties).
std::size_t count_correct(const Tensor& scores, const std::vector<std::int64_t>& labels);
// count_correct / N.
double accuracy(const Tensor& scores, const std::vector<std::int64_t>& labels);

}  // namespace tg::nn
