#pragma once
// Internal: how the elementwise ops of trig.cpp, special.cpp, activations.cpp and rounding.cpp
// compute their values and meet the tape. Not installed.

#include <cmath>
#include <limits>
#include <type_traits>

#include "../autograd/op.hpp"
#include "arithmetic.hpp"
#include "kernels.hpp"

namespace tg::detail {

// f over every element of x (vectorised, threaded loop of kernels::unary), recorded as `op`.
template <class F>
Tensor unary_op(const OpDef& op, const Tensor& x, F f, Attrs attrs = {}) {
    return record(op, kernels::unary(x, f), {x}, attrs);
}

// f over a and b with NumPy broadcasting, recorded as `op`.
template <class F>
Tensor binary_op(const OpDef& op, const Tensor& a, const Tensor& b, F f) {
    return record(op, kernels::binary(op.name, a, b, f), {a, b});
}

// f evaluated in double for float elements too: for special functions whose float versions
// are missing or much less accurate (digamma, erfinv, polygamma).
// A result beyond float's range becomes +-inf, as IEEE rounding would give; the plain cast
// would be undefined behaviour there (polygamma(1, 1e-30f) = 1e60).
template <class F>
auto in_double(F f) {
    return [f](auto v) {
        using T = decltype(v);
        const double r = f(static_cast<double>(v));
        if constexpr (std::is_same_v<T, float>) {
            if (std::abs(r) > static_cast<double>(std::numeric_limits<float>::max()) &&
                !std::isinf(r))
                return std::copysign(std::numeric_limits<float>::infinity(),
                                     static_cast<float>(r > 0 ? 1 : -1));
        }
        return static_cast<T>(r);
    };
}

}  // namespace tg::detail

namespace tg::detail {

// Rules of a unary op whose derivative D(call) is a tensor of the input's shape: the vjp is
// g * D and the jvp t * D. D is written with tapegrad ops, so the rules differentiate again.
template <Tensor (*D)(const OpCall&)>
void vjp_times_derivative(const OpCall& c, const Tensor& g, Tensor* gi) {
    gi[0] = mul(g, D(c));
}
template <Tensor (*D)(const OpCall&)>
Tensor jvp_times_derivative(const OpCall& c, const Tensor* t) {
    return mul(t[0], D(c));
}
template <Tensor (*D)(const OpCall&)>
constexpr OpDef unary_def(const char* name) {
    return OpDef{name, vjp_times_derivative<D>, jvp_times_derivative<D>};
}

}  // namespace tg::detail
