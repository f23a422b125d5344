#pragma once
// Largest and smallest values over several axes with ties sharing the gradient (PyTorch's amax,
// amin), argmin, and the truth reductions any and all.

#include <cstdint>

#include "../autograd/tensor.hpp"
#include "dims.hpp"

namespace tg {

// The largest value over `axes` (each at most once; an empty list reduces nothing), NaN where
// the reduced values hold a NaN (as torch.amax). ValueError if a reduced axis is empty.
// Derivative: the gradient is split evenly among the elements equal to the maximum (the NaNs,
// where it is NaN), as PyTorch's amax; unlike max(x, axis), which gives it all to the first.
// Piecewise linear: every second derivative is 0.
Tensor amax(const Tensor& x, const Dims& axes, bool keepdims = false);
// The smallest value, -amax(-x): the same rules.
Tensor amin(const Tensor& x, const Dims& axes, bool keepdims = false);
// Index of the first minimal element along an axis (the first NaN, if any), as values of x's
// dtype (a constant), like argmax. ValueError if the axis is empty.
Tensor argmin(const Tensor& x, std::int64_t axis);
// 1 where some (any) or every (all) reduced element is nonzero, else 0, in x's dtype: constants,
// nothing flows through them. NaN counts as nonzero (as NumPy). Over an empty axis any gives 0
// and all gives 1.
Tensor any(const Tensor& x, const Dims& axes, bool keepdims = false);
Tensor all(const Tensor& x, const Dims& axes, bool keepdims = false);

}  // namespace tg
