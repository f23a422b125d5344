#pragma once
// L-BFGS (Nocedal & Wright, algorithms 7.4 and 7.5): the direction -H g comes from the
// two-loop recursion over the last history_size pairs (s, y), with H0 = (s.y / y.y) I from the
// newest pair (eq. 7.20). The search is strong Wolfe by default, which keeps y.s > 0; a pair
// with too little curvature (y.s <= 1e-10 |s| |y|) is skipped. Options follow libtorch's LBFGS
// (lr, max_iter, history_size, tolerance_grad, line search) but step(closure) returns as soon
// as a stopping rule holds, and the norms are Euclidean.

#include <deque>

#include "line_search_optimizer.hpp"

namespace tg::optim {

struct LBFGSOptions {
    explicit LBFGSOptions(double lr = 1) : lr_(lr) {}
    TG_OPTION(double, lr) = 1.0;
    TG_OPTION(std::size_t, history_size) = 10;
    TG_OPTION(LineSearchKind, line_search) = LineSearchKind::strong_wolfe;
    TG_OPTION(LineSearchOptions, line_search_options) = LineSearchOptions();
    TG_OPTIM_STOP_OPTIONS(20, 1e-7, 1e-12);
};

class LBFGS : public LineSearchOptimizer {
  public:
    explicit LBFGS(std::vector<Tensor> params, const LBFGSOptions& options = LBFGSOptions());
    LBFGS(const std::vector<std::pair<std::string, Tensor>>& named_params,
          const LBFGSOptions& options = LBFGSOptions());
    const LBFGSOptions& options() const { return options_; }
    std::size_t history_length() const { return pairs_.size(); }
    std::size_t skipped_updates() const { return skipped_; }
    void reset() override;

  private:
    struct Pair {
        FlatVector s, y;
        double rho;
    };
    Settings settings() const override;
    void direction(const FlatVector& g, FlatVector& d) override;
    void learn(const Update& u) override;
    void restart() override { pairs_.clear(); }
    bool has_memory() const override { return !pairs_.empty(); }

    LBFGSOptions options_;
    std::deque<Pair> pairs_;
    std::size_t skipped_ = 0;
};

}  // namespace tg::optim
