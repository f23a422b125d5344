#pragma once
// Matrix products through BLAS.

#include "../autograd/tensor.hpp"
#include "threads.hpp"  // set_num_threads: products are split across tapegrad's threads

namespace tg {

// Matrix product of 2-D or batched 3-D tensors. A 2-D operand, or a batch of size 1, is
// broadcast over the other operand's batch.
Tensor matmul(const Tensor& a, const Tensor& b);
// op(a) @ op(b), where op transposes the last two axes when asked. No copy is made: the flags
// go to BLAS. The derivatives are products of the same kind, so they cost no transposes either.
Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b);


}  // namespace tg
