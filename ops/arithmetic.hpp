#pragma once
// Arithmetic with NumPy broadcasting: add, sub, mul, div, pow, and the scalar forms.
// Every op here is differentiable to any order in both modes.

#include "../autograd/tensor.hpp"

namespace tg {

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& base, const Tensor& exponent);  // needs base > 0 where exponent varies
Tensor pow(const Tensor& base, double exponent);
Tensor neg(const Tensor& x);
// alpha * x + beta: the one scalar primitive behind x * s, x + s, s - x and -x.
Tensor affine(const Tensor& x, double alpha, double beta);
Tensor square(const Tensor& x);
// a + b where an undefined tensor stands for zero, as undefined tangents and gradients do in
// op rules. Returns the other operand (or undefined) without computing anything when it can.
Tensor add_defined(const Tensor& a, const Tensor& b);

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& x);
Tensor operator+(const Tensor& a, double s);
Tensor operator+(double s, const Tensor& a);
Tensor operator-(const Tensor& a, double s);
Tensor operator-(double s, const Tensor& a);
Tensor operator*(const Tensor& a, double s);
Tensor operator*(double s, const Tensor& a);
Tensor operator/(const Tensor& a, double s);
Tensor operator/(double s, const Tensor& a);

}  // namespace tg
