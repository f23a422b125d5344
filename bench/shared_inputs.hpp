#pragma once
// The inputs and initial weights of every workload, drawn from one small generator that both
// implementations share, so that tapegrad and libtorch start from the same numbers (their own
// generators would give different ones) and must reach the same loss and gradient to rounding.
// Values are made in double and rounded once to the workload's dtype by each library alike.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace bench {

class SharedRandom {
  public:
    explicit SharedRandom(std::uint64_t seed) : state_(seed) {}

    // splitmix64 (Steele, Lea and Flood 2014): every seed gives a full-quality stream.
    std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    // Uniform in [0, 1), on the grid of multiples of 2^-53.
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
    // Approximately N(0, 1): the sum of 12 uniforms minus 6 (Irwin-Hall), which uses only
    // additions, so that no libm function can make the two sides differ.
    double normal() {
        double s = 0;
        for (int i = 0; i < 12; ++i) s += uniform();
        return s - 6.0;
    }
    // Uniform in 0 .. n-1 (the bias of the modulo is below 2^-60 for the n used here).
    std::int64_t below(std::int64_t n) {
        return static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(n));
    }

    std::vector<double> uniform_values(std::size_t n, double lo, double hi) {
        std::vector<double> v(n);
        for (auto& x : v) x = uniform(lo, hi);
        return v;
    }
    std::vector<double> normal_values(std::size_t n) {
        std::vector<double> v(n);
        for (auto& x : v) x = normal();
        return v;
    }
    std::vector<std::int64_t> labels(std::size_t n, std::int64_t classes) {
        std::vector<std::int64_t> v(n);
        for (auto& x : v) x = below(classes);
        return v;
    }

  private:
    std::uint64_t state_;
};

// The mlp, grad and hvp workloads' layer sizes. Each layer's weight [out, in] and then its bias
// are drawn uniform in +-1/sqrt(in), layer by layer (both libraries' default for a linear
// layer), then the inputs [batch, 784] uniform in [0, 1), then the labels in 0..9.
inline const std::vector<std::size_t>& mlp_sizes() {
    static const std::vector<std::size_t> sizes{784, 30, 30, 30, 30, 10};
    return sizes;
}

// The cnn workload's convolution and linear parameters, by their names in a Sequential, in the
// order they are drawn: uniform in +-1/sqrt(fan_in) (both libraries' default for these layers).
// The batch norms keep their defaults (weight 1, bias 0). Then come the inputs [batch, 1, 28, 28]
// uniform in [0, 1) and the labels in 0..9.
struct SharedParameter {
    const char* name;
    std::size_t numel;
    double fan_in;
};
inline const std::vector<SharedParameter>& cnn_parameters() {
    static const std::vector<SharedParameter> params{
        {"0.weight", 8 * 1 * 5 * 5, 1 * 5 * 5},
        {"0.bias", 8, 1 * 5 * 5},
        {"4.weight", 16 * 8 * 5 * 5, 8 * 5 * 5},
        {"4.bias", 16, 8 * 5 * 5},
        {"9.weight", 10 * 256, 256},
        {"9.bias", 10, 256},
    };
    return params;
}

}  // namespace bench
