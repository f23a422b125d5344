#include "optim/lbfgs.hpp"

#include <fmt/format.h>

namespace tg::optim {

LBFGS::LBFGS(std::vector<Tensor> params, const LBFGSOptions& options)
    : LineSearchOptimizer(std::move(params), "LBFGS"), options_(options) {
    if (options_.history_size() < 1) throw ValueError("LBFGS: history_size must be >= 1");
}

LBFGS::LBFGS(const std::vector<std::pair<std::string, Tensor>>& named_params,
             const LBFGSOptions& options)
    : LineSearchOptimizer(named_params, "LBFGS"), options_(options) {
    if (options_.history_size() < 1) throw ValueError("LBFGS: history_size must be >= 1");
}

LineSearchOptimizer::Settings LBFGS::settings() const {
    return {options_.max_iter(),    options_.tolerance_grad(),      options_.tolerance_step(),
            options_.line_search(), options_.line_search_options(), options_.lr()};
}

void LBFGS::reset() {
    LineSearchOptimizer::reset();
    pairs_.clear();
    skipped_ = 0;
}

void LBFGS::direction(const FlatVector& g, FlatVector& d) {
    const std::size_t n = g.size();
    FlatVector q = g;
    std::vector<double> a(pairs_.size());
    for (std::size_t k = pairs_.size(); k-- > 0;) {  // newest to oldest
        a[k] = pairs_[k].rho * dot(pairs_[k].s, q);
        axpy(-a[k], pairs_[k].y, q);
    }
    if (!pairs_.empty()) {
        const Pair& newest = pairs_.back();
        const double gamma = 1 / (newest.rho * dot(newest.y, newest.y));
        for (double& v : q) v *= gamma;
    }
    for (std::size_t k = 0; k < pairs_.size(); ++k) {  // oldest to newest
        const double b = pairs_[k].rho * dot(pairs_[k].y, q);
        axpy(a[k] - b, pairs_[k].s, q);
    }
    for (std::size_t i = 0; i < n; ++i) d[i] = -q[i];
}

void LBFGS::learn(const Update& u) {
    const double ys = dot(u.y, u.s);
    if (!(ys > 1e-10 * norm(u.s) * norm(u.y))) {
        ++skipped_;
        return;
    }
    if (pairs_.size() == options_.history_size()) pairs_.pop_front();
    pairs_.push_back({u.s, u.y, 1 / ys});
}

}  // namespace tg::optim
