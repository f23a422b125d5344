#include "optim/trust_region_subproblem.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace tg::optim::detail {

namespace {

// p = -sum_j a_j / (mu_j + lambda) q_j over the eigenvectors j with keep[j].
std::vector<double> step_for(const std::vector<double>& mu, const std::vector<double>& q,
                             const std::vector<double>& a, double lambda,
                             const std::vector<bool>& keep) {
    const std::size_t n = mu.size();
    std::vector<double> p(n, 0.0);
    for (std::size_t j = 0; j < n; ++j) {
        if (!keep[j] || a[j] == 0) continue;
        const double c = -a[j] / (mu[j] + lambda);
        for (std::size_t i = 0; i < n; ++i) p[i] += c * q[i + n * j];
    }
    return p;
}

// ||p(lambda)|| from the coefficients alone (no vectors needed).
double step_norm(const std::vector<double>& mu, const std::vector<double>& a, double lambda,
                 const std::vector<bool>& keep) {
    double s = 0;
    for (std::size_t j = 0; j < mu.size(); ++j) {
        if (keep[j] && a[j] != 0) s += a[j] * a[j] / ((mu[j] + lambda) * (mu[j] + lambda));
    }
    return std::sqrt(s);
}

}  // namespace

TrustRegionStep solve_trust_region(const std::vector<double>& mu, const std::vector<double>& q,
                                   const std::vector<double>& g, double radius) {
    const std::size_t n = mu.size();
    const double eps = std::numeric_limits<double>::epsilon();
    std::vector<double> a(n, 0.0);
    for (std::size_t j = 0; j < n; ++j) {
        for (std::size_t i = 0; i < n; ++i) a[j] += q[i + n * j] * g[i];
    }
    const double g_norm = std::sqrt(std::inner_product(g.begin(), g.end(), g.begin(), 0.0));
    const double mu_min = mu.front(), mu_max = mu.back();
    const double scale = std::max(1.0, std::abs(mu_max));
    std::vector<bool> all(n, true);
    TrustRegionStep r;

    // Interior: H positive definite (to rounding) and the Newton step fits.
    if (mu_min > double(n) * eps * scale && step_norm(mu, a, 0, all) <= radius) {
        r.p = step_for(mu, q, a, 0, all);
        return r;
    }
    r.on_boundary = true;
    const double lambda_lo = std::max(0.0, -mu_min);
    // The bottom eigenspace, and whether g (almost) misses it: the hard case.
    std::vector<bool> above(n, true);
    double a_bottom = 0;
    for (std::size_t j = 0; j < n; ++j) {
        if (mu[j] <= mu_min + 1e-12 * scale) {
            above[j] = false;
            a_bottom += a[j] * a[j];
        }
    }
    const bool indefinite = mu_min <= double(n) * eps * scale;
    if (indefinite && std::sqrt(a_bottom) <= 1e-12 * std::max(g_norm, 1e-300)) {
        const double lambda = lambda_lo;
        const double inner = step_norm(mu, a, lambda, above);
        if (inner <= radius) {
            r.hard_case = true;
            r.lambda = lambda;
            r.p = step_for(mu, q, a, lambda, above);
            // Add tau q_min to reach the boundary; either sign does, take the one downhill.
            const double tau = std::sqrt(std::max(0.0, radius * radius - inner * inner));
            double slope = 0;
            for (std::size_t i = 0; i < n; ++i) slope += g[i] * q[i];
            const double sign = slope > 0 ? -1.0 : 1.0;
            for (std::size_t i = 0; i < n; ++i) r.p[i] += sign * tau * q[i];
            return r;
        }
    }
    // ||p(lambda)|| = radius on (lambda_lo, lambda_hi]: at lambda_hi, ||p|| <= ||g|| /
    // (mu_min + lambda_hi) = radius.
    double lo = lambda_lo, hi = lambda_lo + g_norm / radius + 1e-300;
    double lambda = hi;
    for (int it = 0; it < 200; ++it) {
        const double pn = step_norm(mu, a, lambda, all);
        if (std::abs(pn - radius) <= 1e-10 * radius) break;
        if (pn > radius) {
            lo = lambda;
        } else {
            hi = lambda;
        }
        // Newton on 1/||p|| - 1/radius: d||p||/dlambda = -sum a^2/(mu+lambda)^3 / ||p||.
        double d = 0;
        for (std::size_t j = 0; j < n; ++j) {
            const double t = mu[j] + lambda;
            if (a[j] != 0) d += a[j] * a[j] / (t * t * t);
        }
        double next = lambda + (pn / radius - 1) * pn * pn / d;
        if (!(next > lo && next < hi) || !std::isfinite(next)) next = 0.5 * (lo + hi);
        if (next == lambda || hi - lo <= eps * hi) break;
        lambda = next;
    }
    r.lambda = lambda;
    r.p = step_for(mu, q, a, lambda, all);
    return r;
}

}  // namespace tg::optim::detail
