#pragma once
// Hessian-vector products of a scalar loss with respect to a list of parameters.

#include <functional>
#include <vector>

#include "../autograd/tensor.hpp"

namespace tg {

enum class HvpMode {
    reverse_over_reverse,  // grad of (grad . v): one forward, a backward that records itself, a
                           // second backward
    forward_over_reverse,  // the tangent of grad along v: one forward and one backward, carrying
                           // tangents
};

// H v, where H is the Hessian of loss() with respect to params. `loss` recomputes the loss
// from the parameters' current values.
std::vector<Tensor> hvp(const std::function<Tensor()>& loss, const std::vector<Tensor>& params,
                        const std::vector<Tensor>& v, HvpMode mode = HvpMode::reverse_over_reverse);

// Many products with one Hessian: the forward pass and the recorded gradient are built once,
// and every product is one more backward through them (truncated Newton, Lanczos, CG).
class HessianVectorProduct {
  public:
    // `who` names the caller in errors (a loss that is not a scalar is a ShapeError).
    HessianVectorProduct(const std::function<Tensor()>& loss, std::vector<Tensor> params,
                         const char* who = "HessianVectorProduct");
    ~HessianVectorProduct();
    HessianVectorProduct(const HessianVectorProduct&) = delete;
    HessianVectorProduct& operator=(const HessianVectorProduct&) = delete;

    double loss() const { return loss_value_; }
    // The gradient at the point (detached values).
    const std::vector<Tensor>& gradient() const { return gradient_; }
    std::vector<Tensor> operator()(const std::vector<Tensor>& v);
    std::size_t products() const { return products_; }

  private:
    std::vector<Tensor> params_;
    std::vector<Tensor> recorded_gradient_;  // with its graph, for the products
    std::vector<Tensor> gradient_;
    double loss_value_ = 0;
    std::size_t products_ = 0;
};

}  // namespace tg
