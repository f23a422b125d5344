#pragma once
// Gradient clipping, as torch::nn::utils::clip_grad_norm_ and clip_grad_value_: applied to the
// parameters' .grad() in place, between backward() and the optimizer's step().

#include <vector>

#include "../autograd/tensor.hpp"

namespace tg::optim {

// Scales every gradient by max_norm / total_norm when the norm of all gradients together
// (norm_type 1, 2, ..., or infinity) exceeds max_norm. Returns that total norm, before
// clipping. Parameters without a gradient are skipped. A NaN or infinite total norm leaves the
// gradients as they are and is returned (check it), or throws NumericError when
// error_if_nonfinite. ValueError for max_norm < 0 or norm_type < 1.
double clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm,
                       double norm_type = 2.0, bool error_if_nonfinite = false);

// Clamps every gradient element into [-clip_value, clip_value] (NaN stays NaN).
void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value);

}  // namespace tg::optim
