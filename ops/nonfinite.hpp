#pragma once
// Finding and replacing NaN and infinities, elementwise, in float and double.

#include <optional>

#include "../autograd/tensor.hpp"

namespace tg {

// 0/1 masks in x's dtype, like the comparisons of ops/math.hpp: constants, nothing flows
// through them.
Tensor isnan(const Tensor& x);
Tensor isinf(const Tensor& x);     // +inf or -inf
Tensor isfinite(const Tensor& x);  // neither NaN nor infinite

// x with NaN replaced by `nan`, +inf by `posinf` and -inf by `neginf`. As PyTorch, the
// defaults are 0, the dtype's largest finite value and its lowest finite value; a replacement
// beyond the dtype's finite range becomes +-inf. d/dx = 1 where x is finite and 0 where
// it was replaced (PyTorch's rule). Anomaly mode, which checks every op's inputs for NaN and
// Inf, rejects non-finite inputs here too.
Tensor nan_to_num(const Tensor& x, double nan = 0.0, std::optional<double> posinf = std::nullopt,
                  std::optional<double> neginf = std::nullopt);

}  // namespace tg
