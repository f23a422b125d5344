// Hessian spectrum tools on models whose Hessian is known exactly: a quadratic
// 1/2 p^T A p + b^T p with A = Q diag(lambda) Q^T built in the test, and linear least squares
// through nn::Linear, whose Hessian is (1/N) sum_r [x_r; 1][x_r; 1]^T per output, built with
// plain loops. Eigenvalues are compared with LAPACK's dense decomposition (xtensor-blas), the
// trace with its statistical error (whose size is checked against the exact variance of
// Hutchinson's estimator), the density with the true eigenvalues.

#include <algorithm>
#include <cmath>
#include <numeric>

#include <xtensor-blas/xlinalg.hpp>
#include <xtensor/xtensor.hpp>

#include "../helpers.hpp"

using namespace tgtest;
using namespace tg;

namespace {

using Matrix = xt::xtensor<double, 2>;
using Vec = std::vector<double>;

// A random orthogonal matrix: Gram-Schmidt on Gaussian columns.
Matrix random_orthogonal(std::size_t n, Generator& gen) {
    Matrix q = xt::zeros<double>({n, n});
    for (std::size_t c = 0; c < n; ++c) {
        for (std::size_t r = 0; r < n; ++r) q(r, c) = gen.normal();
        for (int pass = 0; pass < 2; ++pass) {
            for (std::size_t p = 0; p < c; ++p) {
                double d = 0;
                for (std::size_t r = 0; r < n; ++r) d += q(r, p) * q(r, c);
                for (std::size_t r = 0; r < n; ++r) q(r, c) -= d * q(r, p);
            }
        }
        double s = 0;
        for (std::size_t r = 0; r < n; ++r) s += q(r, c) * q(r, c);
        for (std::size_t r = 0; r < n; ++r) q(r, c) /= std::sqrt(s);
    }
    return q;
}

// Q diag(lambda) Q^T, with plain loops.
Matrix with_spectrum(const Vec& lambda, const Matrix& q) {
    const std::size_t n = lambda.size();
    Matrix a = xt::zeros<double>({n, n});
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = i; j < n; ++j) {
            for (std::size_t k = 0; k < n; ++k) a(i, j) += q(i, k) * lambda[k] * q(j, k);
            a(j, i) = a(i, j);  // exactly symmetric
        }
    }
    return a;
}

Vec matvec(const Matrix& a, const Vec& x) {
    Vec y(a.shape()[0], 0.0);
    for (std::size_t i = 0; i < y.size(); ++i)
        for (std::size_t j = 0; j < x.size(); ++j) y[i] += a(i, j) * x[j];
    return y;
}

double dot(const Vec& a, const Vec& b) {
    return std::inner_product(a.begin(), a.end(), b.begin(), 0.0);
}

// The dense reference: LAPACK's eigenvalues (ascending) and eigenvectors (columns).
struct Dense {
    Vec values;
    Matrix vectors;
};
Dense dense_eigen(const Matrix& a) {
    auto [w, v] = xt::linalg::eigh(a);
    Dense d;
    d.values.assign(w.begin(), w.end());
    d.vectors = v;
    return d;
}

// The first k of `values` in the order an EigenOrder asks for.
Vec top(Vec values, std::size_t k, EigenOrder which) {
    std::sort(values.begin(), values.end(), [&](double a, double b) {
        if (which == EigenOrder::largest) return a > b;
        if (which == EigenOrder::smallest) return a < b;
        return std::abs(a) > std::abs(b);
    });
    values.resize(k);
    return values;
}

// The quadratic model: parameters P1 [3, 4] and P2 [6] (n = 18), flattened in that order, with
// loss 1/2 p^T A p + b^T p. Its Hessian is A.
struct Quadratic {
    Quadratic(const Vec& lambda, std::uint64_t seed, DType dtype = kFloat64) {
        Generator gen(seed);
        n = lambda.size();
        REQUIRE(n == 18);
        q = random_orthogonal(n, gen);
        a = with_spectrum(lambda, q);
        Vec av(a.begin(), a.end());
        A = from_vector(av, {n, n}, dtype);
        b = sample({n, 1}, Domain::any, gen, dtype);
        P1 = to_dtype(sample({3, 4}, Domain::any, gen), dtype).requires_grad_();
        P2 = to_dtype(sample({6}, Domain::any, gen), dtype).requires_grad_();
        P1.set_name("P1");
        P2.set_name("P2");
    }
    Tensor loss() const {
        const Tensor p = reshape(concat({reshape(P1, {-1}), P2}, 0), {-1, 1});
        return 0.5 * sum(p * matmul(A, p)) + sum(b * p);
    }
    std::vector<Tensor> params() const { return {P1, P2}; }

