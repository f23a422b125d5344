#pragma once
// Stochastic gradient descent with weight decay, momentum (the lecture's equations 14 and 15)
// and Nesterov's accelerated gradient.
//
// With g the gradient plus weight_decay * w, learning rate eps and momentum alpha:
//   plain:     w <- w - eps g
//   momentum:  v <- alpha v - eps g;  w <- w + v                    (lecture, eqs. 14 and 15)
//   Nesterov:  v <- alpha v - eps g;  w <- w + alpha v - eps g
// The Nesterov form is Sutskever et al.'s (2013) v <- alpha v - eps grad C(w + alpha v),
// w <- w + v, rewritten for the look-ahead point w + alpha v, which is what the parameters
// hold (as in PyTorch): so step() needs only the gradient at the parameters.
// The velocity starts at zero. With a constant learning rate this is the same sequence of
// parameters as torch::optim::SGD (whose buffer is -v / eps) without dampening.

#include "first_order.hpp"
#include "options.hpp"

namespace tg::optim {

struct SGDOptions {
    explicit SGDOptions(double lr = 0.01) : lr_(lr) {}
    TG_OPTION(double, lr) = 0.01;
    TG_OPTION(double, momentum) = 0.0;
    TG_OPTION(bool, nesterov) = false;
    TG_OPTION(double, weight_decay) = 0.0;
    TG_OPTIM_STOP_OPTIONS(0, 0.0, 0.0);
};

class SGD : public FirstOrderOptimizer {
  public:
    explicit SGD(std::vector<Tensor> params, const SGDOptions& options = SGDOptions());
    SGD(const std::vector<std::pair<std::string, Tensor>>& named_params,
        const SGDOptions& options = SGDOptions());

    const SGDOptions& options() const { return options_; }
    SGDOptions& options() { return options_; }  // e.g. to change lr during training
    // The velocity v of parameter i (undefined before its first update or without momentum).
    Tensor velocity(std::size_t i) const { return i < velocity_.size() ? velocity_[i] : Tensor(); }
    void reset() override;

  private:
    Settings settings() const override;
    void set_lr_option(double lr) override { options_.lr(lr); }
    double update(std::size_t i, Tensor& param, const Tensor& grad) override;
    void validate() const;

    SGDOptions options_;
    std::vector<Tensor> velocity_;
};

}  // namespace tg::optim
