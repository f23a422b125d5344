#include "ops/linalg_decompositions.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "autograd/op.hpp"
#include "ops/arithmetic.hpp"
#include "ops/creation.hpp"
#include "ops/indexing.hpp"
#include "ops/kernels.hpp"
#include "ops/linalg.hpp"
#include "ops/reduction.hpp"
#include "ops/shape.hpp"
#include "ops/slicing.hpp"
#include "ops/special.hpp"

// LAPACK's Fortran routines, as OpenBLAS exports them (32-bit integers; the character
// arguments' hidden lengths are left out, as every C caller of LAPACK does).
extern "C" {
void sgetrf_(const int* m, const int* n, float* a, const int* lda, int* ipiv, int* info);
void dgetrf_(const int* m, const int* n, double* a, const int* lda, int* ipiv, int* info);
void sgetrs_(const char* trans, const int* n, const int* nrhs, const float* a, const int* lda,
             const int* ipiv, float* b, const int* ldb, int* info);
void dgetrs_(const char* trans, const int* n, const int* nrhs, const double* a, const int* lda,
             const int* ipiv, double* b, const int* ldb, int* info);
void spotrf_(const char* uplo, const int* n, float* a, const int* lda, int* info);
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info);
void strtrs_(const char* uplo, const char* trans, const char* diag, const int* n, const int* nrhs,
             const float* a, const int* lda, float* b, const int* ldb, int* info);
void dtrtrs_(const char* uplo, const char* trans, const char* diag, const int* n, const int* nrhs,
             const double* a, const int* lda, double* b, const int* ldb, int* info);
void ssyevd_(const char* jobz, const char* uplo, const int* n, float* a, const int* lda, float* w,
             float* work, const int* lwork, int* iwork, const int* liwork, int* info);
void sgeqrf_(const int* m, const int* n, float* a, const int* lda, float* tau, float* work,
             const int* lwork, int* info);
void dgeqrf_(const int* m, const int* n, double* a, const int* lda, double* tau, double* work,
             const int* lwork, int* info);
void sorgqr_(const int* m, const int* n, const int* k, float* a, const int* lda, const float* tau,
             float* work, const int* lwork, int* info);
void dorgqr_(const int* m, const int* n, const int* k, double* a, const int* lda, const double* tau,
             double* work, const int* lwork, int* info);
void sgesdd_(const char* jobz, const int* m, const int* n, float* a, const int* lda, float* s,
             float* u, const int* ldu, float* vt, const int* ldvt, float* work, const int* lwork,
             int* iwork, int* info);
void dgesdd_(const char* jobz, const int* m, const int* n, double* a, const int* lda, double* s,
             double* u, const int* ldu, double* vt, const int* ldvt, double* work, const int* lwork,
             int* iwork, int* info);
void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w,
             double* work, const int* lwork, int* iwork, const int* liwork, int* info);
}

