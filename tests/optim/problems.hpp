#pragma once
// Test problems for the optimizers: Rosenbrock and quadratics f(w) = w.A w / 2 - b.w with a
// known minimiser, written with tapegrad ops (the optimizers differentiate them) and, for the
// expected values, with plain loops.

#include <cmath>
#include <vector>

#include "../helpers.hpp"

namespace tgtest {

using Matrix = std::vector<std::vector<double>>;

// (1 - a)^2 + 100 (b - a^2)^2, minimum 0 at (1, 1).
inline Tensor rosenbrock(const Tensor& w) {
    const Tensor a = tg::slice(w, 0, 0, 1), b = tg::slice(w, 0, 1, 2);
    return tg::sum(tg::square(1.0 - a) + 100.0 * tg::square(b - tg::square(a)));
}

inline Tensor rosenbrock_start(tg::DType dtype = tg::kFloat64) {
    return tg::from_vector({-1.2, 1.0}, {2}, dtype).requires_grad_();
}

// The usual closure: zero the gradient, compute the loss, backward, return the loss.
template <class F>
tg::optim::Closure closure_of(Tensor w, F f) {
    return [w, f]() mutable {
        w.zero_grad();
        Tensor loss = f(w);
        loss.backward();
        return loss;
    };
}

inline Matrix matmul(const Matrix& a, const Matrix& b) {
    const std::size_t n = a.size(), m = b[0].size(), k = b.size();
    Matrix c(n, std::vector<double>(m, 0.0));
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < m; ++j)
            for (std::size_t l = 0; l < k; ++l) c[i][j] += a[i][l] * b[l][j];
    return c;
}

inline std::vector<double> mat_vec(const Matrix& a, const std::vector<double>& x) {
    std::vector<double> y(a.size(), 0.0);
    for (std::size_t i = 0; i < a.size(); ++i)
        for (std::size_t j = 0; j < x.size(); ++j) y[i] += a[i][j] * x[j];
    return y;
}

inline double inner(const std::vector<double>& a, const std::vector<double>& b) {
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
    return s;
}

// A random orthogonal matrix: Gram-Schmidt on Gaussian columns (stored as rows: Q^T).
inline Matrix random_orthogonal(std::size_t n, tg::Generator& gen) {
    Matrix q;
    while (q.size() < n) {
        std::vector<double> v(n);
        for (auto& x : v) x = gen.normal();
        for (int pass = 0; pass < 2; ++pass) {
            for (const auto& u : q) {
                const double c = inner(u, v);
                for (std::size_t i = 0; i < n; ++i) v[i] -= c * u[i];
            }
        }
        const double nv = std::sqrt(inner(v, v));
        for (auto& x : v) x /= nv;
        q.push_back(v);
    }
    return q;
}

// f(w) = w.A w / 2 - b.w (up to a constant) with A = Q^T diag(eigenvalues) Q, and its minimiser
// A^-1 b = Q^T diag(1 / eigenvalues) Q b, both computed from the eigen-decomposition with loops.
struct Quadratic {
    std::size_t n;
    std::vector<double> eigenvalues;
    Matrix q;  // rows: eigenvectors
    Matrix a;
    std::vector<double> b;
    std::vector<double> minimiser;
    Tensor a_tensor, b_tensor, minimiser_tensor;

    Quadratic(const std::vector<double>& eig, std::uint64_t seed)
        : n(eig.size()), eigenvalues(eig) {
        tg::Generator gen(seed);
        q = random_orthogonal(n, gen);
        a.assign(n, std::vector<double>(n, 0.0));
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < n; ++j)
                for (std::size_t k = 0; k < n; ++k) a[i][j] += q[k][i] * eig[k] * q[k][j];
        for (std::size_t i = 0; i < n; ++i) b.push_back(gen.normal());
        const std::vector<double> qb = mat_vec(q, b);
        minimiser.assign(n, 0.0);
        for (std::size_t k = 0; k < n; ++k)
            for (std::size_t i = 0; i < n; ++i) minimiser[i] += q[k][i] * qb[k] / eig[k];
        std::vector<double> flat;
        for (const auto& row : a) flat.insert(flat.end(), row.begin(), row.end());
        a_tensor = tg::from_vector(flat, {n, n}, tg::kFloat64);
        b_tensor = tg::from_vector(b, {n}, tg::kFloat64);
        minimiser_tensor = tg::from_vector(minimiser, {n}, tg::kFloat64);
    }

    // Written around the minimiser, (w - x*).A (w - x*) / 2, which is f minus its minimum:
    // near x* the value is then computed without cancellation, so that a line search can
    // still compare values when the gradient is as small as 1e-8.
    Tensor operator()(const Tensor& w) const {
        const Tensor e = tg::reshape(w - minimiser_tensor, {static_cast<std::int64_t>(n), 1});
        return 0.5 * tg::sum(e * tg::matmul(a_tensor, e));
    }
    double value(const std::vector<double>& w) const {
        return 0.5 * inner(w, mat_vec(a, w)) - inner(b, w);
    }
    double min_value() const { return value(minimiser); }
    double distance(const std::vector<double>& w) const {
        double s = 0;
        for (std::size_t i = 0; i < n; ++i) s += (w[i] - minimiser[i]) * (w[i] - minimiser[i]);
        return std::sqrt(s);
    }
    Tensor zero_start() const { return tg::zeros({n}, tg::kFloat64).requires_grad_(); }
};

// Eigenvalues spread geometrically from 1 to `condition`.
inline std::vector<double> log_spaced(std::size_t n, double condition) {
    std::vector<double> e;
    for (std::size_t i = 0; i < n; ++i) e.push_back(std::pow(condition, double(i) / double(n - 1)));
    return e;
}

}  // namespace tgtest
