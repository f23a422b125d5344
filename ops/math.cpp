#include "ops/math.hpp"

#include <cmath>
#include <string>

#include "autograd/grad_mode.hpp"
#include "autograd/op.hpp"
#include "ops/arithmetic.hpp"
#include "ops/broadcast.hpp"
#include "ops/creation.hpp"
#include "ops/fast_exp.hpp"
#include "ops/kernels.hpp"

namespace tg {

namespace {

// Anomaly mode: name the op and the first value outside its domain.
void check_nonnegative(const char* op, const Tensor& x) {
    kernels::dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const auto& a = x.array<T>();
        for (std::size_t i = 0; i < a.size(); ++i) {
            if (a.data()[i] < T(0)) {
                throw NumericError(std::string(op) + ": input " + std::to_string(a.data()[i]) +
                                   " at flat index " + std::to_string(i) +
                                   " is outside the domain x >= 0 (shape " + shape_str(x.shape()) +
                                   ")");
            }
        }
    });
}

Tensor zero_like_scalar(const Tensor& t) {
    return scalar_tensor(0.0, t.dtype());
}

// ---- exp: d/dx = exp(x) = out ---------------------------------------------------------------
const OpDef kExp{"exp",
                 [](const OpCall& c, const Tensor& g, Tensor* gi) { gi[0] = mul(g, c.out()); },
                 [](const OpCall& c, const Tensor* t) { return mul(t[0], c.out()); }};

// ---- log: d/dx = 1/x ----------------------------------------------------------------------
const OpDef kLog{"log",
                 [](const OpCall& c, const Tensor& g, Tensor* gi) { gi[0] = div(g, c.in(0)); },
                 [](const OpCall& c, const Tensor* t) { return div(t[0], c.in(0)); }};

// ---- sqrt: d/dx = 1 / (2 sqrt(x)) = 1 / (2 out) ----------------------------------------------
const OpDef kSqrt{
    "sqrt",
    [](const OpCall& c, const Tensor& g, Tensor* gi) { gi[0] = div(g, affine(c.out(), 2, 0)); },
    [](const OpCall& c, const Tensor* t) { return div(t[0], affine(c.out(), 2, 0)); }};

// ---- abs: d/dx = sign(x) ------------------------------------------------------------------
const OpDef kAbs{
    "abs", [](const OpCall& c, const Tensor& g, Tensor* gi) { gi[0] = mul(g, sign(c.in(0))); },
    [](const OpCall& c, const Tensor* t) { return mul(t[0], sign(c.in(0))); }};

// ---- sin: d/dx = cos(x) -------------------------------------------------------------------
const OpDef kSin{"sin",
                 [](const OpCall& c, const Tensor& g, Tensor* gi) { gi[0] = mul(g, cos(c.in(0))); },
                 [](const OpCall& c, const Tensor* t) { return mul(t[0], cos(c.in(0))); }};

// ---- cos: d/dx = -sin(x) ------------------------------------------------------------------
const OpDef kCos{
    "cos", [](const OpCall& c, const Tensor& g, Tensor* gi) { gi[0] = neg(mul(g, sin(c.in(0)))); },
    [](const OpCall& c, const Tensor* t) { return neg(mul(t[0], sin(c.in(0)))); }};

// ---- tanh: d/dx = 1 - tanh(x)^2 = 1 - out^2 --------------------------------------------------
const OpDef kTanh{
    "tanh", [](const OpCall& c, const Tensor& g, Tensor* gi) { gi[0] = tanh_backward(c.out(), g); },
    [](const OpCall& c, const Tensor* t) { return tanh_backward(c.out(), t[0]); }};

