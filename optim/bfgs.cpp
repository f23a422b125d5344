#include "optim/bfgs.hpp"

#include <cmath>

#include <fmt/format.h>

namespace tg::optim {

BFGS::BFGS(std::vector<Tensor> params, const BFGSOptions& options)
    : LineSearchOptimizer(std::move(params), "BFGS"), options_(options) {
    check_size();
}

BFGS::BFGS(const std::vector<std::pair<std::string, Tensor>>& named_params,
           const BFGSOptions& options)
    : LineSearchOptimizer(named_params, "BFGS"), options_(options) {
    check_size();
}

void BFGS::check_size() const {
    const std::size_t n = num_elements();
    if (n > options_.max_size()) {
        throw ValueError(fmt::format(
            "BFGS: {} parameters need a dense {}x{} inverse-Hessian approximation ({:.3g} MB), "
            "more than max_size = {} allows; use LBFGS, or raise BFGSOptions::max_size",
            n, n, n, 8.0 * double(n) * double(n) / 1e6, options_.max_size()));
    }
}

LineSearchOptimizer::Settings BFGS::settings() const {
    return {options_.max_iter(),    options_.tolerance_grad(),      options_.tolerance_step(),
            options_.line_search(), options_.line_search_options(), options_.lr()};
}

void BFGS::reset() {
    LineSearchOptimizer::reset();
    h_.clear();
    skipped_ = 0;
}

void BFGS::direction(const FlatVector& g, FlatVector& d) {
    const std::size_t n = g.size();
    if (h_.empty()) {
        for (std::size_t i = 0; i < n; ++i) d[i] = -g[i];
        return;
    }
    for (std::size_t i = 0; i < n; ++i) {
        const double* row = h_.data() + i * n;
        double s = 0;
        for (std::size_t j = 0; j < n; ++j) s += row[j] * g[j];
        d[i] = -s;
    }
}

void BFGS::learn(const Update& u) {
    const std::size_t n = u.s.size();
    const double ys = dot(u.y, u.s);
    if (!(ys > 1e-10 * norm(u.s) * norm(u.y))) {
        ++skipped_;
        return;
    }
    if (h_.empty()) {  // H0 = (y.s / y.y) I, eq. 6.20
        h_.assign(n * n, 0.0);
        const double gamma = ys / dot(u.y, u.y);
        for (std::size_t i = 0; i < n; ++i) h_[i * n + i] = gamma;
    }
    // H+ = H - rho (s (Hy)^T + (Hy) s^T) + (rho^2 y.Hy + rho) s s^T, H symmetric.
    const double rho = 1 / ys;
    FlatVector hy(n, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
        const double* row = h_.data() + i * n;
        double s = 0;
        for (std::size_t j = 0; j < n; ++j) s += row[j] * u.y[j];
        hy[i] = s;
    }
    const double c = rho * rho * dot(u.y, hy) + rho;
    for (std::size_t i = 0; i < n; ++i) {
        double* row = h_.data() + i * n;
        for (std::size_t j = 0; j < n; ++j)
            row[j] += -rho * (u.s[i] * hy[j] + hy[i] * u.s[j]) + c * u.s[i] * u.s[j];
    }
}

}  // namespace tg::optim
