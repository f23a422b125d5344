// Linear algebra ops (ops/linalg_decompositions.hpp): values against plain-loop references
// (A X = B, L L^T = A, A V = V diag(l), determinants by cofactors), derivatives against closed
// forms computed here, and the typed errors. gradcheck, gradgradcheck, jvp and float-vs-double
// checks of every op are the linear algebra block of tests/op_cases.hpp.

#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "../helpers.hpp"

using namespace tgtest;
using tg::Tensor;

namespace {

using Matrix = std::vector<std::vector<double>>;

Matrix to_matrix(const Tensor& t) {
    const std::size_t r = t.shape()[0], c = t.shape()[1];
    const std::vector<double> v = t.to_vector();
    Matrix m(r, std::vector<double>(c));
    for (std::size_t i = 0; i < r; ++i)
        for (std::size_t j = 0; j < c; ++j) m[i][j] = v[i * c + j];
    return m;
}

Tensor from_matrix(const Matrix& m, tg::DType dtype = tg::kFloat64) {
    std::vector<double> v;
    for (const auto& row : m) v.insert(v.end(), row.begin(), row.end());
    return tg::from_vector(v, {m.size(), m.empty() ? 0 : m[0].size()}, dtype);
}

Matrix product(const Matrix& a, const Matrix& b) {
    Matrix c(a.size(), std::vector<double>(b[0].size(), 0.0));
    for (std::size_t i = 0; i < a.size(); ++i)
        for (std::size_t j = 0; j < b[0].size(); ++j)
            for (std::size_t k = 0; k < b.size(); ++k) c[i][j] += a[i][k] * b[k][j];
    return c;
}

Matrix transposed(const Matrix& a) {
    Matrix t(a[0].size(), std::vector<double>(a.size()));
    for (std::size_t i = 0; i < a.size(); ++i)
        for (std::size_t j = 0; j < a[0].size(); ++j) t[j][i] = a[i][j];
    return t;
}

void require_matrix_close(const Matrix& a, const Matrix& b, double atol, const char* what) {
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        REQUIRE(a[i].size() == b[i].size());
        for (std::size_t j = 0; j < a[i].size(); ++j) {
            INFO(what << " (" << i << ", " << j << "): " << a[i][j] << " vs " << b[i][j]);
            REQUIRE(std::abs(a[i][j] - b[i][j]) <= atol);
        }
    }
}

// 3x3 determinant and cofactor matrix (C_ij = (-1)^(i+j) minor_ij), by hand.
double det3(const Matrix& m) {
    return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
           m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
           m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
}

Matrix cofactors3(const Matrix& m) {
    Matrix c(3, std::vector<double>(3));
    for (std::size_t i = 0; i < 3; ++i) {
        for (std::size_t j = 0; j < 3; ++j) {
            const std::size_t r0 = i == 0 ? 1 : 0, r1 = i == 2 ? 1 : 2;
            const std::size_t c0 = j == 0 ? 1 : 0, c1 = j == 2 ? 1 : 2;
            const double minor = m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0];
            c[i][j] = ((i + j) % 2 == 0 ? 1.0 : -1.0) * minor;
        }
    }
    return c;
}

Matrix general_matrix(tg::Generator& gen, std::size_t n) {
    Matrix m = to_matrix(sample({n, n}, Domain::any, gen));
    for (std::size_t i = 0; i < n; ++i) m[i][i] += double(n);
    return m;
}

Matrix spd_matrix(tg::Generator& gen, std::size_t n) {
    const Matrix m = to_matrix(sample({n, n}, Domain::any, gen));
    Matrix a = product(m, transposed(m));
    for (std::size_t i = 0; i < n; ++i) a[i][i] += double(n);
    return a;
}

Matrix identity(std::size_t n) {
    Matrix e(n, std::vector<double>(n, 0.0));
    for (std::size_t i = 0; i < n; ++i) e[i][i] = 1.0;
    return e;
}

}  // namespace

