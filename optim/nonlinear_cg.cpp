#include "optim/nonlinear_cg.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tg::optim {

const char* to_string(CGBeta beta) {
    switch (beta) {
        case CGBeta::fletcher_reeves:
            return "Fletcher-Reeves";
        case CGBeta::polak_ribiere_plus:
            return "Polak-Ribiere+";
        case CGBeta::hestenes_stiefel:
            return "Hestenes-Stiefel";
    }
    return "unknown";
}

NonlinearCG::NonlinearCG(std::vector<Tensor> params, const NonlinearCGOptions& options)
    : LineSearchOptimizer(std::move(params), "NonlinearCG"), options_(options) {}

NonlinearCG::NonlinearCG(const std::vector<std::pair<std::string, Tensor>>& named_params,
                         const NonlinearCGOptions& options)
    : LineSearchOptimizer(named_params, "NonlinearCG"), options_(options) {}

LineSearchOptimizer::Settings NonlinearCG::settings() const {
    return {options_.max_iter(),    options_.tolerance_grad(),      options_.tolerance_step(),
            options_.line_search(), options_.line_search_options(), options_.lr()};
}

void NonlinearCG::reset() {
    LineSearchOptimizer::reset();
    g_old_.clear();
    d_old_.clear();
    since_restart_ = 0;
    restarts_ = 0;
}

void NonlinearCG::restart() {
    if (has_memory()) ++restarts_;
    g_old_.clear();
    d_old_.clear();
    since_restart_ = 0;
}

double NonlinearCG::initial_step(const StepContext& c) const {
    if (c.line_search == LineSearchKind::none) return c.lr;
    return interpolated_step(c, last_alpha());
}

void NonlinearCG::learn(const Update& u) {
    g_old_ = u.g_old;
    d_old_ = u.d;
    ++since_restart_;
}

void NonlinearCG::direction(const FlatVector& g, FlatVector& d) {
    const std::size_t n = g.size();
    const std::size_t period = options_.restart_every() > 0
                                   ? options_.restart_every()
                                   : std::numeric_limits<std::size_t>::max();
    const double gg = dot(g, g);
    if (has_memory()) {
        const double gg_old = dot(g_old_, g_old_);
        const double g_gold = dot(g, g_old_);
        const bool powell = options_.restart_threshold() > 0 &&
                            std::abs(g_gold) >= options_.restart_threshold() * gg;
        if (since_restart_ >= period || powell)
            restart();
        else {
            double beta = 0;
            switch (options_.beta()) {
                case CGBeta::fletcher_reeves:
                    beta = gg / gg_old;
                    break;
                case CGBeta::polak_ribiere_plus:
                    beta = std::max(0.0, (gg - g_gold) / gg_old);
                    break;
                case CGBeta::hestenes_stiefel: {
                    double dy = 0;
                    for (std::size_t i = 0; i < n; ++i) dy += d_old_[i] * (g[i] - g_old_[i]);
                    beta = (gg - g_gold) / dy;
                    break;
                }
            }
            if (!std::isfinite(beta)) beta = 0;
            for (std::size_t i = 0; i < n; ++i) d[i] = -g[i] + beta * d_old_[i];
            return;
        }
    }
    for (std::size_t i = 0; i < n; ++i) d[i] = -g[i];
}

}  // namespace tg::optim
