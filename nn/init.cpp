#include "nn/init.hpp"

#include <cmath>
#include <string>

#include "autograd/errors.hpp"
#include "autograd/grad_mode.hpp"
#include "ops/kernels.hpp"

namespace tg::nn {

Generator& default_generator() {
    thread_local Generator gen(0);
    return gen;
}

void manual_seed(std::uint64_t seed) {
    default_generator().manual_seed(seed);
}

}  // namespace tg::nn

namespace tg::nn::init {

namespace {

// Overwrites every element with next(), in row-major order.
template <class F>
Tensor fill(const char* who, Tensor t, F next) {
    if (!t.defined()) throw ValueError(std::string("init::") + who + ": undefined tensor");
    NoGradGuard no_grad;
    kernels::dispatch(t.dtype(), [&](auto tag) {
        using T = decltype(tag);
        auto& a = t.mutable_array<T>();
        T* p = a.data();
        for (std::size_t i = 0; i < a.size(); ++i) p[i] = static_cast<T>(next());
    });
    return t;
}

std::size_t fan_of(const Tensor& t, FanMode mode) {
    const Fans f = fans(t);
    const std::size_t n = mode == FanMode::fan_in ? f.fan_in : f.fan_out;
    if (n == 0) throw ValueError("init: a tensor of shape " + shape_str(t.shape()) + " has fan 0");
    return n;
}

}  // namespace

Fans fans(const Tensor& w) {
    if (!w.defined()) throw ValueError("init::fans: undefined tensor");
    if (w.dim() < 2) {
        throw ValueError("init::fans: fan in and fan out are not defined for a tensor of shape " +
                         shape_str(w.shape()) + " (fewer than 2 dimensions)");
    }
    std::size_t receptive = 1;
    for (std::size_t d = 2; d < w.dim(); ++d) receptive *= w.shape()[d];
    return {w.shape()[1] * receptive, w.shape()[0] * receptive};
}

double calculate_gain(Nonlinearity nonlinearity, double negative_slope) {
    switch (nonlinearity) {
        case Nonlinearity::linear:
        case Nonlinearity::sigmoid:
            return 1.0;
        case Nonlinearity::tanh:
            return 5.0 / 3.0;
        case Nonlinearity::relu:
            return std::sqrt(2.0);
        case Nonlinearity::leaky_relu:
            return std::sqrt(2.0 / (1.0 + negative_slope * negative_slope));
    }
    return 1.0;
}

Tensor constant_(Tensor t, double value) {
    return fill("constant_", std::move(t), [value] { return value; });
}

Tensor zeros_(Tensor t) {
    return constant_(std::move(t), 0.0);
}

Tensor ones_(Tensor t) {
    return constant_(std::move(t), 1.0);
}

Tensor uniform_(Tensor t, double lo, double hi, Generator& gen) {
    if (!(lo <= hi)) {
        throw ValueError("init::uniform_: empty interval [" + std::to_string(lo) + ", " +
                         std::to_string(hi) + ")");
    }
    return fill("uniform_", std::move(t), [&] { return gen.uniform(lo, hi); });
}

Tensor normal_(Tensor t, double mean, double stddev, Generator& gen) {
    if (!(stddev >= 0)) {
        throw ValueError("init::normal_: standard deviation " + std::to_string(stddev) +
                         " is negative");
    }
    return fill("normal_", std::move(t), [&] { return gen.normal(mean, stddev); });
}

Tensor xavier_uniform_(Tensor t, Generator& gen, double gain) {
    const Fans f = fans(t);
    const double a = gain * std::sqrt(6.0 / static_cast<double>(f.fan_in + f.fan_out));
    return uniform_(std::move(t), -a, a, gen);
}

Tensor xavier_normal_(Tensor t, Generator& gen, double gain) {
    const Fans f = fans(t);
    const double stddev = gain * std::sqrt(2.0 / static_cast<double>(f.fan_in + f.fan_out));
    return normal_(std::move(t), 0.0, stddev, gen);
}

Tensor kaiming_uniform_(Tensor t, Generator& gen, double a, FanMode mode,
                        Nonlinearity nonlinearity) {
    const double stddev =
        calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(fan_of(t, mode)));
    const double bound = std::sqrt(3.0) * stddev;
    return uniform_(std::move(t), -bound, bound, gen);
}

Tensor kaiming_normal_(Tensor t, Generator& gen, double a, FanMode mode,
                       Nonlinearity nonlinearity) {
    const double stddev =
        calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(fan_of(t, mode)));
    return normal_(std::move(t), 0.0, stddev, gen);
}

Tensor lecun_normal_(Tensor t, Generator& gen) {
    const double stddev = 1.0 / std::sqrt(static_cast<double>(fan_of(t, FanMode::fan_in)));
    return normal_(std::move(t), 0.0, stddev, gen);
}

Tensor lecun_uniform_(Tensor t, Generator& gen) {
    const double bound = std::sqrt(3.0 / static_cast<double>(fan_of(t, FanMode::fan_in)));
    return uniform_(std::move(t), -bound, bound, gen);
}

void nielsen_(Tensor weight, Tensor bias, Generator& gen) {
    const double stddev = 1.0 / std::sqrt(static_cast<double>(fan_of(weight, FanMode::fan_in)));
    normal_(std::move(weight), 0.0, stddev, gen);
    if (bias.defined()) normal_(std::move(bias), 0.0, 1.0, gen);
}

void default_linear_(Tensor weight, Tensor bias, Generator& gen) {
    const std::size_t fan_in = fan_of(weight, FanMode::fan_in);
    kaiming_uniform_(std::move(weight), gen, std::sqrt(5.0));
    if (bias.defined()) {
        const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
        uniform_(std::move(bias), -bound, bound, gen);
    }
}

}  // namespace tg::nn::init