    std::size_t n;
    Matrix q, a;
    Tensor A, b, P1, P2;
};

// Spectrum with distinct, well separated extremes; by magnitude: 20, 14, -11, 9, 6, ...
const Vec kLambda = {20,  14,  9,   6,   -11, 4,    3.2,  2.5,  1.9,
                     1.4, 1.0, 0.7, 0.4, 0.1, -0.3, -0.8, -1.5, -2.2};

// Linear least squares through nn::Linear(in, out): batches of rows x_r [in] and targets,
// loss_b = quadratic_cost = 1/(2 N_b) sum_r ||y_r - (W x_r + b)||^2.
struct LeastSquares {
    LeastSquares(std::size_t in, std::size_t out, const std::vector<std::size_t>& sizes,
                 std::uint64_t seed)
        : in_features(in), out_features(out) {
        Generator gen(seed);
        linear = std::make_shared<nn::Linear>(nn::LinearOptions(in, out).dtype(kFloat64), gen);
        for (std::size_t nb : sizes) {
            xs.push_back(sample({nb, in}, Domain::any, gen));
            ys.push_back(sample({nb, out}, Domain::any, gen));
        }
    }
    Tensor loss(std::size_t b) { return quadratic_cost((*linear)(xs[b]), ys[b]); }

    // The exact Hessian of sum_b w_b loss_b (weights normalised), flat index of W[o, i] is
    // o * in + i and of bias[o] is out * in + o, as the parameter list lays them out.
    Matrix hessian(Vec weights) const {
        const std::size_t n = out_features * (in_features + 1);
        const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
        Matrix h = xt::zeros<double>({n, n});
        for (std::size_t b = 0; b < xs.size(); ++b) {
            const auto x = xs[b].to_vector();
            const std::size_t rows = xs[b].shape()[0];
            const double scale = weights[b] / total / static_cast<double>(rows);
            for (std::size_t o = 0; o < out_features; ++o) {
                auto index = [&](std::size_t i) {  // i == in_features: the bias
                    return i < in_features ? o * in_features + i : out_features * in_features + o;
                };
                for (std::size_t r = 0; r < rows; ++r) {
                    for (std::size_t i = 0; i <= in_features; ++i) {
                        const double xi = i < in_features ? x[r * in_features + i] : 1.0;
                        for (std::size_t j = 0; j <= in_features; ++j) {
                            const double xj = j < in_features ? x[r * in_features + j] : 1.0;
                            h(index(i), index(j)) += scale * xi * xj;
                        }
                    }
                }
            }
        }
        return h;
    }

    std::size_t in_features, out_features;
    std::shared_ptr<nn::Linear> linear;
    std::vector<Tensor> xs, ys;
};

// |<u, v>| for unit vectors: 1 when they span the same line.
double alignment(const Vec& u, const Matrix& vectors, std::size_t column) {
    double d = 0;
    for (std::size_t i = 0; i < u.size(); ++i) d += u[i] * vectors(i, column);
    return std::abs(d);
}

std::size_t column_of(const Dense& d, double value) {
    std::size_t best = 0;
    for (std::size_t i = 1; i < d.values.size(); ++i)
        if (std::abs(d.values[i] - value) < std::abs(d.values[best] - value)) best = i;
    return best;
}

}  // namespace

