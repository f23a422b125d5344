#include "optim/newton.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>
#include <xtensor-blas/xlinalg.hpp>
#include <xtensor/xtensor.hpp>

#include "ops/creation.hpp"
#include "optim/curvature.hpp"
#include "optim/trust_region_subproblem.hpp"

namespace tg::optim {

namespace {

using Matrix = xt::xtensor<double, 2>;
using Vector = xt::xtensor<double, 1>;

// The dense Hessian from n products with unit vectors, symmetrised (rounding makes it slightly
// asymmetric).
Matrix dense_hessian(detail::Curvature& c, std::size_t n) {
    Matrix h = xt::zeros<double>({n, n});
    FlatVector e(n, 0.0), col;
    for (std::size_t j = 0; j < n; ++j) {
        e[j] = 1;
        c.product(e, col);
        e[j] = 0;
        for (std::size_t i = 0; i < n; ++i) h(i, j) = col[i];
    }
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < i; ++j) h(i, j) = h(j, i) = 0.5 * (h(i, j) + h(j, i));
    }
    return h;
}

// p = -(H + shift I)^-1 g through LAPACK (gesv). Empty when the matrix is singular to working
// precision (LAPACK reports an exactly zero pivot; xtensor-blas throws std::runtime_error).
std::optional<FlatVector> newton_direction(const Matrix& h, double shift, const FlatVector& g) {
    const std::size_t n = g.size();
    Matrix a = h;
    for (std::size_t i = 0; i < n; ++i) a(i, i) += shift;
    Vector rhs = xt::zeros<double>({n});
    for (std::size_t i = 0; i < n; ++i) rhs(i) = -g[i];
    Vector p;
    try {
        p = xt::linalg::solve(a, rhs);
    } catch (const std::runtime_error&) {
        return std::nullopt;
    }
    if (!std::all_of(p.begin(), p.end(), [](double v) { return std::isfinite(v); }))
        return std::nullopt;
    return FlatVector(p.begin(), p.end());
}

// The shift tau >= 0 that makes H + tau I safely positive definite, given H's extreme
// eigenvalues. Whether H needs one and how large it is are two questions:
//   - H is left alone when it is positive definite to working precision: lambda_min above
//     n eps |lambda_max|, the rounding error of the eigenvalues (however ill-conditioned H is:
//     Newton's step is right for a badly scaled convex problem);
//   - otherwise the spectrum's bottom is lifted to max(delta, |lambda_min|), delta =
//     min_eigenvalue * max(1, |lambda_max|): a negative eigenvalue is mirrored (its direction is
//     followed downhill with its own curvature's scale, Nocedal & Wright sec. 3.4), a zero one
//     gets the floor delta.
double eigenvalue_shift(double lambda_min, double lambda_max, std::size_t n,
                        double min_eigenvalue) {
    const double eps = std::numeric_limits<double>::epsilon();
    if (lambda_min > double(n) * eps * std::abs(lambda_max)) return 0;
    const double delta = min_eigenvalue * std::max(1.0, std::abs(lambda_max));
    return std::max(delta, std::abs(lambda_min)) - lambda_min;
}

double quadratic_form(const Matrix& h, const FlatVector& p) {
    const std::size_t n = p.size();
    double s = 0;
    for (std::size_t i = 0; i < n; ++i) {
        double r = 0;
        for (std::size_t j = 0; j < n; ++j) r += h(i, j) * p[j];
        s += p[i] * r;
    }
    return s;
}

}  // namespace

Newton::Newton(std::vector<Tensor> params, const NewtonOptions& options)
    : Optimizer(std::move(params), "Newton"), options_(options) {
    check_size();
}

Newton::Newton(const std::vector<std::pair<std::string, Tensor>>& named_params,
               const NewtonOptions& options)
    : Optimizer(named_params, "Newton"), options_(options) {
    check_size();
}

void Newton::check_size() const {
    if (num_elements() > options_.max_size()) {
        throw ValueError(fmt::format(
            "Newton: {} parameters need a dense {}x{} Hessian ({} Hessian-vector products and an "
            "O(n^3) solve per iteration), more than max_size = {} allows; use NewtonCG",
            num_elements(), num_elements(), num_elements(), num_elements(), options_.max_size()));
    }
    if (!(options_.min_eigenvalue() > 0)) throw ValueError("Newton: min_eigenvalue must be > 0");
    if (!(options_.damping() > 0)) throw ValueError("Newton: damping must be > 0");
    if (!(options_.initial_radius() > 0) || !(options_.max_radius() >= options_.initial_radius()))
        throw ValueError("Newton: need 0 < initial_radius <= max_radius");
    if (options_.line_search() == LineSearchKind::strong_wolfe) {
        throw ValueError(
            "Newton: the line search is backtracking or none (strong Wolfe would "
            "need a gradient at every trial point)");
    }
    validate(options_.line_search_options(), "Newton");
}

