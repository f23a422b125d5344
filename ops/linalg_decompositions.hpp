#pragma once
// Linear algebra through LAPACK: solves, inverse, determinants, Cholesky, the symmetric
// eigen-decomposition, QR and singular values of float32 or float64 matrices. Every rule is
// written with tapegrad ops (these ones included), so every op here differentiates to any order.
//
// Batches: every op also takes [..., n, n] (or [..., m, n]) and works item by item, with the
// batch axes in front of each result. A right-hand side B is [..., n, k], or [..., n] (one axis
// fewer than A: vectors); its batch axes must equal A's (no broadcasting).
//
// Conventions (as in PyTorch):
// - A matrix that must be square and is not gives ShapeError naming the op and the shape.
// - cholesky, eigvalsh and eigh_vectors read the lower triangle of A only, and treat A as
//   symmetric: their gradient is symmetric and their forward rule symmetrises the tangent.
//   Differentiate them through a symmetric function of your parameters (e.g. M + M^T).
// - A singular matrix makes solve, inverse, triangular_solve and cholesky_solve throw
//   NumericError. det of a singular matrix is 0 and slogdet gives sign 0 and -inf, but the
//   derivatives of det, slogdet and logdet use A^-1 and throw NumericError there (PyTorch
//   goes through an SVD for det at a singular matrix; tapegrad does not).
// - The derivatives of eigvalsh and eigh_vectors use 1 / (l_j - l_i): they are inf or NaN when
//   two eigenvalues are equal, and inaccurate when they are close. The eigenvalues themselves
//   are fine; their first derivative needs only the eigenvectors, but their second derivative
//   (and every derivative of the eigenvectors) needs distinct eigenvalues.

#include "../autograd/tensor.hpp"

namespace tg {

// X with A X = B, by LU with partial pivoting. A is [n, n]; B is [n, k] or [n] (X likewise).
Tensor solve(const Tensor& a, const Tensor& b);
// A^-1 (solve(A, I)).
Tensor inverse(const Tensor& a);

// det(A), a 0-d tensor; 1 for a 0x0 matrix.
Tensor det(const Tensor& a);

struct SlogdetResult {
    Tensor sign;       // -1, 0 or 1, a constant (0-d)
    Tensor logabsdet;  // log |det A|, differentiable (0-d); -inf when A is singular
};
SlogdetResult slogdet(const Tensor& a);
// log det A: NaN when det A < 0, -inf when it is 0 (numpy's and PyTorch's convention).
Tensor logdet(const Tensor& a);

// Lower-triangular L with A = L L^T, for a symmetric positive definite A (lower triangle read).
// Throws NumericError "cholesky: the matrix is not positive definite (leading minor k)".
Tensor cholesky(const Tensor& a);

// X with op(A) X = B, A triangular (only its upper or lower triangle is read, and only that
// triangle gets a gradient), op(A) = A^T when transpose. B is [n, k] or [n].
Tensor triangular_solve(const Tensor& a, const Tensor& b, bool upper, bool transpose = false);

// X with (L L^T) X = B, given the Cholesky factor L (lower) of A. B is [n, k] or [n].
Tensor cholesky_solve(const Tensor& b, const Tensor& l);

// The eigenvalues of a symmetric A (lower triangle read), ascending, as a [n] tensor.
Tensor eigvalsh(const Tensor& a);
// The matching unit eigenvectors, as the columns of an [n, n] tensor. Signs are fixed so that
// each column's entry of largest magnitude (the first such) is positive.
Tensor eigh_vectors(const Tensor& a);

struct EighResult {
    Tensor eigenvalues;   // [n], ascending
    Tensor eigenvectors;  // [n, n], columns
};
EighResult eigh(const Tensor& a);

// The reduced QR decomposition A = Q R of A [m, n] with m >= n: Q [m, n] with orthonormal
// columns and R [n, n] upper triangular with a diagonal >= 0 (which makes them unique for a
// full-rank A). Their derivatives use R^-1: a rank-deficient A makes them throw NumericError.
Tensor qr_q(const Tensor& a);
Tensor qr_r(const Tensor& a);

struct QrResult {
    Tensor q;  // [m, n]
    Tensor r;  // [n, n]
};
QrResult qr(const Tensor& a);

// The singular values of A [m, n], min(m, n) of them, descending. Their derivatives go
// through the eigenvectors of A^T A (or A A^T when m < n): they need every singular value > 0
// (NaN or inf otherwise), and the second derivative needs distinct ones.
Tensor svdvals(const Tensor& a);

}  // namespace tg
