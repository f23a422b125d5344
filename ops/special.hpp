#pragma once
// Exponentials, logarithms, reciprocals and special functions (error function, gamma family),
// elementwise, in float and double. Each is differentiable to any order in both modes: its vjp
// and jvp are written with tapegrad ops (digamma's derivative is polygamma(1, .), whose
// derivative is polygamma(2, .), and so on, which closes the chain). Outside an op's domain the
// value is NaN, as the std:: function gives, and NaN inputs give NaN.

#include <cstdint>

#include "../autograd/tensor.hpp"

namespace tg {

// erf(x); d/dx = 2/sqrt(pi) exp(-x^2), defined everywhere (0 at +-inf).
Tensor erf(const Tensor& x);
// erfc(x) = 1 - erf(x), accurate where erf(x) is near 1; d/dx = -2/sqrt(pi) exp(-x^2).
Tensor erfc(const Tensor& x);
// The inverse of erf on (-1, 1): +-inf at +-1, NaN for |x| > 1. Computed in double (for float
// too) from an initial approximation refined by Newton steps on std::erf / std::erfc, to about
// an ulp. d/dx = sqrt(pi)/2 exp(erfinv(x)^2): infinite at x = +-1, NaN for |x| > 1.
Tensor erfinv(const Tensor& x);
// log(1 + x), accurate for small x; NaN for x < -1, -inf at -1. d/dx = 1 / (1 + x): infinite
// at x = -1.
Tensor log1p(const Tensor& x);
// exp(x) - 1, accurate for small x; d/dx = exp(x).
Tensor expm1(const Tensor& x);
// log2(x); NaN for x < 0, -inf at 0. d/dx = 1 / (x ln 2): infinite at 0.
Tensor log2(const Tensor& x);
// log10(x); NaN for x < 0, -inf at 0. d/dx = 1 / (x ln 10): infinite at 0.
Tensor log10(const Tensor& x);
// 2^x; d/dx = 2^x ln 2.
Tensor exp2(const Tensor& x);
// 1 / x (+-inf at +-0); d/dx = -1 / x^2: infinite at 0.
Tensor reciprocal(const Tensor& x);
// 1 / sqrt(x); NaN for x < 0, inf at 0. d/dx = -x^(-3/2) / 2: infinite at 0.
Tensor rsqrt(const Tensor& x);
// log|Gamma(x)|: inf at the poles 0, -1, -2, ...; d/dx = digamma(x), infinite (NaN) at the
// poles. Thread-safe (lgamma_r: std::lgamma writes the global signgam).
Tensor lgamma(const Tensor& x);
// digamma(x) = d/dx log Gamma(x): -inf at +0 (+inf at -0, as PyTorch), NaN at the negative
// integers and at -inf, inf at inf. Computed in double by recurrence up to x >= 10 and the
// asymptotic series; negative x by reflection. d/dx = polygamma(1, x): inf at the poles.
Tensor digamma(const Tensor& x);
// The n-th derivative of digamma, n >= 0 (polygamma(0, x) is digamma(x); ValueError for
// n < 0): (-1)^(n+1) n! zeta(n + 1, x) with the Hurwitz zeta function by Euler-Maclaurin
// summation (Cephes' zeta, as PyTorch). Infinite at the poles 0, -1, -2, ...; 0 at +inf.
// d/dx = polygamma(n + 1, x). Large n overflows: n! must fit in a double (n <= 170). For x
// below 0 the series starts at x, so the cost grows with |x| (as in Cephes and PyTorch).
Tensor polygamma(std::int64_t n, const Tensor& x);

}  // namespace tg