TEST_CASE("solve and inverse satisfy A X = B and A A^-1 = I", "[linalg]") {
    tg::Generator gen(1601);
    for (const auto dtype : {tg::kFloat64, tg::kFloat32}) {
        const double tol = dtype == tg::kFloat64 ? 1e-12 : 1e-5;
        const Matrix a = general_matrix(gen, 4);
        const Matrix b = to_matrix(sample({4, 3}, Domain::any, gen));
        const Tensor x = tg::solve(from_matrix(a, dtype), from_matrix(b, dtype));
        REQUIRE(x.dtype() == dtype);
        require_matrix_close(product(a, to_matrix(x)), b, tol, "A X vs B");

        const Tensor v = tg::solve(from_matrix(a, dtype), from_matrix(b, dtype).detach());
        REQUIRE(v.shape() == Shape{4, 3});
        const Tensor b1 = tg::from_vector({1, -2, 0.5, 3}, {4}, dtype);
        const Tensor x1 = tg::solve(from_matrix(a, dtype), b1);
        REQUIRE(x1.shape() == Shape{4});
        const Matrix ax1 = product(a, to_matrix(tg::reshape(x1, {4, 1})));
        require_matrix_close(ax1, {{1}, {-2}, {0.5}, {3}}, tol, "A x vs b");

        const Tensor inv = tg::inverse(from_matrix(a, dtype));
        require_matrix_close(product(a, to_matrix(inv)), identity(4), tol, "A A^-1 vs I");
    }
    // Row exchanges: [[0, 1], [1, 0]] needs a pivot.
    const Tensor p = tg::from_vector({0, 1, 1, 0}, {2, 2}, tg::kFloat64);
    require_close(tg::solve(p, tg::from_vector({2, 3}, {2}, tg::kFloat64)), {3, 2}, 0);
}

TEST_CASE("det, slogdet and logdet against cofactor expansion", "[linalg]") {
    tg::Generator gen(1602);
    for (const auto dtype : {tg::kFloat64, tg::kFloat32}) {
        const double rtol = dtype == tg::kFloat64 ? 1e-13 : 1e-5;
        for (const double scale : {1.0, -1.0}) {
            Matrix a = general_matrix(gen, 3);
            for (auto& row : a)
                for (auto& x : row) x *= scale;
            const double expected = det3(a);
            const Tensor d = tg::det(from_matrix(a, dtype));
            REQUIRE(d.dim() == 0);
            require_close(d, {expected}, 0, rtol, "det");
            const auto s = tg::slogdet(from_matrix(a, dtype));
            require_close(s.sign, {expected > 0 ? 1.0 : -1.0}, 0);
            require_close(s.logabsdet, {std::log(std::abs(expected))}, rtol, 0, "logabsdet");
            const double ld = tg::logdet(from_matrix(a, dtype)).item();
            if (expected > 0) {
                REQUIRE(std::abs(ld - std::log(expected)) <= rtol);
            } else {
                REQUIRE(std::isnan(ld));
            }
        }
    }
    // A row exchange flips the sign; 0x0 has det 1; a singular matrix has det 0, sign 0, -inf.
    require_close(tg::det(tg::from_vector({0, 1, 1, 0}, {2, 2}, tg::kFloat64)), {-1}, 0);
    require_close(tg::det(tg::zeros({0, 0}, tg::kFloat64)), {1}, 0);
    const Tensor singular = tg::from_vector({1, 2, 2, 4}, {2, 2}, tg::kFloat64);
    require_close(tg::det(singular), {0}, 0);
    const auto s = tg::slogdet(singular);
    require_close(s.sign, {0}, 0);
    REQUIRE(s.logabsdet.item() == -std::numeric_limits<double>::infinity());
    REQUIRE(tg::logdet(singular).item() == -std::numeric_limits<double>::infinity());
    // NaN propagates.
    const Tensor with_nan =
        tg::from_vector({1, std::numeric_limits<double>::quiet_NaN(), 0, 1}, {2, 2}, tg::kFloat64);
    REQUIRE(std::isnan(tg::det(with_nan).item()));
}

