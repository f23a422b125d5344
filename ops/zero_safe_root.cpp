#include "ops/zero_safe_root.hpp"

#include <cmath>

#include "autograd/op.hpp"
#include "ops/arithmetic.hpp"
#include "ops/creation.hpp"
#include "ops/elementwise_op.hpp"
#include "ops/math.hpp"

namespace tg::detail {

namespace {

// d/ds s^(1/p) = s^(1/p - 1) / p, and 0 where s == 0. Where s == 0, pow sees 1 instead, so
// neither its value nor its derivatives are infinite there (where's gradient into the branch
// it did not select is 0, and 0 * inf would be NaN).
Tensor root_derivative(const OpCall& c) {
    const Tensor& s = c.in(0);
    const double p = c.scalar();
    const Tensor at_zero = eq(s, zeros({}, s.dtype()));
    const Tensor one = ones({}, s.dtype());
    const Tensor safe = where(at_zero, one, s);
    return where(at_zero, zeros({}, s.dtype()), affine(pow(safe, 1 / p - 1), 1 / p, 0));
}

const OpDef kZeroSafeRoot = unary_def<root_derivative>("zero_safe_root");

}  // namespace

Tensor zero_safe_root(const Tensor& s, double p) {
    if (p == 2)
        return unary_op(
            kZeroSafeRoot, s, [](auto v) { return std::sqrt(v); }, Attrs(p));
    return unary_op(
        kZeroSafeRoot, s,
        [p](auto v) {
            using T = decltype(v);
            return static_cast<T>(std::pow(static_cast<double>(v), 1 / p));
        },
        Attrs(p));
}

}  // namespace tg::detail
