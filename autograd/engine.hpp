#pragma once
// Reverse mode: backward() and the functional grad().

#include <vector>

#include "tensor.hpp"

namespace tg {

// Gradients of the outputs (weighted by grad_outputs, default ones for one-element outputs)
// with respect to the inputs, in the style of torch::autograd::grad. Leaves' .grad() is left
// alone. With create_graph, the gradients are recorded and can be differentiated again.
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {},
                         const GradOptions& options = {});

// Accumulate outputs' gradients into the .grad() of every leaf that requires grad. Threads may
// run backward at once into shared leaves (see tape.hpp for what threads may share).
void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs = {},
              const GradOptions& options = {});

}  // namespace tg
