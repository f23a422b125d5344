#pragma once
// Parameter initialisers, as in torch::nn::init. Each one overwrites a tensor's values in place
// (under no-grad, keeping its identity and its requires_grad) with numbers drawn from `gen`, so
// the same seed gives the same parameters. Each returns the tensor.
//
// Fans follow PyTorch: a weight [out, in] has fan_in = in and fan_out = out; a convolution
// weight [out, in, kh, kw] has fan_in = in*kh*kw and fan_out = out*kh*kw.

#include <cstddef>
#include <cstdint>

#include "../autograd/tensor.hpp"
#include "../ops/random.hpp"

namespace tg::nn {

// The generator layers draw their initial parameters from when none is given to their
// constructor: one per thread, seeded with 0 when the thread starts. manual_seed() reseeds it.
Generator& default_generator();
void manual_seed(std::uint64_t seed);

}  // namespace tg::nn

namespace tg::nn::init {

enum class Nonlinearity { linear, sigmoid, tanh, relu, leaky_relu };
enum class FanMode { fan_in, fan_out };

struct Fans {
    std::size_t fan_in, fan_out;
};
// ValueError for tensors of rank < 2 (their fans are not defined).
Fans fans(const Tensor& weight);

// The recommended gain for a nonlinearity (PyTorch's calculate_gain): 1 for linear and
// sigmoid, 5/3 for tanh, sqrt(2) for relu, sqrt(2 / (1 + slope^2)) for leaky_relu.
double calculate_gain(Nonlinearity nonlinearity, double negative_slope = 0.01);

Tensor constant_(Tensor t, double value);
Tensor zeros_(Tensor t);
Tensor ones_(Tensor t);
Tensor uniform_(Tensor t, double lo, double hi, Generator& gen);
Tensor normal_(Tensor t, double mean, double stddev, Generator& gen);

// Glorot & Bengio (2010): U(-a, a) with a = gain sqrt(6 / (fan_in + fan_out)), or
// N(0, gain^2 2 / (fan_in + fan_out)).
Tensor xavier_uniform_(Tensor t, Generator& gen, double gain = 1.0);
Tensor xavier_normal_(Tensor t, Generator& gen, double gain = 1.0);

// He et al. (2015): std = gain / sqrt(fan), gain = calculate_gain(nonlinearity, a). Uniform
// draws from U(-sqrt(3) std, sqrt(3) std). The defaults are PyTorch's.
Tensor kaiming_uniform_(Tensor t, Generator& gen, double a = 0, FanMode mode = FanMode::fan_in,
                        Nonlinearity nonlinearity = Nonlinearity::leaky_relu);
Tensor kaiming_normal_(Tensor t, Generator& gen, double a = 0, FanMode mode = FanMode::fan_in,
                       Nonlinearity nonlinearity = Nonlinearity::leaky_relu);

// LeCun (1998): variance 1 / fan_in; normal, or uniform on (-sqrt(3 / fan_in), sqrt(3 / fan_in)).
Tensor lecun_normal_(Tensor t, Generator& gen);
Tensor lecun_uniform_(Tensor t, Generator& gen);

// The initialisation of Nielsen's "Neural Networks and Deep Learning" (chapter 3), which the
// lecture follows: weights N(0, 1 / n_in), biases N(0, 1). `bias` may be undefined.
void nielsen_(Tensor weight, Tensor bias, Generator& gen);

// PyTorch's default for Linear and Conv2d: kaiming_uniform_ with a = sqrt(5), which is
// U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the bias from the same interval.
void default_linear_(Tensor weight, Tensor bias, Generator& gen);

}  // namespace tg::nn::init
