#include "optim/newton_cg.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include <fmt/format.h>

#include "autograd/grad_mode.hpp"
#include "ops/creation.hpp"
#include "optim/curvature.hpp"

namespace tg::optim {

// What step() was given: how to build the curvature at the current point, and how to compute
// the loss alone.
class NewtonCG::Problem {
  public:
    virtual ~Problem() = default;
    virtual std::unique_ptr<detail::Curvature> curvature(const std::vector<Tensor>& params) = 0;
    virtual Tensor loss() = 0;
};

namespace {

class HessianProblem : public NewtonCG::Problem {
  public:
    explicit HessianProblem(const LossFunction& loss) : loss_(loss) {}
    std::unique_ptr<detail::Curvature> curvature(const std::vector<Tensor>& params) override {
        return std::make_unique<detail::HessianCurvature>(loss_, params, "NewtonCG::step");
    }
    Tensor loss() override { return loss_(); }

  private:
    const LossFunction& loss_;
};

class GaussNewtonProblem : public NewtonCG::Problem {
  public:
    GaussNewtonProblem(const std::function<Tensor()>& model,
                       const std::function<Tensor(const Tensor&)>& loss_of_output)
        : model_(model), loss_of_output_(loss_of_output) {}
    std::unique_ptr<detail::Curvature> curvature(const std::vector<Tensor>& params) override {
        return std::make_unique<detail::GaussNewtonCurvature>(model_, loss_of_output_, params,
                                                              "NewtonCG::step");
    }
    Tensor loss() override { return loss_of_output_(model_()); }