namespace tg {

namespace {

// ---- LAPACK, overloaded on the element type (ld: a leading dimension, at least 1) ----

int ld(int n) {
    return std::max(n, 1);
}

void getrf(int n, float* a, int* piv, int* info) {
    const int l = ld(n);
    sgetrf_(&n, &n, a, &l, piv, info);
}
void getrf(int n, double* a, int* piv, int* info) {
    const int l = ld(n);
    dgetrf_(&n, &n, a, &l, piv, info);
}
void getrs(int n, int k, const float* lu, const int* piv, float* b, int* info) {
    const int l = ld(n);
    sgetrs_("N", &n, &k, lu, &l, piv, b, &l, info);
}
void getrs(int n, int k, const double* lu, const int* piv, double* b, int* info) {
    const int l = ld(n);
    dgetrs_("N", &n, &k, lu, &l, piv, b, &l, info);
}
void potrf(int n, float* a, int* info) {
    const int l = ld(n);
    spotrf_("L", &n, a, &l, info);
}
void potrf(int n, double* a, int* info) {
    const int l = ld(n);
    dpotrf_("L", &n, a, &l, info);
}
void trtrs(char uplo, char trans, int n, int k, const float* a, float* b, int* info) {
    const int l = ld(n);
    strtrs_(&uplo, &trans, "N", &n, &k, a, &l, b, &l, info);
}
void trtrs(char uplo, char trans, int n, int k, const double* a, double* b, int* info) {
    const int l = ld(n);
    dtrtrs_(&uplo, &trans, "N", &n, &k, a, &l, b, &l, info);
}
void syevd(char jobz, int n, float* a, float* w, float* work, int lwork, int* iwork, int liwork,
           int* info) {
    const int l = ld(n);
    ssyevd_(&jobz, "L", &n, a, &l, w, work, &lwork, iwork, &liwork, info);
}
void syevd(char jobz, int n, double* a, double* w, double* work, int lwork, int* iwork, int liwork,
           int* info) {
    const int l = ld(n);
    dsyevd_(&jobz, "L", &n, a, &l, w, work, &lwork, iwork, &liwork, info);
}

// QR of an m x n column-major a (m >= n): geqrf, then orgqr turns a into Q.
void geqrf(int m, int n, float* a, float* tau, float* work, int lwork, int* info) {
    const int l = ld(m);
    sgeqrf_(&m, &n, a, &l, tau, work, &lwork, info);
}
void geqrf(int m, int n, double* a, double* tau, double* work, int lwork, int* info) {
    const int l = ld(m);
    dgeqrf_(&m, &n, a, &l, tau, work, &lwork, info);
}
void orgqr(int m, int n, float* a, const float* tau, float* work, int lwork, int* info) {
    const int l = ld(m);
    sorgqr_(&m, &n, &n, a, &l, tau, work, &lwork, info);
}
void orgqr(int m, int n, double* a, const double* tau, double* work, int lwork, int* info) {
    const int l = ld(m);
    dorgqr_(&m, &n, &n, a, &l, tau, work, &lwork, info);
}

// Singular values only (jobz 'N'; u and vt are not referenced) of an m x n column-major a.
void gesdd(int m, int n, float* a, float* s, float* work, int lwork, int* iwork, int* info) {
    const int l = ld(m), one = 1;
    sgesdd_("N", &m, &n, a, &l, s, nullptr, &one, nullptr, &one, work, &lwork, iwork, info);
}
void gesdd(int m, int n, double* a, double* s, double* work, int lwork, int* iwork, int* info) {
    const int l = ld(m), one = 1;
    dgesdd_("N", &m, &n, a, &l, s, nullptr, &one, nullptr, &one, work, &lwork, iwork, info);
}

// ---- checks and layout ----

// n for a square 2-D matrix; ShapeError naming the op and the shape otherwise.
std::size_t square_size(const char* op, const Tensor& a) {
    if (a.dim() != 2 || a.shape()[0] != a.shape()[1]) {
        throw ShapeError(std::string(op) + ": needs a square 2-D matrix, got shape " +
                         shape_str(a.shape()));
    }
    if (a.shape()[0] > static_cast<std::size_t>(std::numeric_limits<int>::max() / 2)) {
        throw ShapeError(std::string(op) + ": matrix too large for LAPACK, shape " +
                         shape_str(a.shape()));
    }
    return a.shape()[0];
}

// The right-hand side of a solve: [n, k] (a 1-D one is reshaped by the public functions).
void check_rhs(const char* op, const Tensor& a, const Tensor& b) {
    kernels::check_same_dtype(op, a, b);
    if (b.dim() != 2 || b.shape()[0] != a.shape()[0]) {
        throw ShapeError(std::string(op) + ": the right-hand side must be [n, k] or [n] for A " +
                         shape_str(a.shape()) + ", got " + shape_str(b.shape()));
    }
    if (b.shape()[1] > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
        throw ShapeError(std::string(op) + ": too many right-hand sides for LAPACK, shape " +
                         shape_str(b.shape()));
    }
}

// Row-major [rows, cols] to column-major (LAPACK's layout), and back.
template <class T>
std::vector<T> to_col_major(const T* p, std::size_t rows, std::size_t cols) {
    std::vector<T> c(rows * cols);
    for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t j = 0; j < cols; ++j) c[j * rows + i] = p[i * cols + j];
    return c;
}

template <class T>
xt::xarray<T> from_col_major(const std::vector<T>& c, std::size_t rows, std::size_t cols) {
    auto r = kernels::uninitialized<T>({rows, cols});
    T* p = r.data();
    for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t j = 0; j < cols; ++j) p[i * cols + j] = c[j * rows + i];
    return r;
}

// Whether the lower triangle (the one cholesky and eigh read) of a row-major n x n holds a NaN.
template <class T>
bool lower_has_nan(const T* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j <= i; ++j)
            if (std::isnan(p[i * n + j])) return true;
    return false;
}

// A constant [n, n] matrix with entries f(i, j).
template <class F>
Tensor constant_matrix(std::size_t n, DType dtype, F f) {
    std::vector<double> v(n * n);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j) v[i * n + j] = f(i, j);
    return from_vector(v, {n, n}, dtype);
}

Tensor triangle_mask(std::size_t n, DType dtype, bool upper) {
    return constant_matrix(n, dtype, [upper](std::size_t i, std::size_t j) {
        return (upper ? j >= i : j <= i) ? 1.0 : 0.0;
    });
}

// The pieces the rules are made of, all tapegrad ops.
Tensor trace(const Tensor& x) {
    return sum(mul(x, eye(x.shape()[0], x.dtype())));
}
Tensor symmetrize(const Tensor& x) {
    return mul(add(x, transpose(x)), scalar_tensor(0.5, x.dtype()));
}
// Murray's Phi: the lower triangle with its diagonal halved.
Tensor phi(const Tensor& x) {
    const std::size_t n = x.shape()[0];
    return mul(x, constant_matrix(n, x.dtype(), [](std::size_t i, std::size_t j) {
                   return j < i ? 1.0 : (j == i ? 0.5 : 0.0);
               }));
}
// F_ij = 1 / (l_j - l_i) off the diagonal, 0 on it.
Tensor eigen_gap_inverse(const Tensor& l) {
    const std::size_t n = l.shape()[0];
    const Tensor e = sub(unsqueeze(l, 0), unsqueeze(l, 1));
    const Tensor off = constant_matrix(
        n, l.dtype(), [](std::size_t i, std::size_t j) { return i == j ? 0.0 : 1.0; });
    return mul(off, reciprocal(add(e, eye(n, l.dtype()))));
}

// ---- solve ----

Tensor solve_2d(const char* op, const Tensor& a, const Tensor& b);

// X = A^-1 B:  gB = A^-T G,  gA = -gB X^T;  dX = A^-1 (dB - dA X).
const OpDef kSolve{"solve",
                   [](const OpCall& c, const Tensor& g, Tensor* gi) {
                       const Tensor gb = solve_2d("solve", transpose(c.in(0)), g);
                       if (c.needs_grad(0)) gi[0] = neg(matmul(gb, c.out(), false, true));
                       if (c.needs_grad(1)) gi[1] = gb;
                   },
                   [](const OpCall& c, const Tensor* t) {
                       Tensor r = t[1];
                       if (t[0].defined()) r = add_defined(r, neg(matmul(t[0], c.out())));
                       return solve_2d("solve", c.in(0), r);
                   }};

