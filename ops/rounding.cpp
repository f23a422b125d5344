#include "ops/rounding.hpp"

#include <cmath>

#include "ops/arithmetic.hpp"
#include "ops/broadcast.hpp"
#include "ops/custom_op.hpp"
#include "ops/elementwise_op.hpp"

namespace tg {

namespace {

const OpDef kRound = non_differentiable("round");
const OpDef kFloor = non_differentiable("floor");
const OpDef kCeil = non_differentiable("ceil");
const OpDef kTrunc = non_differentiable("trunc");

// Rules of a remainder a - q(a / b) b with q = trunc or floor: d/da = 1, d/db = -q(a / b).
// q(a / b) is piecewise constant, so a second derivative is zero.
template <Tensor (*Q)(const Tensor&)>
void remainder_vjp(const OpCall& c, const Tensor& g, Tensor* gi) {
    const Tensor& a = c.in(0);
    const Tensor& b = c.in(1);
    if (c.needs_grad(0)) gi[0] = sum_to(g, a.shape());
    if (c.needs_grad(1)) gi[1] = sum_to(neg(mul(g, Q(div(a, b)))), b.shape());
}
template <Tensor (*Q)(const Tensor&)>
Tensor remainder_jvp(const OpCall& c, const Tensor* t) {
    Tensor r = t[0];
    if (t[1].defined()) {
        const Tensor d = mul(t[1], Q(div(c.in(0), c.in(1))));
        r = r.defined() ? sub(r, d) : neg(d);
    }
    return r.defined() ? broadcast_to(r, c.out().shape()) : r;
}

Tensor trunc_of(const Tensor& x) {
    return trunc(x);
}
Tensor floor_of(const Tensor& x) {
    return floor(x);
}

const OpDef kFmod{"fmod", remainder_vjp<trunc_of>, remainder_jvp<trunc_of>};
const OpDef kRemainder{"remainder", remainder_vjp<floor_of>, remainder_jvp<floor_of>};

}  // namespace

Tensor round(const Tensor& x) {
    // nearbyint rounds in the current mode, round-to-nearest-even unless a program changes it.
    return detail::unary_op(kRound, x, [](auto v) { return std::nearbyint(v); });
}
Tensor floor(const Tensor& x) {
    return detail::unary_op(kFloor, x, [](auto v) { return std::floor(v); });
}
Tensor ceil(const Tensor& x) {
    return detail::unary_op(kCeil, x, [](auto v) { return std::ceil(v); });
}
Tensor trunc(const Tensor& x) {
    return detail::unary_op(kTrunc, x, [](auto v) { return std::trunc(v); });
}

Tensor fmod(const Tensor& a, const Tensor& b) {
    return detail::binary_op(kFmod, a, b, [](auto x, auto y) { return std::fmod(x, y); });
}

Tensor remainder(const Tensor& a, const Tensor& b) {
    // PyTorch's form: fmod, moved by b when its sign differs from b's. Exact, unlike
    // a - floor(a / b) b, whose a / b rounds.
    return detail::binary_op(kRemainder, a, b, [](auto x, auto y) {
        using T = decltype(x);
        T m = std::fmod(x, y);
        if (m != T(0) && ((y < T(0)) != (m < T(0)))) m += y;
        return m;
    });
}

}  // namespace tg
