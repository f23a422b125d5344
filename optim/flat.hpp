#pragma once
// Flat vectors: all parameters (or all gradients) laid end to end in one vector of doubles,
// in the order of the parameter list and each tensor in row-major order. The second-order
// methods do their linear algebra on these; float parameters are widened on the way in and
// rounded on the way back.

#include <cstddef>
#include <vector>

#include "../autograd/tensor.hpp"

namespace tg::optim {

using FlatVector = std::vector<double>;

// Total number of elements.
std::size_t flat_size(const std::vector<Tensor>& tensors);

// The values of all tensors, concatenated.
FlatVector gather_values(const std::vector<Tensor>& tensors);
// The .grad() of all parameters, concatenated; zeros for a parameter without a gradient.
FlatVector gather_grads(const std::vector<Tensor>& params);
// Writes flat values back into the parameters, in place (under no-grad; bumps their version
// counters). ShapeError if the length does not match.
void scatter_values(const FlatVector& flat, const std::vector<Tensor>& params);
// Sets every parameter's .grad() to the matching piece of flat.
void scatter_grads(const FlatVector& flat, const std::vector<Tensor>& params);
// New tensors (leaves, no grad) shaped and typed like `like`, holding the pieces of flat.
std::vector<Tensor> unflatten(const FlatVector& flat, const std::vector<Tensor>& like);

// Level-1 linear algebra on flat vectors.
double dot(const FlatVector& a, const FlatVector& b);
double norm(const FlatVector& a);                             // Euclidean
void axpy(double alpha, const FlatVector& x, FlatVector& y);  // y += alpha x
bool all_finite(const FlatVector& a);

}  // namespace tg::optim
