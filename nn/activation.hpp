#pragma once
// Elementwise activations as modules, and Flatten, so that they can sit in a Sequential.

#include <cstdint>

#include "nn/module.hpp"

namespace tg::nn {

class Sigmoid : public Module {
  public:
    Sigmoid() : Module("Sigmoid") {}
    Tensor forward(const Tensor& input) override;
};

class Tanh : public Module {
  public:
    Tanh() : Module("Tanh") {}
    Tensor forward(const Tensor& input) override;
};

class ReLU : public Module {
  public:
    ReLU() : Module("ReLU") {}
    Tensor forward(const Tensor& input) override;
};

class LeakyReLU : public Module {
  public:
    explicit LeakyReLU(double negative_slope = 0.01);
    Tensor forward(const Tensor& input) override;
    std::string repr() const override;
    double negative_slope() const { return negative_slope_; }

  private:
    double negative_slope_;
};

// log(1 + e^x), computed stably.
class Softplus : public Module {
  public:
    Softplus() : Module("Softplus") {}
    Tensor forward(const Tensor& input) override;
};

// Collapses axes start..end (inclusive) into one; by default everything but the batch axis.
class Flatten : public Module {
  public:
    explicit Flatten(std::int64_t start_dim = 1, std::int64_t end_dim = -1);
    Tensor forward(const Tensor& input) override;
    std::string repr() const override;

  private:
    std::int64_t start_, end_;
};

}  // namespace tg::nn