TEST_CASE("the gradients of det and logdet are det A^-T and A^-T (cofactors by hand)", "[linalg]") {
    tg::Generator gen(1603);
    const Matrix a = general_matrix(gen, 3);
    const double d = det3(a);
    const Matrix cof = cofactors3(a);  // det A^-T = cofactor matrix
    const Tensor x = from_matrix(a).requires_grad_();
    const auto g_det = tg::grad({tg::det(x)}, {x});
    require_matrix_close(to_matrix(g_det[0]), cof, 1e-11, "d det / dA");
    const auto g_log = tg::grad({tg::slogdet(x).logabsdet}, {x});
    Matrix inv_t = cof;
    for (auto& row : inv_t)
        for (auto& v : row) v /= d;
    require_matrix_close(to_matrix(g_log[0]), inv_t, 1e-13, "d log|det| / dA");

    // Forward mode: d logdet = tr(A^-1 dA) = sum_ij (A^-T)_ij dA_ij.
    const Matrix da = to_matrix(sample({3, 3}, Domain::any, gen));
    double expected = 0;
    for (std::size_t i = 0; i < 3; ++i)
        for (std::size_t j = 0; j < 3; ++j) expected += inv_t[i][j] * da[i][j];
    const auto r =
        tg::jvp([](const std::vector<Tensor>& in) { return tg::slogdet(in[0]).logabsdet; },
                {from_matrix(a)}, {from_matrix(da)});
    require_close(r.tangent, {expected}, 1e-13, 1e-13, "jvp of logabsdet");
    const auto rd = tg::jvp([](const std::vector<Tensor>& in) { return tg::det(in[0]); },
                            {from_matrix(a)}, {from_matrix(da)});
    require_close(rd.tangent, {d * expected}, 1e-11, 1e-12, "jvp of det");
}

TEST_CASE("cholesky gives lower L with L L^T = A, reading A's lower triangle", "[linalg]") {
    tg::Generator gen(1604);
    for (const auto dtype : {tg::kFloat64, tg::kFloat32}) {
        const double tol = dtype == tg::kFloat64 ? 1e-12 : 2e-5;
        const Matrix a = spd_matrix(gen, 4);
        const Matrix l = to_matrix(tg::cholesky(from_matrix(a, dtype)));
        for (std::size_t i = 0; i < 4; ++i) {
            REQUIRE(l[i][i] > 0);
            for (std::size_t j = i + 1; j < 4; ++j) REQUIRE(l[i][j] == 0);
        }
        require_matrix_close(product(l, transposed(l)), a, tol * 10, "L L^T vs A");

        Matrix upper_garbage = a;  // the upper triangle is not read
        upper_garbage[0][3] = 1e6;
        upper_garbage[1][2] = -7;
        const Matrix l2 = to_matrix(tg::cholesky(from_matrix(upper_garbage, dtype)));
        require_matrix_close(l2, l, 0, "upper triangle ignored");
    }
}

TEST_CASE("triangular_solve and cholesky_solve against plain-loop products", "[linalg]") {
    tg::Generator gen(1605);
    const Matrix a = general_matrix(gen, 4);
    const Matrix b = to_matrix(sample({4, 2}, Domain::any, gen));
    for (const bool upper : {false, true}) {
        for (const bool tr : {false, true}) {
            Matrix t = a;  // the triangle that is read
            for (std::size_t i = 0; i < 4; ++i)
                for (std::size_t j = 0; j < 4; ++j)
                    if (upper ? j < i : j > i) t[i][j] = 0;
            const Matrix op = tr ? transposed(t) : t;
            const Tensor x = tg::triangular_solve(from_matrix(a), from_matrix(b), upper, tr);
            INFO("upper " << upper << " transpose " << tr);
            require_matrix_close(product(op, to_matrix(x)), b, 1e-12, "op(A) X vs B");
        }
    }
    const Matrix s = spd_matrix(gen, 4);
    const Tensor l = tg::cholesky(from_matrix(s));
    const Tensor x = tg::cholesky_solve(from_matrix(b), l);
    require_matrix_close(product(s, to_matrix(x)), b, 1e-12, "A X vs B");
    const Tensor x1 = tg::cholesky_solve(tg::from_vector({1, 2, 3, 4}, {4}, tg::kFloat64), l);
    REQUIRE(x1.shape() == Shape{4});
    require_matrix_close(product(s, to_matrix(tg::reshape(x1, {4, 1}))), {{1}, {2}, {3}, {4}},
                         1e-12, "A x vs b");
}

