#include "ops/trig.hpp"

#include <cmath>

#include "ops/arithmetic.hpp"
#include "ops/broadcast.hpp"
#include "ops/elementwise_op.hpp"
#include "ops/math.hpp"

namespace tg {

namespace {

using detail::unary_def;
using detail::unary_op;

// Each derivative below is in terms of the input x = c.in(0) or the result c.out().

// tan: 1 + tan(x)^2 = 1 + out^2
Tensor tan_derivative(const OpCall& c) {
    return affine(square(c.out()), 1, 1);
}
// asin: (1 - x^2)^(-1/2); acos is its negative
Tensor asin_derivative(const OpCall& c) {
    return pow(affine(square(c.in(0)), -1, 1), -0.5);
}
Tensor acos_derivative(const OpCall& c) {
    return neg(asin_derivative(c));
}
// atan: 1 / (1 + x^2)
Tensor atan_derivative(const OpCall& c) {
    return pow(affine(square(c.in(0)), 1, 1), -1.0);
}
Tensor sinh_derivative(const OpCall& c) {
    return cosh(c.in(0));
}
Tensor cosh_derivative(const OpCall& c) {
    return sinh(c.in(0));
}
// asinh: (x^2 + 1)^(-1/2)
Tensor asinh_derivative(const OpCall& c) {
    return pow(affine(square(c.in(0)), 1, 1), -0.5);
}
// acosh: (x^2 - 1)^(-1/2)
Tensor acosh_derivative(const OpCall& c) {
    return pow(affine(square(c.in(0)), 1, -1), -0.5);
}
// atanh: 1 / (1 - x^2)
Tensor atanh_derivative(const OpCall& c) {
    return pow(affine(square(c.in(0)), -1, 1), -1.0);
}

const OpDef kTan = unary_def<tan_derivative>("tan");
const OpDef kAsin = unary_def<asin_derivative>("asin");
const OpDef kAcos = unary_def<acos_derivative>("acos");
const OpDef kAtan = unary_def<atan_derivative>("atan");
const OpDef kSinh = unary_def<sinh_derivative>("sinh");
const OpDef kCosh = unary_def<cosh_derivative>("cosh");
const OpDef kAsinh = unary_def<asinh_derivative>("asinh");
const OpDef kAcosh = unary_def<acosh_derivative>("acosh");
const OpDef kAtanh = unary_def<atanh_derivative>("atanh");

// ---- atan2(y, x): d/dy = x / r2, d/dx = -y / r2 with r2 = x^2 + y^2 --------------------------
const OpDef kAtan2{"atan2",
                   [](const OpCall& c, const Tensor& g, Tensor* gi) {
                       const Tensor& y = c.in(0);
                       const Tensor& x = c.in(1);
                       const Tensor gr = div(g, add(square(x), square(y)));
                       if (c.needs_grad(0)) gi[0] = sum_to(mul(gr, x), y.shape());
                       if (c.needs_grad(1)) gi[1] = sum_to(neg(mul(gr, y)), x.shape());
                   },
                   [](const OpCall& c, const Tensor* t) {
                       const Tensor& y = c.in(0);
                       const Tensor& x = c.in(1);
                       // (t_y x - t_x y) / r2
                       Tensor r;
                       if (t[0].defined()) r = mul(t[0], x);
                       if (t[1].defined())
                           r = r.defined() ? sub(r, mul(t[1], y)) : neg(mul(t[1], y));
                       if (!r.defined()) return r;
                       return broadcast_to(div(r, add(square(x), square(y))), c.out().shape());
                   }};

}  // namespace

Tensor tan(const Tensor& x) {
    return unary_op(kTan, x, [](auto v) { return std::tan(v); });
}
Tensor asin(const Tensor& x) {
    return unary_op(kAsin, x, [](auto v) { return std::asin(v); });
}
Tensor acos(const Tensor& x) {
    return unary_op(kAcos, x, [](auto v) { return std::acos(v); });
}
Tensor atan(const Tensor& x) {
    return unary_op(kAtan, x, [](auto v) { return std::atan(v); });
}
Tensor atan2(const Tensor& y, const Tensor& x) {
    return detail::binary_op(kAtan2, y, x, [](auto a, auto b) { return std::atan2(a, b); });
}
Tensor sinh(const Tensor& x) {
    return unary_op(kSinh, x, [](auto v) { return std::sinh(v); });
}
Tensor cosh(const Tensor& x) {
    return unary_op(kCosh, x, [](auto v) { return std::cosh(v); });
}
Tensor asinh(const Tensor& x) {
    return unary_op(kAsinh, x, [](auto v) { return std::asinh(v); });
}
Tensor acosh(const Tensor& x) {
    return unary_op(kAcosh, x, [](auto v) { return std::acosh(v); });
}
Tensor atanh(const Tensor& x) {
    return unary_op(kAtanh, x, [](auto v) { return std::atanh(v); });
}

}  // namespace tg