  private:
    const std::function<Tensor()>& model_;
    const std::function<Tensor(const Tensor&)>& loss_of_output_;
};

}  // namespace

NewtonCG::NewtonCG(std::vector<Tensor> params, const NewtonCGOptions& options)
    : Optimizer(std::move(params), "NewtonCG"), options_(options) {
    validate();
}

NewtonCG::NewtonCG(const std::vector<std::pair<std::string, Tensor>>& named_params,
                   const NewtonCGOptions& options)
    : Optimizer(named_params, "NewtonCG"), options_(options) {
    validate();
}

void NewtonCG::validate() const {
    const auto& o = options_;
    if (!(o.forcing_constant() > 0 && o.forcing_constant() < 1)) {
        throw ValueError(fmt::format("NewtonCG: forcing_constant must lie in (0, 1), got {}",
                                     o.forcing_constant()));
    }
    if (!(o.initial_radius() > 0 && o.max_radius() >= o.initial_radius())) {
        throw ValueError("NewtonCG: need 0 < initial_radius <= max_radius");
    }
    if (!(o.accept_ratio() >= 0 && o.accept_ratio() < 0.25)) {
        throw ValueError(
            fmt::format("NewtonCG: accept_ratio must lie in [0, 0.25), got {}", o.accept_ratio()));
    }
    if (!(o.initial_damping() > 0)) throw ValueError("NewtonCG: initial_damping must be > 0");
    tg::optim::validate(o.line_search_options(), "NewtonCG");
}

void NewtonCG::reset() {
    Optimizer::reset();
    radius_ = lambda_ = -1;
    cg_iterations_ = negative_curvature_ = rejected_ = 0;
}

Tensor NewtonCG::step(const LossFunction& loss_fn) {
    if (!loss_fn) throw ValueError("NewtonCG::step: the loss function is empty");
    HessianProblem problem(loss_fn);
    return run(problem);
}

Tensor NewtonCG::step(const std::function<Tensor()>& model,
                      const std::function<Tensor(const Tensor&)>& loss_of_output) {
    if (!model || !loss_of_output) throw ValueError("NewtonCG::step: an empty function");
    GaussNewtonProblem problem(model, loss_of_output);
    return run(problem);
}

Tensor NewtonCG::run(Problem& problem) {
    const std::size_t n = num_elements();
    const auto& o = options_;
    const auto evaluate = [&] {
        auto c = detail::reduce(problem.curvature(parameters()), reduction());
        ++counters_.loss_evaluations;
        ++counters_.gradient_evaluations;
        return c;
    };
    const auto loss_only = [&] { return call_loss([&] { return problem.loss(); }); };

    std::unique_ptr<detail::Curvature> point = evaluate();
    double f = point->loss();
    FlatVector g = point->gradient();
    FlatVector x = read_parameters();
    const Tensor start_loss = scalar_tensor(f, kFloat64);
    double g_norm = norm(g);
    if (stop_at_start(f, g_norm)) return start_loss;
    if (radius_ < 0) radius_ = o.initial_radius();
    if (lambda_ < 0) lambda_ = o.initial_damping();

    std::size_t done = 0;
    FlatVector x_trial(n), minus_g(n);
    const auto move_to = [&](const FlatVector& p, double alpha) {
        for (std::size_t i = 0; i < n; ++i) x_trial[i] = x[i] + alpha * p[i];
        write_parameters(x_trial);
    };
    const auto fail = [&](Status status, std::string reason) {
        write_parameters(x);
        set_status(status, std::move(reason));
    };

    for (;;) {
        if (stop_before_iteration(g_norm, done, o.tolerance_grad(), o.max_iter())) break;
        if (!point) {  // a rejected step moved the parameters and back: rebuild the graph
            point = evaluate();
        }

        // The inner solve.
        double eta = o.forcing_constant();
        if (o.forcing() == ForcingSequence::superlinear) eta = std::min(eta, std::sqrt(g_norm));
        if (o.forcing() == ForcingSequence::quadratic) eta = std::min(eta, g_norm);
        for (std::size_t i = 0; i < n; ++i) minus_g[i] = -g[i];
        auto cg_options = LinearCGOptions().rel_tol(eta).max_iter(o.max_cg_iter());
        if (o.globalization() == NewtonCGGlobalization::trust_region)
            cg_options.trust_radius(radius_);
        if (o.globalization() == NewtonCGGlobalization::damping) cg_options.damping(lambda_);
        LinearCGResult cg = conjugate_gradient(point->as_operator(), minus_g, cg_options);
        counters_.hessian_vector_products += cg.products;
        cg_iterations_ += cg.iterations;
        if (!cg.negative_curvature_direction.empty()) ++negative_curvature_;
        if (cg.status == LinearCGStatus::non_finite) {
            fail(Status::non_finite, fmt::format("a curvature-vector product is NaN or Inf at "
                                                 "iteration {}",
                                                 counters_.iterations + 1));
            break;
        }
        FlatVector& p = cg.x;
        if (cg.iterations == 0) p = minus_g;  // negative curvature at once: steepest descent

        double alpha = 1;
        bool accepted = true;
        if (o.globalization() == NewtonCGGlobalization::line_search) {
            point.reset();  // trial points change the parameters under its graph
            const LineSearchResult ls = backtracking(
                [&](double a) {
                    move_to(p, a);
                    return loss_only();
                },
                f, dot(g, p), 1.0, o.line_search_options());
            if (!ls.decreased()) {
                fail(ls.status == LineSearchStatus::non_finite ? Status::non_finite
                                                               : Status::line_search_failed,
                     fmt::format("backtracking line search at iteration {}: {} after {} "
                                 "evaluations; parameters restored",
                                 counters_.iterations + 1, to_string(ls.status), ls.evaluations));
                break;
            }
            alpha = ls.point.alpha;
            move_to(p, alpha);
        } else {
            // Predicted decrease from the quadratic model (without the damping term).
            double model = cg.model;
            if (cg.iterations == 0) {  // p = -g: the model value needs one more product
                FlatVector bp;
                point->product(p, bp);
                ++counters_.hessian_vector_products;
                model = dot(g, p) + 0.5 * dot(p, bp);
            } else if (o.globalization() == NewtonCGGlobalization::damping) {
                model -= 0.5 * lambda_ * dot(p, p);
            }
            const double predicted = -model;
            point.reset();
            move_to(p, 1);
            const double f_new = loss_only();
            const double rho = std::isfinite(f_new) && predicted > 0
                                   ? (f - f_new) / predicted
                                   : -std::numeric_limits<double>::infinity();
            const double p_norm = norm(p);
            if (o.globalization() == NewtonCGGlobalization::trust_region) {
                if (rho < 0.25) {
                    radius_ = 0.25 * std::min(radius_, p_norm);
                } else if (rho > 0.75 && p_norm >= 0.99 * radius_) {
                    radius_ = std::min(2 * radius_, o.max_radius());
                }
                accepted = rho > o.accept_ratio();
            } else {
                if (rho < 0.25) lambda_ *= 1.5;
                if (rho > 0.75) lambda_ *= 2.0 / 3.0;
                accepted = rho > 0;
            }
            if (!accepted) {
                write_parameters(x);
                ++rejected_;
                ++done;
                finish_iteration({0, f, g_norm, 0.0, 0.0});
                if (o.globalization() == NewtonCGGlobalization::trust_region &&
                    o.tolerance_step() > 0 &&
                    radius_ <= o.tolerance_step() * std::max(1.0, norm(x))) {
                    set_status(
                        Status::converged_step,
                        fmt::format("trust radius {:.3g} <= tolerance_step {:.3g} x max(1, "
                                    "||x|| = {:.3g}) after {} iterations",
                                    radius_, o.tolerance_step(), norm(x), counters_.iterations));
                    break;
                }
                if (o.globalization() == NewtonCGGlobalization::damping && lambda_ > 1e30) {
                    set_status(Status::line_search_failed,
                               fmt::format("damping {:.3g}: no step decreased the loss", lambda_));
                    break;
                }
                continue;
            }
        }

        point.reset();
        point = evaluate();
        const double f_new = point->loss();
        FlatVector g_new = point->gradient();
        const double g_new_norm = norm(g_new);
        if (!std::isfinite(f_new) || !std::isfinite(g_new_norm)) {
            point.reset();
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
        if (stop_after_iteration(g_norm, step_norm, norm(x), o.tolerance_grad(),
                                 o.tolerance_step()))
            break;
    }
    write_gradients(g);
    return start_loss;
}

}  // namespace tg::optim
