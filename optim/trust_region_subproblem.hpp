#pragma once
// The trust-region subproblem, solved exactly from the Hessian's eigen-decomposition:
//
//     minimise  m(p) = g.p + p.H p / 2   subject to  ||p|| <= radius.
//
// Moré & Sorensen (1983; Nocedal & Wright, sec. 4.3): p = -(H + lambda I)^-1 g with lambda >= 0,
// H + lambda I positive semidefinite and lambda (radius - ||p||) = 0. With H = Q diag(mu) Q^T
// and a = Q^T g, ||p(lambda)||^2 = sum a_i^2 / (mu_i + lambda)^2, and lambda is the root of
// 1/||p(lambda)|| = 1/radius (nearly linear in lambda, so Newton's method from the left
// converges fast; it is safeguarded by bisection). The "hard case" (g has no component along
// the eigenvectors of the smallest eigenvalue, and the step that avoids them is shorter than
// the radius) adds a multiple of such an eigenvector to reach the boundary.

#include <cstddef>
#include <vector>

namespace tg::optim::detail {

struct TrustRegionStep {
    std::vector<double> p;
    double lambda = 0;  // the multiplier: 0 for the interior Newton step
    bool on_boundary = false;
    bool hard_case = false;
};

// eigenvalues ascending (n of them); eigenvectors column-major as LAPACK's syevd gives them,
// eigenvectors[i + n * j] = component i of eigenvector j; g the gradient; radius > 0.
TrustRegionStep solve_trust_region(const std::vector<double>& eigenvalues,
                                   const std::vector<double>& eigenvectors,
                                   const std::vector<double>& g, double radius);

}  // namespace tg::optim::detail
