#include "ops/random.hpp"

#include <cmath>
#include <iomanip>
#include <sstream>
#include <string>

#include "ops/kernels.hpp"

namespace tg {

namespace {
std::uint64_t splitmix64(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

std::string num(double v) {
    std::ostringstream s;
    s << std::setprecision(17) << v;
    return s.str();
}

// U[lo, hi) needs lo <= hi and a finite width (else every draw is inf or NaN): ValueError.
void check_interval(const char* who, double lo, double hi) {
    if (!(lo <= hi)) {
        throw ValueError(std::string(who) + ": lo " + num(lo) + " is not <= hi " + num(hi) +
                         " (the interval [lo, hi) is empty)");
    }
    if (!std::isfinite(hi - lo)) {
        throw ValueError(std::string(who) + ": the interval [" + num(lo) + ", " + num(hi) +
                         ") is not finite");
    }
}

// A standard deviation must be >= 0 (NaN is refused too): ValueError.
void check_stddev(const char* who, double stddev) {
    if (!(stddev >= 0)) {
        throw ValueError(std::string(who) + ": standard deviation " + num(stddev) +
                         " must be >= 0");
    }
}

template <class F>
Tensor generate(const char* op, const Shape& shape, DType dtype, F next) {
    kernels::checked_numel(op, shape, dtype);
    return kernels::dispatch(dtype, [&](auto tag) {
        using T = decltype(tag);
        auto a = kernels::uninitialized<T>(shape);
        for (std::size_t i = 0; i < a.size(); ++i) a.data()[i] = static_cast<T>(next());
        return Tensor(std::move(a));
    });
}
}  // namespace

void Generator::manual_seed(std::uint64_t seed) {
    std::uint64_t x = seed;
    for (auto& s : s_) s = splitmix64(x);
    has_spare_ = false;
}

std::uint64_t Generator::next_u64() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
}

double Generator::uniform() {
    return static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
}

double Generator::uniform(double lo, double hi) {
    check_interval("Generator::uniform", lo, hi);
    return lo + (hi - lo) * uniform();
}

double Generator::normal() {
    if (has_spare_) {
        has_spare_ = false;
        return spare_;
    }
    // Box-Muller; 1 - u keeps the logarithm's argument in (0, 1].
    const double u1 = 1.0 - uniform();
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double theta = 2.0 * M_PI * u2;
    spare_ = r * std::sin(theta);
    has_spare_ = true;
    return r * std::cos(theta);
}

double Generator::normal(double mean, double stddev) {
    check_stddev("Generator::normal", stddev);
    return mean + stddev * normal();
}

std::uint64_t Generator::below(std::uint64_t n) {
    if (n == 0) throw ValueError("Generator::below(0): empty range");
    // Rejection sampling removes the modulo bias.
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    std::uint64_t x;
    do {
        x = next_u64();
    } while (x >= limit);
    return x % n;
}

std::vector<std::size_t> Generator::permutation(std::size_t n) {
    std::vector<std::size_t> p(n);
    for (std::size_t i = 0; i < n; ++i) p[i] = i;
    for (std::size_t i = n; i > 1; --i) std::swap(p[i - 1], p[below(i)]);
    return p;
}

Tensor rand(const Shape& shape, Generator& gen, DType dtype) {
    return generate("rand", shape, dtype, [&] { return gen.uniform(); });
}

Tensor randn(const Shape& shape, Generator& gen, DType dtype) {
    return generate("randn", shape, dtype, [&] { return gen.normal(); });
}

Tensor uniform(const Shape& shape, double lo, double hi, Generator& gen, DType dtype) {
    check_interval("uniform", lo, hi);
    return generate("uniform", shape, dtype, [&] { return gen.uniform(lo, hi); });
}

Tensor normal(const Shape& shape, double mean, double stddev, Generator& gen, DType dtype) {
    check_stddev("normal", stddev);
    return generate("normal", shape, dtype, [&] { return gen.normal(mean, stddev); });
}

}  // namespace tg
