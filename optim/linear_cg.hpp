#pragma once
// Linear conjugate gradient for A x = b, with A symmetric and known only through products
// A v (Nocedal & Wright, algorithm 5.2). It is the inner solver of truncated Newton, where the
// products are Hessian-vector products by automatic differentiation:
//
//   HessianVectorProduct hv(loss_fn, params);
//   FlatVector b = gather(...) (e.g. -gradient);
//   auto r = conjugate_gradient(hvp_operator(hv, params), b,
//                               LinearCGOptions().rel_tol(0.1).max_iter(50));
//
// It stops when ||b - A x|| <= max(rel_tol ||b||, abs_tol), after max_iter iterations, when a
// direction p has p.A p <= 0 (negative curvature: A is not positive definite; x is then the
// iterate before p, and negative_curvature_direction holds p), or, with a trust radius, when x
// would leave the ball ||x|| <= trust_radius (Steihaug; Nocedal & Wright, algorithm 7.2: x is
// then on the boundary). Starting from x = 0, the model m(x) = x.A x / 2 - b.x decreases at
// every iteration.

#include <cstddef>
#include <functional>

#include "../functional/hvp.hpp"
#include "flat.hpp"
#include "options.hpp"

namespace tg::optim {

// Writes A v into Av (same length as v).
using LinearOperator = std::function<void(const FlatVector& v, FlatVector& Av)>;

struct LinearCGOptions {
    TG_OPTION(double, rel_tol) = 1e-10;
    TG_OPTION(double, abs_tol) = 0.0;
    TG_OPTION(std::size_t, max_iter) = 0;   // 0: the length of b
    TG_OPTION(double, trust_radius) = 0.0;  // 0: no trust region
    // Solve (A + damping I) x = b instead (Levenberg-Marquardt / Martens damping).
    TG_OPTION(double, damping) = 0.0;
};

enum class LinearCGStatus {
    converged,           // residual within tolerance
    max_iterations,      // max_iter iterations done
    negative_curvature,  // p.A p <= 0
    trust_region,        // stopped on the trust-region boundary
    non_finite,          // a product gave NaN or Inf
};
const char* to_string(LinearCGStatus status);

struct LinearCGResult {
    FlatVector x;
    LinearCGStatus status = LinearCGStatus::converged;
    std::size_t iterations = 0;  // updates of x
    std::size_t products = 0;    // calls of A
    double residual_norm = 0;    // ||b - A x|| (before the trust-region step, if it stopped there)
    double model = 0;            // x.A x / 2 - b.x, with A including the damping
    FlatVector negative_curvature_direction;  // p with p.A p <= 0, if one was met
    double curvature = 0;                     // p.A p / p.p for that p
};

// `on_iterate`, if given, is called with each new iterate x_1, x_2, ... (x_0 = 0 is not).
LinearCGResult conjugate_gradient(const LinearOperator& A, const FlatVector& b,
                                  const LinearCGOptions& options = {},
                                  const std::function<void(const FlatVector&)>& on_iterate = {});

// A LinearOperator from Hessian-vector products on flat vectors: unflattens v to the shapes
// and dtypes of params, calls hv, flattens the result.
LinearOperator hvp_operator(HessianVectorProduct& hv, const std::vector<Tensor>& params);

}  // namespace tg::optim