TEST_CASE("eigh: A V = V diag(l), V^T V = I, ascending, fixed signs", "[linalg]") {
    tg::Generator gen(1606);
    for (const auto dtype : {tg::kFloat64, tg::kFloat32}) {
        const double tol = dtype == tg::kFloat64 ? 1e-12 : 1e-5;
        const Matrix m = to_matrix(sample({4, 4}, Domain::any, gen));
        const Matrix a = [&] {
            Matrix s = m;
            for (std::size_t i = 0; i < 4; ++i)
                for (std::size_t j = 0; j < 4; ++j) s[i][j] = m[i][j] + m[j][i];
            return s;
        }();
        const auto e = tg::eigh(from_matrix(a, dtype));
        const std::vector<double> l = e.eigenvalues.to_vector();
        const Matrix v = to_matrix(e.eigenvectors);
        REQUIRE(l.size() == 4);
        double trace = 0, sum = 0;
        for (std::size_t i = 0; i < 4; ++i) {
            trace += a[i][i];
            sum += l[i];
            if (i > 0) REQUIRE(l[i - 1] <= l[i]);
        }
        REQUIRE(std::abs(trace - sum) <= 10 * tol);
        Matrix vl = v;
        for (std::size_t i = 0; i < 4; ++i)
            for (std::size_t j = 0; j < 4; ++j) vl[i][j] *= l[j];
        require_matrix_close(product(a, v), vl, 10 * tol, "A V vs V diag(l)");
        require_matrix_close(product(transposed(v), v), identity(4), tol, "V^T V vs I");
        for (std::size_t j = 0; j < 4; ++j) {
            std::size_t big = 0;
            for (std::size_t i = 1; i < 4; ++i)
                if (std::abs(v[i][j]) > std::abs(v[big][j])) big = i;
            REQUIRE(v[big][j] > 0);
        }
        require_close(tg::eigvalsh(from_matrix(a, dtype)), l, 0);
    }
    // A 2x2 closed form: (a + c) / 2 -+ sqrt(((a - c) / 2)^2 + b^2).
    const double a = 1.5, b = -0.7, c = -0.4;
    const double mid = (a + c) / 2, rad = std::sqrt((a - c) * (a - c) / 4 + b * b);
    require_close(tg::eigvalsh(tg::from_vector({a, b, b, c}, {2, 2}, tg::kFloat64)),
                  {mid - rad, mid + rad}, 1e-15, 1e-15);
    // NaN propagates to every output.
    const Tensor with_nan =
        tg::from_vector({1, 0, std::numeric_limits<double>::quiet_NaN(), 1}, {2, 2}, tg::kFloat64);
    for (double x : tg::eigvalsh(with_nan).to_vector()) REQUIRE(std::isnan(x));
    for (double x : tg::eigh_vectors(with_nan).to_vector()) REQUIRE(std::isnan(x));
    // Only the lower triangle is read, so a NaN above the diagonal changes nothing.
    const Tensor nan_above =
        tg::from_vector({a, std::numeric_limits<double>::quiet_NaN(), b, c}, {2, 2}, tg::kFloat64);
    require_close(tg::eigvalsh(nan_above), {mid - rad, mid + rad}, 1e-15, 1e-15);
}

TEST_CASE("eigenvalue derivatives: d tr / dA = I, d sum l^2 / dA = 2A", "[linalg]") {
    // For symmetric A, sum l = tr A and sum l^2 = ||A||_F^2: closed forms independent of the
    // eigen-decomposition.
    tg::Generator gen(1607);
    const Matrix m = to_matrix(sample({3, 3}, Domain::any, gen));
    Matrix a = m;
    for (std::size_t i = 0; i < 3; ++i)
        for (std::size_t j = 0; j < 3; ++j) a[i][j] = m[i][j] + m[j][i];
    const Tensor x = from_matrix(a).requires_grad_();
    const auto g1 = tg::grad({tg::sum(tg::eigvalsh(x))}, {x});
    require_matrix_close(to_matrix(g1[0]), identity(3), 1e-13, "d sum l / dA");
    const auto g2 = tg::grad({tg::sum(tg::square(tg::eigvalsh(x)))}, {x}, {},
                             tg::GradOptions().create_graph(true));
    Matrix twice = a;
    for (auto& row : twice)
        for (auto& v : row) v *= 2;
    require_matrix_close(to_matrix(g2[0]), twice, 1e-12, "d sum l^2 / dA");
    // Its derivative along a symmetric direction D is 2 D (second order through eigh_vectors).
    const Tensor dir = from_matrix({{1, 2, 0}, {2, -1, 3}, {0, 3, 0.5}});
    const auto h = tg::grad({tg::sum(tg::mul(g2[0], dir))}, {x});
    Matrix two_d = to_matrix(dir);
    for (auto& row : two_d)
        for (auto& v : row) v *= 2;
    require_matrix_close(to_matrix(h[0]), two_d, 1e-11, "d^2 sum l^2");
}

