#pragma once
// RMSprop (Hinton's lecture 6e), as in libtorch:
//   g <- grad + weight_decay w
//   s <- alpha s + (1 - alpha) g^2
//   centered: a <- alpha a + (1 - alpha) g, and the denominator is sqrt(s - a^2) + eps,
//   otherwise sqrt(s) + eps
//   momentum > 0: b <- momentum b + g / denominator, w <- w - lr b;  else w <- w - lr g / den.

#include "first_order.hpp"
#include "options.hpp"

namespace tg::optim {

struct RMSpropOptions {
    explicit RMSpropOptions(double lr = 1e-2) : lr_(lr) {}
    TG_OPTION(double, lr) = 1e-2;
    TG_OPTION(double, alpha) = 0.99;
    TG_OPTION(double, eps) = 1e-8;
    TG_OPTION(double, weight_decay) = 0.0;
    TG_OPTION(double, momentum) = 0.0;
    TG_OPTION(bool, centered) = false;
    TG_OPTIM_STOP_OPTIONS(0, 0.0, 0.0);
};

class RMSprop : public FirstOrderOptimizer {
  public:
    explicit RMSprop(std::vector<Tensor> params, const RMSpropOptions& options = RMSpropOptions());
    RMSprop(const std::vector<std::pair<std::string, Tensor>>& named_params,
            const RMSpropOptions& options = RMSpropOptions());

    const RMSpropOptions& options() const { return options_; }
    RMSpropOptions& options() { return options_; }
    void reset() override;

  private:
    Settings settings() const override;
    void set_lr_option(double lr) override { options_.lr(lr); }
    double update(std::size_t i, Tensor& param, const Tensor& grad) override;
    void validate() const;

    RMSpropOptions options_;
    std::vector<Tensor> square_avg_, grad_avg_, momentum_buffer_;
};

}  // namespace tg::optim
