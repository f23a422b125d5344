#include "optim/optimizer.hpp"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "autograd/grad_mode.hpp"

namespace tg::optim {

const char* to_string(Status status) {
    switch (status) {
        case Status::not_started:
            return "not started";
        case Status::running:
            return "running: no stopping rule met yet";
        case Status::converged_gradient:
            return "converged: gradient norm within tolerance";
        case Status::converged_step:
            return "converged: step within tolerance";
        case Status::max_iterations:
            return "stopped: maximum number of iterations reached";
        case Status::line_search_failed:
            return "failed: the line search found no acceptable step";
        case Status::non_finite:
            return "failed: the loss or gradient is NaN or Inf";
        case Status::singular:
            return "failed: the Newton system is singular";
    }
    return "unknown status";
}

Optimizer::Optimizer(std::vector<Tensor> params, std::string name)
    : name_(std::move(name)),
      params_(std::move(params)),
      last_loss_(std::numeric_limits<double>::quiet_NaN()),
      last_grad_norm_(std::numeric_limits<double>::quiet_NaN()) {
    for (std::size_t i = 0; i < params_.size(); ++i) {
        const bool named = params_[i].defined() && !params_[i].name().empty();
        names_.push_back(named ? params_[i].name() : "parameter " + std::to_string(i));
    }
    check_parameters();
}

Optimizer::Optimizer(const std::vector<std::pair<std::string, Tensor>>& named_params,
                     std::string name)
    : name_(std::move(name)),
      last_loss_(std::numeric_limits<double>::quiet_NaN()),
      last_grad_norm_(std::numeric_limits<double>::quiet_NaN()) {
    for (const auto& [n, p] : named_params) {
        names_.push_back(n);
        params_.push_back(p);
    }
    check_parameters();
}

Optimizer::~Optimizer() = default;

void Optimizer::check_parameters() {
    if (params_.empty()) throw ValueError(name_ + ": the parameter list is empty");
    for (std::size_t i = 0; i < params_.size(); ++i) {
        const Tensor& p = params_[i];
        const std::string who = name_ + ": parameter " + std::to_string(i) + " '" + names_[i] + "'";
        if (!p.defined()) throw ValueError(who + " is an undefined tensor");
        if (!p.is_leaf()) {
            throw ValueError(who + " " + shape_str(p.shape()) +
                             " was produced by a recorded op; an optimizer updates leaves");
        }
        if (!p.requires_grad()) {
            throw ValueError(who + " " + shape_str(p.shape()) +
                             " does not require grad, so no gradient will reach it; call "
                             "requires_grad_() on it");
        }
        for (std::size_t j = 0; j < i; ++j) {
            if (params_[j].same(p)) {
                throw ValueError(who + " is the same tensor as parameter " + std::to_string(j) +
                                 " '" + names_[j] + "'");
            }
        }
        num_elements_ += p.numel();
    }
}

void Optimizer::zero_grad() {
    for (Tensor p : params_) p.zero_grad();
}

void Optimizer::reset() {
    counters_ = Counters{};
    status_ = Status::not_started;
    reason_.clear();
    last_loss_ = last_grad_norm_ = std::numeric_limits<double>::quiet_NaN();
}

double Optimizer::call_closure(const Closure& closure, FlatVector& g) {
    if (!closure) throw ValueError(name_ + "::step: the closure is empty");
    Tensor loss;
    {
        EnableGradGuard recording;
        loss = closure();
    }
    ++counters_.loss_evaluations;
    ++counters_.gradient_evaluations;
    if (!loss.defined())
        throw ValueError(name_ + "::step: the closure returned an undefined tensor");
    if (loss.numel() != 1) {
        throw ValueError(name_ + "::step: the closure returned a tensor of shape " +
                         shape_str(loss.shape()) + "; it must return the (scalar) loss");
    }
    g = gather_grads(params_);
    double f = loss.item();
    if (reduction_) {  // the loss travels with its gradient: one reduction for both
        g.push_back(f);
        reduction_(g);
        f = g.back();
        g.pop_back();
    }
    return f;
}

double Optimizer::call_loss(const LossFunction& loss_fn) {
    if (!loss_fn) throw ValueError(name_ + "::step: the loss function is empty");
    Tensor loss;
    {
        NoGradGuard no_grad;
        loss = loss_fn();
    }
    ++counters_.loss_evaluations;
    if (!loss.defined()) {
        throw ValueError(name_ + "::step: the loss function returned an undefined tensor");
    }
    if (loss.numel() != 1) {
        throw ValueError(name_ + "::step: the loss function returned a tensor of shape " +
                         shape_str(loss.shape()) + "; it must return the (scalar) loss");
    }
    if (!reduction_) return loss.item();
    FlatVector f{loss.item()};
    reduction_(f);
    return f.at(0);
}

void Optimizer::set_status(Status status, std::string reason) {
    status_ = status;
    reason_ = reason.empty() ? to_string(status) : std::move(reason);
}

void Optimizer::finish_iteration(IterationInfo info) {
    ++counters_.iterations;
    info.iteration = counters_.iterations;
    remember(info.loss, info.grad_norm);
    if (callback_) callback_(info);
}

std::string Optimizer::gradient_reason(double grad_norm, double tolerance) const {
    return fmt::format("gradient norm {:.3g} <= tolerance_grad {:.3g} after {} iterations",
                       grad_norm, tolerance, counters_.iterations);
}

std::string Optimizer::step_reason(double step_norm, double tolerance) const {
    return fmt::format("step norm {:.3g} <= tolerance_step {:.3g} after {} iterations", step_norm,
                       tolerance, counters_.iterations);
}

std::string Optimizer::step_reason(double step_norm, double x_norm, double tolerance) const {
    return fmt::format(
        "step norm {:.3g} <= tolerance_step {:.3g} x max(1, ||x|| = {:.3g}) after {} iterations",
        step_norm, tolerance, x_norm, counters_.iterations);
}

std::string Optimizer::iterations_reason(std::size_t max_iter) const {
    return fmt::format("max_iter = {} iterations done ({} in all), gradient norm {:.3g}", max_iter,
                       counters_.iterations, last_grad_norm_);
}

bool Optimizer::stop_at_start(double f, double g_norm) {
    remember(f, g_norm);
    if (std::isfinite(f) && std::isfinite(g_norm)) return false;
    set_status(Status::non_finite,
               fmt::format("the {} at the starting point is NaN or Inf; parameters unchanged",
                           std::isfinite(f) ? "gradient" : "loss"));
    return true;
}

bool Optimizer::stop_before_iteration(double g_norm, std::size_t done, double tolerance_grad,
                                      std::size_t max_iter) {
    if (g_norm == 0 || (tolerance_grad > 0 && g_norm <= tolerance_grad)) {
        set_status(Status::converged_gradient, gradient_reason(g_norm, tolerance_grad));
        return true;
    }
    if (max_iter > 0 && done >= max_iter) {
        set_status(Status::max_iterations, iterations_reason(max_iter));
        return true;
    }
    return false;
}

bool Optimizer::stop_after_iteration(double g_norm, double step_norm, double x_norm,
                                     double tolerance_grad, double tolerance_step) {
    if (g_norm == 0 || (tolerance_grad > 0 && g_norm <= tolerance_grad)) {
        set_status(Status::converged_gradient, gradient_reason(g_norm, tolerance_grad));
        return true;
    }
    if (tolerance_step > 0 && step_norm <= tolerance_step * std::max(1.0, x_norm)) {
        set_status(Status::converged_step, step_reason(step_norm, x_norm, tolerance_step));
        return true;
    }
    return false;
}

}  // namespace tg::optim