TEST_CASE("HessianOperator: products equal the exact Hessian times x", "[hessian_spectrum]") {
    LeastSquares ls(4, 2, {7, 5, 9}, 31);
    Generator gen(32);
    Vec x(ls.out_features * (ls.in_features + 1));
    for (double& v : x) v = gen.normal();
    for (const Vec& weights : {Vec{1, 1, 1}, Vec{7, 5, 9}, Vec{0, 2, 1}}) {
        const Vec expect = matvec(ls.hessian(weights), x);
        for (auto mode : {HvpMode::reverse_over_reverse, HvpMode::forward_over_reverse}) {
            for (bool cache : {true, false}) {
                INFO("mode " << int(mode) << " cache " << cache << " weights " << weights[0]);
                HessianOperatorOptions o;
                o.mode = mode;
                o.cache_graphs = cache;
                o.batch_weights = weights;
                HessianOperator H([&](std::size_t b) { return ls.loss(b); }, 3,
                                  ls.linear->parameters(), o);
                REQUIRE(H.size() == x.size());
                require_close(H(x), expect, 1e-13, 1e-12);
                require_close(H(x), expect, 1e-13, 1e-12);  // the cache is reusable
                CHECK(H.products() == 2);
                // The loss is the weighted average of the batches' losses.
                double loss = 0, total = 0;
                for (std::size_t b = 0; b < 3; ++b) {
                    loss += weights[b] * ls.loss(b).item();
                    total += weights[b];
                }
                CHECK(H.loss() == Approx(loss / total).epsilon(1e-14));
            }
        }
    }
}

TEST_CASE("HessianOperator: flatten and unflatten follow the parameter list",
          "[hessian_spectrum]") {
    Quadratic quad(kLambda, 33);
    HessianOperator H([&] { return quad.loss(); }, quad.params());
    Vec flat(18);
    std::iota(flat.begin(), flat.end(), 0.0);
    const auto ts = H.unflatten(flat);
    REQUIRE(ts.size() == 2);
    CHECK(ts[0].shape() == Shape{3, 4});
    CHECK(ts[1].shape() == Shape{6});
    CHECK(ts[1].to_vector()[0] == 12.0);
    CHECK(H.flatten(ts) == flat);
    // The quadratic's Hessian is A: H e_5 is A's column 5.
    Vec e(18, 0.0);
    e[5] = 1;
    Vec col(18);
    for (std::size_t i = 0; i < 18; ++i) col[i] = quad.a(i, 5);
    require_close(H(e), col, 1e-13);
}

TEST_CASE("HessianOperator: bad input gets clear errors", "[hessian_spectrum][errors]") {
    Quadratic quad(kLambda, 34);
    const Tensor frozen = ones({2}, kFloat64);
    require_throws<GraphError>(
        [&] {
            HessianOperator H([&] { return quad.loss(); }, {quad.P1, frozen});
        },
        {"HessianOperator", "parameter 1", "requires grad"});
    require_throws<ValueError>(
        [&] { HessianOperator H([&] { return quad.P1 * 2.0; }, quad.params()); },
        {"HessianOperator", "[3, 4]", "scalar"});
    HessianOperator H([&] { return quad.loss(); }, quad.params());
    require_throws<ShapeError>([&] { H(Vec(17, 1.0)); }, {"17", "18"});
    require_throws<ValueError>([&] { hessian_eigenpairs_lanczos(H, 0); }, {"k = 0"});
    require_throws<ValueError>([&] { hessian_eigenpairs_power(H, 19); }, {"k = 19", "18"});
    require_throws<ValueError>(
        [&] {
            LanczosOptions o;
            o.max_iter = 2;
            hessian_eigenpairs_lanczos(H, 3, o);
        },
        {"max_iter"});
    require_throws<ValueError>(
        [&] {
            HutchinsonOptions o;
            o.max_samples = 1;
            hessian_trace(H, o);
        },
        {"max_samples"});
    require_throws<ValueError>(
        [&] {
            HessianOperatorOptions o;
            o.batch_weights = {1, 2};
            HessianOperator W([&](std::size_t) { return quad.loss(); }, 3, quad.params(), o);
        },
        {"2 batch weights for 3 batches"});
    // Parameters changed after the graphs were cached: the cached graph refuses.
    {
        NoGradGuard no_grad;
        quad.P2.mutable_array<double>()(0) += 1;
    }
    require_throws<GraphError>([&] { H(Vec(18, 1.0)); }, {"modified in place"});
}

