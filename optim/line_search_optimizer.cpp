#include "optim/line_search_optimizer.hpp"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "ops/creation.hpp"

namespace tg::optim {

namespace {

// One evaluated trial point of a line search.
struct Trial {
    double alpha;
    double f;
    FlatVector g;
};

double norm1(const FlatVector& v) {
    double s = 0;
    for (double x : v) s += std::abs(x);
    return s;
}

}  // namespace

double LineSearchOptimizer::initial_step(const StepContext& c) const {
    if (c.fresh && c.g_norm1 > 0) return c.lr * std::min(1.0, 1.0 / c.g_norm1);
    return c.lr;
}

double LineSearchOptimizer::interpolated_step(const StepContext& c, double previous_alpha) {
    if (!std::isfinite(c.f_previous)) {
        return c.g_norm1 > 0 ? c.lr * std::min(1.0, 1.0 / c.g_norm1) : c.lr;
    }
    const double a = 1.01 * 2 * (c.f - c.f_previous) / c.dphi0;
    return std::isfinite(a) && a > 0 ? a : previous_alpha;
}

Tensor LineSearchOptimizer::step(const Closure& closure) {
    const Settings s = settings();
    validate(s.line_search_options, name().c_str());
    if (!(s.lr > 0)) throw ValueError(fmt::format("{}: lr must be > 0, got {}", name(), s.lr));
    FlatVector g;
    double f;
    Tensor start_loss;
    {
        // Keep the first loss tensor to return it.
        Closure capture = [&] {
            start_loss = closure ? closure() : Tensor();
            return start_loss;
        };
        f = call_closure(capture, g);
    }
    // With a reduction, the loss over all processes' data, not this process's share.
    if (reduction() && start_loss.defined()) start_loss = scalar_tensor(f, start_loss.dtype());
    FlatVector x = read_parameters();
    double g_norm = norm(g);
    if (stop_at_start(f, g_norm)) return start_loss;

    const std::size_t n = x.size();
    FlatVector d(n), x_trial(n), s_vec(n), y_vec(n);
    double f_previous = std::numeric_limits<double>::quiet_NaN();
    std::size_t done = 0;
    bool retried = false;  // steepest descent after a failed search, once per iteration
    for (;;) {
        if (stop_before_iteration(g_norm, done, s.tolerance_grad, s.max_iter)) break;
        const bool fresh = !has_memory();
        direction(g, d);
        double dphi0 = dot(g, d);
        if (!(dphi0 < 0) || !all_finite(d)) {
            restart();
            for (std::size_t i = 0; i < n; ++i) d[i] = -g[i];
            dphi0 = -g_norm * g_norm;
        }
        const StepContext context{f,    f_previous,   dphi0, norm1(g), fresh || !has_memory(),
                                  s.lr, s.line_search};
        const double alpha0 = initial_step(context);
        LineSearchOptions search_options = s.line_search_options;
        search_options.alpha_min(std::max(search_options.alpha_min(), step_below_rounding(x, d)));

        std::vector<Trial> trials;
        const auto evaluate = [&](double alpha) -> const Trial& {
            for (std::size_t i = 0; i < n; ++i) x_trial[i] = x[i] + alpha * d[i];
            write_parameters(x_trial);
            Trial t{alpha, 0, {}};
            t.f = call_closure(closure, t.g);
            trials.push_back(std::move(t));
            return trials.back();
        };
        LineSearchResult ls;
        switch (s.line_search) {
            case LineSearchKind::none: {
                const Trial& t = evaluate(alpha0);
                const double slope = dot(t.g, d);
                ls.evaluations = 1;
                ls.point = {alpha0, t.f, slope};
                if (!std::isfinite(t.f) || !std::isfinite(slope)) {
                    ls.status = LineSearchStatus::non_finite;
                    ls.point = {0, f, dphi0};
                }
                break;
            }
            case LineSearchKind::backtracking:
                ls = backtracking([&](double a) { return evaluate(a).f; }, f, dphi0, alpha0,
                                  search_options);
                break;
            case LineSearchKind::strong_wolfe:
                ls = strong_wolfe(
                    [&](double a) {
                        const Trial& t = evaluate(a);
                        return LinePoint{a, t.f, dot(t.g, d)};
                    },
                    f, dphi0, alpha0, search_options);
                break;
        }

        if (!ls.decreased()) {
            if (has_memory() && !retried && ls.status != LineSearchStatus::non_finite) {
                restart();  // the direction may be poor: try steepest descent once
                retried = true;
                write_parameters(x);
                continue;
            }
            write_parameters(x);
            write_gradients(g);
            const bool bad = ls.status == LineSearchStatus::non_finite;
            set_status(bad ? Status::non_finite : Status::line_search_failed,
                       fmt::format("{} line search at iteration {}: {} after {} evaluations; "
                                   "parameters restored to the last accepted point",
                                   to_string(s.line_search), counters_.iterations + 1,
                                   to_string(ls.status), ls.evaluations));
            break;
        }
        retried = false;

        // The accepted trial; the parameters must hold it (a search may end elsewhere).
        std::size_t k = trials.size();
        while (k-- > 0 && trials[k].alpha != ls.point.alpha) {
        }
        Trial& accepted = trials[k];
        if (k + 1 != trials.size()) {
            for (std::size_t i = 0; i < n; ++i) x_trial[i] = x[i] + accepted.alpha * d[i];
            write_parameters(x_trial);
            write_gradients(accepted.g);
        }
        FlatVector x_new = read_parameters();  // as stored: rounded for float parameters
        for (std::size_t i = 0; i < n; ++i) {
            s_vec[i] = x_new[i] - x[i];
            y_vec[i] = accepted.g[i] - g[i];
        }
        learn({s_vec, y_vec, g, accepted.g, d, accepted.alpha});
        last_alpha_ = accepted.alpha;
        f_previous = f;
        f = accepted.f;
        g = std::move(accepted.g);
        x = std::move(x_new);
        g_norm = norm(g);
        ++done;
        const double step_norm = norm(s_vec);
        finish_iteration({0, f, g_norm, step_norm, accepted.alpha});
        if (stop_after_iteration(g_norm, step_norm, norm(x), s.tolerance_grad, s.tolerance_step))
            break;
    }
    return start_loss;
}

}  // namespace tg::optim
