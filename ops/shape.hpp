#pragma once
// Shape ops: reshape and permute are primitives; the rest are built on them.

#include "../autograd/tensor.hpp"
#include "dims.hpp"

namespace tg {

// One entry may be -1: it is inferred from the element count.
Tensor reshape(const Tensor& x, const Dims& shape);
Tensor permute(const Tensor& x, const Dims& axes);
// Swaps two axes (the last two by default: the matrix transpose).
Tensor transpose(const Tensor& x, std::int64_t a = -2, std::int64_t b = -1);
// Collapses axes start..end (inclusive) into one.
Tensor flatten(const Tensor& x, std::int64_t start = 1, std::int64_t end = -1);
Tensor unsqueeze(const Tensor& x, std::int64_t axis);
Tensor squeeze(const Tensor& x, std::int64_t axis);

}  // namespace tg
