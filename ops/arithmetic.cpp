#include "ops/arithmetic.hpp"

#include <cmath>

#include "autograd/op.hpp"
#include "ops/broadcast.hpp"
#include "ops/creation.hpp"
#include "ops/kernels.hpp"
#include "ops/math.hpp"

namespace tg {

namespace {

// Tangents may be undefined, meaning zero.
Tensor minus(const Tensor& a, const Tensor& b) {
    if (!b.defined()) return a;
    if (!a.defined()) return neg(b);
    return sub(a, b);
}

// ---- add: a + b ---------------------------------------------------------------------------
const OpDef kAdd{"add",
                 [](const OpCall& c, const Tensor& g, Tensor* gi) {
                     if (c.needs_grad(0)) gi[0] = sum_to(g, c.in(0).shape());
                     if (c.needs_grad(1)) gi[1] = sum_to(g, c.in(1).shape());
                 },
                 [](const OpCall& c, const Tensor* t) {
                     return broadcast_to(add_defined(t[0], t[1]), c.out().shape());
                 }};

// ---- sub: a - b ---------------------------------------------------------------------------
const OpDef kSub{"sub",
                 [](const OpCall& c, const Tensor& g, Tensor* gi) {
                     if (c.needs_grad(0)) gi[0] = sum_to(g, c.in(0).shape());
                     // Sum first, then negate: the negation runs on the smaller tensor.
                     if (c.needs_grad(1)) gi[1] = neg(sum_to(g, c.in(1).shape()));
                 },
                 [](const OpCall& c, const Tensor* t) {
                     return broadcast_to(minus(t[0], t[1]), c.out().shape());
                 }};

// ---- mul: a * b ---------------------------------------------------------------------------
const OpDef kMul{"mul",
                 [](const OpCall& c, const Tensor& g, Tensor* gi) {
                     if (c.needs_grad(0)) gi[0] = sum_to(mul(g, c.in(1)), c.in(0).shape());
                     if (c.needs_grad(1)) gi[1] = sum_to(mul(g, c.in(0)), c.in(1).shape());
                 },
                 [](const OpCall& c, const Tensor* t) {
                     Tensor r;
                     if (t[0].defined()) r = mul(t[0], c.in(1));
                     if (t[1].defined()) r = add_defined(r, mul(c.in(0), t[1]));
                     return broadcast_to(r, c.out().shape());
                 }};

// ---- div: a / b.  d/da = 1/b, d/db = -a/b^2 = -out/b ----------------------------------------
const OpDef kDiv{"div",
                 [](const OpCall& c, const Tensor& g, Tensor* gi) {
                     if (c.needs_grad(0)) gi[0] = sum_to(div(g, c.in(1)), c.in(0).shape());
                     if (c.needs_grad(1))
                         gi[1] = sum_to(neg(mul(g, div(c.out(), c.in(1)))), c.in(1).shape());
                 },
                 [](const OpCall& c, const Tensor* t) {
                     Tensor r;
                     if (t[1].defined()) r = neg(mul(t[1], c.out()));
                     r = add_defined(t[0], r);
                     return broadcast_to(div(r, c.in(1)), c.out().shape());
                 }};

// ---- pow: a ^ b.  d/da = b a^(b-1), d/db = out log(a) ---------------------------------------
const OpDef kPow{"pow",
                 [](const OpCall& c, const Tensor& g, Tensor* gi) {
                     const Tensor& a = c.in(0);
                     const Tensor& b = c.in(1);
                     if (c.needs_grad(0))
                         gi[0] = sum_to(mul(g, mul(b, pow(a, affine(b, 1, -1)))), a.shape());
                     if (c.needs_grad(1)) gi[1] = sum_to(mul(g, mul(c.out(), log(a))), b.shape());
                 },
                 [](const OpCall& c, const Tensor* t) {
                     const Tensor& a = c.in(0);
                     const Tensor& b = c.in(1);
                     Tensor r;
                     if (t[0].defined()) r = mul(t[0], mul(b, pow(a, affine(b, 1, -1))));
                     if (t[1].defined()) r = add_defined(r, mul(t[1], mul(c.out(), log(a))));
                     return broadcast_to(r, c.out().shape());
                 }};

// ---- pow with a scalar exponent: x ^ p.  d/dx = p x^(p-1) ----------------------------------
Tensor pow_derivative(const Tensor& x, double p) {
    if (p == 1) return ones_like(x);
    if (p == 2) return affine(x, 2, 0);
    return affine(pow(x, p - 1), p, 0);
}

const OpDef kPowScalar{"pow_scalar",
                       [](const OpCall& c, const Tensor& g, Tensor* gi) {
                           // A square's 2 goes on g: g is often a broadcast (the
                           // derivative of a mean), and then the doubling is on its source.
                           gi[0] = c.scalar() == 2 ? mul(affine(g, 2, 0), c.in(0))
                                                   : mul(g, pow_derivative(c.in(0), c.scalar()));
                       },
                       [](const OpCall& c, const Tensor* t) {
                           return mul(t[0], pow_derivative(c.in(0), c.scalar()));
                       }};

// ---- affine: alpha x + beta ---------------------------------------------------------------
const OpDef kAffine{"affine",
                    [](const OpCall& c, const Tensor& g, Tensor* gi) {
                        gi[0] = c.scalar() == 1 ? g : affine(g, c.scalar(), 0);
                    },
                    [](const OpCall& c, const Tensor* t) {
                        return c.scalar() == 1 ? t[0] : affine(t[0], c.scalar(), 0);
                    }};

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
    return record(kAdd, kernels::binary("add", a, b, [](auto x, auto y) { return x + y; }), {a, b});
}

Tensor sub(const Tensor& a, const Tensor& b) {
    return record(kSub, kernels::binary("sub", a, b, [](auto x, auto y) { return x - y; }), {a, b});
}

Tensor mul(const Tensor& a, const Tensor& b) {
    return record(kMul, kernels::binary("mul", a, b, [](auto x, auto y) { return x * y; }), {a, b});
}

Tensor div(const Tensor& a, const Tensor& b) {
    return record(kDiv, kernels::binary("div", a, b, [](auto x, auto y) { return x / y; }), {a, b});
}

Tensor pow(const Tensor& base, const Tensor& exponent) {
    return record(
        kPow, kernels::binary("pow", base, exponent, [](auto x, auto y) { return std::pow(x, y); }),
        {base, exponent});
}

Tensor pow(const Tensor& base, double p) {
    // Squares get a loop of their own: with std::pow in the same loop, it is not vectorised.
    Tensor out = p == 2 ? kernels::unary(base, [](auto x) { return x * x; })
                        : kernels::unary(base, [p](auto x) {
                              using T = decltype(x);
                              return static_cast<T>(std::pow(x, static_cast<T>(p)));
                          });
    return record(kPowScalar, std::move(out), {base}, p);
}

Tensor affine(const Tensor& x, double alpha, double beta) {
    Tensor out = kernels::unary(x, [alpha, beta](auto v) {
        using T = decltype(v);
        return static_cast<T>(alpha) * v + static_cast<T>(beta);
    });
    return record(kAffine, std::move(out), {x}, alpha);
}

Tensor neg(const Tensor& x) {
    return affine(x, -1, 0);
}

Tensor add_defined(const Tensor& a, const Tensor& b) {
    if (!a.defined()) return b;
    if (!b.defined()) return a;
    return add(a, b);
}

Tensor square(const Tensor& x) {
    return pow(x, 2.0);
}

Tensor operator+(const Tensor& a, const Tensor& b) {
    return add(a, b);
}
Tensor operator-(const Tensor& a, const Tensor& b) {
    return sub(a, b);
}
Tensor operator*(const Tensor& a, const Tensor& b) {
    return mul(a, b);
}
Tensor operator/(const Tensor& a, const Tensor& b) {
    return div(a, b);
}
Tensor operator-(const Tensor& x) {
    return neg(x);
}
Tensor operator+(const Tensor& a, double s) {
    return affine(a, 1, s);
}
Tensor operator+(double s, const Tensor& a) {
    return affine(a, 1, s);
}
Tensor operator-(const Tensor& a, double s) {
    return affine(a, 1, -s);
}
Tensor operator-(double s, const Tensor& a) {
    return affine(a, -1, s);
}
Tensor operator*(const Tensor& a, double s) {
    return affine(a, s, 0);
}
Tensor operator*(double s, const Tensor& a) {
    return affine(a, s, 0);
}
Tensor operator/(const Tensor& a, double s) {
    return affine(a, 1 / s, 0);
}
Tensor operator/(double s, const Tensor& a) {
    return affine(pow(a, -1.0), s, 0);
}

}  // namespace tg
