#include "ops/special.hpp"

#include <math.h>  // lgamma_r, lgammaf_r
#include <cmath>
#include <limits>
#include <string>

#include "autograd/errors.hpp"
#include "ops/arithmetic.hpp"
#include "ops/elementwise_op.hpp"
#include "ops/math.hpp"

namespace tg {

namespace {

using detail::unary_def;
using detail::unary_op;

constexpr double kPi = 3.14159265358979323846;
constexpr double kLn2 = 0.69314718055994530942;
constexpr double kLn10 = 2.30258509299404568402;
constexpr double kTwoOverSqrtPi = 1.12837916709551257390;  // 2 / sqrt(pi)
constexpr double kSqrtPiOverTwo = 0.88622692545275801365;  // sqrt(pi) / 2

// ---- scalar special functions, in double ---------------------------------------------------

// The inverse error function: Giles' single-precision approximation ("Approximating the
// erfinv function", GPU Computing Gems, 2011), ~7 digits, then Newton steps.
double erfinv_value(double x) {
    if (std::isnan(x) || std::abs(x) > 1) return std::numeric_limits<double>::quiet_NaN();
    if (std::abs(x) == 1) return std::copysign(std::numeric_limits<double>::infinity(), x);
    if (x == 0) return x;  // keeps the sign of -0
    double w = -std::log((1 - x) * (1 + x));
    double p;
    if (w < 5) {
        w -= 2.5;
        p = 2.81022636e-08;
        p = 3.43273939e-07 + p * w;
        p = -3.5233877e-06 + p * w;
        p = -4.39150654e-06 + p * w;
        p = 0.00021858087 + p * w;
        p = -0.00125372503 + p * w;
        p = -0.00417768164 + p * w;
        p = 0.246640727 + p * w;
        p = 1.50140941 + p * w;
    } else {
        w = std::sqrt(w) - 3;
        p = -0.000200214257;
        p = 0.000100950558 + p * w;
        p = 0.00134934322 + p * w;
        p = -0.00367342844 + p * w;
        p = 0.00573950773 + p * w;
        p = -0.0076224613 + p * w;
        p = 0.00943887047 + p * w;
        p = 1.00167406 + p * w;
        p = 2.83297682 + p * w;
    }
    const double a = std::abs(x);
    double y = p * a;
    if (a <= 0.5) {
        // Newton on f(y) = erf(y) - a, f'(y) = 2/sqrt(pi) exp(-y^2): 7 digits -> 14 -> full.
        for (int step = 0; step < 3; ++step)
            y -= (std::erf(y) - a) / (kTwoOverSqrtPi * std::exp(-y * y));
    } else {
        // Towards 1, erf(y) - a cancels, and the approximation degrades beyond float's range
        // (1 - a < 6e-8). Newton on g(y) = log(erfc(y)) - log(1 - a) instead, with 1 - a exact:
        // log erfc is nearly quadratic, so Newton converges from either side.
        const double log_t = std::log(1 - a);
        for (int step = 0; step < 12; ++step) {
            const double e = std::erfc(y);
            const double dy = (std::log(e) - log_t) * e / (kTwoOverSqrtPi * std::exp(-y * y));
            y += dy;
            if (std::abs(dy) <= 1e-15 * y) break;
        }
    }
    return std::copysign(y, x);
}

// digamma(x) = d/dx log Gamma(x).
double digamma_value(double x) {
    if (std::isnan(x)) return x;
    if (x == 0) return std::copysign(std::numeric_limits<double>::infinity(), -x);
    if (x < 0) {
        if (x == std::floor(x)) return std::numeric_limits<double>::quiet_NaN();  // and -inf
        // Reflection: psi(x) = psi(1 - x) - pi / tan(pi x); tan has period pi, so reduce x to
        // its fractional part first (exact), which keeps pi x small.
        const double frac = x - std::floor(x);
        return digamma_value(1 - x) - kPi / std::tan(kPi * frac);
    }
    if (std::isinf(x)) return x;
    // psi(x) = psi(x + 1) - 1/x up to x >= 10, where the asymptotic series
    // psi(x) ~ ln x - 1/(2x) - sum_k B_2k / (2k x^2k) has converged to double precision
    // (its next term, B_16 / (16 x^16), is below 5e-17 there).
    double shift = 0;
    while (x < 10) {
        shift -= 1 / x;
        x += 1;
    }
    const double z = 1 / (x * x);
    const double series =
        z *
        (1.0 / 12 -
         z * (1.0 / 120 -
              z * (1.0 / 252 - z * (1.0 / 240 - z * (1.0 / 132 - z * (691.0 / 32760 - z / 12))))));
    return shift + (std::log(x) - 0.5 / x - series);
}

// The Hurwitz zeta function zeta(s, q) = sum_k (k + q)^-s for s > 1, by Euler-Maclaurin
// summation (Cephes' zeta.c, also used by PyTorch and SciPy).
double hurwitz_zeta(double s, double q) {
    constexpr double kMachEp = 1.11022302462515654042e-16;  // 2^-53
    // (2k)! / B_2k for k = 1..12
    static const double kA[] = {12.0,
                                -720.0,
                                30240.0,
                                -1209600.0,
                                47900160.0,
                                -1.8924375803183791606e9,
                                7.47242496e10,
                                -2.950130727918164224e12,
                                1.1646782814350067249e14,
                                -4.5979787224074726105e15,
                                1.8152105401943546773e17,
                                -7.1661652561756670113e18};
    if (std::isnan(q)) return q;
    if (q <= 0) {
        if (q == std::floor(q)) return std::numeric_limits<double>::infinity();  // a pole
        if (s != std::floor(s)) return std::numeric_limits<double>::quiet_NaN();
    }
    if (std::isinf(q)) return q > 0 ? 0.0 : std::numeric_limits<double>::quiet_NaN();
    if (q > 1e8) return (1 / (s - 1) + 1 / (2 * q)) * std::pow(q, 1 - s);
    double sum = std::pow(q, -s);
    double a = q;
    double b = 0;
    int i = 0;
    while (i < 9 || a <= 9) {
        ++i;
        a += 1;
        b = std::pow(a, -s);
        sum += b;
        if (std::abs(b / sum) < kMachEp) return sum;
    }
    const double w = a;
    sum += b * w / (s - 1);
    sum -= 0.5 * b;
    double fac = 1;
    double k = 0;
    for (double coeff : kA) {
        fac *= s + k;
        b /= w;
        const double t = fac * b / coeff;
        sum += t;
        if (std::abs(t / sum) < kMachEp) break;
        k += 1;
        fac *= s + k;
        b /= w;
        k += 1;
    }
    return sum;
}

// polygamma(n, x) for n >= 1: (-1)^(n+1) n! zeta(n + 1, x).
double polygamma_value(std::int64_t n, double x) {
    const double nd = static_cast<double>(n);
    const double factorial = std::tgamma(nd + 1);
    const double sign = n % 2 == 1 ? 1.0 : -1.0;
    return sign * factorial * hurwitz_zeta(nd + 1, x);
}

template <class T>
T lgamma_value(T x) {
    int sign = 0;  // the reentrant form: std::lgamma writes the global signgam, a data race
    if constexpr (std::is_same_v<T, float>)
        return ::lgammaf_r(x, &sign);
    else
        return ::lgamma_r(x, &sign);
}

// ---- derivatives, with tapegrad ops ---------------------------------------------------------

// erf: 2/sqrt(pi) exp(-x^2); erfc: its negative
Tensor erf_derivative(const OpCall& c) {
    return affine(exp(neg(square(c.in(0)))), kTwoOverSqrtPi, 0);
}
Tensor erfc_derivative(const OpCall& c) {
    return affine(exp(neg(square(c.in(0)))), -kTwoOverSqrtPi, 0);
}
// erfinv: sqrt(pi)/2 exp(out^2)
Tensor erfinv_derivative(const OpCall& c) {
    return affine(exp(square(c.out())), kSqrtPiOverTwo, 0);
}
// log1p: 1 / (1 + x)
Tensor log1p_derivative(const OpCall& c) {
    return pow(affine(c.in(0), 1, 1), -1.0);
}
// expm1: exp(x) = out + 1
Tensor expm1_derivative(const OpCall& c) {
    return affine(c.out(), 1, 1);
}
// log2, log10: 1 / (x ln b)
Tensor log2_derivative(const OpCall& c) {
    return affine(pow(c.in(0), -1.0), 1 / kLn2, 0);
}
Tensor log10_derivative(const OpCall& c) {
    return affine(pow(c.in(0), -1.0), 1 / kLn10, 0);
}
// exp2: out ln 2
Tensor exp2_derivative(const OpCall& c) {
    return affine(c.out(), kLn2, 0);
}
// reciprocal: -1/x^2 = -out^2
Tensor reciprocal_derivative(const OpCall& c) {
    return neg(square(c.out()));
}
// rsqrt: -x^(-3/2) / 2 = -out^3 / 2
Tensor rsqrt_derivative(const OpCall& c) {
    return affine(pow(c.out(), 3.0), -0.5, 0);
}
Tensor lgamma_derivative(const OpCall& c) {
    return digamma(c.in(0));
}
Tensor digamma_derivative(const OpCall& c) {
    return polygamma(1, c.in(0));
}
// polygamma(n, .): polygamma(n + 1, .); n is the op's scalar attribute
Tensor polygamma_derivative(const OpCall& c) {
    return polygamma(static_cast<std::int64_t>(c.scalar()) + 1, c.in(0));
}

const OpDef kErf = unary_def<erf_derivative>("erf");
const OpDef kErfc = unary_def<erfc_derivative>("erfc");
const OpDef kErfinv = unary_def<erfinv_derivative>("erfinv");
const OpDef kLog1p = unary_def<log1p_derivative>("log1p");
const OpDef kExpm1 = unary_def<expm1_derivative>("expm1");
const OpDef kLog2 = unary_def<log2_derivative>("log2");
const OpDef kLog10 = unary_def<log10_derivative>("log10");
const OpDef kExp2 = unary_def<exp2_derivative>("exp2");
const OpDef kReciprocal = unary_def<reciprocal_derivative>("reciprocal");
const OpDef kRsqrt = unary_def<rsqrt_derivative>("rsqrt");
const OpDef kLgamma = unary_def<lgamma_derivative>("lgamma");
const OpDef kDigamma = unary_def<digamma_derivative>("digamma");
const OpDef kPolygamma = unary_def<polygamma_derivative>("polygamma");

}  // namespace

Tensor erf(const Tensor& x) {
    return unary_op(kErf, x, [](auto v) { return std::erf(v); });
}
Tensor erfc(const Tensor& x) {
    return unary_op(kErfc, x, [](auto v) { return std::erfc(v); });
}
Tensor erfinv(const Tensor& x) {
    return unary_op(kErfinv, x, detail::in_double(erfinv_value));
}
Tensor log1p(const Tensor& x) {
    return unary_op(kLog1p, x, [](auto v) { return std::log1p(v); });
}
Tensor expm1(const Tensor& x) {
    return unary_op(kExpm1, x, [](auto v) { return std::expm1(v); });
}
Tensor log2(const Tensor& x) {
    return unary_op(kLog2, x, [](auto v) { return std::log2(v); });
}
Tensor log10(const Tensor& x) {
    return unary_op(kLog10, x, [](auto v) { return std::log10(v); });
}
Tensor exp2(const Tensor& x) {
    return unary_op(kExp2, x, [](auto v) { return std::exp2(v); });
}
Tensor reciprocal(const Tensor& x) {
    return unary_op(kReciprocal, x, [](auto v) { return decltype(v)(1) / v; });
}
Tensor rsqrt(const Tensor& x) {
    return unary_op(kRsqrt, x, [](auto v) { return decltype(v)(1) / std::sqrt(v); });
}
Tensor lgamma(const Tensor& x) {
    return unary_op(kLgamma, x, [](auto v) { return lgamma_value(v); });
}
Tensor digamma(const Tensor& x) {
    return unary_op(kDigamma, x, detail::in_double(digamma_value));
}
Tensor polygamma(std::int64_t n, const Tensor& x) {
    if (n < 0) throw ValueError("polygamma: order n must be >= 0, got " + std::to_string(n));
    if (n == 0) return digamma(x);
    if (n > 170)
        throw ValueError("polygamma: order n = " + std::to_string(n) +
                         " is too large (n! overflows a double above n = 170)");
    return unary_op(kPolygamma, x,
                    detail::in_double([n](double v) { return polygamma_value(n, v); }),
                    static_cast<double>(n));
}

}  // namespace tg
