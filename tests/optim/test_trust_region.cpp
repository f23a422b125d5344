// The exact trust-region subproblem (optim/trust_region_subproblem.hpp) against its optimality
// conditions computed with plain loops, and against a brute-force search over the disc in 2-D;
// exact Newton with a trust region escapes a saddle that its gradient does not point away from.

#include <cmath>

#include "optim/trust_region_subproblem.hpp"
#include "problems.hpp"

using namespace tgtest;
using namespace tg;
using namespace tg::optim;

namespace {

// H = R diag(mu) R^T for the rotation R by theta, in the layout solve_trust_region takes.
struct Rotated2x2 {
    std::vector<double> mu, q;
    Matrix h;
    Rotated2x2(double mu1, double mu2, double theta) : mu{mu1, mu2} {
        const double c = std::cos(theta), s = std::sin(theta);
        q = {c, s, -s, c};  // column 0 = (c, s), column 1 = (-s, c)
        h = {{mu1 * c * c + mu2 * s * s, (mu1 - mu2) * c * s},
             {(mu1 - mu2) * c * s, mu1 * s * s + mu2 * c * c}};
    }
    double model(const std::vector<double>& g, const std::vector<double>& p) const {
        return inner(g, p) + 0.5 * inner(p, mat_vec(h, p));
    }
};

// The smallest model value over the closed disc of the radius, by a fine polar grid.
double brute_force_min(const Rotated2x2& m, const std::vector<double>& g, double radius) {
    double best = 0;
    for (int i = 1; i <= 400; ++i) {
        const double r = radius * i / 400.0;
        for (int k = 0; k < 2000; ++k) {
            const double t = 2 * M_PI * k / 2000.0;
            best = std::min(best, m.model(g, {r * std::cos(t), r * std::sin(t)}));
        }
    }
    return best;
}

}  // namespace

TEST_CASE("the trust-region step meets the optimality conditions", "[optim][trust_region]") {
    struct Case {
        double mu1, mu2, theta, g1, g2, radius;
    };
    for (const Case& c : {Case{1.0, 4.0, 0.3, 1.0, -2.0, 10.0},    // interior Newton step
                          Case{1.0, 4.0, 0.3, 1.0, -2.0, 0.2},     // boundary, convex
                          Case{-2.0, 3.0, 1.1, 0.5, 0.7, 1.0},     // indefinite
                          Case{-1e-3, 5.0, 0.0, 1e-4, 2.0, 0.5},   // nearly the hard case
                          Case{0.0, 2.0, 0.7, 0.3, -0.1, 0.4}}) {  // singular
        INFO("mu " << c.mu1 << ", " << c.mu2 << " radius " << c.radius);
        const Rotated2x2 m(c.mu1, c.mu2, c.theta);
        const std::vector<double> g{c.g1, c.g2};
        const auto r = tg::optim::detail::solve_trust_region(m.mu, m.q, g, c.radius);
        const double p_norm = std::sqrt(inner(r.p, r.p));
        CHECK(p_norm <= c.radius * (1 + 1e-9));
        CHECK(r.lambda >= std::max(0.0, -std::min(c.mu1, c.mu2)) - 1e-12);  // H + lambda I >= 0
        CHECK(r.lambda * (c.radius - p_norm) == Approx(0).margin(1e-9));
        // (H + lambda I) p = -g
        const auto hp = mat_vec(m.h, r.p);
        for (int i = 0; i < 2; ++i) CHECK(hp[i] + r.lambda * r.p[i] == Approx(-g[i]).margin(1e-8));
        // and no point of the disc does better (up to the grid's resolution).
        CHECK(m.model(g, r.p) <= brute_force_min(m, g, c.radius) + 1e-6);
    }
}

TEST_CASE("the trust-region step handles the hard case", "[optim][trust_region]") {
    // g has no component along the eigenvector of the negative eigenvalue: (H + lambda I) p = -g
    // has no solution on the boundary with lambda > 2, so the step adds that eigenvector.
    const Rotated2x2 m(-2.0, 3.0, 0.4);
    const std::vector<double> g{-std::sin(0.4) * 1.5, std::cos(0.4) * 1.5};  // 1.5 x column 1
    const double radius = 2.0;
    const auto r = tg::optim::detail::solve_trust_region(m.mu, m.q, g, radius);
    CHECK(r.hard_case);
    CHECK(std::sqrt(inner(r.p, r.p)) == Approx(radius));
    CHECK(r.lambda == Approx(2.0));
    CHECK(m.model(g, r.p) <= brute_force_min(m, g, radius) + 1e-6);
}

TEST_CASE("exact Newton with a trust region leaves a saddle that g does not point away from",
          "[optim][trust_region]") {
    // f = x^4/4 - x^2/2 + y^2 from (0, 0.5): g = (0, 1) has no x component, so a line search
    // along -(H + tau I)^-1 g stays on x = 0 and ends at the saddle (0, 0). The trust region's
    // step follows the negative curvature along x to a minimum (+-1, 0), f = -1/4.
    const auto run = [](HessianModification mod) {
        const Tensor w = from_vector({0.0, 0.5}, {2}, kFloat64).requires_grad_();
        Newton newton({w}, NewtonOptions().modification(mod).tolerance_grad(1e-10).max_iter(100));
        newton.step([&] {
            const Tensor x = slice(w, 0, 0, 1), y = slice(w, 0, 1, 2);
            return sum(0.25 * pow(x, 4.0) - 0.5 * square(x) + square(y));
        });
        INFO(newton.stop_reason());
        CHECK(newton.converged());
        return w.to_vector();
    };
    const auto tr = run(HessianModification::trust_region);
    CHECK(std::abs(tr[0]) == Approx(1).epsilon(1e-9));
    CHECK(std::abs(tr[1]) < 1e-9);
    const auto shifted = run(HessianModification::eigenvalue_shift);
    CHECK(shifted[0] == 0);  // the saddle, as described
}