// The LU factorisation of A (column-major), with LAPACK's info (k > 0: U(k, k) = 0).
template <class T>
struct Lu {
    std::vector<T> lu;
    std::vector<int> piv;
    int info = 0;
};

template <class T>
Lu<T> lu_factor(const Tensor& a) {
    const std::size_t n = a.shape()[0];
    Lu<T> f;
    f.lu = to_col_major(a.array<T>().data(), n, n);
    f.piv.assign(std::max<std::size_t>(n, 1), 0);
    getrf(static_cast<int>(n), f.lu.data(), f.piv.data(), &f.info);
    return f;
}

Tensor solve_2d(const char* op, const Tensor& a, const Tensor& b) {
    const std::size_t n = square_size(op, a);
    check_rhs(op, a, b);
    const std::size_t k = b.shape()[1];
    Tensor x = kernels::dispatch(a.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const Lu<T> f = lu_factor<T>(a);
        if (f.info > 0) {
            throw NumericError(std::string(op) + ": the matrix " + shape_str(a.shape()) +
                               " is singular (U(" + std::to_string(f.info) + ", " +
                               std::to_string(f.info) + ") = 0 in its LU factorisation)");
        }
        std::vector<T> xb = to_col_major(b.array<T>().data(), n, k);
        int info = 0;
        if (n > 0 && k > 0)
            getrs(static_cast<int>(n), static_cast<int>(k), f.lu.data(), f.piv.data(), xb.data(),
                  &info);
        return Tensor(from_col_major(xb, n, k));
    });
    return record(kSolve, std::move(x), {a, b});
}

// A 1-D right-hand side is solved as one column.
template <class F>
Tensor solve_columns(const Tensor& b, F solve_matrix) {
    if (b.dim() != 1) return solve_matrix(b);
    const auto n = static_cast<std::int64_t>(b.shape()[0]);
    return reshape(solve_matrix(reshape(b, {n, 1})), {n});
}

// ---- determinants ----

// det A = (sign of the row permutation) * prod U(i, i), from A's LU factorisation.
struct LuDeterminant {
    double det = 1;
    double sign = 1;       // of det: -1, 0 or 1 (NaN for a NaN input)
    double logabsdet = 0;  // log |det|, -inf when A is singular
};

template <class T>
LuDeterminant lu_determinant(const Tensor& a) {
    const std::size_t n = a.shape()[0];
    const Lu<T> f = lu_factor<T>(a);
    LuDeterminant d;
    for (std::size_t i = 0; i < n; ++i) {
        const double u = static_cast<double>(f.lu[i * n + i]);
        const double s = f.piv[i] != static_cast<int>(i) + 1 ? -1.0 : 1.0;
        d.det *= s * u;
        d.sign *= s * (u > 0 ? 1.0 : (u < 0 ? -1.0 : (u == 0 ? 0.0 : u)));  // NaN stays NaN
        d.logabsdet += std::log(std::abs(u));
    }
    return d;
}

// det: gA = g det A^-T;  d det = det tr(A^-1 dA).
const OpDef kDet{"det",
                 [](const OpCall& c, const Tensor& g, Tensor* gi) {
                     gi[0] = mul(mul(g, c.out()), transpose(inverse(c.in(0))));
                 },
                 [](const OpCall& c, const Tensor* t) {
                     return mul(c.out(), trace(solve_2d("det", c.in(0), t[0])));
                 }};

// log |det|: gA = g A^-T;  d = tr(A^-1 dA).
const OpDef kLogabsdet{
    "logabsdet",
    [](const OpCall& c, const Tensor& g, Tensor* gi) {
        gi[0] = mul(g, transpose(inverse(c.in(0))));
    },
    [](const OpCall& c, const Tensor* t) { return trace(solve_2d("logabsdet", c.in(0), t[0])); }};

}  // namespace

static Tensor solve_matrix(const Tensor& a, const Tensor& b) {
    return solve_columns(b, [&](const Tensor& m) { return solve_2d("solve", a, m); });
}

static Tensor inverse_matrix(const Tensor& a) {
    const std::size_t n = square_size("inverse", a);
    return solve_2d("inverse", a, eye(n, a.dtype()));
}

static Tensor det_matrix(const Tensor& a) {
    square_size("det", a);
    Tensor d = kernels::dispatch(a.dtype(), [&](auto tag) {
        using T = decltype(tag);
        return Tensor(xt::xarray<T>(static_cast<T>(lu_determinant<T>(a).det)));
    });
    return record(kDet, std::move(d), {a});
}

static SlogdetResult slogdet_matrix(const Tensor& a) {
    square_size("slogdet", a);
    SlogdetResult r;
    kernels::dispatch(a.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const LuDeterminant d = lu_determinant<T>(a);
        r.sign = Tensor(xt::xarray<T>(static_cast<T>(d.sign)));
        r.logabsdet = Tensor(xt::xarray<T>(static_cast<T>(d.logabsdet)));
        return 0;
    });
    r.logabsdet = record(kLogabsdet, r.logabsdet, {a});
    return r;
}

static Tensor logdet_matrix(const Tensor& a) {
    square_size("logdet", a);
    const SlogdetResult r = slogdet_matrix(a);
    if (r.sign.item() < 0)  // log of a negative number
        return add(r.logabsdet, scalar_tensor(std::numeric_limits<double>::quiet_NaN(), a.dtype()));
    return r.logabsdet;
}

