#include "optim/first_order.hpp"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "autograd/errors.hpp"
#include "autograd/grad_mode.hpp"
#include "ops/creation.hpp"

namespace tg::optim {

namespace {

double squared_norm(const Tensor& g) {
    double s = 0;
    if (g.dtype() == DType::f32) {
        const float* p = g.array<float>().data();
        for (std::size_t i = 0, n = g.numel(); i < n; ++i) s += double(p[i]) * double(p[i]);
    } else {
        const double* p = g.array<double>().data();
        for (std::size_t i = 0, n = g.numel(); i < n; ++i) s += p[i] * p[i];
    }
    return s;
}

}  // namespace

Tensor& FirstOrderOptimizer::state(std::vector<Tensor>& buffers, std::size_t i) {
    if (buffers.size() < parameters().size()) buffers.resize(parameters().size());
    if (!buffers[i].defined()) buffers[i] = zeros_like(parameters()[i]);
    return buffers[i];
}

void FirstOrderOptimizer::step() {
    update_all(std::numeric_limits<double>::quiet_NaN(), false);
}

Tensor FirstOrderOptimizer::step(const Closure& closure) {
    const Settings s = settings();
    if (s.max_iter > 0 && counters_.iterations >= s.max_iter) {
        set_status(Status::max_iterations, iterations_reason(s.max_iter));
        return Tensor();
    }
    Tensor loss;
    {
        EnableGradGuard recording;
        loss = closure ? closure() : Tensor();
    }
    if (!loss.defined() || loss.numel() != 1) {
        throw ValueError(name() + "::step: the closure must return the (scalar) loss");
    }
    ++counters_.loss_evaluations;
    ++counters_.gradient_evaluations;
    update_all(loss.item(), true);
    return loss;
}

void FirstOrderOptimizer::update_all(double loss, bool from_closure) {
    const Settings s = settings();
    if (s.max_iter > 0 && counters_.iterations >= s.max_iter) {
        set_status(Status::max_iterations, iterations_reason(s.max_iter));
        return;
    }
    if (!from_closure) ++counters_.gradient_evaluations;  // the one the user computed
    // Check everything before touching anything, so that a bad gradient changes nothing.
    double g2 = 0;
    for (const auto& p : parameters()) {
        if (p.grad().defined()) g2 += squared_norm(p.grad());
    }
    const double grad_norm = std::sqrt(g2);
    if (!std::isfinite(grad_norm) || (from_closure && !std::isfinite(loss))) {
        remember(loss, grad_norm);
        set_status(Status::non_finite,
                   fmt::format("{} at iteration {}: the parameters were not updated",
                               std::isfinite(grad_norm) ? "loss is NaN or Inf"
                                                        : "gradient holds NaN or Inf",
                               counters_.iterations + 1));
        return;
    }
    if (s.tolerance_grad > 0 && grad_norm <= s.tolerance_grad) {
        remember(loss, grad_norm);
        set_status(Status::converged_gradient, gradient_reason(grad_norm, s.tolerance_grad));
        return;
    }
    double step2 = 0;
    {
        NoGradGuard no_grad;
        for (std::size_t i = 0; i < parameters().size(); ++i) {
            Tensor p = parameters()[i];
            const Tensor g = p.grad();
            if (g.defined()) step2 += update(i, p, g);
        }
    }
    const double step_norm = std::sqrt(step2);
    finish_iteration({0, loss, grad_norm, step_norm, s.lr});
    if (s.tolerance_step > 0 && step_norm <= s.tolerance_step) {
        set_status(Status::converged_step, step_reason(step_norm, s.tolerance_step));
    } else if (s.max_iter > 0 && counters_.iterations >= s.max_iter) {
        set_status(Status::max_iterations, iterations_reason(s.max_iter));
    } else {
        set_status(Status::running);
    }
}

void FirstOrderOptimizer::set_lr(double lr) {
    if (!(lr >= 0) || !std::isfinite(lr)) {
        throw ValueError(
            fmt::format("{}::set_lr: learning rate {} (need a finite lr >= 0)", name(), lr));
    }
    set_lr_option(lr);
}

}  // namespace tg::optim
