#pragma once
// Exact Newton for small problems: the lecture's delta w = -H^-1 grad C (its equation 13).
//
// Each iteration builds the dense Hessian from n Hessian-vector products (one per parameter
// element) and solves H p = -g with LAPACK through xtensor-blas. When H is not safely positive
// definite it is modified (Nocedal & Wright, sec. 3.4). Positive definite means
// lambda_min > n eps |lambda_max| (above the eigenvalues' rounding error), however
// ill-conditioned H is; such an H is never shifted. Otherwise tau lifts the spectrum's bottom
// to max(delta, |lambda_min|), delta = min_eigenvalue * max(1, |lambda_max|): a negative
// eigenvalue is mirrored, a zero one gets the floor delta.
//   - eigenvalue_shift (default): H + tau I, followed by a backtracking Armijo line search from
//     alpha = 1;
//   - levenberg: H + mu I with an adaptive damping mu >= tau (Levenberg-Marquardt): after each
//   trial
//     step the ratio rho of actual to predicted decrease shrinks mu (rho > 0: the step is taken)
//     or doubles it (rho <= 0: the step is rejected, the parameters stay);
//   - trust_region: Moré-Sorensen, the exact minimiser of the quadratic model within a radius
//     (optim/trust_region_subproblem.hpp, from the eigen-decomposition H already needs; it
//     follows negative curvature, including out of a saddle where g = 0 along it); the radius
//     shrinks or grows with rho as in NewtonCG's trust region, a step with rho <= 0.1 is
//     rejected, and last_shift() is the model's multiplier lambda.
//
// step(loss_fn): loss_fn only computes and returns the loss; it must not call backward(). The
// optimizer builds the gradient and the products from it (tg::HessianVectorProduct) and calls it
// without recording for the trial points of the line search:
//
//   Newton newton({w}, NewtonOptions().max_iter(50).tolerance_grad(1e-10));
//   newton.step([&] { return rosenbrock(w); });

#include "line_search.hpp"
#include "optimizer.hpp"

namespace tg::optim {

enum class HessianModification { eigenvalue_shift, levenberg, trust_region };

struct NewtonOptions {
    TG_OPTION(HessianModification, modification) = HessianModification::eigenvalue_shift;
    // delta, relative to max(1, |lambda_max|): the floor of a shifted spectrum
    TG_OPTION(double, min_eigenvalue) = 1e-8;
    TG_OPTION(double, damping) = 1e-3;        // levenberg: the first mu
    TG_OPTION(double, initial_radius) = 1.0;  // trust_region
    TG_OPTION(double, max_radius) = 1e10;     // trust_region
    // backtracking (default) or none (always the full Newton step); eigenvalue_shift only.
    TG_OPTION(LineSearchKind, line_search) = LineSearchKind::backtracking;
    TG_OPTION(LineSearchOptions, line_search_options) = LineSearchOptions();
    // The Hessian takes n products and an O(n^3) solve: refuse problems larger than this.
    TG_OPTION(std::size_t, max_size) = 2048;
    TG_OPTIM_STOP_OPTIONS(20, 1e-7, 1e-12);
};

class Newton : public Optimizer {
  public:
    explicit Newton(std::vector<Tensor> params, const NewtonOptions& options = NewtonOptions());
    Newton(const std::vector<std::pair<std::string, Tensor>>& named_params,
           const NewtonOptions& options = NewtonOptions());
    const NewtonOptions& options() const { return options_; }

    // Runs up to max_iter iterations; returns the loss at the starting point.
    Tensor step(const LossFunction& loss);

    // The smallest Hessian eigenvalue and the shift or damping used at the last iteration.
    double last_min_eigenvalue() const { return last_min_eigenvalue_; }
    double last_shift() const { return last_shift_; }
    // trust_region: the current radius (negative before the first step).
    double trust_radius() const { return radius_; }
    void reset() override;

  private:
    void check_size() const;

    NewtonOptions options_;
    double mu_ = -1;      // levenberg damping; < 0: not started
    double radius_ = -1;  // trust_region radius; < 0: not started
    double last_min_eigenvalue_ = 0;
    double last_shift_ = 0;
};

}  // namespace tg::optim
