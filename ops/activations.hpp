#pragma once
// Activation functions beyond those of ops/math.hpp (sigmoid, tanh, relu, leaky_relu, softplus),
// elementwise, in float and double, with PyTorch's definitions. Each is differentiable to any
// order in both modes (rules written with tapegrad ops), except where a derivative is piecewise
// constant: then the next one is zero. gelu, silu and mish give their limit -0 at -inf (the
// formulas would give NaN there); their derivatives at +-inf are NaN (inf * 0).

#include "../autograd/tensor.hpp"

namespace tg {

// Which form of GELU: the exact x Phi(x), or PyTorch's approximate="tanh".
enum class GeluApproximation { none, tanh };

// GELU. none: x Phi(x) with Phi the standard normal CDF, computed as x erfc(-x/sqrt 2) / 2
// (accurate for negative x too); d/dx = Phi(x) + x phi(x), defined everywhere.
// tanh: x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2, differentiated as written.
Tensor gelu(const Tensor& x, GeluApproximation approximate = GeluApproximation::none);
// SiLU (swish): x sigmoid(x); d/dx = s (1 + x (1 - s)) with s = sigmoid(x).
Tensor silu(const Tensor& x);
// Mish: x tanh(softplus(x)); d/dx = tanh(sp) + x sigmoid(x) (1 - tanh(sp)^2), sp = softplus(x).
Tensor mish(const Tensor& x);
// ELU: x for x > 0, alpha (e^x - 1) otherwise; d/dx = 1 for x > 0, alpha e^x for x <= 0 (at
// 0 the left derivative, as PyTorch; continuous there only for alpha = 1).
Tensor elu(const Tensor& x, double alpha = 1.0);
// SELU: scale * elu(x, alpha) with PyTorch's constants alpha = 1.6732632423543772,
// scale = 1.0507009873554805.
Tensor selu(const Tensor& x);
// log(sigmoid(x)) = -softplus(-x), computed stably (finite for x = -1e4); d/dx = sigmoid(-x).
Tensor logsigmoid(const Tensor& x);
// x clamped to [min_val, max_val] (ValueError if min_val > max_val); NaN stays NaN.
// d/dx = 1 strictly inside (min_val, max_val), 0 elsewhere, including at the ends (PyTorch).
Tensor hardtanh(const Tensor& x, double min_val = -1.0, double max_val = 1.0);
// x / (1 + |x|); d/dx = 1 / (1 + |x|)^2, defined everywhere (its own derivative has a kink at 0).
Tensor softsign(const Tensor& x);

}  // namespace tg
