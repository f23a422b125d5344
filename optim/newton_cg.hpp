#pragma once
// Truncated Newton, Hessian-free: the Newton system B p = -g is solved only approximately by
// linear conjugate gradient (linear_cg.hpp) whose matrix-vector products are curvature-vector
// products by automatic differentiation; B is never formed. B is the Hessian (step(loss_fn))
// or the Gauss-Newton matrix J^T H_L J (step(model, loss_of_output)).
//
// The inner CG stops when ||B p + g|| <= eta_k ||g|| with the forcing sequence eta_k
// (Nocedal & Wright, sec. 7.1: eta = min(0.5, sqrt ||g||) gives superlinear convergence,
// min(0.5, ||g||) quadratic), after max_cg_iter iterations, or on negative curvature.
// The globalisation is one of
//   - line_search (default; N&W algorithm 7.1): on negative curvature CG returns its last
//     iterate (-g if it had none), then a backtracking Armijo search from alpha = 1;
//   - trust_region (Steihaug-CG; N&W algorithms 7.2 and 4.1): CG stops on the boundary
//     ||p|| = radius or follows negative curvature to it; the radius shrinks or grows with the
//     ratio rho of actual to predicted decrease, and a step with rho <= accept_ratio is rejected;
//   - damping (Martens 2010, Levenberg-Marquardt): CG solves (B + lambda I) p = -g; lambda
//     grows by 3/2 when rho < 1/4 and shrinks by 2/3 when rho > 3/4; a step with rho <= 0 is
//     rejected.
// A rejected step is an iteration that leaves the parameters where they were.
//
// The functions passed to step() only compute; they must not call backward(). Trial points
// are evaluated without recording, and each accepted point costs one forward pass with a
// recorded gradient (counted as a loss and a gradient evaluation); every CG iteration is one
// product (counted in hessian_vector_products, Gauss-Newton products included):
//
//   NewtonCG opt(params, NewtonCGOptions().max_iter(50).tolerance_grad(1e-8));
//   opt.step([&] { return loss(params); });                       // Hessian
//   opt.step([&] { return net(x); },                              // Gauss-Newton
//            [&](const Tensor& z) { return cross_entropy(z, labels); });

#include <functional>

#include "line_search.hpp"
#include "linear_cg.hpp"
#include "optimizer.hpp"

namespace tg::optim {

enum class NewtonCGGlobalization { line_search, trust_region, damping };
enum class ForcingSequence {
    constant,     // eta = forcing_constant
    superlinear,  // eta = min(forcing_constant, sqrt ||g||)
    quadratic,    // eta = min(forcing_constant, ||g||)
};

struct NewtonCGOptions {
    TG_OPTION(NewtonCGGlobalization, globalization) = NewtonCGGlobalization::line_search;
    TG_OPTION(ForcingSequence, forcing) = ForcingSequence::superlinear;
    TG_OPTION(double, forcing_constant) = 0.5;
    TG_OPTION(std::size_t, max_cg_iter) = 0;  // 0: the number of parameters
    TG_OPTION(LineSearchOptions, line_search_options) = LineSearchOptions();
    TG_OPTION(double, initial_radius) = 1.0;   // trust_region
    TG_OPTION(double, max_radius) = 1e4;       // trust_region
    TG_OPTION(double, accept_ratio) = 0.1;     // trust_region: accept when rho > this
    TG_OPTION(double, initial_damping) = 1.0;  // damping: the first lambda
    TG_OPTIM_STOP_OPTIONS(20, 1e-7, 1e-12);
};

class NewtonCG : public Optimizer {
  public:
    explicit NewtonCG(std::vector<Tensor> params,
                      const NewtonCGOptions& options = NewtonCGOptions());
    NewtonCG(const std::vector<std::pair<std::string, Tensor>>& named_params,
             const NewtonCGOptions& options = NewtonCGOptions());
    const NewtonCGOptions& options() const { return options_; }
    NewtonCGOptions& options() { return options_; }

    // Hessian-vector products of loss_fn(). Runs up to max_iter iterations; returns the loss
    // at the starting point.
    Tensor step(const LossFunction& loss_fn);
    // Gauss-Newton products for the loss loss_of_output(model()).
    Tensor step(const std::function<Tensor()>& model,
                const std::function<Tensor(const Tensor&)>& loss_of_output);

    std::size_t cg_iterations() const { return cg_iterations_; }  // inner iterations in all
    std::size_t negative_curvature_count() const { return negative_curvature_; }
    std::size_t rejected_steps() const { return rejected_; }
    double trust_radius() const { return radius_; }
    double damping() const { return lambda_; }
    void reset() override;

    class Problem;  // internal: what step() was given

  private:
    Tensor run(Problem& problem);
    void validate() const;

    NewtonCGOptions options_;
    double radius_ = -1;  // < 0: not started
    double lambda_ = -1;
    std::size_t cg_iterations_ = 0;
    std::size_t negative_curvature_ = 0;
    std::size_t rejected_ = 0;
};

}  // namespace tg::optim