// ---- triangular solves and Cholesky ----

namespace {

Tensor triangular_solve_2d(const char* op, const Tensor& a, const Tensor& b, bool upper,
                           bool transpose_a);

// X = op(A)^-1 B, A triangular (attributes [upper, transpose]):
//   gB = op(A)^-T G;  gA = -gB X^T (or -X gB^T when transposed), kept to A's triangle;
//   dX = op(A)^-1 (dB - op(dA) X), with dA kept to A's triangle.
const OpDef kTriangularSolve{
    "triangular_solve",
    [](const OpCall& c, const Tensor& g, Tensor* gi) {
        const bool upper = c.ints(0) != 0, tr = c.ints(1) != 0;
        const Tensor& a = c.in(0);
        const Tensor gb = triangular_solve_2d("triangular_solve", a, g, upper, !tr);
        if (c.needs_grad(0)) {
            const Tensor ga =
                tr ? matmul(c.out(), gb, false, true) : matmul(gb, c.out(), false, true);
            gi[0] = neg(mul(ga, triangle_mask(a.shape()[0], a.dtype(), upper)));
        }
        if (c.needs_grad(1)) gi[1] = gb;
    },
    [](const OpCall& c, const Tensor* t) {
        const bool upper = c.ints(0) != 0, tr = c.ints(1) != 0;
        const Tensor& a = c.in(0);
        Tensor r = t[1];
        if (t[0].defined()) {
            const Tensor da = mul(t[0], triangle_mask(a.shape()[0], a.dtype(), upper));
            r = add_defined(r, neg(matmul(da, c.out(), tr, false)));
        }
        return triangular_solve_2d("triangular_solve", a, r, upper, tr);
    }};

Tensor triangular_solve_2d(const char* op, const Tensor& a, const Tensor& b, bool upper,
                           bool transpose_a) {
    const std::size_t n = square_size(op, a);
    check_rhs(op, a, b);
    const std::size_t k = b.shape()[1];
    Tensor x = kernels::dispatch(a.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const std::vector<T> ca = to_col_major(a.array<T>().data(), n, n);
        std::vector<T> xb = to_col_major(b.array<T>().data(), n, k);
        int info = 0;
        if (n > 0 && k > 0)
            trtrs(upper ? 'U' : 'L', transpose_a ? 'T' : 'N', static_cast<int>(n),
                  static_cast<int>(k), ca.data(), xb.data(), &info);
        if (info > 0) {
            throw NumericError(std::string(op) + ": the triangular matrix " + shape_str(a.shape()) +
                               " is singular (diagonal entry " + std::to_string(info - 1) +
                               " is 0)");
        }
        return Tensor(from_col_major(xb, n, k));
    });
    return record(kTriangularSolve, std::move(x), {a, b},
                  Attrs({upper ? 1 : 0, transpose_a ? 1 : 0}));
}

// A = L L^T (Murray 2016, as PyTorch):
//   gA = sym(L^-T Phi(L^T tril(G)) L^-1);   dL = L Phi(L^-1 sym(dA) L^-T).
const OpDef kCholesky{
    "cholesky",
    [](const OpCall& c, const Tensor& g, Tensor* gi) {
        const Tensor& l = c.out();
        const Tensor gl = mul(g, triangle_mask(l.shape()[0], l.dtype(), false));
        const Tensor p = phi(matmul(l, gl, true, false));
        const Tensor s = triangular_solve_2d("cholesky", l, p, false, true);  // L^-T P
        // S L^-1 = (L^-T S^T)^T
        gi[0] =
            symmetrize(transpose(triangular_solve_2d("cholesky", l, transpose(s), false, true)));
    },
    [](const OpCall& c, const Tensor* t) {
        const Tensor& l = c.out();
        const Tensor y = triangular_solve_2d("cholesky", l, symmetrize(t[0]), false, false);
        // L^-1 dA L^-T = (L^-1 (L^-1 dA)^T)^T
        const Tensor x = transpose(triangular_solve_2d("cholesky", l, transpose(y), false, false));
        return matmul(l, phi(x));
    }};

}  // namespace

static Tensor triangular_solve_matrix(const Tensor& a, const Tensor& b, bool upper,
                                      bool transpose_a) {
    return solve_columns(b, [&](const Tensor& m) {
        return triangular_solve_2d("triangular_solve", a, m, upper, transpose_a);
    });
}

static Tensor cholesky_solve_matrix(const Tensor& b, const Tensor& l) {
    square_size("cholesky_solve", l);
    return solve_columns(b, [&](const Tensor& m) {
        const Tensor y = triangular_solve_2d("cholesky_solve", l, m, false, false);
        return triangular_solve_2d("cholesky_solve", l, y, false, true);
    });
}

static Tensor cholesky_matrix(const Tensor& a) {
    const std::size_t n = square_size("cholesky", a);
    Tensor l = kernels::dispatch(a.dtype(), [&](auto tag) {
        using T = decltype(tag);
        std::vector<T> c = to_col_major(a.array<T>().data(), n, n);
        if (lower_has_nan(a.array<T>().data(), n)) {
            // Whether LAPACK reports a NaN as indefinite or passes it on depends on the
            // implementation (OpenBLAS's own potrf passes it on): NaN everywhere, always.
            return Tensor(kernels::filled<T>({n, n}, std::numeric_limits<T>::quiet_NaN()));
        }
        int info = 0;
        potrf(static_cast<int>(n), c.data(), &info);
        if (info > 0) {
            throw NumericError("cholesky: the matrix " + shape_str(a.shape()) +
                               " is not positive definite (leading minor " + std::to_string(info) +
                               ")");
        }
        for (std::size_t j = 0; j < n; ++j)  // LAPACK leaves the upper triangle as it was
            for (std::size_t i = 0; i < j; ++i) c[j * n + i] = T(0);
        return Tensor(from_col_major(c, n, n));
    });
    return record(kCholesky, std::move(l), {a});
}

