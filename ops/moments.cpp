#include "ops/moments.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "autograd/errors.hpp"
#include "ops/arithmetic.hpp"
#include "ops/kernels.hpp"
#include "ops/reduction.hpp"
#include "ops/zero_safe_root.hpp"

namespace tg {

namespace {

// The number of elements reduced over `axes`; ValueError naming `op` for an axis out of range
// or given twice.
std::size_t reduced_count(const char* op, const Tensor& x, const Dims& axes) {
    std::vector<bool> seen(x.dim(), false);
    std::size_t n = 1;
    for (std::size_t i = 0; i < axes.size(); ++i) {
        const std::size_t a = kernels::normalize_axis(op, axes[i], x.dim());
        if (seen[a])
            throw ValueError(std::string(op) + ": axis " + std::to_string(axes[i]) +
                             " given twice");
        seen[a] = true;
        n *= x.shape()[a];
    }
    return n;
}

Tensor variance(const char* op, const Tensor& x, const Dims& axes, double correction,
                bool keepdims) {
    if (!(correction >= 0)) {
        throw ValueError(std::string(op) + ": correction " + std::to_string(correction) +
                         " must be >= 0 (1 for the unbiased variance, 0 for the population's)");
    }
    const std::size_t n = reduced_count(op, x, axes);
    if (n == 0) {
        throw ValueError(std::string(op) + ": reducing an empty axis of " + shape_str(x.shape()) +
                         " (the variance of no elements is undefined)");
    }
    const Tensor centred = sub(x, mean(x, axes, true));
    const double divisor = std::max(0.0, static_cast<double>(n) - correction);
    // 1 / 0 = inf: sum * inf is NaN for a zero sum and inf otherwise, as PyTorch's 0 / 0, s / 0.
    const double scale = divisor > 0 ? 1 / divisor : std::numeric_limits<double>::infinity();
    return affine(sum(square(centred), axes, keepdims), scale, 0);
}

}  // namespace

Tensor var(const Tensor& x, const Dims& axes, double correction, bool keepdims) {
    return variance("var", x, axes, correction, keepdims);
}

Tensor var(const Tensor& x) {
    return var(x, Dims(kernels::all_axes(x)), 1, false);
}

Tensor stddev(const Tensor& x, const Dims& axes, double correction, bool keepdims) {
    return detail::zero_safe_root(variance("stddev", x, axes, correction, keepdims), 2);
}

Tensor stddev(const Tensor& x) {
    return stddev(x, Dims(kernels::all_axes(x)), 1, false);
}

}  // namespace tg
