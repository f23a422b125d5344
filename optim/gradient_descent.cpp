#include "optim/gradient_descent.hpp"

namespace tg::optim {

GradientDescent::GradientDescent(std::vector<Tensor> params, const GradientDescentOptions& options)
    : LineSearchOptimizer(std::move(params), "GradientDescent"), options_(options) {}

GradientDescent::GradientDescent(const std::vector<std::pair<std::string, Tensor>>& named_params,
                                 const GradientDescentOptions& options)
    : LineSearchOptimizer(named_params, "GradientDescent"), options_(options) {}

LineSearchOptimizer::Settings GradientDescent::settings() const {
    return {options_.max_iter(),    options_.tolerance_grad(),      options_.tolerance_step(),
            options_.line_search(), options_.line_search_options(), options_.lr()};
}

double GradientDescent::initial_step(const StepContext& c) const {
    if (c.line_search == LineSearchKind::none) return c.lr;
    return interpolated_step(c, last_alpha());
}

void GradientDescent::direction(const FlatVector& g, FlatVector& d) {
    for (std::size_t i = 0; i < g.size(); ++i) d[i] = -g[i];
}

}  // namespace tg::optim