TEST_CASE("qr: Q R = A, Q^T Q = I, R upper with a diagonal >= 0", "[linalg]") {
    tg::Generator gen(1608);
    for (const auto dtype : {tg::kFloat64, tg::kFloat32}) {
        const double tol = dtype == tg::kFloat64 ? 1e-12 : 1e-5;
        for (const Shape& shape : {Shape{5, 3}, Shape{3, 3}}) {
            const Matrix a = to_matrix(sample(shape, Domain::any, gen));
            const auto f = tg::qr(from_matrix(a, dtype));
            REQUIRE(f.q.shape() == Shape{shape[0], 3});
            REQUIRE(f.r.shape() == Shape{3, 3});
            const Matrix q = to_matrix(f.q), r = to_matrix(f.r);
            for (std::size_t i = 0; i < 3; ++i) {
                REQUIRE(r[i][i] >= 0);
                for (std::size_t j = 0; j < i; ++j) REQUIRE(r[i][j] == 0);
            }
            require_matrix_close(product(q, r), a, 10 * tol, "Q R vs A");
            require_matrix_close(product(transposed(q), q), identity(3), tol, "Q^T Q vs I");
        }
    }
    // A column of zeros: the factorisation exists, the derivative (which needs R^-1) throws.
    const Tensor deficient =
        tg::from_vector({1, 0, 2, 0, 3, 0}, {3, 2}, tg::kFloat64).requires_grad_();
    require_close(tg::qr_r(deficient), {std::sqrt(14.0), 0, 0, 0}, 1e-15);
    require_throws<tg::NumericError>([&] { tg::grad({tg::sum(tg::qr_r(deficient))}, {deficient}); },
                                     {"qr", "singular"});
}

TEST_CASE("svdvals: descending, sum s^2 = ||A||_F^2, prod s^2 = det(A^T A)", "[linalg]") {
    tg::Generator gen(1609);
    for (const auto dtype : {tg::kFloat64, tg::kFloat32}) {
        const double rtol = dtype == tg::kFloat64 ? 1e-12 : 1e-5;
        for (const Shape& shape : {Shape{5, 3}, Shape{3, 5}, Shape{3, 3}}) {
            INFO(tg::shape_str(shape));
            const Matrix a = to_matrix(sample(shape, Domain::any, gen));
            const std::vector<double> s = tg::svdvals(from_matrix(a, dtype)).to_vector();
            REQUIRE(s.size() == 3);
            double frob = 0, sum_sq = 0, prod_sq = 1;
            for (const auto& row : a)
                for (double x : row) frob += x * x;
            for (std::size_t i = 0; i < 3; ++i) {
                sum_sq += s[i] * s[i];
                prod_sq *= s[i] * s[i];
                if (i > 0) REQUIRE(s[i - 1] >= s[i]);
            }
            const Matrix gram =
                shape[0] >= shape[1] ? product(transposed(a), a) : product(a, transposed(a));
            REQUIRE(std::abs(sum_sq - frob) <= rtol * frob);
            REQUIRE(std::abs(prod_sq - det3(gram)) <= rtol * std::abs(det3(gram)));
        }
    }
    // d sum(s^2) / dA = 2A, tall and wide.
    for (const Shape& shape : {Shape{4, 3}, Shape{3, 4}}) {
        const Matrix a = to_matrix(sample(shape, Domain::any, gen));
        const Tensor x = from_matrix(a).requires_grad_();
        const auto g = tg::grad({tg::sum(tg::square(tg::svdvals(x)))}, {x});
        Matrix twice = a;
        for (auto& row : twice)
            for (auto& v : row) v *= 2;
        require_matrix_close(to_matrix(g[0]), twice, 1e-12, "d sum s^2 / dA");
    }
    require_close(tg::svdvals(tg::from_vector({0, 3, -4, 0}, {2, 2}, tg::kFloat64)), {4, 3}, 1e-15);
    REQUIRE(tg::svdvals(tg::zeros({0, 3}, tg::kFloat64)).shape() == Shape{0});
}

