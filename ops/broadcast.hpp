#pragma once
// broadcast_to and sum_to: an adjoint pair. Each is the other's derivative, which keeps
// broadcasting correct at every order of differentiation.

#include "../autograd/tensor.hpp"

namespace tg {

// Copies x along new leading axes and along axes of size 1 (NumPy rules).
// Returns x itself if it already has that shape.
Tensor broadcast_to(const Tensor& x, const Shape& shape);

// Sums x over the axes that broadcasting to x.shape() would have added or stretched.
// Returns x itself if it already has that shape.
Tensor sum_to(const Tensor& x, const Shape& shape);

}  // namespace tg
