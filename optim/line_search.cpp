#include "optim/line_search.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "autograd/errors.hpp"
#include "optim/flat.hpp"

namespace tg::optim {

namespace {

bool finite(const LinePoint& p) {
    return std::isfinite(p.f) && std::isfinite(p.dphi);
}

// Keeps the lowest point that satisfies sufficient decrease, for when the search fails.
struct Best {
    LinePoint point;
    bool any = false;
    bool finite_seen = false;  // any trial with finite value and slope
    void offer(const LinePoint& p) {
        if (!any || p.f < point.f) {
            point = p;
            any = true;
        }
    }
};

}  // namespace

const char* to_string(LineSearchKind kind) {
    switch (kind) {
        case LineSearchKind::none:
            return "none";
        case LineSearchKind::backtracking:
            return "backtracking";
        case LineSearchKind::strong_wolfe:
            return "strong_wolfe";
    }
    return "unknown";
}

const char* to_string(LineSearchStatus status) {
    switch (status) {
        case LineSearchStatus::ok:
            return "ok";
        case LineSearchStatus::max_evaluations:
            return "no acceptable step within max_evaluations";
        case LineSearchStatus::interval_collapsed:
            return "the steps shrank below tolerance_change or the rounding of x (alpha_min)";
        case LineSearchStatus::max_step:
            return "alpha_max reached with the loss still decreasing";
        case LineSearchStatus::not_descent:
            return "not a descent direction";
        case LineSearchStatus::non_finite:
            return "every trial point gave NaN or Inf";
    }
    return "unknown";
}

void validate(const LineSearchOptions& o, const char* who) {
    if (!(o.c1() > 0 && o.c1() < o.c2() && o.c2() < 1)) {
        throw ValueError(fmt::format("{}: line search needs 0 < c1 < c2 < 1, got c1 = {}, c2 = {}",
                                     who, o.c1(), o.c2()));
    }
    if (o.max_evaluations() < 1) {
        throw ValueError(fmt::format("{}: line search max_evaluations must be >= 1", who));
    }
    if (!(o.shrink() > 0 && o.shrink() < 1)) {
        throw ValueError(
            fmt::format("{}: line search shrink must lie in (0, 1), got {}", who, o.shrink()));
    }
    if (!(o.alpha_max() > 0)) {
        throw ValueError(fmt::format("{}: line search alpha_max must be > 0", who));
    }
}

double cubic_minimizer(double a, double fa, double da, double b, double fb, double db, double lo,
                       double hi) {
    const double middle = 0.5 * (lo + hi);
    if (a == b) return middle;
    const double d1 = da + db - 3 * (fa - fb) / (a - b);
    const double disc = d1 * d1 - da * db;
    if (!(disc >= 0)) return middle;
    const double d2 = std::copysign(std::sqrt(disc), b - a);
    const double t = b - (b - a) * (db + d2 - d1) / (db - da + 2 * d2);
    if (!std::isfinite(t)) return middle;
    return std::clamp(t, lo, hi);
}

LineSearchResult backtracking(const LineValueFunction& phi, double f0, double dphi0, double alpha0,
                              const LineSearchOptions& o) {
    LineSearchResult r;
    r.point = {0, f0, dphi0};
    if (!(dphi0 < 0)) {
        r.status = LineSearchStatus::not_descent;
        return r;
    }
    bool any_finite = false;
    double alpha = alpha0;
    while (r.evaluations < o.max_evaluations()) {
        const double f = phi(alpha);
        ++r.evaluations;
        if (std::isfinite(f)) {
            any_finite = true;
            if (f <= f0 + o.c1() * alpha * dphi0) {
                r.point = {alpha, f, std::numeric_limits<double>::quiet_NaN()};
                return r;
            }
        }
        double next = o.shrink() * alpha;
        if (o.interpolate() && std::isfinite(f)) {
            // The minimiser of the quadratic through phi(0), phi'(0) and phi(alpha).
            const double q = -dphi0 * alpha * alpha / (2 * (f - f0 - dphi0 * alpha));
            if (std::isfinite(q)) next = std::clamp(q, 0.1 * alpha, o.shrink() * alpha);
        }
        if (next <= o.alpha_min()) {
            r.status =
                any_finite ? LineSearchStatus::interval_collapsed : LineSearchStatus::non_finite;
            return r;
        }
        alpha = next;
    }
    r.status = any_finite ? LineSearchStatus::max_evaluations : LineSearchStatus::non_finite;
    return r;
}

namespace {

// Algorithm 3.6: lo satisfies sufficient decrease and has the lowest phi seen; the bracket
// between lo and hi holds a point satisfying the strong Wolfe conditions.
LineSearchResult zoom(const LineFunction& phi, double f0, double dphi0, LinePoint lo, LinePoint hi,
                      const LineSearchOptions& o, LineSearchResult r, Best best) {
    const double armijo = o.c1() * dphi0;
    const double curvature = -o.c2() * dphi0;
    for (;;) {
        const auto give_up = [&](LineSearchStatus status) {
            r.status = best.finite_seen ? status : LineSearchStatus::non_finite;
            r.point = best.any ? best.point : LinePoint{0, f0, dphi0};
            return r;
        };
        if (r.evaluations >= o.max_evaluations()) return give_up(LineSearchStatus::max_evaluations);
        const double left = std::min(lo.alpha, hi.alpha), right = std::max(lo.alpha, hi.alpha);
        const double width = right - left;
        if (width <= o.tolerance_change() * right || right <= o.alpha_min()) {
            return give_up(LineSearchStatus::interval_collapsed);
        }
        double alpha;
        if (finite(hi)) {
            alpha = cubic_minimizer(lo.alpha, lo.f, lo.dphi, hi.alpha, hi.f, hi.dphi,
                                    left + 0.1 * width, right - 0.1 * width);
        } else {
            alpha = 0.5 * (lo.alpha + hi.alpha);  // nothing to interpolate: bisect
        }
        const LinePoint p = phi(alpha);
        ++r.evaluations;
        if (finite(p)) best.finite_seen = true;
        if (!finite(p) || p.f > f0 + alpha * armijo || p.f >= lo.f) {
            hi = p;
            continue;
        }
        best.offer(p);
        if (std::abs(p.dphi) <= curvature) {
            r.status = LineSearchStatus::ok;
            r.point = p;
            return r;
        }
        if (p.dphi * (hi.alpha - lo.alpha) >= 0) hi = lo;
        lo = p;
    }
}

}  // namespace

LineSearchResult strong_wolfe(const LineFunction& phi, double f0, double dphi0, double alpha0,
                              const LineSearchOptions& o) {
    LineSearchResult r;
    r.point = {0, f0, dphi0};
    if (!(dphi0 < 0)) {
        r.status = LineSearchStatus::not_descent;
        return r;
    }
    const double armijo = o.c1() * dphi0;
    const double curvature = -o.c2() * dphi0;
    Best best;
    LinePoint prev{0, f0, dphi0};
    double alpha = std::min(alpha0, o.alpha_max());
    for (std::size_t i = 1;; ++i) {
        if (r.evaluations >= o.max_evaluations()) {
            r.status =
                best.finite_seen ? LineSearchStatus::max_evaluations : LineSearchStatus::non_finite;
            r.point = best.any ? best.point : LinePoint{0, f0, dphi0};
            return r;
        }
        const LinePoint p = phi(alpha);
        ++r.evaluations;
        // Too far when not finite: the bracket is [prev, p]; zoom bisects towards prev.
        if (!finite(p)) return zoom(phi, f0, dphi0, prev, p, o, r, best);
        best.finite_seen = true;
        if (p.f > f0 + alpha * armijo || (i > 1 && p.f >= prev.f)) {
            return zoom(phi, f0, dphi0, prev, p, o, r, best);
        }
        best.offer(p);
        if (std::abs(p.dphi) <= curvature) {
            r.point = p;
            return r;
        }
        if (p.dphi >= 0) return zoom(phi, f0, dphi0, p, prev, o, r, best);
        if (alpha >= o.alpha_max()) {
            r.status = LineSearchStatus::max_step;
            r.point = p;
            return r;
        }
        // Still going down: extrapolate, at least a little and at most tenfold.
        const double next = cubic_minimizer(prev.alpha, prev.f, prev.dphi, p.alpha, p.f, p.dphi,
                                            alpha + 0.01 * (alpha - prev.alpha),
                                            std::min(10 * alpha, o.alpha_max()));
        prev = p;
        alpha = next;
    }
}

double step_below_rounding(const std::vector<double>& x, const std::vector<double>& d) {
    const double dn = norm(d);
    return dn > 0 && std::isfinite(dn) ? std::numeric_limits<double>::epsilon() * norm(x) / dn : 0;
}

}  // namespace tg::optim
