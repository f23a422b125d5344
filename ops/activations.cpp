#include "ops/activations.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "autograd/errors.hpp"
#include "ops/arithmetic.hpp"
#include "ops/creation.hpp"
#include "ops/elementwise_op.hpp"
#include "ops/fast_exp.hpp"
#include "ops/math.hpp"
#include "ops/special.hpp"

namespace tg {

namespace {

using detail::unary_def;
using detail::unary_op;

constexpr double kSqrtHalf = 0.70710678118654752440;       // 1 / sqrt(2)
constexpr double kInvSqrtTwoPi = 0.39894228040143267794;   // 1 / sqrt(2 pi)
constexpr double kSqrtTwoOverPi = 0.79788456080286535588;  // sqrt(2 / pi)
constexpr double kGeluCubic = 0.044715;
constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluScale = 1.0507009873554804934193349852946;

// gelu: Phi(x) + x phi(x), Phi(x) = erfc(-x / sqrt 2) / 2, phi(x) = exp(-x^2/2) / sqrt(2 pi)
Tensor gelu_derivative(const OpCall& c) {
    const Tensor& x = c.in(0);
    const Tensor cdf = affine(erfc(affine(x, -kSqrtHalf, 0)), 0.5, 0);
    const Tensor pdf = affine(exp(affine(square(x), -0.5, 0)), kInvSqrtTwoPi, 0);
    return add(cdf, mul(x, pdf));
}

// gelu tanh: with u = k (x + c x^3) and t = tanh(u),
// (1 + t) / 2 + x (1 - t^2) k (1 + 3 c x^2) / 2
Tensor gelu_tanh_derivative(const OpCall& c) {
    const Tensor& x = c.in(0);
    const Tensor t = tanh(affine(add(x, affine(pow(x, 3.0), kGeluCubic, 0)), kSqrtTwoOverPi, 0));
    const Tensor du = affine(mul(x, affine(square(x), 3 * kGeluCubic, 1)), 0.5 * kSqrtTwoOverPi, 0);
    return add(affine(t, 0.5, 0.5), tanh_backward(t, du));
}

// silu: s (1 + x (1 - s)), s = sigmoid(x)
Tensor silu_derivative(const OpCall& c) {
    const Tensor& x = c.in(0);
    const Tensor s = sigmoid(x);
    return mul(s, affine(mul(x, affine(s, -1, 1)), 1, 1));
}

// mish: t + x sigmoid(x) (1 - t^2), t = tanh(softplus(x))
Tensor mish_derivative(const OpCall& c) {
    const Tensor& x = c.in(0);
    const Tensor t = tanh(softplus(x));
    return add(t, tanh_backward(t, mul(x, sigmoid(x))));
}

// elu: 1 for x > 0, alpha e^x otherwise (alpha is the scalar attribute)
Tensor elu_derivative(const OpCall& c) {
    const Tensor& x = c.in(0);
    return where(gt(x, 0.0), scalar_tensor(1.0, x.dtype()), affine(exp(x), c.scalar(), 0));
}

// logsigmoid: sigmoid(-x)
Tensor logsigmoid_derivative(const OpCall& c) {
    return sigmoid(neg(c.in(0)));
}

// softsign: (1 + |x|)^-2
Tensor softsign_derivative(const OpCall& c) {
    return pow(affine(abs(c.in(0)), 1, 1), -2.0);
}

// hardtanh(x, lo, hi): inputs 1 and 2 are lo and hi as constant 0-d tensors;
// the derivative is the mask lo < x < hi, a constant.
Tensor hardtanh_derivative(const OpCall& c) {
    const Tensor& x = c.in(0);
    return mul(gt(x, c.in(1)), lt(x, c.in(2)));
}

const OpDef kGelu = unary_def<gelu_derivative>("gelu");
const OpDef kGeluTanh = unary_def<gelu_tanh_derivative>("gelu_tanh");
const OpDef kSilu = unary_def<silu_derivative>("silu");
const OpDef kMish = unary_def<mish_derivative>("mish");
const OpDef kElu = unary_def<elu_derivative>("elu");
const OpDef kLogsigmoid = unary_def<logsigmoid_derivative>("logsigmoid");
const OpDef kSoftsign = unary_def<softsign_derivative>("softsign");
const OpDef kHardtanh = unary_def<hardtanh_derivative>("hardtanh");

// gelu, silu and mish tend to -0 at -inf, where their formulas give -inf * 0 = NaN.
template <class F>
auto zero_at_minus_inf(F f) {
    return [f](auto v) {
        using T = decltype(v);
        return v == -std::numeric_limits<T>::infinity() ? -T(0) : f(v);
    };
}

}  // namespace

Tensor gelu(const Tensor& x, GeluApproximation approximate) {
    if (approximate == GeluApproximation::tanh) {
        return unary_op(kGeluTanh, x, zero_at_minus_inf([](auto v) {
                            using T = decltype(v);
                            const T u = static_cast<T>(kSqrtTwoOverPi) *
                                        (v + static_cast<T>(kGeluCubic) * v * v * v);
                            return T(0.5) * v * (T(1) + std::tanh(u));
                        }));
    }
    return unary_op(kGelu, x, zero_at_minus_inf([](auto v) {
                        using T = decltype(v);
                        return T(0.5) * v * std::erfc(-v * static_cast<T>(kSqrtHalf));
                    }));
}

Tensor silu(const Tensor& x) {
    // v / (1 + e^-v): e^-v overflows to inf for large negative v and the result is -0, not NaN.
    return unary_op(kSilu, x, zero_at_minus_inf([](auto v) {
                        using T = decltype(v);
                        return v / (T(1) + kernels::fast_exp(-v));
                    }));
}

Tensor mish(const Tensor& x) {
    return unary_op(kMish, x, zero_at_minus_inf([](auto v) {
                        using T = decltype(v);
                        const T sp = std::max(v, T(0)) + std::log1p(std::exp(-std::abs(v)));
                        return v * std::tanh(sp);
                    }));
}

Tensor elu(const Tensor& x, double alpha) {
    return unary_op(
        kElu, x,
        [alpha](auto v) {
            using T = decltype(v);
            return v > T(0) ? v : static_cast<T>(alpha) * std::expm1(v);
        },
        alpha);
}

Tensor selu(const Tensor& x) {
    return affine(elu(x, kSeluAlpha), kSeluScale, 0);
}

Tensor logsigmoid(const Tensor& x) {
    // log(sigmoid(v)) = min(v, 0) - log(1 + e^-|v|): no overflow and no log(0) for any v.
    return unary_op(kLogsigmoid, x, [](auto v) {
        using T = decltype(v);
        return std::min(v, T(0)) - std::log1p(std::exp(-std::abs(v)));
    });
}

Tensor softsign(const Tensor& x) {
    return unary_op(kSoftsign, x, [](auto v) {
        using T = decltype(v);
        // +-inf / inf would be NaN; the limits are +-1
        return std::isinf(v) ? std::copysign(T(1), v) : v / (T(1) + std::abs(v));
    });
}

Tensor hardtanh(const Tensor& x, double min_val, double max_val) {
    if (!(min_val <= max_val))
        throw ValueError("hardtanh: min_val " + std::to_string(min_val) +
                         " must not be greater than max_val " + std::to_string(max_val));
    Tensor out = kernels::unary(x, [min_val, max_val](auto v) {
        using T = decltype(v);
        const T lo = static_cast<T>(min_val), hi = static_cast<T>(max_val);
        return v < lo ? lo : (v > hi ? hi : v);  // NaN fails both tests and stays NaN
    });
    return record(kHardtanh, std::move(out),
                  {x, scalar_tensor(min_val, x.dtype()), scalar_tensor(max_val, x.dtype())});
}

}  // namespace tg
