#pragma once
// Elementwise activations as modules, and Flatten, so that they can sit in a Sequential.

#include <cstdint>

#include "../ops/activations.hpp"
#include "module.hpp"

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

// x Phi(x), or its tanh approximation (PyTorch's approximate="tanh"); ops/activations.hpp.
class GELU : public Module {
  public:
    explicit GELU(GeluApproximation approximate = GeluApproximation::none);
    Tensor forward(const Tensor& input) override;
    std::string repr() const override;

  private:
    GeluApproximation approximate_;
};

// x sigmoid(x).
class SiLU : public Module {
  public:
    SiLU() : Module("SiLU") {}
    Tensor forward(const Tensor& input) override;
};

// x tanh(softplus(x)).
class Mish : public Module {
  public:
    Mish() : Module("Mish") {}
    Tensor forward(const Tensor& input) override;
};

// x for x > 0, alpha (e^x - 1) otherwise.
class ELU : public Module {
  public:
    explicit ELU(double alpha = 1.0);
    Tensor forward(const Tensor& input) override;
    std::string repr() const override;
    double alpha() const { return alpha_; }

  private:
    double alpha_;
};

// scale * ELU(alpha) with PyTorch's fixed constants.
class SELU : public Module {
  public:
    SELU() : Module("SELU") {}
    Tensor forward(const Tensor& input) override;
};

// log(sigmoid(x)), computed stably.
class LogSigmoid : public Module {
  public:
    LogSigmoid() : Module("LogSigmoid") {}
    Tensor forward(const Tensor& input) override;
};

// x clamped to [min_val, max_val] (ValueError if min_val > max_val).
class Hardtanh : public Module {
  public:
    explicit Hardtanh(double min_val = -1.0, double max_val = 1.0);
    Tensor forward(const Tensor& input) override;
    std::string repr() const override;

  private:
    double min_, max_;
};

// x / (1 + |x|).
class Softsign : public Module {
  public:
    Softsign() : Module("Softsign") {}
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
