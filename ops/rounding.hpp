#pragma once
// Rounding and floating-point remainders, elementwise, in float and double.
//
// round, floor, ceil and trunc are piecewise constant: their derivative is zero wherever it
// exists. As in custom_op.hpp's non_differentiable(), their results are constants: they never
// require grad and carry no tangent, so in any expression they contribute a zero gradient (use
// x + (round(x) - x).detach() for a straight-through estimator). PyTorch instead returns an
// explicit zero gradient; the gradients of every expression that also depends on x otherwise
// are the same.

#include "../autograd/tensor.hpp"

namespace tg {

// To the nearest integer, halves to even (0.5 -> 0, 1.5 -> 2, -2.5 -> -2), as PyTorch.
Tensor round(const Tensor& x);
Tensor floor(const Tensor& x);
Tensor ceil(const Tensor& x);
Tensor trunc(const Tensor& x);  // towards zero

// C's fmod: a - trunc(a / b) b, with the sign of a; NaN for b = 0. With NumPy broadcasting.
// d/da = 1, d/db = -trunc(a / b) (PyTorch's rule); both jump where a / b crosses an integer.
Tensor fmod(const Tensor& a, const Tensor& b);
// Python's %: a - floor(a / b) b, with the sign of b; NaN for b = 0. With NumPy broadcasting.
// d/da = 1, d/db = -floor(a / b) (PyTorch's rule); both jump where a / b crosses an integer.
Tensor remainder(const Tensor& a, const Tensor& b);

}  // namespace tg
