#pragma once
// Products built on matmul and broadcasting: outer, kron, tensordot, batched_matmul (any number
// of broadcast batch axes) and einsum. Each is composed from reshape, permute, broadcast_to,
// mul, sum and matmul, so its vjp and jvp are those ops' rules: exact everywhere (the products
// are bilinear) and differentiable to any order in both modes.

#include <cstdint>
#include <string>
#include <vector>

#include "../autograd/tensor.hpp"
#include "dims.hpp"

namespace tg {

// a[i] b[j] for 1-D a and b: shape [a.size, b.size].
Tensor outer(const Tensor& a, const Tensor& b);
// The Kronecker product (numpy.kron, torch.kron): the lower-rank operand gets leading axes of
// size 1; result[i * b.shape + j] = a[i] b[j] per axis.
Tensor kron(const Tensor& a, const Tensor& b);
// Sums a[..., k...] b[k..., ...] over a's axes `axes_a` paired with b's axes `axes_b` (equal
// sizes); the result's axes are a's remaining axes, then b's.
Tensor tensordot(const Tensor& a, const Tensor& b, const Dims& axes_a, const Dims& axes_b);
// The last n axes of a with the first n of b.
Tensor tensordot(const Tensor& a, const Tensor& b, std::size_t n);
// [..., n, k] @ [..., k, m] -> [..., n, m] for operands of rank >= 2 whose leading (batch) axes
// broadcast (NumPy rules), as numpy.matmul without the 1-D cases.
Tensor batched_matmul(const Tensor& a, const Tensor& b);

// Einstein summation, for equations made of letters, commas and an optional "->":
// "ij,jk->ik", "bij,bjk->bik", "bhqd,bhkd->bhqk", "i,j->ij", "bi,ij,bj->b", "ij->ji", "ij->".
// Without "->", the output is the labels that appear exactly once, in alphabetical order (NumPy's
// rule). Labels of the output must appear in an input, once. A label's size must agree across
// operands (no broadcasting of size-1 axes). Two operands contract through one batched matmul; more
// operands are contracted pairwise left to right, keeping only the labels still needed. Unsupported
// (ValueError naming the equation and the reason): a label repeated within one operand (diagonals,
// "ii->i"), ellipses "...", and characters other than letters.
Tensor einsum(const std::string& equation, const std::vector<Tensor>& operands);

}  // namespace tg
