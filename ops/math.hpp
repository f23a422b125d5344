#pragma once
// Elementwise math functions, activations, masks and selection.

#include "../autograd/tensor.hpp"

namespace tg {

Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);   // anomaly mode checks x >= 0
Tensor sqrt(const Tensor& x);  // anomaly mode checks x >= 0
Tensor abs(const Tensor& x);   // derivative sign(x), 0 at 0
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor relu(const Tensor& x);  // derivative 0 at 0
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
Tensor softplus(const Tensor& x);  // log(1 + e^x), computed stably

// The derivative parts of the activations as single primitives, so that a backward pass makes
// one array instead of three. Each is differentiable like any other op.
Tensor sigmoid_backward(const Tensor& s, const Tensor& g);  // g * s * (1 - s), s = sigmoid(x)
Tensor tanh_backward(const Tensor& t, const Tensor& g);     // g * (1 - t^2), t = tanh(x)
Tensor relu_backward(const Tensor& x, const Tensor& g);     // g * [not x <= 0]: g at NaN

// mask ? a : b elementwise, with broadcasting of all three. The mask is a constant: nonzero
// selects a. Gradients flow to a and b only.
Tensor where(const Tensor& mask, const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);  // ties go to a
Tensor minimum(const Tensor& a, const Tensor& b);  // ties go to a
Tensor clamp(const Tensor& x, double lo, double hi);

// Comparisons give 0/1 masks in x's dtype. They are constants: nothing flows through them.
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor eq(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, double b);
Tensor lt(const Tensor& a, double b);
Tensor sign(const Tensor& x);  // -1, 0 or 1, a constant

}  // namespace tg
