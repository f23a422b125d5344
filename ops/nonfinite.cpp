#include "ops/nonfinite.hpp"

#include <cmath>
#include <limits>

#include "ops/arithmetic.hpp"
#include "ops/elementwise_op.hpp"

namespace tg {

namespace {

// nan_to_num: 1 where x is finite, 0 where it was replaced
Tensor nan_to_num_derivative(const OpCall& c) {
    return isfinite(c.in(0));
}
const OpDef kNanToNum = detail::unary_def<nan_to_num_derivative>("nan_to_num");

// v as a T; beyond T's finite range, +-inf (a plain cast would be undefined there).
template <class T>
T rounded_to(double v) {
    if (v > static_cast<double>(std::numeric_limits<T>::max()))
        return std::numeric_limits<T>::infinity();
    if (v < static_cast<double>(std::numeric_limits<T>::lowest()))
        return -std::numeric_limits<T>::infinity();
    return static_cast<T>(v);
}

template <class F>
Tensor mask_where(const Tensor& x, F f) {
    return kernels::unary(x, [f](auto v) {
        using T = decltype(v);
        return f(v) ? T(1) : T(0);
    });
}

}  // namespace

Tensor isnan(const Tensor& x) {
    return mask_where(x, [](auto v) { return std::isnan(v); });
}
Tensor isinf(const Tensor& x) {
    return mask_where(x, [](auto v) { return std::isinf(v); });
}
Tensor isfinite(const Tensor& x) {
    return mask_where(x, [](auto v) { return std::isfinite(v); });
}

Tensor nan_to_num(const Tensor& x, double nan, std::optional<double> posinf,
                  std::optional<double> neginf) {
    return detail::unary_op(kNanToNum, x, [nan, posinf, neginf](auto v) {
        using T = decltype(v);
        if (std::isnan(v)) return rounded_to<T>(nan);
        if (v == std::numeric_limits<T>::infinity())
            return posinf ? rounded_to<T>(*posinf) : std::numeric_limits<T>::max();
        if (v == -std::numeric_limits<T>::infinity())
            return neginf ? rounded_to<T>(*neginf) : std::numeric_limits<T>::lowest();
        return v;
    });
}

}  // namespace tg
