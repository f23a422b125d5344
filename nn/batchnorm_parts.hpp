#pragma once
// Pieces that batch_norm and the distributed sync_batch_norm share. Internal, not installed.

#include <cstddef>

#include "../autograd/tensor.hpp"

namespace tg::nn::detail {

// A per-channel tensor (weight, bias, running statistics) of `op`: undefined, or [C] of x's dtype.
void check_channel_tensor(const char* op, const char* what, const Tensor& t, std::size_t C,
                          const Tensor& x);

// running = (1 - momentum) running + momentum * scale * batch, elementwise, in place.
void blend_running(Tensor running, const Tensor& batch, double momentum, double scale);

}  // namespace tg::nn::detail