void Newton::reset() {
    Optimizer::reset();
    mu_ = -1;
    radius_ = -1;
    last_min_eigenvalue_ = last_shift_ = 0;
}

Tensor Newton::step(const LossFunction& loss_fn) {
    if (!loss_fn) throw ValueError("Newton::step: the loss function is empty");
    const std::size_t n = num_elements();
    const auto evaluate = [&] {
        auto c = detail::reduce(
            std::make_unique<detail::HessianCurvature>(loss_fn, parameters(), "Newton::step"),
            reduction());
        ++counters_.loss_evaluations;
        ++counters_.gradient_evaluations;
        return c;
    };
    std::unique_ptr<detail::Curvature> point = evaluate();
    double f = point->loss();
    FlatVector g = point->gradient();
    FlatVector x = read_parameters();
    const Tensor start_loss = scalar_tensor(f, kFloat64);
    double g_norm = norm(g);
    if (stop_at_start(f, g_norm)) return start_loss;
    const bool levenberg = options_.modification() == HessianModification::levenberg;
    if (levenberg && mu_ < 0) mu_ = options_.damping();
    const bool trust_region = options_.modification() == HessianModification::trust_region;
    if (trust_region && radius_ < 0) radius_ = options_.initial_radius();
    std::size_t done = 0;
    FlatVector x_trial(n);
    const auto move_to = [&](const FlatVector& p, double alpha) {
        for (std::size_t i = 0; i < n; ++i) x_trial[i] = x[i] + alpha * p[i];
        write_parameters(x_trial);
    };
    const auto fail = [&](Status status, std::string reason) {
        write_parameters(x);
        set_status(status, std::move(reason));
    };

    for (;;) {
        if (stop_before_iteration(g_norm, done, options_.tolerance_grad(), options_.max_iter()))
            break;
        const Matrix h = dense_hessian(*point, n);
        counters_.hessian_vector_products += n;
        if (!std::all_of(h.begin(), h.end(), [](double v) { return std::isfinite(v); })) {
            fail(Status::non_finite,
                 fmt::format("the Hessian holds NaN or Inf at iteration {}", done + 1));
            break;
        }
        const auto eig = xt::linalg::eigh(h);
        const Vector& lambda = std::get<0>(eig);
        const double lambda_min = lambda(0), lambda_max = lambda(n - 1);
        const double tau = eigenvalue_shift(lambda_min, lambda_max, n, options_.min_eigenvalue());
        last_min_eigenvalue_ = lambda_min;
        const auto singular = [&](double shift) {
            fail(Status::singular,
                 fmt::format("the Hessian shifted by {:.3g} is singular at iteration {} (smallest "
                             "eigenvalue {:.3g}); parameters restored",
                             shift, counters_.iterations + 1, lambda_min));
        };

        FlatVector p;
        double alpha = 1;
        if (trust_region) {
            const std::vector<double> mu(lambda.begin(), lambda.end());
            const Matrix& vectors = std::get<1>(eig);
            std::vector<double> q(n * n);
            for (std::size_t j = 0; j < n; ++j)
                for (std::size_t i = 0; i < n; ++i) q[i + n * j] = vectors(i, j);
            bool accepted = false, stopped = false;
            while (!accepted && !stopped) {
                const detail::TrustRegionStep tr = detail::solve_trust_region(mu, q, g, radius_);
                p = tr.p;
                last_shift_ = tr.lambda;
                const double predicted = -(dot(g, p) + 0.5 * quadratic_form(h, p));
                move_to(p, 1);
                const double f_new = call_loss(loss_fn);
                double rho = predicted > 0 && std::isfinite(f_new)
                                 ? (f - f_new) / predicted
                                 : -std::numeric_limits<double>::infinity();
                // A decrease below f's rounding cannot be measured (see Levenberg below).
                const double rounding = 16 * std::numeric_limits<double>::epsilon() * std::abs(f);
                if (predicted > 0 && predicted <= rounding && std::isfinite(f_new) &&
                    f_new <= f + rounding)
                    rho = 1;
                const double p_norm = norm(p);
                if (rho < 0.25) {
                    radius_ = 0.25 * std::min(radius_, p_norm);
                } else if (rho > 0.75 && p_norm >= 0.99 * radius_) {
                    radius_ = std::min(2 * radius_, options_.max_radius());
                }
                if (rho > 0.1) {
                    accepted = true;
                    break;
                }
                write_parameters(x);
                ++done;
                finish_iteration({0, f, g_norm, 0.0, 0.0});  // a rejected step
                const double floor =
                    std::max(options_.tolerance_step(), std::numeric_limits<double>::epsilon()) *
                    std::max(1.0, norm(x));
                if (radius_ <= floor) {
                    set_status(Status::converged_step,
                               fmt::format("trust radius {:.3g} <= {:.3g} (tolerance_step x "
                                           "max(1, ||x||)) after {} iterations",
                                           radius_, floor, counters_.iterations));
                    stopped = true;
                } else if (options_.max_iter() > 0 && done >= options_.max_iter()) {
                    set_status(Status::max_iterations, iterations_reason(options_.max_iter()));
                    stopped = true;
                }
            }
            if (stopped) break;
        } else if (levenberg) {
            // Levenberg-Marquardt: grow mu until a step decreases the loss.
            bool accepted = false;
            while (!accepted) {
                const double mu = std::max(mu_, tau);
                last_shift_ = mu;
                auto direction = newton_direction(h, mu, g);
                if (!direction) {
                    p.clear();
                    break;
                }
                p = std::move(*direction);
                const double predicted = -(dot(g, p) + 0.5 * quadratic_form(h, p));
                move_to(p, 1);
                const double f_new = call_loss(loss_fn);
                const double rho = (f - f_new) / predicted;
                // A predicted decrease below f's rounding cannot be measured: rho is noise
                // there, and a step that leaves f the same to rounding is taken (otherwise mu
                // doubles forever next to a minimum).
                const double rounding = 16 * std::numeric_limits<double>::epsilon() * std::abs(f);
                const bool unmeasurable = predicted > 0 && predicted <= rounding &&
                                          std::isfinite(f_new) && f_new <= f + rounding;
                if (unmeasurable) {
                    accepted = true;
                    break;
                }
                if (std::isfinite(f_new) && predicted > 0 && rho > 0) {
                    mu_ = mu * std::max(1.0 / 3, 1 - std::pow(2 * rho - 1, 3));  // Nielsen
                    accepted = true;
                    break;
                }
                write_parameters(x);
                mu_ = 2 * mu;
                ++done;
                finish_iteration({0, f, g_norm, 0.0, 0.0});  // a rejected step
                if (mu_ > 1e30 || (options_.max_iter() > 0 && done >= options_.max_iter())) break;
            }
            if (!accepted && p.empty()) {
                singular(last_shift_);
                break;
            }
            if (!accepted) {
                fail(mu_ > 1e30 ? Status::line_search_failed : Status::max_iterations,
                     fmt::format("Levenberg damping {:.3g}: no step decreased the loss", mu_));
                break;
            }
        } else {
            last_shift_ = tau;
            auto direction = newton_direction(h, tau, g);
            if (!direction) {
                singular(tau);
                break;
            }
            p = std::move(*direction);
            const double dphi0 = dot(g, p);
            if (options_.line_search() == LineSearchKind::none) {
                move_to(p, 1);
            } else {
                const LineSearchResult ls = backtracking(
                    [&](double a) {
                        move_to(p, a);
                        return call_loss(loss_fn);
                    },
                    f, dphi0, 1.0, options_.line_search_options());
                if (!ls.decreased()) {
                    fail(ls.status == LineSearchStatus::non_finite ? Status::non_finite
                                                                   : Status::line_search_failed,
                         fmt::format("backtracking line search at iteration {}: {} after {} "
                                     "evaluations; parameters restored",
                                     counters_.iterations + 1, to_string(ls.status),
                                     ls.evaluations));
                    break;
                }
                alpha = ls.point.alpha;
                move_to(p, alpha);
            }
        }

        point.reset();  // its graph saw the old values
        point = evaluate();
        const double f_new = point->loss();
        FlatVector g_new = point->gradient();
        const double g_new_norm = norm(g_new);
        if (!std::isfinite(f_new) || !std::isfinite(g_new_norm)) {
            fail(Status::non_finite,
                 fmt::format("the {} is NaN or Inf at iteration {}; parameters restored",
                             std::isfinite(f_new) ? "gradient" : "loss", counters_.iterations + 1));
            break;
        }
        FlatVector x_new = read_parameters();
        FlatVector s(n);
        for (std::size_t i = 0; i < n; ++i) s[i] = x_new[i] - x[i];
        const double step_norm = norm(s);
        x = std::move(x_new);
        f = f_new;
        g = std::move(g_new);
        g_norm = g_new_norm;
        ++done;
        finish_iteration({0, f, g_norm, step_norm, alpha});
        if (stop_after_iteration(g_norm, step_norm, norm(x), options_.tolerance_grad(),
                                 options_.tolerance_step()))
            break;
    }
    write_gradients(g);
    return start_loss;
}

}  // namespace tg::optim
