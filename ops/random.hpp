#pragma once
// Seeded random numbers. The generator is our own (xoshiro256** seeded by splitmix64, normals
// by Box-Muller), so the same seed gives the same numbers on every platform and library version.

#include <cstdint>
#include <vector>

#include "../autograd/tensor.hpp"

namespace tg {

class Generator {
  public:
    explicit Generator(std::uint64_t seed = 0) { manual_seed(seed); }
    void manual_seed(std::uint64_t seed);

    std::uint64_t next_u64();
    double uniform();                           // [0, 1)
    double uniform(double lo, double hi);       // [lo, hi); ValueError unless lo <= hi, finite
    double normal();                            // N(0, 1)
    double normal(double mean, double stddev);  // ValueError unless stddev >= 0
    std::uint64_t below(std::uint64_t n);       // uniform in [0, n), unbiased
    // A uniformly random permutation of 0..n-1 (Fisher-Yates).
    std::vector<std::size_t> permutation(std::size_t n);

  private:
    std::uint64_t s_[4];
    bool has_spare_ = false;
    double spare_ = 0;
};

Tensor rand(const Shape& shape, Generator& gen, DType dtype = kFloat32);   // U[0, 1)
Tensor randn(const Shape& shape, Generator& gen, DType dtype = kFloat32);  // N(0, 1)
// ValueError naming the function and the value for lo > hi, an infinite interval, or a
// negative (or NaN) standard deviation.
Tensor uniform(const Shape& shape, double lo, double hi, Generator& gen, DType dtype = kFloat32);
Tensor normal(const Shape& shape, double mean, double stddev, Generator& gen,
              DType dtype = kFloat32);

}  // namespace tg
