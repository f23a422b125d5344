#pragma once
// Gauss-Newton vector products G v = J^T H_L J v for a loss of the form L(f(w)): f maps the
// parameters w to outputs z (a network's logits), L maps outputs to the loss, J = dz/dw and
// H_L = d^2 L / dz^2. G is positive semi-definite whenever L is convex in z (squared error,
// cross-entropy), which is why Hessian-free training of networks uses it (Martens, 2010;
// Schraudolph, 2002). Like HessianVectorProduct, the graphs are built once per point and every
// product is a few more backward passes:
//   J v:        the derivative with respect to u of (J^T u) . v, with J^T u recorded once;
//   H_L (J v):  a backward through the recorded gradient of L with respect to z;
//   J^T (...):  a backward through f.

#include <functional>
#include <vector>

#include "../autograd/tensor.hpp"

namespace tg::optim {

class GaussNewtonVectorProduct {
  public:
    // model() recomputes the outputs from the parameters' current values; loss_of_output(z)
    // computes the scalar loss from outputs z. Neither calls backward().
    GaussNewtonVectorProduct(const std::function<Tensor()>& model,
                             const std::function<Tensor(const Tensor&)>& loss_of_output,
                             std::vector<Tensor> params);
    ~GaussNewtonVectorProduct();
    GaussNewtonVectorProduct(const GaussNewtonVectorProduct&) = delete;
    GaussNewtonVectorProduct& operator=(const GaussNewtonVectorProduct&) = delete;

    double loss() const { return loss_value_; }
    // The gradient J^T grad_z L at the point (detached values).
    const std::vector<Tensor>& gradient() const { return gradient_; }
    std::vector<Tensor> operator()(const std::vector<Tensor>& v);
    std::size_t products() const { return products_; }

  private:
    std::vector<Tensor> params_;
    Tensor outputs_;           // z = f(w), with its graph
    Tensor detached_outputs_;  // z as a leaf, the input of L
    Tensor loss_gradient_;     // grad_z L, recorded (for H_L products)
    Tensor probe_;             // u: zeros that require grad
    std::vector<Tensor> jtu_;  // J^T u, recorded
    std::vector<Tensor> gradient_;
    double loss_value_ = 0;
    std::size_t products_ = 0;
};

}  // namespace tg::optim
