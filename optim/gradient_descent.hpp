#pragma once
// Steepest descent, d = -g, with a line search (backtracking Armijo by default, or strong
// Wolfe) or a fixed step lr (LineSearchKind::none). The first trial step of a search follows
// Nocedal & Wright eq. 3.60: it expects the same decrease as in the previous iteration.

#include "line_search_optimizer.hpp"

namespace tg::optim {

struct GradientDescentOptions {
    explicit GradientDescentOptions(double lr = 1) : lr_(lr) {}
    TG_OPTION(double, lr) = 1.0;
    TG_OPTION(LineSearchKind, line_search) = LineSearchKind::backtracking;
    TG_OPTION(LineSearchOptions, line_search_options) = LineSearchOptions();
    TG_OPTIM_STOP_OPTIONS(20, 1e-7, 1e-12);
};

class GradientDescent : public LineSearchOptimizer {
  public:
    explicit GradientDescent(std::vector<Tensor> params,
                             const GradientDescentOptions& options = GradientDescentOptions());
    GradientDescent(const std::vector<std::pair<std::string, Tensor>>& named_params,
                    const GradientDescentOptions& options = GradientDescentOptions());
    const GradientDescentOptions& options() const { return options_; }

  private:
    Settings settings() const override;
    double initial_step(const StepContext& c) const override;
    void direction(const FlatVector& g, FlatVector& d) override;
    void learn(const Update&) override {}
    void restart() override {}
    bool has_memory() const override { return false; }

    GradientDescentOptions options_;
};

}  // namespace tg::optim
