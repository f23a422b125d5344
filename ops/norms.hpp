#pragma once
// Vector norms over all or some axes (torch.linalg.vector_norm) and the Frobenius norm.
// Composites of abs, pow, sum, amax/amin and a p-th root whose slope is taken as 0 at 0, so
// the gradient of a norm of zeros is 0 (PyTorch's choice), not NaN.

#include "../autograd/tensor.hpp"
#include "dims.hpp"

namespace tg {

// (sum |x|^p)^(1/p) over `axes` (each at most once; an empty list reduces nothing), or over
// every element when no axes are given. p may be
//   2 (the default): sqrt(sum x^2); d/dx = x / norm, and 0 where norm = 0 (every higher
//     derivative is 0 there too). sum x^2 is not rescaled: it overflows beyond ~1e154 in
//     double (1e19 in float) and underflows below ~1e-162 (1e-23), as a plain loop would;
//   1: sum |x|; d/dx = sign(x), 0 at x = 0;
//   inf, -inf: amax |x|, amin |x|; the gradient sign(x) is split evenly among ties (as PyTorch);
//     ValueError on an empty reduction;
//   0: the number of nonzero elements (NaN counts), a constant: nothing flows through it;
//   any other p > 0: d/dx = sign(x) |x|^(p-1) / norm^(p-1), and 0 where x = 0 or norm = 0;
//   p < 0: a zero element makes the norm 0 (|0|^p = inf); the gradient is NaN there.
// NaN in x gives NaN (except p = 0). ValueError if p is NaN.
Tensor vector_norm(const Tensor& x, double p = 2);
Tensor vector_norm(const Tensor& x, double p, const Dims& axes, bool keepdims = false);
// sqrt(sum x^2): vector_norm with p = 2, over everything or over `axes` (torch.norm's "fro").
Tensor frobenius_norm(const Tensor& x);
Tensor frobenius_norm(const Tensor& x, const Dims& axes, bool keepdims = false);

}  // namespace tg
