#include "nn/activation.hpp"

#include <fmt/format.h>

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