// ---- symmetric eigen-decomposition ----

namespace {

// Eigenvalues (ascending) and, if wanted, eigenvectors (columns, signs fixed) of the
// symmetric matrix whose lower triangle is a's. A NaN anywhere gives NaN everywhere.
template <class T>
void symmetric_eigen(const char* op, const Tensor& a, bool vectors, xt::xarray<T>& w,
                     xt::xarray<T>& v) {
    const std::size_t n = a.shape()[0];
    const T* p = a.array<T>().data();
    w = kernels::uninitialized<T>({n});
    if (vectors) v = kernels::uninitialized<T>({n, n});
    if (lower_has_nan(p, n)) {
        std::fill(w.begin(), w.end(), std::numeric_limits<T>::quiet_NaN());
        if (vectors) std::fill(v.begin(), v.end(), std::numeric_limits<T>::quiet_NaN());
        return;
    }
    if (n == 0) return;
    std::vector<T> c = to_col_major(p, n, n);
    const char jobz = vectors ? 'V' : 'N';
    const int ni = static_cast<int>(n);
    T work_size = 0;
    int iwork_size = 0, info = 0;
    syevd(jobz, ni, c.data(), w.data(), &work_size, -1, &iwork_size, -1, &info);
    std::vector<T> work(static_cast<std::size_t>(work_size) + 1);
    std::vector<int> iwork(static_cast<std::size_t>(std::max(iwork_size, 1)));
    syevd(jobz, ni, c.data(), w.data(), work.data(), static_cast<int>(work.size()), iwork.data(),
          static_cast<int>(iwork.size()), &info);
    if (info != 0) {
        throw NumericError(std::string(op) + ": LAPACK's ?syevd did not converge on the matrix " +
                           shape_str(a.shape()) + " (info " + std::to_string(info) + ")");
    }
    if (!vectors) return;
    for (std::size_t j = 0; j < n; ++j) {
        T* col = c.data() + j * n;
        std::size_t big = 0;
        for (std::size_t i = 1; i < n; ++i)
            if (std::abs(col[i]) > std::abs(col[big])) big = i;
        if (col[big] < 0)
            for (std::size_t i = 0; i < n; ++i) col[i] = -col[i];
    }
    v = from_col_major(c, n, n);
}

// l = eigvalsh(A), V = eigh_vectors(A):  gA = V diag(G) V^T;  dl = diag(V^T sym(dA) V).
const OpDef kEigvalsh{"eigvalsh",
                      [](const OpCall& c, const Tensor& g, Tensor* gi) {
                          const Tensor v = eigh_vectors(c.in(0));
                          gi[0] = matmul(mul(v, unsqueeze(g, 0)), v, false, true);
                      },
                      [](const OpCall& c, const Tensor* t) {
                          const Tensor v = eigh_vectors(c.in(0));
                          return sum(mul(v, matmul(symmetrize(t[0]), v)), {0});
                      }};

// With F_ij = 1 / (l_j - l_i) off the diagonal and 0 on it (Giles 2008):
//   gA = sym(V (F o (V^T G)) V^T);   dV = V (F o (V^T sym(dA) V)).
const OpDef kEighVectors{"eigh_vectors",
                         [](const OpCall& c, const Tensor& g, Tensor* gi) {
                             const Tensor& v = c.out();
                             const Tensor f = eigen_gap_inverse(eigvalsh(c.in(0)));
                             const Tensor inner = mul(f, matmul(v, g, true, false));
                             gi[0] = symmetrize(matmul(matmul(v, inner), v, false, true));
                         },
                         [](const OpCall& c, const Tensor* t) {
                             const Tensor& v = c.out();
                             const Tensor f = eigen_gap_inverse(eigvalsh(c.in(0)));
                             const Tensor inner =
                                 matmul(matmul(v, symmetrize(t[0]), true, false), v);
                             return matmul(v, mul(f, inner));
                         }};

}  // namespace

static Tensor eigvalsh_matrix(const Tensor& a) {
    square_size("eigvalsh", a);
    Tensor w = kernels::dispatch(a.dtype(), [&](auto tag) {
        using T = decltype(tag);
        xt::xarray<T> values, vectors;
        symmetric_eigen<T>("eigvalsh", a, false, values, vectors);
        return Tensor(std::move(values));
    });
    return record(kEigvalsh, std::move(w), {a});
}

static Tensor eigh_vectors_matrix(const Tensor& a) {
    square_size("eigh_vectors", a);
    Tensor v = kernels::dispatch(a.dtype(), [&](auto tag) {
        using T = decltype(tag);
        xt::xarray<T> values, vectors;
        symmetric_eigen<T>("eigh_vectors", a, true, values, vectors);
        return Tensor(std::move(vectors));
    });
    return record(kEighVectors, std::move(v), {a});
}

// ---- QR ----

