#pragma once
// Cumulative sums and products along an axis, logcumsumexp, and the product over an axis or
// everything. All are built on one primitive, the first-order linear recurrence
// y_k = b_k + a_k y_(k-1), whose vjp and jvp are recurrences of the same kind (run backwards
// for the vjp). So every derivative, of any order, is exact with zeros in the input, costs
// O(n) per slice, and never divides by an element.

#include <cstdint>

#include "../autograd/tensor.hpp"

namespace tg {

// y_k = x_0 + ... + x_k along `axis`. Accumulates in double for float input. d/dx: the reverse
// cumulative sum of the gradient. Empty tensors give empty results.
Tensor cumsum(const Tensor& x, std::int64_t axis);
// y_k = x_0 x_1 ... x_k along `axis`. d y_k / d x_j = the product of x_0..x_k without x_j
// (j <= k), computed by recurrences, not by dividing by x_j: exact where x has zeros, at any
// order. NaN propagates from its position on.
Tensor cumprod(const Tensor& x, std::int64_t axis);
// y_k = log(exp(x_0) + ... + exp(x_k)) along `axis`, without overflow or underflow (shifted by
// the running maximum, a constant). d y_k / d x_j = exp(x_j - y_k) for j <= k. -inf inputs give
// -inf until a finite value arrives; +inf gives +inf (the gradient there is NaN).
Tensor logcumsumexp(const Tensor& x, std::int64_t axis);
// The product along `axis` (1 over an empty axis, as PyTorch): the last element of cumprod, so
// the gradient with one zero in a slice is the product of the others, and 0 with two or more
// zeros; the second derivatives are exact as well.
Tensor prod(const Tensor& x, std::int64_t axis, bool keepdims = false);
// The product of every element: a 0-d tensor (1 for an empty tensor).
Tensor prod(const Tensor& x);

}  // namespace tg