TEST_CASE("Lanczos finds the extreme eigenpairs of a quadratic to 1e-8", "[hessian_spectrum]") {
    Quadratic quad(kLambda, 35);
    const Dense dense = dense_eigen(quad.a);
    HessianOperator H([&] { return quad.loss(); }, quad.params());
    for (auto [which, k] : {std::pair{EigenOrder::largest, std::size_t{4}},
                            std::pair{EigenOrder::smallest, std::size_t{3}},
                            std::pair{EigenOrder::largest_magnitude, std::size_t{5}}}) {
        INFO("which " << int(which) << " k " << k);
        LanczosOptions o;
        o.tolerance = 1e-12;
        o.seed = 5;
        o.which = which;
        const EigenResult r = hessian_eigenpairs_lanczos(H, k, o);
        CHECK(r.converged);
        CHECK(r.iterations <= 18);
        CHECK(r.products == r.iterations);
        require_close(r.eigenvalues, top(dense.values, k, which), 1e-8, 0, "eigenvalues");
        for (std::size_t i = 0; i < k; ++i) {
            INFO("pair " << i);
            CHECK(r.residuals[i] <= 1e-12 * 20 * 1.0000001);
            const std::size_t c = column_of(dense, r.eigenvalues[i]);
            CHECK(alignment(r.eigenvectors[i], dense.vectors, c) == Approx(1).margin(1e-8));
        }
    }
}

TEST_CASE("power iteration with deflation finds the dominant eigenpairs of a quadratic to 1e-8",
          "[hessian_spectrum]") {
    Quadratic quad(kLambda, 36);
    const Dense dense = dense_eigen(quad.a);
    HessianOperator H([&] { return quad.loss(); }, quad.params());
    PowerIterationOptions o;
    o.tolerance = 1e-11;
    o.max_iter = 2000;
    o.seed = 3;
    const EigenResult r = hessian_eigenpairs_power(H, 5, o);
    CHECK(r.converged);
    // By magnitude: 20, 14, -11, 9, 6.
    require_close(r.eigenvalues, top(dense.values, 5, EigenOrder::largest_magnitude), 1e-8, 0);
    for (std::size_t i = 0; i < 5; ++i) {
        INFO("pair " << i);
        CHECK(r.residuals[i] <= 1e-11 * 20);
        const std::size_t c = column_of(dense, r.eigenvalues[i]);
        CHECK(alignment(r.eigenvectors[i], dense.vectors, c) == Approx(1).margin(1e-8));
    }
    CHECK(r.products == r.iterations);
    // Each further eigenpair costs products: the counters add up.
    CHECK(H.products() == r.products);
}

TEST_CASE("eigenpairs of linear least squares over several batches match LAPACK to 1e-8",
          "[hessian_spectrum]") {
    // One output: the Hessian (1/N) X~^T X~ (averaged over batches) has distinct eigenvalues.
    LeastSquares ls(6, 1, {20, 30, 25}, 37);
    const Dense dense = dense_eigen(ls.hessian({1, 1, 1}));
    HessianOperator H([&](std::size_t b) { return ls.loss(b); }, 3, ls.linear->parameters());
    LanczosOptions lo;
    lo.tolerance = 1e-12;
    const EigenResult lanczos = hessian_eigenpairs_lanczos(H, 3, lo);
    CHECK(lanczos.converged);
    require_close(lanczos.eigenvalues, top(dense.values, 3, EigenOrder::largest), 1e-8, 0);
    PowerIterationOptions po;
    po.tolerance = 1e-11;
    po.max_iter = 3000;
    const EigenResult power = hessian_eigenpairs_power(H, 3, po);
    CHECK(power.converged);
    require_close(power.eigenvalues, top(dense.values, 3, EigenOrder::largest_magnitude), 1e-8, 0);
}