TEST_CASE("batches [..., n, n] give each item's 2-D result", "[linalg]") {
    tg::Generator gen(1610);
    // Two batch axes [2, 3]; items well conditioned, symmetric positive definite.
    const Shape batch{2, 3};
    std::vector<Tensor> items, rhs;
    for (std::size_t i = 0; i < 6; ++i) {
        items.push_back(from_matrix(spd_matrix(gen, 3)));
        rhs.push_back(sample({3, 2}, Domain::any, gen));
    }
    const Tensor a = tg::reshape(tg::stack(items, 0), {2, 3, 3, 3});
    const Tensor b = tg::reshape(tg::stack(rhs, 0), {2, 3, 3, 2});
    using Op = std::function<Tensor(const Tensor&, const Tensor&)>;
    const std::vector<std::pair<const char*, Op>> ops{
        {"solve", [](const Tensor& x, const Tensor& y) { return tg::solve(x, y); }},
        {"inverse", [](const Tensor& x, const Tensor&) { return tg::inverse(x); }},
        {"det", [](const Tensor& x, const Tensor&) { return tg::det(x); }},
        {"slogdet sign", [](const Tensor& x, const Tensor&) { return tg::slogdet(x).sign; }},
        {"logdet", [](const Tensor& x, const Tensor&) { return tg::logdet(x); }},
        {"cholesky", [](const Tensor& x, const Tensor&) { return tg::cholesky(x); }},
        {"triangular_solve",
         [](const Tensor& x, const Tensor& y) { return tg::triangular_solve(x, y, false, true); }},
        {"cholesky_solve",
         [](const Tensor& x, const Tensor& y) { return tg::cholesky_solve(y, x); }},
        {"eigvalsh", [](const Tensor& x, const Tensor&) { return tg::eigvalsh(x); }},
        {"eigh_vectors", [](const Tensor& x, const Tensor&) { return tg::eigh_vectors(x); }},
        {"qr_r", [](const Tensor& x, const Tensor&) { return tg::qr_r(x); }},
        {"svdvals", [](const Tensor& x, const Tensor&) { return tg::svdvals(x); }},
    };
    for (const auto& [name, op] : ops) {
        INFO(name);
        const Tensor whole = op(a, b);
        REQUIRE(whole.shape().size() >= 2);
        REQUIRE(Shape(whole.shape().begin(), whole.shape().begin() + 2) == batch);
        std::vector<double> expected;
        for (std::size_t i = 0; i < 6; ++i) {
            const std::vector<double> one = op(items[i], rhs[i]).to_vector();
            expected.insert(expected.end(), one.begin(), one.end());
        }
        require_close(whole, expected, 0);
    }
    // A batch of vectors as the right-hand side: one axis fewer than A.
    const Tensor v = sample({2, 3, 3}, Domain::any, gen);
    const Tensor x = tg::solve(a, v);
    REQUIRE(x.shape() == Shape{2, 3, 3});
    const Tensor v5 = tg::reshape(tg::slice(tg::slice(v, 0, 1, 2), 1, 2, 3), {3});
    require_close(tg::reshape(tg::slice(tg::slice(x, 0, 1, 2), 1, 2, 3), {3}),
                  tg::solve(items[5], v5).to_vector(), 0);
    // Empty batches, and batch axes that differ.
    REQUIRE(tg::det(tg::zeros({0, 3, 3}, tg::kFloat64)).shape() == Shape{0});
    REQUIRE(tg::eigvalsh(tg::zeros({2, 0, 3, 3}, tg::kFloat64)).shape() == Shape{2, 0, 3});
    REQUIRE(
        tg::solve(tg::zeros({0, 3, 3}, tg::kFloat64), tg::zeros({0, 3, 2}, tg::kFloat64)).shape() ==
        Shape{0, 3, 2});
    require_throws<tg::ShapeError>(
        [&] {
            tg::solve(a, tg::zeros({3, 3, 2}, tg::kFloat64));
        },
        {"solve", "batch", "[2, 3, 3, 3]", "[3, 3, 2]"});
    require_throws<tg::ShapeError>(
        [&] {
            tg::det(tg::zeros({4, 2, 3}, tg::kFloat64));
        },
        {"det", "[4, 2, 3]"});
}

