#pragma once
// Composites for probabilities, built from primitives only.

#include <cstdint>

#include "../autograd/tensor.hpp"

namespace tg {

// log(sum(exp(x))) along an axis, shifted by the (constant) maximum so that it never overflows.
Tensor logsumexp(const Tensor& x, std::int64_t axis, bool keepdims = false);
Tensor log_softmax(const Tensor& x, std::int64_t axis = -1);
Tensor softmax(const Tensor& x, std::int64_t axis = -1);

}  // namespace tg
