#pragma once
// Line searches along a descent direction d from a point x: they look at the one-dimensional
// function phi(alpha) = f(x + alpha d), with phi'(alpha) = grad f(x + alpha d) . d.
//
// - backtracking(): Armijo's sufficient decrease phi(alpha) <= phi(0) + c1 alpha phi'(0),
//   shrinking alpha by safeguarded quadratic interpolation (Nocedal & Wright, 2nd ed., sec. 3.5,
//   eq. 3.58, kept in [0.1 alpha, shrink alpha]). Needs only values of phi.
// - strong_wolfe(): sufficient decrease and |phi'(alpha)| <= c2 |phi'(0)|; Nocedal & Wright
//   algorithm 3.5 (bracketing, extrapolating by cubic interpolation) and algorithm 3.6 (zoom,
//   cubic interpolation of the bracket's values and slopes, eq. 3.59, safeguarded into its
//   middle 80 percent).
//
// A value of phi that is NaN or Inf counts as a step too long: the search backs off from it.
// Both are usable on their own; the optimizers in this folder use them through their options.

#include <cstddef>
#include <functional>
#include <vector>

#include "options.hpp"

namespace tg::optim {

enum class LineSearchKind {
    none,          // a fixed step: alpha = lr
    backtracking,  // Armijo
    strong_wolfe,  // Nocedal & Wright 3.5 and 3.6
};
const char* to_string(LineSearchKind kind);

struct LineSearchOptions {
    TG_OPTION(double, c1) = 1e-4;  // sufficient decrease
    TG_OPTION(double, c2) = 0.9;   // curvature (strong Wolfe); 0.1 suits nonlinear CG
    TG_OPTION(std::size_t, max_evaluations) = 25;
    TG_OPTION(double, shrink) = 0.5;      // backtracking: the largest factor per trial
    TG_OPTION(bool, interpolate) = true;  // backtracking: quadratic interpolation, else shrink
    TG_OPTION(double, alpha_max) = 1e10;  // strong Wolfe: the longest step tried
    // Strong Wolfe: give up when the bracket is narrower than this, relative to its end.
    TG_OPTION(double, tolerance_change) = 1e-12;
    // Both: give up when every trial step would be shorter than this (in alpha). The optimizers
    // set it to the step below the rounding of x, eps ||x|| / ||d||: trial points closer to x
    // than that are x itself, and shrinking further only spends evaluations.
    TG_OPTION(double, alpha_min) = 0;
};

// One point of phi: alpha, phi(alpha) and phi'(alpha) (NaN if not computed).
struct LinePoint {
    double alpha = 0;
    double f = 0;
    double dphi = 0;
};

enum class LineSearchStatus {
    ok,                  // the conditions hold at the returned point
    max_evaluations,     // ran out of evaluations
    interval_collapsed,  // strong Wolfe: the bracket shrank to nothing
    max_step,            // strong Wolfe: alpha_max reached with phi still decreasing
    not_descent,         // phi'(0) >= 0: d is not a descent direction
    non_finite,          // every trial gave NaN or Inf
};
const char* to_string(LineSearchStatus status);

struct LineSearchResult {
    LineSearchStatus status = LineSearchStatus::ok;
    // The accepted point. When status is not ok, the point with the lowest phi among those
    // that satisfy sufficient decrease, or alpha = 0 (and phi(0)) if there is none.
    LinePoint point;
    std::size_t evaluations = 0;
    // Whether point is a usable step: alpha > 0 with sufficient decrease.
    bool decreased() const { return point.alpha > 0; }
};

// phi(alpha): the value and slope at alpha.
using LineFunction = std::function<LinePoint(double alpha)>;
// phi(alpha): the value only.
using LineValueFunction = std::function<double(double alpha)>;

LineSearchResult backtracking(const LineValueFunction& phi, double f0, double dphi0, double alpha0,
                              const LineSearchOptions& options = {});
LineSearchResult strong_wolfe(const LineFunction& phi, double f0, double dphi0, double alpha0,
                              const LineSearchOptions& options = {});

// eps ||x|| / ||d||: a step alpha d shorter than this is below the rounding of x (in double), so
// x + alpha d is x to working precision. 0 when d is 0 or x is.
double step_below_rounding(const std::vector<double>& x, const std::vector<double>& d);

// The minimiser of the cubic that matches values and slopes at a and b (Nocedal & Wright,
// eq. 3.59), clamped to [lo, hi]; the middle of [lo, hi] when that cubic has no minimiser.
double cubic_minimizer(double a, double fa, double da, double b, double fb, double db, double lo,
                       double hi);

// ValueError unless 0 < c1 < c2 < 1, max_evaluations >= 1 and 0 < shrink < 1.
void validate(const LineSearchOptions& options, const char* who);

}  // namespace tg::optim
