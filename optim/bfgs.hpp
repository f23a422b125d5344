#pragma once
// BFGS with a dense inverse-Hessian approximation H (Nocedal & Wright, algorithm 6.1):
//   d = -H g;  after a step s with gradient change y, rho = 1 / y.s,
//   H <- (I - rho s y^T) H (I - rho y s^T) + rho s s^T,
// starting from H = (y.s / y.y) I before the first update (eq. 6.20). A pair with too little
// curvature (y.s <= 1e-10 |s| |y|) is skipped. H takes n^2 doubles: for small problems only;
// a problem larger than max_size is refused (use LBFGS).

#include "line_search_optimizer.hpp"

namespace tg::optim {

struct BFGSOptions {
    explicit BFGSOptions(double lr = 1) : lr_(lr) {}
    TG_OPTION(double, lr) = 1.0;
    TG_OPTION(std::size_t, max_size) = 4096;
    TG_OPTION(LineSearchKind, line_search) = LineSearchKind::strong_wolfe;
    TG_OPTION(LineSearchOptions, line_search_options) = LineSearchOptions();
    TG_OPTIM_STOP_OPTIONS(20, 1e-7, 1e-12);
};

class BFGS : public LineSearchOptimizer {
  public:
    explicit BFGS(std::vector<Tensor> params, const BFGSOptions& options = BFGSOptions());
    BFGS(const std::vector<std::pair<std::string, Tensor>>& named_params,
         const BFGSOptions& options = BFGSOptions());
    const BFGSOptions& options() const { return options_; }
    // The inverse-Hessian approximation, row-major n x n (empty before the first update).
    const std::vector<double>& inverse_hessian() const { return h_; }
    std::size_t skipped_updates() const { return skipped_; }
    void reset() override;

  private:
    Settings settings() const override;
    void direction(const FlatVector& g, FlatVector& d) override;
    void learn(const Update& u) override;
    void restart() override { h_.clear(); }
    bool has_memory() const override { return !h_.empty(); }
    void check_size() const;

    BFGSOptions options_;
    std::vector<double> h_;
    std::size_t skipped_ = 0;
};

}  // namespace tg::optim