// ---- tanh_backward(t, g) = g (1 - t^2): d/dt = -2 g t, d/dg = 1 - t^2 ------------------------
const OpDef kTanhBackward{"tanh_backward",
                          [](const OpCall& c, const Tensor& u, Tensor* gi) {
                              const Tensor& t = c.in(0);
                              const Tensor& g = c.in(1);
                              if (c.needs_grad(0))
                                  gi[0] = sum_to(mul(u, affine(mul(g, t), -2, 0)), t.shape());
                              if (c.needs_grad(1)) gi[1] = sum_to(tanh_backward(t, u), g.shape());
                          },
                          [](const OpCall& c, const Tensor* d) {
                              const Tensor& t = c.in(0);
                              const Tensor& g = c.in(1);
                              Tensor r;
                              if (d[0].defined()) r = mul(d[0], affine(mul(g, t), -2, 0));
                              if (d[1].defined())
                                  r = r.defined() ? add(r, tanh_backward(t, d[1]))
                                                  : tanh_backward(t, d[1]);
                              return broadcast_to(r, c.out().shape());
                          }};

// ---- sigmoid: d/dx = s (1 - s) with s = out -------------------------------------------------
const OpDef kSigmoid{
    "sigmoid",
    [](const OpCall& c, const Tensor& g, Tensor* gi) { gi[0] = sigmoid_backward(c.out(), g); },
    [](const OpCall& c, const Tensor* t) { return sigmoid_backward(c.out(), t[0]); }};

// ---- sigmoid_backward(s, g) = g s (1 - s): d/ds = g (1 - 2 s), d/dg = s (1 - s) ----------------
const OpDef kSigmoidBackward{"sigmoid_backward",
                             [](const OpCall& c, const Tensor& u, Tensor* gi) {
                                 const Tensor& s = c.in(0);
                                 const Tensor& g = c.in(1);
                                 if (c.needs_grad(0))
                                     gi[0] = sum_to(mul(mul(u, g), affine(s, -2, 1)), s.shape());
                                 if (c.needs_grad(1))
                                     gi[1] = sum_to(sigmoid_backward(s, u), g.shape());
                             },
                             [](const OpCall& c, const Tensor* d) {
                                 const Tensor& s = c.in(0);
                                 const Tensor& g = c.in(1);
                                 Tensor r;
                                 if (d[0].defined()) r = mul(mul(d[0], g), affine(s, -2, 1));
                                 if (d[1].defined())
                                     r = r.defined() ? add(r, sigmoid_backward(s, d[1]))
                                                     : sigmoid_backward(s, d[1]);
                                 return broadcast_to(r, c.out().shape());
                             }};

// ---- relu: d/dx = [x > 0] -----------------------------------------------------------------
const OpDef kRelu{
    "relu", [](const OpCall& c, const Tensor& g, Tensor* gi) { gi[0] = relu_backward(c.in(0), g); },
    [](const OpCall& c, const Tensor* t) { return relu_backward(c.in(0), t[0]); }};

// ---- relu_backward(x, g) = g [not x <= 0]: piecewise constant in x, linear in g
// ------------------
const OpDef kReluBackward{"relu_backward",
                          [](const OpCall& c, const Tensor& u, Tensor* gi) {
                              if (c.needs_grad(1))
                                  gi[1] = sum_to(relu_backward(c.in(0), u), c.in(1).shape());
                          },
                          [](const OpCall& c, const Tensor* d) {
                              return d[1].defined() ? broadcast_to(relu_backward(c.in(0), d[1]),
                                                                   c.out().shape())
                                                    : Tensor();
                          }};

// ---- leaky_relu: d/dx = [x > 0] + slope [x <= 0] ---------------------------------------------
Tensor leaky_derivative(const OpCall& c) {
    const double s = c.scalar();
    return affine(gt(c.in(0), 0.0), 1 - s, s);
}
const OpDef kLeakyRelu{
    "leaky_relu",
    [](const OpCall& c, const Tensor& g, Tensor* gi) { gi[0] = mul(g, leaky_derivative(c)); },
    [](const OpCall& c, const Tensor* t) { return mul(t[0], leaky_derivative(c)); }};

// ---- softplus: d/dx = sigmoid(x) ----------------------------------------------------------
const OpDef kSoftplus{
    "softplus",
    [](const OpCall& c, const Tensor& g, Tensor* gi) { gi[0] = mul(g, sigmoid(c.in(0))); },
    [](const OpCall& c, const Tensor* t) { return mul(t[0], sigmoid(c.in(0))); }};

