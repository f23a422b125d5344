#pragma once
// Internal to the Newton methods: the loss, gradient and curvature products at one point, from
// Hessian-vector products or Gauss-Newton products, on flat vectors.

#include <memory>
#include <string>
#include <vector>

#include "../functional/hvp.hpp"
#include "flat.hpp"
#include "gauss_newton.hpp"
#include "linear_cg.hpp"
#include "reduction.hpp"

namespace tg::optim::detail {

class Curvature {
  public:
    virtual ~Curvature() = default;
    double loss() const { return loss_; }
    const FlatVector& gradient() const { return gradient_; }
    virtual void product(const FlatVector& v, FlatVector& bv) = 0;
    LinearOperator as_operator() {
        return [this](const FlatVector& v, FlatVector& bv) { product(v, bv); };
    }

  protected:
    double loss_ = 0;
    FlatVector gradient_;
};

class HessianCurvature : public Curvature {
  public:
    HessianCurvature(const std::function<Tensor()>& loss, const std::vector<Tensor>& params,
                     const std::string& who);
    void product(const FlatVector& v, FlatVector& bv) override;

  private:
    std::vector<Tensor> params_;
    std::unique_ptr<HessianVectorProduct> hv_;
};

class GaussNewtonCurvature : public Curvature {
  public:
    GaussNewtonCurvature(const std::function<Tensor()>& model,
                         const std::function<Tensor(const Tensor&)>& loss_of_output,
                         const std::vector<Tensor>& params, const std::string& who);
    void product(const FlatVector& v, FlatVector& bv) override;

  private:
    std::vector<Tensor> params_;
    std::unique_ptr<GaussNewtonVectorProduct> gn_;
};

// Data-parallel: the loss, gradient and products of `local` (this process's share of the data)
// combined by a reduction into those of all the data.
class ReducedCurvature : public Curvature {
  public:
    ReducedCurvature(std::unique_ptr<Curvature> local, Reduction reduction);
    void product(const FlatVector& v, FlatVector& bv) override;

  private:
    std::unique_ptr<Curvature> local_;
    Reduction reduction_;
};

// `c` itself without a reduction, else c wrapped in a ReducedCurvature.
std::unique_ptr<Curvature> reduce(std::unique_ptr<Curvature> c, const Reduction& reduction);

}  // namespace tg::optim::detail
