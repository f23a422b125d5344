#include "optim/linear_cg.hpp"

#include <cmath>
#include <string>

namespace tg::optim {

const char* to_string(LinearCGStatus status) {
    switch (status) {
        case LinearCGStatus::converged:
            return "converged";
        case LinearCGStatus::max_iterations:
            return "max_iter reached";
        case LinearCGStatus::negative_curvature:
            return "negative curvature";
        case LinearCGStatus::trust_region:
            return "trust-region boundary";
        case LinearCGStatus::non_finite:
            return "NaN or Inf in a product";
    }
    return "unknown";
}

namespace {

// The tau >= 0 with ||x + tau p|| = radius (x is inside the ball).
double to_boundary(const FlatVector& x, const FlatVector& p, double radius) {
    const double pp = dot(p, p), xp = dot(x, p), xx = dot(x, x);
    const double disc = xp * xp + pp * (radius * radius - xx);
    return (-xp + std::sqrt(std::max(0.0, disc))) / pp;
}

}  // namespace

LinearCGResult conjugate_gradient(const LinearOperator& A, const FlatVector& b,
                                  const LinearCGOptions& o,
                                  const std::function<void(const FlatVector&)>& on_iterate) {
    if (!A) throw ValueError("conjugate_gradient: the operator is empty");
    if (!(o.rel_tol() >= 0) || !(o.abs_tol() >= 0) || !(o.trust_radius() >= 0) ||
        !(o.damping() >= 0)) {
        throw ValueError(
            "conjugate_gradient: rel_tol, abs_tol, trust_radius and damping must "
            "be >= 0");
    }
    const std::size_t n = b.size();
    const std::size_t max_iter = o.max_iter() > 0 ? o.max_iter() : n;
    const double radius = o.trust_radius();
    LinearCGResult res;
    res.x.assign(n, 0.0);
    FlatVector r = b;  // b - A x
    FlatVector p = b;
    FlatVector ap(n);
    double rr = dot(r, r);
    const double tol = std::max(o.rel_tol() * std::sqrt(rr), o.abs_tol());
    res.residual_norm = std::sqrt(rr);
    // m(x) = -(b.x + r.x) / 2, from A x = b - r.
    const auto model = [&](const FlatVector& x, const FlatVector& res_vec) {
        return -0.5 * (dot(b, x) + dot(res_vec, x));
    };
    if (!std::isfinite(res.residual_norm)) {
        res.status = LinearCGStatus::non_finite;
        return res;
    }
    for (;;) {
        if (res.residual_norm <= tol) {
            res.status = LinearCGStatus::converged;
            break;
        }
        if (res.iterations >= max_iter) {
            res.status = LinearCGStatus::max_iterations;
            break;
        }
        A(p, ap);
        ++res.products;
        if (o.damping() > 0) axpy(o.damping(), p, ap);
        const double pap = dot(p, ap);
        if (!std::isfinite(pap)) {
            res.status = LinearCGStatus::non_finite;
            break;
        }
        if (pap <= 0) {
            res.negative_curvature_direction = p;
            res.curvature = pap / dot(p, p);
            if (radius > 0) {  // Steihaug: follow p to the boundary, where the model is lower
                const double tau = to_boundary(res.x, p, radius);
                axpy(tau, p, res.x);
                axpy(-tau, ap, r);
                res.status = LinearCGStatus::trust_region;
                ++res.iterations;
                if (on_iterate) on_iterate(res.x);
            } else {
                res.status = LinearCGStatus::negative_curvature;
            }
            break;
        }
        const double alpha = rr / pap;
        if (radius > 0) {
            FlatVector next = res.x;
            axpy(alpha, p, next);
            if (norm(next) >= radius) {
                const double tau = to_boundary(res.x, p, radius);
                axpy(tau, p, res.x);
                axpy(-tau, ap, r);
                res.status = LinearCGStatus::trust_region;
                ++res.iterations;
                if (on_iterate) on_iterate(res.x);
                break;
            }
        }
        axpy(alpha, p, res.x);
        axpy(-alpha, ap, r);
        ++res.iterations;
        if (on_iterate) on_iterate(res.x);
        const double rr_new = dot(r, r);
        res.residual_norm = std::sqrt(rr_new);
        const double beta = rr_new / rr;
        rr = rr_new;
        for (std::size_t i = 0; i < n; ++i) p[i] = r[i] + beta * p[i];
    }
    res.model = model(res.x, r);
    return res;
}

LinearOperator hvp_operator(HessianVectorProduct& hv, const std::vector<Tensor>& params) {
    return [&hv, params](const FlatVector& v, FlatVector& av) {
        const std::vector<Tensor> out = hv(unflatten(v, params));
        av = gather_values(out);
    };
}

}  // namespace tg::optim
