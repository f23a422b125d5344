#pragma once
// The common part of the first-order methods (SGD, Adam, AdamW, RMSprop): one iteration per
// step, parameter by parameter, in each parameter's own element type.

#include "optimizer.hpp"

namespace tg::optim {

class FirstOrderOptimizer : public Optimizer {
  public:
    using Optimizer::Optimizer;

    // One update with the gradients already in the parameters' .grad(); parameters without a
    // gradient are left alone. Counts the gradient it consumes as one gradient evaluation.
    void step();
    // Calls the closure (zero grads, loss, backward), then updates. Returns the closure's loss.
    Tensor step(const Closure& closure);

    // The learning rate, as the options hold it; set_lr changes it for the next steps (what
    // the learning-rate schedulers of lr_scheduler.hpp call). ValueError unless lr >= 0.
    double lr() const { return settings().lr; }
    void set_lr(double lr);

  protected:
    struct Settings {
        std::size_t max_iter;
        double tolerance_grad;
        double tolerance_step;
        double lr;
    };
    virtual Settings settings() const = 0;
    virtual void set_lr_option(double lr) = 0;
    // Updates parameter i in place (its dtype is T's) with its gradient, under no-grad.
    // Returns the squared Euclidean norm of the change.
    virtual double update(std::size_t i, Tensor& param, const Tensor& grad) = 0;

    // A state buffer of parameter i: zeros shaped and typed like it, made on first use.
    Tensor& state(std::vector<Tensor>& buffers, std::size_t i);

  private:
    void update_all(double loss, bool from_closure);
};

}  // namespace tg::optim
