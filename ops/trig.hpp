#pragma once
// Trigonometric and hyperbolic functions and their inverses, elementwise, in float and double.
// Each is differentiable to any order in both modes: its vjp and jvp are written with tapegrad
// ops. Values outside an op's domain give NaN, as the std:: function does; the derivative is
// then NaN too, and at the ends of a domain it is infinite (PyTorch's behaviour).

#include "../autograd/tensor.hpp"

namespace tg {

// tan(x); d/dx = 1 + tan(x)^2. The derivative grows without bound near the poles pi/2 + k pi.
Tensor tan(const Tensor& x);
// asin(x) for x in [-1, 1]; d/dx = 1 / sqrt(1 - x^2): infinite at x = +-1, NaN for |x| > 1.
Tensor asin(const Tensor& x);
// acos(x) for x in [-1, 1]; d/dx = -1 / sqrt(1 - x^2): infinite at x = +-1, NaN for |x| > 1.
Tensor acos(const Tensor& x);
// atan(x); d/dx = 1 / (1 + x^2), defined everywhere.
Tensor atan(const Tensor& x);
// atan2(y, x): the angle of the point (x, y) in [-pi, pi] (the sign of a zero y picks the
// end), with NumPy broadcasting.
// d/dy = x / (x^2 + y^2), d/dx = -y / (x^2 + y^2): NaN at the origin, where the angle jumps.
// The angle is also discontinuous across the negative x axis (y = 0, x < 0).
Tensor atan2(const Tensor& y, const Tensor& x);
// sinh(x); d/dx = cosh(x). Overflows to +-inf for |x| > ~710 (double), ~89 (float).
Tensor sinh(const Tensor& x);
// cosh(x); d/dx = sinh(x).
Tensor cosh(const Tensor& x);
// asinh(x); d/dx = 1 / sqrt(x^2 + 1), defined everywhere.
Tensor asinh(const Tensor& x);
// acosh(x) for x >= 1 (NaN below); d/dx = 1 / sqrt(x^2 - 1): infinite at x = 1, NaN for
// |x| < 1 (for x < -1 the formula stays finite, as in PyTorch, though the value is NaN).
Tensor acosh(const Tensor& x);
// atanh(x) for x in [-1, 1] (+-inf at +-1, NaN outside); d/dx = 1 / (1 - x^2): infinite at
// x = +-1 (for |x| > 1 the formula stays finite, as in PyTorch, though the value is NaN).
Tensor atanh(const Tensor& x);

}  // namespace tg
