#pragma once
// Nonlinear conjugate gradient (Nocedal & Wright, sec. 5.2): d <- -g + beta d with
//   Fletcher-Reeves     beta = g.g / g_old.g_old
//   Polak-Ribiere+      beta = max(0, g.(g - g_old) / g_old.g_old)
//   Hestenes-Stiefel    beta = g.y / d.y,  y = g - g_old
// and a strong-Wolfe line search (c2 = 0.1 by default, as CG needs). It restarts with steepest
// descent when two consecutive gradients are far from orthogonal (Powell: |g.g_old| >=
// restart_threshold g.g), whenever the new d is not a descent direction, and, if restart_every
// is set, every restart_every iterations. There is no periodic restart by default (as in scipy's
// CG): on a problem with few parameters a restart every n iterations turns CG into steepest
// descent (every 2 iterations on a 2-variable problem), and Polak-Ribiere+ restarts itself
// where its beta falls to 0. On a quadratic with exact line searches
// all three are linear CG.

#include "line_search_optimizer.hpp"

namespace tg::optim {

enum class CGBeta { fletcher_reeves, polak_ribiere_plus, hestenes_stiefel };
const char* to_string(CGBeta beta);

struct NonlinearCGOptions {
    explicit NonlinearCGOptions(CGBeta beta = CGBeta::polak_ribiere_plus) : beta_(beta) {}
    TG_OPTION(CGBeta, beta) = CGBeta::polak_ribiere_plus;
    TG_OPTION(std::size_t, restart_every) = 0;   // 0: no periodic restart
    TG_OPTION(double, restart_threshold) = 0.1;  // Powell's test; 0 turns it off
    TG_OPTION(double, lr) = 1.0;                 // scales the first trial step
    TG_OPTION(LineSearchKind, line_search) = LineSearchKind::strong_wolfe;
    TG_OPTION(LineSearchOptions, line_search_options) = LineSearchOptions().c2(0.1);
    TG_OPTIM_STOP_OPTIONS(20, 1e-7, 1e-12);
};

class NonlinearCG : public LineSearchOptimizer {
  public:
    explicit NonlinearCG(std::vector<Tensor> params,
                         const NonlinearCGOptions& options = NonlinearCGOptions());
    NonlinearCG(const std::vector<std::pair<std::string, Tensor>>& named_params,
                const NonlinearCGOptions& options = NonlinearCGOptions());
    const NonlinearCGOptions& options() const { return options_; }
    // Restarts so far (periodic, Powell, or lost descent).
    std::size_t restarts() const { return restarts_; }
    void reset() override;

  private:
    Settings settings() const override;
    double initial_step(const StepContext& c) const override;
    void direction(const FlatVector& g, FlatVector& d) override;
    void learn(const Update& u) override;
    void restart() override;
    bool has_memory() const override { return !d_old_.empty(); }

    NonlinearCGOptions options_;
    FlatVector g_old_, d_old_;
    std::size_t since_restart_ = 0;
    std::size_t restarts_ = 0;
};

}  // namespace tg::optim