TEST_CASE("repeated eigenvalues: power iteration finds every copy, Lanczos each value once",
          "[hessian_spectrum]") {
    // Two outputs share the inputs: every eigenvalue of the Hessian appears twice.
    LeastSquares ls(5, 2, {15, 12}, 38);
    const Dense dense = dense_eigen(ls.hessian({1, 1}));
    HessianOperator H([&](std::size_t b) { return ls.loss(b); }, 2, ls.linear->parameters());
    const Vec sorted = top(dense.values, 12, EigenOrder::largest);
    REQUIRE(sorted[0] - sorted[1] < 1e-12);  // the multiplicity is there
    PowerIterationOptions po;
    po.tolerance = 1e-11;
    po.max_iter = 3000;
    const EigenResult power = hessian_eigenpairs_power(H, 4, po);
    CHECK(power.converged);
    require_close(power.eigenvalues, {sorted[0], sorted[1], sorted[2], sorted[3]}, 1e-8, 0);
    CHECK(std::abs(dot(power.eigenvectors[0], power.eigenvectors[1])) < 1e-8);

    LanczosOptions lo;
    lo.tolerance = 1e-12;
    const EigenResult distinct = hessian_eigenpairs_lanczos(H, 3, lo);
    require_close(distinct.eigenvalues, {sorted[0], sorted[2], sorted[4]}, 1e-8, 0);
    // Asking for more pairs than one Krylov space holds (6 distinct values) makes Lanczos
    // continue from a fresh vector when the space closes: then it finds the copies too.
    lo.max_iter = 12;
    const EigenResult all = hessian_eigenpairs_lanczos(H, 8, lo);
    CHECK(all.iterations == 12);
    require_close(all.eigenvalues, Vec(sorted.begin(), sorted.begin() + 8), 1e-8, 0);
}

TEST_CASE("eigenpairs of float parameters agree to float precision", "[hessian_spectrum]") {
    Quadratic quad(kLambda, 39, kFloat32);
    HessianOperator H([&] { return quad.loss(); }, quad.params());
    LanczosOptions o;
    o.tolerance = 1e-5;
    const EigenResult r = hessian_eigenpairs_lanczos(H, 2, o);
    // The exact Hessian is A rounded to float: compare with that matrix's eigenvalues.
    Matrix af = quad.a;
    for (double& v : af) v = static_cast<double>(static_cast<float>(v));
    require_close(r.eigenvalues, top(dense_eigen(af).values, 2, EigenOrder::largest), 2e-4, 0);
}

TEST_CASE("the spectrum tools are deterministic in their seed", "[hessian_spectrum]") {
    Quadratic quad(kLambda, 40);
    HessianOperator H([&] { return quad.loss(); }, quad.params());
    HutchinsonOptions t;
    t.max_samples = 20;
    t.tolerance = 0;
    const double a = hessian_trace(H, t).estimate, b = hessian_trace(H, t).estimate;
    t.seed = 1;
    const double c = hessian_trace(H, t).estimate;
    CHECK(a == b);
    CHECK(a != c);
    LanczosOptions lo;
    lo.max_iter = 5;  // not converged: the result depends on the start
    CHECK(hessian_eigenpairs_lanczos(H, 1, lo).eigenvalues ==
          hessian_eigenpairs_lanczos(H, 1, lo).eigenvalues);
    SlqOptions so;
    so.lanczos_steps = 4;
    CHECK(hessian_spectral_density(H, so).moment(2) == hessian_spectral_density(H, so).moment(2));
}