// ---- where: mask ? a : b. The mask (input 0) gets no gradient. -----------------------------
const OpDef kWhere{"where",
                   [](const OpCall& c, const Tensor& g, Tensor* gi) {
                       const Tensor zero = zero_like_scalar(g);
                       if (c.needs_grad(1))
                           gi[1] = sum_to(where(c.in(0), g, zero), c.in(1).shape());
                       if (c.needs_grad(2))
                           gi[2] = sum_to(where(c.in(0), zero, g), c.in(2).shape());
                   },
                   [](const OpCall& c, const Tensor* t) {
                       const Tensor zero = zero_like_scalar(c.out());
                       return broadcast_to(where(c.in(0), t[1].defined() ? t[1] : zero,
                                                 t[2].defined() ? t[2] : zero),
                                           c.out().shape());
                   }};

template <class F>
Tensor unary_op(const OpDef& op, const Tensor& x, F f) {
    return record(op, kernels::unary(x, f), {x});
}

template <class F>
Tensor mask_of(const char* op, const Tensor& a, const Tensor& b, F f) {
    return kernels::binary(op, a, b, [f](auto x, auto y) {
        using T = decltype(x);
        return f(x, y) ? T(1) : T(0);
    });
}

}  // namespace

Tensor exp(const Tensor& x) {
    return unary_op(kExp, x, [](auto v) { return kernels::fast_exp(v); });
}

Tensor log(const Tensor& x) {
    if (anomaly_enabled()) check_nonnegative("log", x);
    return unary_op(kLog, x, [](auto v) { return std::log(v); });
}

Tensor sqrt(const Tensor& x) {
    if (anomaly_enabled()) check_nonnegative("sqrt", x);
    return unary_op(kSqrt, x, [](auto v) { return std::sqrt(v); });
}

Tensor abs(const Tensor& x) {
    return unary_op(kAbs, x, [](auto v) { return std::abs(v); });
}
Tensor sin(const Tensor& x) {
    return unary_op(kSin, x, [](auto v) { return std::sin(v); });
}
Tensor cos(const Tensor& x) {
    return unary_op(kCos, x, [](auto v) { return std::cos(v); });
}
Tensor tanh(const Tensor& x) {
    return unary_op(kTanh, x, [](auto v) { return std::tanh(v); });
}

Tensor sigmoid_backward(const Tensor& s, const Tensor& g) {
    Tensor out = kernels::binary("sigmoid_backward", s, g, [](auto y, auto d) {
        using T = decltype(y);
        return d * y * (T(1) - y);
    });
    return record(kSigmoidBackward, std::move(out), {s, g});
}

Tensor tanh_backward(const Tensor& t, const Tensor& g) {
    Tensor out = kernels::binary("tanh_backward", t, g, [](auto y, auto d) {
        using T = decltype(y);
        return d * (T(1) - y * y);
    });
    return record(kTanhBackward, std::move(out), {t, g});
}

Tensor relu_backward(const Tensor& x, const Tensor& g) {
    // g where x is not <= 0, as PyTorch's threshold_backward: at a NaN input the gradient
    // passes (and so does a NaN gradient), so a NaN never turns into a silent zero.
    Tensor out = kernels::binary("relu_backward", x, g, [](auto v, auto d) {
        using T = decltype(v);
        return v <= T(0) ? T(0) : d;
    });
    return record(kReluBackward, std::move(out), {x, g});
}

Tensor sigmoid(const Tensor& x) {
    // 1 / (1 + e^-v) is stable on both sides: for large negative v, e^-v overflows to inf and
    // the result is 0, never NaN.
    return unary_op(kSigmoid, x, [](auto v) {
        using T = decltype(v);
        return T(1) / (T(1) + kernels::fast_exp(-v));
    });
}

Tensor relu(const Tensor& x) {
    // v <= 0 is false for NaN, which passes through as in NumPy and PyTorch.
    return unary_op(kRelu, x, [](auto v) { return v <= decltype(v)(0) ? decltype(v)(0) : v; });
}

