#pragma once
// Variance and standard deviation over axes, with PyTorch's `correction` (Bessel's correction
// by default). Composites of mean, sub, square and sum, so their derivatives of every order, in
// both modes, come from those ops.

#include "../autograd/tensor.hpp"
#include "dims.hpp"

namespace tg {

// sum((x - mean(x))^2) / max(0, N - correction) over `axes` (each axis at most once; an empty
// list reduces nothing, as sum), where N is the number of elements reduced. correction = 1 is
// the unbiased estimate (torch.var's default), 0 the population variance. Two passes (the mean
// first), so it does not cancel catastrophically as E[x^2] - E[x]^2 would.
// N <= correction divides by 0: NaN, or inf if the values differ, as PyTorch (whose gradient
// there is NaN/inf too). ValueError if N = 0 (as mean), or correction < 0 or NaN.
// d/dx_i = 2 (x_i - mean) / (N - correction): defined everywhere; NaN propagates.
Tensor var(const Tensor& x, const Dims& axes, double correction = 1, bool keepdims = false);
Tensor var(const Tensor& x);  // over everything, correction 1: a 0-d tensor

// sqrt(var(x, axes, correction, keepdims)). d/dx_i = (x_i - mean) / ((N - correction) stddev):
// infinite slope where the variance is 0 (all reduced values equal). There the gradient is 0
// (and so are all higher derivatives), like PyTorch's 2-norm at 0, not the 0 * inf = NaN the
// chain rule through sqrt would give. Named stddev, not std, to keep clear of namespace std.
Tensor stddev(const Tensor& x, const Dims& axes, double correction = 1, bool keepdims = false);
Tensor stddev(const Tensor& x);  // over everything, correction 1

}  // namespace tg
