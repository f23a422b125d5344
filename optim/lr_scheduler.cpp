#include "optim/lr_scheduler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "autograd/errors.hpp"

namespace tg::optim {

namespace {

void require(bool ok, const char* who, const std::string& what) {
    if (!ok) throw ValueError(fmt::format("{}: {}", who, what));
}

// From start to end along half a cosine, pct in [0, 1].
double cosine(double start, double end, double pct) {
    return end + (start - end) / 2 * (1 + std::cos(M_PI * pct));
}

}  // namespace

LRScheduler::LRScheduler(FirstOrderOptimizer& optimizer)
    : optimizer_(optimizer), base_lr_(optimizer.lr()) {}

void LRScheduler::step() {
    ++epoch_;
    optimizer_.set_lr(lr_at(epoch_));
}

StepLR::StepLR(FirstOrderOptimizer& optimizer, std::size_t step_size, double gamma)
    : LRScheduler(optimizer), step_size_(step_size), gamma_(gamma) {
    require(step_size > 0, "StepLR", "step_size must be > 0");
    require(gamma >= 0 && std::isfinite(gamma), "StepLR",
            fmt::format("gamma {} (need >= 0)", gamma));
}

double StepLR::lr_at(std::size_t epoch) const {
    return base_lr_ * std::pow(gamma_, double(epoch / step_size_));
}

MultiStepLR::MultiStepLR(FirstOrderOptimizer& optimizer, std::vector<std::size_t> milestones,
                         double gamma)
    : LRScheduler(optimizer), milestones_(std::move(milestones)), gamma_(gamma) {
    require(std::is_sorted(milestones_.begin(), milestones_.end()), "MultiStepLR",
            "milestones must be increasing");
    require(gamma >= 0 && std::isfinite(gamma), "MultiStepLR",
            fmt::format("gamma {} (need >= 0)", gamma));
}

double MultiStepLR::lr_at(std::size_t epoch) const {
    const auto passed =
        std::upper_bound(milestones_.begin(), milestones_.end(), epoch) - milestones_.begin();
    return base_lr_ * std::pow(gamma_, double(passed));
}

ExponentialLR::ExponentialLR(FirstOrderOptimizer& optimizer, double gamma)
    : LRScheduler(optimizer), gamma_(gamma) {
    require(gamma >= 0 && std::isfinite(gamma), "ExponentialLR",
            fmt::format("gamma {} (need >= 0)", gamma));
}

double ExponentialLR::lr_at(std::size_t epoch) const {
    return base_lr_ * std::pow(gamma_, double(epoch));
}

CosineAnnealingLR::CosineAnnealingLR(FirstOrderOptimizer& optimizer, std::size_t t_max,
                                     double eta_min)
    : LRScheduler(optimizer), t_max_(t_max), eta_min_(eta_min) {
    require(t_max > 0, "CosineAnnealingLR", "t_max must be > 0");
    require(eta_min >= 0, "CosineAnnealingLR", fmt::format("eta_min {} (need >= 0)", eta_min));
}

double CosineAnnealingLR::lr_at(std::size_t epoch) const {
    return cosine(base_lr_, eta_min_, double(epoch) / double(t_max_));
}

CosineAnnealingWarmRestarts::CosineAnnealingWarmRestarts(FirstOrderOptimizer& optimizer,
                                                         std::size_t t_0, std::size_t t_mult,
                                                         double eta_min)
    : LRScheduler(optimizer), t_0_(t_0), t_mult_(t_mult), eta_min_(eta_min) {
    require(t_0 > 0, "CosineAnnealingWarmRestarts", "t_0 must be > 0");
    require(t_mult >= 1, "CosineAnnealingWarmRestarts", "t_mult must be >= 1");
    require(eta_min >= 0, "CosineAnnealingWarmRestarts",
            fmt::format("eta_min {} (need >= 0)", eta_min));
}

double CosineAnnealingWarmRestarts::lr_at(std::size_t epoch) const {
    // Walk the cycles: t_0, t_0 t_mult, ... (integer arithmetic, no logarithms to round).
    std::size_t start = 0, length = t_0_;
    while (epoch >= start + length) {
        start += length;
        length *= t_mult_;
    }
    return cosine(base_lr_, eta_min_, double(epoch - start) / double(length));
}

LinearWarmup::LinearWarmup(FirstOrderOptimizer& optimizer, std::size_t total_steps,
                           double start_factor, double end_factor)
    : LRScheduler(optimizer),
      total_steps_(total_steps),
      start_factor_(start_factor),
      end_factor_(end_factor) {
    require(total_steps > 0, "LinearWarmup", "total_steps must be > 0");
    require(start_factor > 0 && start_factor <= 1 && end_factor >= 0 && end_factor <= 1,
            "LinearWarmup",
            fmt::format("factors {} and {} (need 0 < start <= 1, 0 <= end <= 1)", start_factor,
                        end_factor));
    optimizer_.set_lr(lr_at(0));
}

double LinearWarmup::lr_at(std::size_t epoch) const {
    const double t = double(std::min(epoch, total_steps_)) / double(total_steps_);
    return base_lr_ * (start_factor_ + (end_factor_ - start_factor_) * t);
}

OneCycleLR::OneCycleLR(FirstOrderOptimizer& optimizer, double max_lr, std::size_t total_steps,
                       double pct_start, double div_factor, double final_div_factor)
    : LRScheduler(optimizer),
      max_lr_(max_lr),
      initial_lr_(max_lr / div_factor),
      min_lr_(max_lr / div_factor / final_div_factor),
      total_steps_(total_steps),
      up_end_(pct_start * double(total_steps) - 1) {
    require(max_lr > 0 && std::isfinite(max_lr), "OneCycleLR",
            fmt::format("max_lr {} (need > 0)", max_lr));
    require(total_steps >= 2, "OneCycleLR", "total_steps must be >= 2");
    require(pct_start > 0 && pct_start < 1, "OneCycleLR",
            fmt::format("pct_start {} (need 0 < pct_start < 1)", pct_start));
    require(div_factor > 0 && final_div_factor > 0, "OneCycleLR",
            "div_factor and final_div_factor must be > 0");
    require(up_end_ > 0 && up_end_ < double(total_steps) - 1, "OneCycleLR",
            fmt::format("pct_start {} of {} steps leaves no room for one of the two phases",
                        pct_start, total_steps));
    optimizer_.set_lr(lr_at(0));
}

double OneCycleLR::lr_at(std::size_t epoch) const {
    if (epoch > total_steps_) {
        throw ValueError(
            fmt::format("OneCycleLR: step {} is past total_steps = {}", epoch, total_steps_));
    }
    const double s = double(epoch);
    if (s <= up_end_) return cosine(initial_lr_, max_lr_, s / up_end_);
    const double down_end = double(total_steps_) - 1;
    return cosine(max_lr_, min_lr_, (s - up_end_) / (down_end - up_end_));
}

ReduceLROnPlateau::ReduceLROnPlateau(FirstOrderOptimizer& optimizer, double factor,
                                     std::size_t patience, double threshold, std::size_t cooldown,
                                     double min_lr)
    : optimizer_(optimizer),
      factor_(factor),
      threshold_(threshold),
      min_lr_(min_lr),
      patience_(patience),
      cooldown_(cooldown),
      best_(std::numeric_limits<double>::infinity()) {
    require(factor >= 0 && factor < 1, "ReduceLROnPlateau",
            fmt::format("factor {} (need 0 <= factor < 1)", factor));
    require(threshold >= 0 && min_lr >= 0, "ReduceLROnPlateau",
            "threshold and min_lr must be >= 0");
}

bool ReduceLROnPlateau::step(double metric) {
    if (metric < best_ * (1 - threshold_)) {  // false for NaN: no improvement
        best_ = metric;
        bad_epochs_ = 0;
    } else {
        ++bad_epochs_;
    }
    if (cooldown_left_ > 0) {
        --cooldown_left_;
        bad_epochs_ = 0;
    }
    if (bad_epochs_ <= patience_) return false;
    const double old_lr = optimizer_.lr(), new_lr = std::max(old_lr * factor_, min_lr_);
    bad_epochs_ = 0;
    cooldown_left_ = cooldown_;
    if (old_lr - new_lr <= 1e-8 * old_lr) return false;
    optimizer_.set_lr(new_lr);
    return true;
}

}  // namespace tg::optim
