#pragma once
// Learning-rate schedules for the first-order optimizers, as in torch::optim::lr_scheduler.
// Each schedule sets the optimizer's lr from its closed form at every step() (call it once per
// epoch, or once per batch for OneCycleLR and warm-up), starting from the lr the optimizer had
// when the schedule was made (base_lr):
//
//   optim::SGD sgd(net->parameters(), optim::SGDOptions(0.1).momentum(0.9));
//   optim::CosineAnnealingLR schedule(sgd, /*t_max=*/100);
//   for (int epoch = 0; epoch < 100; ++epoch) { train_one_epoch(); schedule.step(); }
//
// The formulas are PyTorch's closed forms, so a run can be compared with one in PyTorch.

#include <cstddef>
#include <vector>

#include "first_order.hpp"

namespace tg::optim {

class LRScheduler {
  public:
    explicit LRScheduler(FirstOrderOptimizer& optimizer);
    virtual ~LRScheduler() = default;
    LRScheduler(const LRScheduler&) = delete;
    LRScheduler& operator=(const LRScheduler&) = delete;

    // Advances one epoch (or step) and sets the optimizer's lr to lr_at(epoch()).
    void step();
    std::size_t epoch() const { return epoch_; }
    double base_lr() const { return base_lr_; }
    double last_lr() const { return optimizer_.lr(); }
    // The lr this schedule gives at `epoch` (0: base_lr, before any step()).
    virtual double lr_at(std::size_t epoch) const = 0;

  protected:
    FirstOrderOptimizer& optimizer_;
    double base_lr_;
    std::size_t epoch_ = 0;
};

// base_lr * gamma^floor(epoch / step_size).
class StepLR : public LRScheduler {
  public:
    StepLR(FirstOrderOptimizer& optimizer, std::size_t step_size, double gamma = 0.1);
    double lr_at(std::size_t epoch) const override;

  private:
    std::size_t step_size_;
    double gamma_;
};

// base_lr * gamma^(number of milestones <= epoch).
class MultiStepLR : public LRScheduler {
  public:
    MultiStepLR(FirstOrderOptimizer& optimizer, std::vector<std::size_t> milestones,
                double gamma = 0.1);
    double lr_at(std::size_t epoch) const override;

  private:
    std::vector<std::size_t> milestones_;
    double gamma_;
};

// base_lr * gamma^epoch.
class ExponentialLR : public LRScheduler {
  public:
    ExponentialLR(FirstOrderOptimizer& optimizer, double gamma);
    double lr_at(std::size_t epoch) const override;

  private:
    double gamma_;
};

// eta_min + (base_lr - eta_min) (1 + cos(pi epoch / t_max)) / 2.
class CosineAnnealingLR : public LRScheduler {
  public:
    CosineAnnealingLR(FirstOrderOptimizer& optimizer, std::size_t t_max, double eta_min = 0);
    double lr_at(std::size_t epoch) const override;

  private:
    std::size_t t_max_;
    double eta_min_;
};

// SGDR (Loshchilov & Hutter): cosine annealing restarted after t_0, t_0 t_mult, t_0 t_mult^2, ...
// epochs.
class CosineAnnealingWarmRestarts : public LRScheduler {
  public:
    CosineAnnealingWarmRestarts(FirstOrderOptimizer& optimizer, std::size_t t_0,
                                std::size_t t_mult = 1, double eta_min = 0);
    double lr_at(std::size_t epoch) const override;

  private:
    std::size_t t_0_, t_mult_;
    double eta_min_;
};

// Linear warm-up (PyTorch's LinearLR): base_lr times a factor going linearly from
// start_factor to end_factor over total_steps steps, then staying at end_factor.
class LinearWarmup : public LRScheduler {
  public:
    LinearWarmup(FirstOrderOptimizer& optimizer, std::size_t total_steps,
                 double start_factor = 1.0 / 3, double end_factor = 1.0);
    double lr_at(std::size_t epoch) const override;

  private:
    std::size_t total_steps_;
    double start_factor_, end_factor_;
};

// The one-cycle policy (Smith & Topin), PyTorch's OneCycleLR with cosine annealing: from
// max_lr / div_factor up to max_lr over the first pct_start of total_steps, then down to
// max_lr / (div_factor * final_div_factor). Sets the lr to the start value when made (base_lr
// is then the optimizer's lr before). ValueError for a step past total_steps.
class OneCycleLR : public LRScheduler {
  public:
    OneCycleLR(FirstOrderOptimizer& optimizer, double max_lr, std::size_t total_steps,
               double pct_start = 0.3, double div_factor = 25, double final_div_factor = 1e4);
    double lr_at(std::size_t epoch) const override;

  private:
    double max_lr_, initial_lr_, min_lr_;
    std::size_t total_steps_;
    double up_end_;  // the step where the lr peaks: pct_start * total_steps - 1
};

// Multiplies the lr by factor when the metric given to step(metric) has not improved (by more
// than threshold, relative) for more than patience steps; then waits cooldown steps; never goes
// below min_lr. Mode min (a loss); for a metric to maximise, pass its negative.
class ReduceLROnPlateau {
  public:
    explicit ReduceLROnPlateau(FirstOrderOptimizer& optimizer, double factor = 0.1,
                               std::size_t patience = 10, double threshold = 1e-4,
                               std::size_t cooldown = 0, double min_lr = 0);
    // Returns true when this step reduced the lr. A NaN metric counts as no improvement.
    bool step(double metric);
    double best() const { return best_; }
    std::size_t bad_epochs() const { return bad_epochs_; }

  private:
    FirstOrderOptimizer& optimizer_;
    double factor_, threshold_, min_lr_;
    std::size_t patience_, cooldown_;
    double best_;
    std::size_t bad_epochs_ = 0, cooldown_left_ = 0;
};

}  // namespace tg::optim
