#pragma once
// Reductions: sum (primitive), mean (sum times 1/n), max over an axis (primitive).

#include "../autograd/tensor.hpp"
#include "dims.hpp"

namespace tg {

Tensor sum(const Tensor& x);  // over everything: a 0-d tensor
Tensor sum(const Tensor& x, const Dims& axes, bool keepdims = false);
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, const Dims& axes, bool keepdims = false);
// Largest value along one axis; NaN if the slice holds a NaN (as NumPy and PyTorch). The
// gradient goes to the first maximal element (the first NaN).
Tensor max(const Tensor& x, std::int64_t axis, bool keepdims = false);
Tensor min(const Tensor& x, std::int64_t axis, bool keepdims = false);
// Index of the first maximal element along an axis (the first NaN, if any), as values of x's
// dtype (a constant).
Tensor argmax(const Tensor& x, std::int64_t axis);
// 1 at the first maximal element of every slice along an axis, 0 elsewhere (a constant).
Tensor argmax_mask(const Tensor& x, std::int64_t axis);

}  // namespace tg
