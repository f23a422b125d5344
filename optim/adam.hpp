#pragma once
// Adam (Kingma & Ba, 2015) and AdamW (Loshchilov & Hutter, 2019), as in libtorch:
//   g <- grad + weight_decay w                        (Adam: L2 penalty in the gradient)
//   w <- w (1 - lr weight_decay)                      (AdamW: decoupled decay instead)
//   m <- beta1 m + (1 - beta1) g;  v <- beta2 v + (1 - beta2) g^2
//   w <- w - lr / (1 - beta1^t) * m / (sqrt(v_hat) / sqrt(1 - beta2^t) + eps)
// with v_hat = v, or the running maximum of v with amsgrad (Reddi et al., 2018).

#include <utility>

#include "first_order.hpp"
#include "options.hpp"

namespace tg::optim {

using Betas = std::pair<double, double>;

struct AdamOptions {
    explicit AdamOptions(double lr = 1e-3) : lr_(lr) {}
    TG_OPTION(double, lr) = 1e-3;
    TG_OPTION(Betas, betas) = Betas(0.9, 0.999);
    TG_OPTION(double, eps) = 1e-8;
    TG_OPTION(double, weight_decay) = 0.0;
    TG_OPTION(bool, amsgrad) = false;
    TG_OPTIM_STOP_OPTIONS(0, 0.0, 0.0);
};

// AdamW's options: as Adam's, with libtorch's default weight_decay of 0.01 (decoupled).
struct AdamWOptions {
    explicit AdamWOptions(double lr = 1e-3) : lr_(lr) {}
    TG_OPTION(double, lr) = 1e-3;
    TG_OPTION(Betas, betas) = Betas(0.9, 0.999);
    TG_OPTION(double, eps) = 1e-8;
    TG_OPTION(double, weight_decay) = 1e-2;
    TG_OPTION(bool, amsgrad) = false;
    TG_OPTIM_STOP_OPTIONS(0, 0.0, 0.0);
};

class Adam : public FirstOrderOptimizer {
  public:
    explicit Adam(std::vector<Tensor> params, const AdamOptions& options = AdamOptions());
    Adam(const std::vector<std::pair<std::string, Tensor>>& named_params,
         const AdamOptions& options = AdamOptions());

    const AdamOptions& options() const { return options_; }
    AdamOptions& options() { return options_; }
    void reset() override;

  protected:
    // AdamW shares everything but the way weight decay enters.
    Adam(std::vector<Tensor> params, const AdamOptions& options, bool decoupled, const char* name);
    Adam(const std::vector<std::pair<std::string, Tensor>>& named_params,
         const AdamOptions& options, bool decoupled, const char* name);

  private:
    Settings settings() const override;
    void set_lr_option(double lr) override { options_.lr(lr); }
    double update(std::size_t i, Tensor& param, const Tensor& grad) override;
    void validate() const;

    AdamOptions options_;
    bool decoupled_ = false;
    std::vector<Tensor> m_, v_, v_max_;
    std::vector<std::size_t> steps_;
};

class AdamW : public Adam {
  public:
    explicit AdamW(std::vector<Tensor> params, const AdamWOptions& options = AdamWOptions());
    AdamW(const std::vector<std::pair<std::string, Tensor>>& named_params,
          const AdamWOptions& options = AdamWOptions());
};

}  // namespace tg::optim