TEST_CASE("linear algebra ops reject bad shapes and singular or indefinite matrices",
          "[linalg][errors]") {
    const Tensor rect = tg::zeros({2, 3}, tg::kFloat64);
    const Tensor vec = tg::zeros({3}, tg::kFloat64);
    const Tensor sq = tg::eye(3, tg::kFloat64);
    require_throws<tg::ShapeError>([&] { tg::solve(rect, vec); }, {"solve", "[2, 3]"});
    require_throws<tg::ShapeError>([&] { tg::inverse(rect); }, {"inverse", "[2, 3]"});
    require_throws<tg::ShapeError>([&] { tg::det(vec); }, {"det", "[3]"});
    require_throws<tg::ShapeError>([&] { tg::slogdet(rect); }, {"slogdet", "[2, 3]"});
    require_throws<tg::ShapeError>([&] { tg::logdet(rect); }, {"logdet", "[2, 3]"});
    require_throws<tg::ShapeError>([&] { tg::cholesky(rect); }, {"cholesky", "[2, 3]"});
    require_throws<tg::ShapeError>([&] { tg::eigvalsh(rect); }, {"eigvalsh", "[2, 3]"});
    require_throws<tg::ShapeError>([&] { tg::eigh(rect); }, {"eigh", "[2, 3]"});
    require_throws<tg::ShapeError>([&] { tg::triangular_solve(rect, vec, false); },
                                   {"triangular_solve", "[2, 3]"});
    require_throws<tg::ShapeError>([&] { tg::cholesky_solve(vec, rect); },
                                   {"cholesky_solve", "[2, 3]"});
    require_throws<tg::ShapeError>(
        [&] {
            tg::solve(sq, tg::zeros({2, 2}, tg::kFloat64));
        },
        {"solve", "[3, 3]", "[2, 2]"});
    require_throws<tg::DTypeError>([&] { tg::solve(sq, tg::zeros({3}, tg::kFloat32)); }, {"solve"});

    const Tensor singular = tg::from_vector({1, 2, 2, 4}, {2, 2}, tg::kFloat64);
    require_throws<tg::NumericError>([&] { tg::solve(singular, tg::ones({2}, tg::kFloat64)); },
                                     {"solve", "singular"});
    require_throws<tg::NumericError>([&] { tg::inverse(singular); }, {"inverse", "singular"});
    const Tensor zero_diag = tg::from_vector({1, 0, 5, 0}, {2, 2}, tg::kFloat64);
    require_throws<tg::NumericError>(
        [&] { tg::triangular_solve(zero_diag, tg::ones({2}, tg::kFloat64), false); },
        {"triangular_solve", "singular", "diagonal entry 1"});
    // The derivative of det at a singular matrix needs A^-1 (see the header).
    const Tensor s = singular.detach().requires_grad_();
    require_throws<tg::NumericError>([&] { tg::grad({tg::det(s)}, {s}); }, {"singular"});

    const Tensor indefinite = tg::from_vector({1, 2, 2, 1}, {2, 2}, tg::kFloat64);
    require_throws<tg::NumericError>([&] { tg::cholesky(indefinite); },
                                     {"cholesky", "not positive definite", "leading minor 2"});
    const Tensor nan_below =
        tg::from_vector({4, 0, std::numeric_limits<double>::quiet_NaN(), 4}, {2, 2}, tg::kFloat64);
    for (double x : tg::cholesky(nan_below).to_vector()) REQUIRE(std::isnan(x));  // propagates
    const Tensor negative = tg::from_vector({-1, 0, 0, 1}, {2, 2}, tg::kFloat32);
    require_throws<tg::NumericError>([&] { tg::cholesky(negative); }, {"leading minor 1"});
}

TEST_CASE("linear algebra ops on 0x0 and 1x1 matrices", "[linalg]") {
    const Tensor empty = tg::zeros({0, 0}, tg::kFloat64);
    REQUIRE(tg::inverse(empty).shape() == Shape{0, 0});
    REQUIRE(tg::cholesky(empty).shape() == Shape{0, 0});
    REQUIRE(tg::eigvalsh(empty).shape() == Shape{0});
    REQUIRE(tg::eigh_vectors(empty).shape() == Shape{0, 0});
    require_close(tg::slogdet(empty).logabsdet, {0}, 0);
    const Tensor one = tg::from_vector({4}, {1, 1}, tg::kFloat64);
    require_close(tg::inverse(one), {0.25}, 0);
    require_close(tg::cholesky(one), {2}, 0);
    require_close(tg::eigvalsh(one), {4}, 0);
    require_close(tg::eigh_vectors(one), {1}, 0);
}