namespace {

// Q [m, n] and R [n, n] (upper, diagonal >= 0) with A = Q R, for A [m, n] with m >= n.
template <class T>
void reduced_qr(const Tensor& a, xt::xarray<T>& q, xt::xarray<T>& r) {
    const std::size_t m = a.shape()[0], n = a.shape()[1];
    std::vector<T> c = to_col_major(a.array<T>().data(), m, n);
    std::vector<T> tau(std::max<std::size_t>(n, 1));
    r = kernels::filled<T>({n, n}, T(0));
    q = kernels::uninitialized<T>({m, n});
    if (n == 0) return;
    const int mi = static_cast<int>(m), ni = static_cast<int>(n);
    int info = 0;
    T size = 0;
    geqrf(mi, ni, c.data(), tau.data(), &size, -1, &info);
    std::vector<T> work(static_cast<std::size_t>(size) + 1);
    geqrf(mi, ni, c.data(), tau.data(), work.data(), static_cast<int>(work.size()), &info);
    for (std::size_t j = 0; j < n; ++j)
        for (std::size_t i = 0; i <= j; ++i) r(i, j) = c[j * m + i];
    orgqr(mi, ni, c.data(), tau.data(), &size, -1, &info);
    work.resize(std::max(work.size(), static_cast<std::size_t>(size) + 1));
    orgqr(mi, ni, c.data(), tau.data(), work.data(), static_cast<int>(work.size()), &info);
    // Householder QR leaves R's diagonal signs arbitrary: make them >= 0 (row j of R and
    // column j of Q change sign together), so that Q and R are functions of A.
    for (std::size_t j = 0; j < n; ++j) {
        const bool flip = r(j, j) < 0;
        if (flip)
            for (std::size_t k = j; k < n; ++k) r(j, k) = -r(j, k);
        for (std::size_t i = 0; i < m; ++i) q(i, j) = flip ? -c[j * m + i] : c[j * m + i];
    }
}

void check_qr_shape(const char* op, const Tensor& a) {
    if (a.dim() != 2 || a.shape()[0] < a.shape()[1]) {
        throw ShapeError(std::string(op) +
                         ": needs a 2-D matrix with at least as many rows as columns, got shape " +
                         shape_str(a.shape()));
    }
    if (a.shape()[0] > static_cast<std::size_t>(std::numeric_limits<int>::max() / 2)) {
        throw ShapeError(std::string(op) + ": matrix too large for LAPACK, shape " +
                         shape_str(a.shape()));
    }
}

// X R^-1 = (R^-T X^T)^T, R upper.
Tensor times_r_inverse(const Tensor& x, const Tensor& r) {
    return transpose(triangular_solve_2d("qr", r, transpose(x), true, true));
}

// triu(X) + triu(X, 1)^T: the symmetric matrix with X's upper triangle.
Tensor upper_to_symmetric(const Tensor& x) {
    const std::size_t n = x.shape()[0];
    const Tensor upper = mul(x, triangle_mask(n, x.dtype(), true));
    const Tensor strict = mul(x, constant_matrix(n, x.dtype(), [](std::size_t i, std::size_t j) {
                                  return j > i ? 1.0 : 0.0;
                              }));
    return add(upper, transpose(strict));
}

// With C = Q^T dA R^-1 and B = triu(C) + tril(C, -1)^T (upper triangular; Q^T dQ = C - B is
// antisymmetric):  dR = B R,  dQ = dA R^-1 - Q B.  Transposed, with M = gR R^T - Q^T gQ and
// N = triu(M) + triu(M, 1)^T:  gA = (gQ + Q N) R^-T  (PyTorch's linalg_qr_backward).
Tensor qr_b(const Tensor& q, const Tensor& dar) {
    const Tensor c = matmul(q, dar, true, false);
    const std::size_t n = c.shape()[0];
    const Tensor lower = mul(c, constant_matrix(n, c.dtype(), [](std::size_t i, std::size_t j) {
                                 return j < i ? 1.0 : 0.0;
                             }));
    return add(mul(c, triangle_mask(n, c.dtype(), true)), transpose(lower));
}

Tensor qr_grad(const Tensor& q, const Tensor& r, const Tensor& gq, const Tensor& gr) {
    Tensor m;
    if (gr.defined()) m = matmul(gr, r, false, true);
    if (gq.defined()) m = add_defined(m, neg(matmul(q, gq, true, false)));
    const Tensor x = add_defined(gq, matmul(q, upper_to_symmetric(m)));
    return transpose(triangular_solve_2d("qr", r, transpose(x), true, false));  // X R^-T
}

const OpDef kQrQ{"qr_q",
                 [](const OpCall& c, const Tensor& g, Tensor* gi) {
                     gi[0] = qr_grad(c.out(), qr_r(c.in(0)), g, Tensor());
                 },
                 [](const OpCall& c, const Tensor* t) {
                     const Tensor& q = c.out();
                     const Tensor dar = times_r_inverse(t[0], qr_r(c.in(0)));
                     return sub(dar, matmul(q, qr_b(q, dar)));
                 }};

const OpDef kQrR{"qr_r",
                 [](const OpCall& c, const Tensor& g, Tensor* gi) {
                     gi[0] = qr_grad(qr_q(c.in(0)), c.out(), Tensor(), g);
                 },
                 [](const OpCall& c, const Tensor* t) {
                     const Tensor& r = c.out();
                     const Tensor q = qr_q(c.in(0));
                     return matmul(qr_b(q, times_r_inverse(t[0], r)), r);
                 }};

}  // namespace

static Tensor qr_q_matrix(const Tensor& a) {
    check_qr_shape("qr_q", a);
    Tensor q = kernels::dispatch(a.dtype(), [&](auto tag) {
        using T = decltype(tag);
        xt::xarray<T> qa, ra;
        reduced_qr<T>(a, qa, ra);
        return Tensor(std::move(qa));
    });
    return record(kQrQ, std::move(q), {a});
}

