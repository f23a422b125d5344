#pragma once
// Internal: the p-th root whose derivative is 0 where its input is 0, behind the 2-norm, the
// p-norms and stddev. Not installed.

#include "../autograd/tensor.hpp"

namespace tg::detail {

// s^(1/p) elementwise, for s >= 0 and p != 0 (std::sqrt when p = 2). d/ds = s^(1/p - 1) / p
// where s != 0 and 0 where s == 0: the subgradient PyTorch gives the 2-norm at the origin,
// instead of the infinite slope (which would make the gradient of a norm of zeros 0 * inf =
// NaN). The derivative is written with tapegrad ops (where, pow), with s replaced by 1 inside
// pow where s == 0 so that no infinity enters any order; so every higher derivative is 0 at
// s == 0 too. NaN in s gives NaN value and derivative.
Tensor zero_safe_root(const Tensor& s, double p);

}  // namespace tg::detail
