#pragma once
// Dense Jacobians and Hessians, for small problems.

#include <functional>

#include "../autograd/tensor.hpp"

namespace tg {

enum class JacobianMode {
    automatic,  // forward mode when x has fewer elements than f(x), reverse mode otherwise
    forward,    // one jvp per input element
    reverse,    // one vjp per output element
};

// J with shape f(x).shape() + x.shape(): J[i..., j...] = d f(x)[i...] / d x[j...].
Tensor jacobian(const std::function<Tensor(const Tensor&)>& f, const Tensor& x,
                JacobianMode mode = JacobianMode::automatic);

// H with shape x.shape() + x.shape() for a scalar-valued f.
Tensor hessian(const std::function<Tensor(const Tensor&)>& f, const Tensor& x);

}  // namespace tg