static Tensor qr_r_matrix(const Tensor& a) {
    check_qr_shape("qr_r", a);
    Tensor r = kernels::dispatch(a.dtype(), [&](auto tag) {
        using T = decltype(tag);
        xt::xarray<T> qa, ra;
        reduced_qr<T>(a, qa, ra);
        return Tensor(std::move(ra));
    });
    return record(kQrR, std::move(r), {a});
}

// ---- singular values ----

namespace {

std::vector<std::int64_t> reversed_indices(std::size_t n) {
    std::vector<std::int64_t> r(n);
    for (std::size_t i = 0; i < n; ++i) r[i] = static_cast<std::int64_t>(n - 1 - i);
    return r;
}

// For A [m, n], m >= n, of full column rank with distinct singular values s (descending): the
// right singular vectors are the eigenvectors of A^T A (ascending, so reversed), and
// u_i = A v_i / s_i. So ds_i = u_i^T dA v_i = (A v_i)^T dA v_i / s_i, and gA = A V diag(g / s) V^T.
// Written with eigh_vectors, whose derivative needs distinct eigenvalues of A^T A: the second
// derivative of svdvals needs distinct singular values, and every derivative needs s > 0.
const OpDef kSvdvals{
    "svdvals",
    [](const OpCall& c, const Tensor& g, Tensor* gi) {
        const Tensor& a = c.in(0);
        const std::vector<std::int64_t> rev = reversed_indices(a.shape()[1]);
        const Tensor v = eigh_vectors(matmul(a, a, true, false));  // ascending order
        const Tensor h = div(index_select(g, 0, rev), index_select(c.out(), 0, rev));
        gi[0] = matmul(matmul(a, mul(v, unsqueeze(h, 0))), v, false, true);
    },
    [](const OpCall& c, const Tensor* t) {
        const Tensor& a = c.in(0);
        const std::vector<std::int64_t> rev = reversed_indices(a.shape()[1]);
        const Tensor v = eigh_vectors(matmul(a, a, true, false));
        const Tensor ds = sum(mul(matmul(a, v), matmul(t[0], v)), {0});  // s_i ds_i, ascending
        return div(index_select(ds, 0, rev), c.out());
    }};

Tensor svdvals_tall(const Tensor& a) {
    const std::size_t m = a.shape()[0], n = a.shape()[1];
    Tensor s = kernels::dispatch(a.dtype(), [&](auto tag) {
        using T = decltype(tag);
        auto out = kernels::uninitialized<T>({n});
        if (n == 0) return Tensor(std::move(out));
        std::vector<T> c = to_col_major(a.array<T>().data(), m, n);
        const int mi = static_cast<int>(m), ni = static_cast<int>(n);
        std::vector<int> iwork(8 * n);
        int info = 0;
        T size = 0;
        gesdd(mi, ni, c.data(), out.data(), &size, -1, iwork.data(), &info);
        std::vector<T> work(static_cast<std::size_t>(size) + 1);
        gesdd(mi, ni, c.data(), out.data(), work.data(), static_cast<int>(work.size()),
              iwork.data(), &info);
        if (info != 0) {
            throw NumericError("svdvals: LAPACK's ?gesdd did not converge on the matrix " +
                               shape_str(a.shape()) + " (info " + std::to_string(info) + ")");
        }
        return Tensor(std::move(out));
    });
    return record(kSvdvals, std::move(s), {a});
}

}  // namespace

static Tensor svdvals_matrix(const Tensor& a) {
    if (a.dim() != 2) {
        throw ShapeError("svdvals: needs a 2-D matrix, got shape " + shape_str(a.shape()));
    }
    if (std::max(a.shape()[0], a.shape()[1]) >
        static_cast<std::size_t>(std::numeric_limits<int>::max() / 8)) {
        throw ShapeError("svdvals: matrix too large for LAPACK, shape " + shape_str(a.shape()));
    }
    // A^T has the same singular values; the tall orientation is the one the rules handle.
    return a.shape()[0] >= a.shape()[1] ? svdvals_tall(a) : svdvals_tall(transpose(a));
}

// ---- batches: [..., n, n] ----