Tensor leaky_relu(const Tensor& x, double slope) {
    Tensor out = kernels::unary(x, [slope](auto v) {
        using T = decltype(v);
        return v > T(0) ? v : static_cast<T>(slope) * v;
    });
    return record(kLeakyRelu, std::move(out), {x}, slope);
}

Tensor softplus(const Tensor& x) {
    return unary_op(kSoftplus, x, [](auto v) {
        using T = decltype(v);
        return std::max(v, T(0)) + std::log1p(std::exp(-std::abs(v)));
    });
}

Tensor where(const Tensor& mask, const Tensor& a, const Tensor& b) {
    kernels::check_same_dtype("where", mask, a);
    kernels::check_same_dtype("where", a, b);
    const Shape shape = kernels::broadcast_shapes(
        "where", kernels::broadcast_shapes("where", mask.shape(), a.shape()), b.shape());
    Tensor out = kernels::dispatch(a.dtype(), [&](auto tag) {
        using T = decltype(tag);
        auto r = kernels::uninitialized<T>(shape);
        kernels::broadcast_apply<T, 3>({&mask.array<T>(), &a.array<T>(), &b.array<T>()}, r,
                                       [](T m, T x, T y) { return m != T(0) ? x : y; });
        return Tensor(std::move(r));
    });
    return record(kWhere, std::move(out), {mask, a, b});
}

Tensor maximum(const Tensor& a, const Tensor& b) {
    kernels::check_same_dtype("maximum", a, b);  // errors name maximum, not its parts
    kernels::broadcast_shapes("maximum", a.shape(), b.shape());
    // a where a >= b or a is NaN, else b (which is NaN when b is): NaN from either side wins,
    // as numpy.maximum, and the gradient goes to the NaN operand.
    return where(mask_of("maximum", a, b, [](auto x, auto y) { return x >= y || x != x; }), a, b);
}
Tensor minimum(const Tensor& a, const Tensor& b) {
    kernels::check_same_dtype("minimum", a, b);
    kernels::broadcast_shapes("minimum", a.shape(), b.shape());
    return where(mask_of("minimum", a, b, [](auto x, auto y) { return x <= y || x != x; }), a, b);
}

Tensor clamp(const Tensor& x, double lo, double hi) {
    if (lo > hi)
        throw ValueError("clamp: lo " + std::to_string(lo) + " > hi " + std::to_string(hi));
    const Tensor l = scalar_tensor(lo, x.dtype());
    const Tensor h = scalar_tensor(hi, x.dtype());
    return minimum(maximum(x, l), h);
}

Tensor gt(const Tensor& a, const Tensor& b) {
    return mask_of("gt", a, b, [](auto x, auto y) { return x > y; });
}
Tensor ge(const Tensor& a, const Tensor& b) {
    return mask_of("ge", a, b, [](auto x, auto y) { return x >= y; });
}
Tensor lt(const Tensor& a, const Tensor& b) {
    return mask_of("lt", a, b, [](auto x, auto y) { return x < y; });
}
Tensor le(const Tensor& a, const Tensor& b) {
    return mask_of("le", a, b, [](auto x, auto y) { return x <= y; });
}
Tensor eq(const Tensor& a, const Tensor& b) {
    return mask_of("eq", a, b, [](auto x, auto y) { return x == y; });
}

Tensor gt(const Tensor& a, double b) {
    return kernels::unary(a, [b](auto x) {
        using T = decltype(x);
        return x > static_cast<T>(b) ? T(1) : T(0);
    });
}

Tensor lt(const Tensor& a, double b) {
    return kernels::unary(a, [b](auto x) {
        using T = decltype(x);
        return x < static_cast<T>(b) ? T(1) : T(0);
    });
}

Tensor sign(const Tensor& x) {
    return kernels::unary(x, [](auto v) {
        using T = decltype(v);
        return static_cast<T>((T(0) < v) - (v < T(0)));
    });
}

}  // namespace tg
