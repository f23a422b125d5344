#include "nn/activation.hpp"

#include <fmt/format.h>

#include "autograd/errors.hpp"
#include "ops/math.hpp"
#include "ops/shape.hpp"

namespace tg::nn {

Tensor Sigmoid::forward(const Tensor& input) {
    return sigmoid(input);
}

Tensor Tanh::forward(const Tensor& input) {
    return tanh(input);
}

Tensor ReLU::forward(const Tensor& input) {
    return relu(input);
}

LeakyReLU::LeakyReLU(double negative_slope)
    : Module("LeakyReLU"), negative_slope_(negative_slope) {}

Tensor LeakyReLU::forward(const Tensor& input) {
    return leaky_relu(input, negative_slope_);
}

std::string LeakyReLU::repr() const {
    return fmt::format("LeakyReLU(negative_slope={:g})", negative_slope_);
}

Tensor Softplus::forward(const Tensor& input) {
    return softplus(input);
}

GELU::GELU(GeluApproximation approximate) : Module("GELU"), approximate_(approximate) {}

Tensor GELU::forward(const Tensor& input) {
    return gelu(input, approximate_);
}

std::string GELU::repr() const {
    return approximate_ == GeluApproximation::tanh ? "GELU(approximate='tanh')"
                                                   : "GELU(approximate='none')";
}

Tensor SiLU::forward(const Tensor& input) {
    return silu(input);
}

Tensor Mish::forward(const Tensor& input) {
    return mish(input);
}

ELU::ELU(double alpha) : Module("ELU"), alpha_(alpha) {}

Tensor ELU::forward(const Tensor& input) {
    return elu(input, alpha_);
}

std::string ELU::repr() const {
    return fmt::format("ELU(alpha={:g})", alpha_);
}

Tensor SELU::forward(const Tensor& input) {
    return selu(input);
}

Tensor LogSigmoid::forward(const Tensor& input) {
    return logsigmoid(input);
}

Hardtanh::Hardtanh(double min_val, double max_val)
    : Module("Hardtanh"), min_(min_val), max_(max_val) {
    if (!(min_val <= max_val))
        throw ValueError(fmt::format("Hardtanh: min_val {:g} must not be greater than max_val {:g}",
                                     min_val, max_val));
}

Tensor Hardtanh::forward(const Tensor& input) {
    return hardtanh(input, min_, max_);
}

std::string Hardtanh::repr() const {
    return fmt::format("Hardtanh(min_val={:g}, max_val={:g})", min_, max_);
}

Tensor Softsign::forward(const Tensor& input) {
    return softsign(input);
}

Flatten::Flatten(std::int64_t start_dim, std::int64_t end_dim)
    : Module("Flatten"), start_(start_dim), end_(end_dim) {}

Tensor Flatten::forward(const Tensor& input) {
    return flatten(input, start_, end_);
}

std::string Flatten::repr() const {
    return "Flatten(start_dim=" + std::to_string(start_) + ", end_dim=" + std::to_string(end_) +
           ")";
}

}  // namespace tg::nn