namespace {

// The leading axes of x, before its last item_rank.
Shape batch_of(const Tensor& x, std::size_t item_rank) {
    return Shape(x.shape().begin(), x.shape().end() - static_cast<std::ptrdiff_t>(item_rank));
}

// Applies f to each item of a batch (inputs xs[i] with items of rank ranks[i] after the same
// batch axes) and stacks the results after those axes. It is made of reshape, slice and stack,
// so derivatives of any order pass through it. Inputs without batch axes go to f as they are.
template <class F>
Tensor over_batch(const char* op, const std::vector<Tensor>& xs,
                  const std::vector<std::size_t>& ranks, F f) {
    if (xs[0].dim() <= ranks[0]) return f(xs);  // no batch (f checks the shapes)
    const Shape batch = batch_of(xs[0], ranks[0]);
    for (std::size_t i = 1; i < xs.size(); ++i) {
        if (xs[i].dim() < ranks[i] || batch_of(xs[i], ranks[i]) != batch) {
            throw ShapeError(std::string(op) + ": the batch axes of " + shape_str(xs[0].shape()) +
                             " and " + shape_str(xs[i].shape()) + " differ");
        }
    }
    const std::size_t count = kernels::numel_of(batch);
    std::vector<Tensor> flat;
    std::vector<Shape> items;
    for (std::size_t i = 0; i < xs.size(); ++i) {
        Shape item(xs[i].shape().end() - static_cast<std::ptrdiff_t>(ranks[i]),
                   xs[i].shape().end());
        Shape flat_shape{count};
        flat_shape.insert(flat_shape.end(), item.begin(), item.end());
        flat.push_back(reshape(xs[i], Dims(flat_shape)));
        items.push_back(item);
    }
    std::vector<Tensor> outs;
    if (count == 0) {
        // An empty batch: the shape of one result, from an identity (or zero) item.
        std::vector<Tensor> probe;
        for (std::size_t i = 0; i < xs.size(); ++i) {
            const Shape& it = items[i];
            probe.push_back(it.size() == 2 && it[0] == it[1] ? eye(it[0], xs[i].dtype())
                                                             : zeros(it, xs[i].dtype()));
        }
        Shape shape = batch;
        const Shape one = f(probe).shape();
        shape.insert(shape.end(), one.begin(), one.end());
        return zeros(shape, xs[0].dtype());
    }
    for (std::size_t b = 0; b < count; ++b) {
        std::vector<Tensor> args;
        for (std::size_t i = 0; i < xs.size(); ++i) {
            const auto at = static_cast<std::int64_t>(b);
            args.push_back(reshape(slice(flat[i], 0, at, at + 1), Dims(items[i])));
        }
        outs.push_back(f(args));
    }
    Shape shape = batch;
    shape.insert(shape.end(), outs[0].shape().begin(), outs[0].shape().end());
    return reshape(stack(outs, 0), Dims(shape));
}

// ShapeError unless a is [..., n, n] (with the whole shape in the message).
void check_square_matrices(const char* op, const Tensor& a) {
    if (a.dim() < 2 || a.shape()[a.dim() - 1] != a.shape()[a.dim() - 2]) {
        throw ShapeError(std::string(op) +
                         ": needs a square matrix or a batch of them [..., n, n], got shape " +
                         shape_str(a.shape()));
    }
}

// One matrix argument [..., n, n] (square) or [..., m, n].
template <class F>
Tensor over_matrices(const char* op, const Tensor& a, F f, bool square = true) {
    if (square) check_square_matrices(op, a);
    return over_batch(op, {a}, {2}, [&](const std::vector<Tensor>& x) { return f(x[0]); });
}

// A right-hand side is a batch of vectors when it has one axis fewer than A (as in PyTorch).
std::size_t rhs_rank(const Tensor& a, const Tensor& b) {
    return b.dim() + 1 == a.dim() ? 1 : 2;
}

}  // namespace

Tensor solve(const Tensor& a, const Tensor& b) {
    check_square_matrices("solve", a);
    return over_batch("solve", {a, b}, {2, rhs_rank(a, b)},
                      [](const std::vector<Tensor>& x) { return solve_matrix(x[0], x[1]); });
}

Tensor inverse(const Tensor& a) {
    return over_matrices("inverse", a, [](const Tensor& m) { return inverse_matrix(m); });
}

Tensor det(const Tensor& a) {
    return over_matrices("det", a, [](const Tensor& m) { return det_matrix(m); });
}

SlogdetResult slogdet(const Tensor& a) {
    if (a.dim() <= 2) return slogdet_matrix(a);
    return {
        over_matrices("slogdet", a, [](const Tensor& m) { return slogdet_matrix(m).sign; }),
        over_matrices("slogdet", a, [](const Tensor& m) { return slogdet_matrix(m).logabsdet; })};
}

Tensor logdet(const Tensor& a) {
    return over_matrices("logdet", a, [](const Tensor& m) { return logdet_matrix(m); });
}

Tensor cholesky(const Tensor& a) {
    return over_matrices("cholesky", a, [](const Tensor& m) { return cholesky_matrix(m); });
}

Tensor triangular_solve(const Tensor& a, const Tensor& b, bool upper, bool transpose_a) {
    check_square_matrices("triangular_solve", a);
    return over_batch("triangular_solve", {a, b}, {2, rhs_rank(a, b)},
                      [&](const std::vector<Tensor>& x) {
                          return triangular_solve_matrix(x[0], x[1], upper, transpose_a);
                      });
}

Tensor cholesky_solve(const Tensor& b, const Tensor& l) {
    check_square_matrices("cholesky_solve", l);
    return over_batch(
        "cholesky_solve", {l, b}, {2, rhs_rank(l, b)},
        [](const std::vector<Tensor>& x) { return cholesky_solve_matrix(x[1], x[0]); });
}

Tensor eigvalsh(const Tensor& a) {
    return over_matrices("eigvalsh", a, [](const Tensor& m) { return eigvalsh_matrix(m); });
}

Tensor eigh_vectors(const Tensor& a) {
    return over_matrices("eigh_vectors", a, [](const Tensor& m) { return eigh_vectors_matrix(m); });
}

EighResult eigh(const Tensor& a) {
    check_square_matrices("eigh", a);
    return {eigvalsh(a), eigh_vectors(a)};
}

Tensor qr_q(const Tensor& a) {
    return over_matrices(
        "qr_q", a, [](const Tensor& m) { return qr_q_matrix(m); }, false);
}

Tensor qr_r(const Tensor& a) {
    return over_matrices(
        "qr_r", a, [](const Tensor& m) { return qr_r_matrix(m); }, false);
}

QrResult qr(const Tensor& a) {
    if (a.dim() <= 2) check_qr_shape("qr", a);
    return {qr_q(a), qr_r(a)};
}

Tensor svdvals(const Tensor& a) {
    return over_matrices(
        "svdvals", a, [](const Tensor& m) { return svdvals_matrix(m); }, false);
}

}  // namespace tg