TEST_CASE(
    "Hutchinson: the trace within its statistical error, the error against the exact "
    "variance",
    "[hessian_spectrum][trace]") {
    // A 10 x 10 Hessian: small enough to enumerate all 2^10 Rademacher vectors, which gives the
    // exact variance and fourth central moment of one sample z^T A z.
    LeastSquares ls(4, 2, {9, 6}, 41);  // n = 2 * 5 = 10
    const Matrix a = ls.hessian({1, 1});
    const std::size_t n = 10;
    double trace = 0, off = 0;
    for (std::size_t i = 0; i < n; ++i) {
        trace += a(i, i);
        for (std::size_t j = 0; j < n; ++j)
            if (i != j) off += a(i, j) * a(i, j);
    }
    const double variance = 2 * off;  // Var(z^T A z) for Rademacher z
    double var_enum = 0, mu4 = 0;
    for (std::size_t bits = 0; bits < (1u << n); ++bits) {
        Vec z(n);
        for (std::size_t i = 0; i < n; ++i) z[i] = (bits >> i) & 1 ? 1.0 : -1.0;
        const double d = dot(z, matvec(a, z)) - trace;
        var_enum += d * d / (1u << n);
        mu4 += d * d * d * d / (1u << n);
    }
    REQUIRE(var_enum == Approx(variance).epsilon(1e-12));  // the formula, checked once

    HessianOperator H([&](std::size_t b) { return ls.loss(b); }, 2, ls.linear->parameters());
    HutchinsonOptions o;
    o.max_samples = o.min_samples = 400;
    o.tolerance = 0;
    for (std::uint64_t seed : {0u, 1u, 2u}) {
        INFO("seed " << seed);
        o.seed = seed;
        const TraceEstimate t = hessian_trace(H, o);
        REQUIRE(t.samples == 400);
        CHECK_FALSE(t.converged);
        const double m = 400;
        const double se_true = std::sqrt(variance / m);
        CHECK(std::abs(t.estimate - trace) <= 4 * se_true);
        // The reported standard error: s^2 / m with s^2 the sample variance, whose own
        // standard deviation is sqrt(mu4 / m - variance^2 (m - 3) / (m (m - 1))).
        const double s2 = t.standard_error * t.standard_error * m;
        const double sd_s2 = std::sqrt(mu4 / m - variance * variance * (m - 3) / (m * (m - 1)));
        CHECK(std::abs(s2 - variance) <= 4 * sd_s2);
        CHECK(t.products == 400);
        double mean = 0;
        for (double v : t.sample_values) mean += v / m;
        CHECK(mean == Approx(t.estimate).epsilon(1e-12));
    }
    // Early stop: a relative tolerance of 5% is met before max_samples.
    o.min_samples = 10;
    o.max_samples = 100000;
    o.tolerance = 0.05;
    const TraceEstimate early = hessian_trace(H, o);
    CHECK(early.converged);
    CHECK(early.samples < 100000);
    CHECK(early.standard_error <= 0.05 * std::abs(early.estimate));
}

TEST_CASE("Hutchinson is exact, with zero error, on a diagonal Hessian",
          "[hessian_spectrum][trace]") {
    const Tensor p = from_vector({0.5, -1, 2, 3}, {4}, kFloat64).requires_grad_();
    const Tensor d = from_vector({3, -1, 0.5, 7}, {4}, kFloat64);
    HessianOperator H([&] { return 0.5 * sum(d * square(p)); }, {p});
    const TraceEstimate t = hessian_trace(H);
    CHECK(t.estimate == Approx(9.5).epsilon(1e-14));
    CHECK(t.standard_error == Approx(0).margin(1e-14));
    CHECK(t.converged);
    CHECK(t.samples == HutchinsonOptions().min_samples);
}

TEST_CASE("Lanczos quadrature reproduces the moments v^T A^p v / v^T v exactly to degree 2m-1",
          "[hessian_spectrum][density]") {
    Quadratic quad(kLambda, 42);
    HessianOperator H([&] { return quad.loss(); }, quad.params());
    Generator gen(43);
    Vec v(18);
    for (double& x : v) x = gen.normal();
    const std::size_t m = 5;
    const Quadrature q = lanczos_quadrature(H, v, m);
    REQUIRE(q.nodes.size() == m);
    CHECK(std::accumulate(q.weights.begin(), q.weights.end(), 0.0) == Approx(1).epsilon(1e-13));
    Vec apv = v;  // A^p v
    const double vv = dot(v, v);
    for (int p = 0; p <= int(2 * m - 1); ++p) {
        INFO("moment " << p);
        double quad_moment = 0;
        for (std::size_t k = 0; k < m; ++k) quad_moment += q.weights[k] * std::pow(q.nodes[k], p);
        const double exact = dot(v, apv) / vv;
        CHECK(quad_moment == Approx(exact).epsilon(1e-10).margin(1e-10));
        apv = matvec(quad.a, apv);
    }
    // Degree 2m is beyond the rule: it no longer matches (A has more than m eigenvalues).
    double quad_moment = 0;
    for (std::size_t k = 0; k < m; ++k) quad_moment += q.weights[k] * std::pow(q.nodes[k], 2 * m);
    CHECK(std::abs(quad_moment - dot(v, apv) / vv) > 1e-6 * std::abs(dot(v, apv) / vv));
}

TEST_CASE("SLQ density: all mass on the true eigenvalues, 1/n each within statistical error",
          "[hessian_spectrum][density]") {
    Quadratic quad(kLambda, 44);
    const Dense dense = dense_eigen(quad.a);
    const std::size_t n = 18;
    HessianOperator H([&] { return quad.loss(); }, quad.params());
    SlqOptions o;
    o.num_vectors = 200;
    o.lanczos_steps = n;  // the full space: the nodes are the eigenvalues
    o.seed = 9;
    const SpectralDensity rho = hessian_spectral_density(H, o);
    REQUIRE(rho.rules.size() == 200);
    CHECK(rho.dimension == n);
    CHECK(rho.products == 200 * n);
    for (const Quadrature& q : rho.rules) {
        REQUIRE(q.nodes.size() == n);
        require_close(q.nodes, dense.values, 1e-8, 0, "nodes");
    }
    CHECK(rho.min_node() == Approx(-11).epsilon(1e-10));
    CHECK(rho.max_node() == Approx(20).epsilon(1e-10));
    Vec sorted = dense.values;  // ascending
    const double sigma = 0.01;
    for (std::size_t i = 0; i < n; ++i) {
        INFO("eigenvalue " << sorted[i]);
        const double lo = i == 0 ? sorted[0] - 1 : 0.5 * (sorted[i - 1] + sorted[i]);
        const double hi = i + 1 == n ? sorted[n - 1] + 1 : 0.5 * (sorted[i] + sorted[i + 1]);
        // The weight of eigenvalue i from a normalised Rademacher vector z / sqrt(n) is
        // (z . u_i)^2 / n: mean 1/n, variance (2 - 2 sum_j u_ij^4) / n^2.
        double u4 = 0;
        for (std::size_t j = 0; j < n; ++j) u4 += std::pow(dense.vectors(j, i), 4);
        const double se = std::sqrt((2 - 2 * u4) / 200.0) / double(n);
        const double mass = rho.mass(lo, hi);
        CHECK(std::abs(mass - 1.0 / n) <= 4 * se);
        // The smoothed density puts the same mass there (its Gaussian tails are negligible):
        // integrate it with the trapezoidal rule.
        const std::size_t points = 2001;
        const Vec phi = rho.density(lo, hi, points, sigma);
        double integral = 0;
        const double h = (hi - lo) / double(points - 1);
        for (std::size_t k = 0; k + 1 < points; ++k) integral += 0.5 * h * (phi[k] + phi[k + 1]);
        CHECK(integral == Approx(mass).margin(1e-6));
    }
    CHECK(rho.mass(-100, 100) == Approx(1).epsilon(1e-12));
}

TEST_CASE("SLQ moments estimate tr(A^p) / n within their statistical error",
          "[hessian_spectrum][density]") {
    Quadratic quad(kLambda, 45);
    const std::size_t n = 18;
    HessianOperator H([&] { return quad.loss(); }, quad.params());
    SlqOptions o;
    o.num_vectors = 60;
    o.lanczos_steps = 6;  // fewer nodes than eigenvalues; exact to degree 11 per vector
    const SpectralDensity rho = hessian_spectral_density(H, o);
    Matrix ap = xt::eye<double>(n);
    for (int p = 1; p <= 4; ++p) {
        INFO("p = " << p);
        Matrix next = xt::zeros<double>({n, n});
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < n; ++j)
                for (std::size_t k = 0; k < n; ++k) next(i, j) += ap(i, k) * quad.a(k, j);
        ap = next;
        double tr = 0, off = 0;
        for (std::size_t i = 0; i < n; ++i) {
            tr += ap(i, i);
            for (std::size_t j = 0; j < n; ++j)
                if (i != j) off += ap(i, j) * ap(i, j);
        }
        // z^T A^p z / n for Rademacher z: mean tr(A^p) / n, variance 2 off / n^2.
        const double se = std::sqrt(2 * off / 60.0) / double(n);
        CHECK(std::abs(rho.moment(p) - tr / double(n)) <= 4 * se);
    }
    CHECK(rho.moment(0) == Approx(1).epsilon(1e-12));
}
