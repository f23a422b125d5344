#include "functional/hessian_spectrum.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <string>

#include <xtensor-blas/xlinalg.hpp>
#include <xtensor/xtensor.hpp>

#include "autograd/errors.hpp"
#include "ops/random.hpp"

namespace tg {

namespace {

using Vec = std::vector<double>;

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double dot(const Vec& a, const Vec& b) {
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
    return s;
}

double norm(const Vec& a) {
    return std::sqrt(dot(a, a));
}

void axpy(double alpha, const Vec& x, Vec& y) {
    for (std::size_t i = 0; i < y.size(); ++i) y[i] += alpha * x[i];
}

void scale(Vec& x, double s) {
    for (double& v : x) v *= s;
}

Vec gaussian(std::size_t n, Generator& gen) {
    Vec v(n);
    for (double& x : v) x = gen.normal();
    return v;
}

Vec rademacher(std::size_t n, Generator& gen) {
    Vec v(n);
    std::uint64_t bits = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (i % 64 == 0) bits = gen.next_u64();
        v[i] = (bits >> (i % 64)) & 1 ? 1.0 : -1.0;
    }
    return v;
}

// w minus its components along the (orthonormal) basis, twice: classical Gram-Schmidt
// repeated once is enough to keep orthogonality to working precision.
void orthogonalize(Vec& w, const std::vector<Vec>& basis) {
    for (int pass = 0; pass < 2; ++pass) {
        for (const Vec& q : basis) axpy(-dot(q, w), q, w);
    }
}

// Eigenvalues (ascending) and eigenvectors (columns) of the symmetric tridiagonal matrix with
// diagonal alpha and off-diagonal beta, by LAPACK.
struct TridiagonalEigen {
    xt::xtensor<double, 1> values;
    xt::xtensor<double, 2> vectors;
};

TridiagonalEigen eigen_tridiagonal(const Vec& alpha, const Vec& beta) {
    const std::size_t m = alpha.size();
    xt::xtensor<double, 2> t = xt::zeros<double>({m, m});
    for (std::size_t i = 0; i < m; ++i) {
        t(i, i) = alpha[i];
        if (i + 1 < m) t(i, i + 1) = t(i + 1, i) = beta[i];
    }
    auto [w, v] = xt::linalg::eigh(t);
    return {w, v};
}

// The order in which Ritz values 0..m-1 are wanted.
std::vector<std::size_t> ordered(const xt::xtensor<double, 1>& theta, EigenOrder which) {
    std::vector<std::size_t> idx(theta.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
        switch (which) {
            case EigenOrder::largest:
                return theta(a) > theta(b);
            case EigenOrder::smallest:
                return theta(a) < theta(b);
            case EigenOrder::largest_magnitude:
                break;
        }
        return std::abs(theta(a)) > std::abs(theta(b));
    });
    return idx;
}

void check_k(const char* who, std::size_t k, std::size_t n) {
    if (k == 0 || k > n) {
        throw ValueError(std::string(who) + ": k = " + std::to_string(k) +
                         " eigenpairs asked of a Hessian of size " + std::to_string(n));
    }
}

void check_tolerance(const char* who, double tolerance) {
    if (!(tolerance >= 0) || !std::isfinite(tolerance)) {
        throw ValueError(std::string(who) + ": tolerance must be finite and >= 0, got " +
                         std::to_string(tolerance));
    }
}

// The Lanczos recurrence with full reorthogonalisation, one step at a time.
class Lanczos {
  public:
    Lanczos(HessianOperator& H, Vec start) : H_(H) {
        const double s = norm(start);
        scale(start, 1 / s);
        q_.push_back(std::move(start));
    }

    // One step from the newest Lanczos vector: its alpha, and the residual w whose norm is the
    // next beta (w is orthogonal to every Lanczos vector). Returns that norm.
    double step() {
        const std::size_t j = alpha_.size();
        H_.apply(q_[j], w_);
        const double a = dot(q_[j], w_);
        alpha_.push_back(a);
        axpy(-a, q_[j], w_);
        if (j > 0) axpy(-beta_[j - 1], q_[j - 1], w_);
        orthogonalize(w_, q_);
        t_norm_ = std::max(t_norm_, std::abs(a) + (j > 0 ? beta_[j - 1] : 0.0));
        return norm(w_);
    }

    // Continue from w / b (b = its norm, > 0).
    void extend(double b) {
        beta_.push_back(b);
        scale(w_, 1 / b);
        q_.push_back(w_);
    }

    // The Krylov space closed: continue from a random vector orthogonal to it, with beta 0.
    // Returns false if no such vector is left (the basis spans everything).
    bool restart(Generator& gen) {
        Vec r = gaussian(w_.size(), gen);
        orthogonalize(r, q_);
        const double s = norm(r);
        if (!(s > 1e-8)) return false;
        scale(r, 1 / s);
        beta_.push_back(0.0);
        q_.push_back(std::move(r));
        return true;
    }

    std::size_t steps() const { return alpha_.size(); }
    const Vec& alpha() const { return alpha_; }
    const Vec& beta() const { return beta_; }  // beta_[i] couples q_i and q_(i+1)
    const std::vector<Vec>& basis() const { return q_; }
    double t_norm() const { return t_norm_; }  // an estimate of ||T|| (max row sum seen)

  private:
    HessianOperator& H_;
    std::vector<Vec> q_;
    Vec alpha_, beta_;
    Vec w_;
    double t_norm_ = 0;
};

Quadrature quadrature_of(const Vec& alpha, const Vec& beta) {
    const TridiagonalEigen e = eigen_tridiagonal(alpha, beta);
    Quadrature q;
    for (std::size_t k = 0; k < alpha.size(); ++k) {
        q.nodes.push_back(e.values(k));
        q.weights.push_back(e.vectors(0, k) * e.vectors(0, k));
    }
    return q;
}

Quadrature run_quadrature(HessianOperator& H, Vec v, std::size_t steps, double tolerance) {
    const std::size_t m = std::min(steps, H.size());
    Lanczos lanczos(H, std::move(v));
    for (;;) {
        const double b = lanczos.step();
        if (lanczos.steps() == m || b <= tolerance * lanczos.t_norm()) break;
        lanczos.extend(b);
    }
    Vec beta = lanczos.beta();
    return quadrature_of(lanczos.alpha(), beta);
}

}  // namespace

// ---- power iteration with deflation ---------------------------------------------------------

EigenResult hessian_eigenpairs_power(HessianOperator& H, std::size_t k,
                                     const PowerIterationOptions& options) {
    const char* who = "hessian_eigenpairs_power";
    check_k(who, k, H.size());
    check_tolerance(who, options.tolerance);
    if (options.max_iter == 0) throw ValueError(std::string(who) + ": max_iter must be >= 1");
    const auto t0 = std::chrono::steady_clock::now();
    const std::size_t products0 = H.products();
    Generator gen(options.seed);
    EigenResult r;
    r.converged = true;
    double dominant = 0;  // |lambda_1|
    Vec w;
    for (std::size_t i = 0; i < k; ++i) {
        Vec v = gaussian(H.size(), gen);
        orthogonalize(v, r.eigenvectors);
        scale(v, 1 / norm(v));
        double theta = 0, residual = 0;
        bool converged = false;
        for (std::size_t it = 1; it <= options.max_iter; ++it) {
            H.apply(v, w);
            ++r.iterations;
            orthogonalize(w, r.eigenvectors);  // (I - V V^T) H v, with v orthogonal to V
            theta = dot(v, w);
            Vec res = w;
            axpy(-theta, v, res);
            residual = norm(res);
            const double reference = i == 0 ? std::abs(theta) : dominant;
            converged = residual <= options.tolerance * reference;
            if (converged || it == options.max_iter) break;
            const double s = norm(w);
            if (!(s > 0)) break;  // H v = 0 on this subspace: theta = 0 is exact
            v = w;
            scale(v, 1 / s);
            orthogonalize(v, r.eigenvectors);  // keep rounding from reintroducing V
            scale(v, 1 / norm(v));
        }
        if (i == 0) dominant = std::abs(theta);
        r.converged = r.converged && converged;
        r.eigenvalues.push_back(theta);
        r.residuals.push_back(residual);
        r.eigenvectors.push_back(std::move(v));
    }
    r.products = H.products() - products0;
    r.seconds = seconds_since(t0);
    return r;
}

// ---- Lanczos ----------------------------------------------------------------------------------

EigenResult hessian_eigenpairs_lanczos(HessianOperator& H, std::size_t k,
                                       const LanczosOptions& options) {
    const char* who = "hessian_eigenpairs_lanczos";
    check_k(who, k, H.size());
    check_tolerance(who, options.tolerance);
    const std::size_t m_max = std::min(options.max_iter, H.size());
    if (k > m_max) {
        throw ValueError(std::string(who) + ": k = " + std::to_string(k) +
                         " eigenpairs need max_iter >= k, got " + std::to_string(options.max_iter));
    }
    const auto t0 = std::chrono::steady_clock::now();
    const std::size_t products0 = H.products();
    Generator gen(options.seed);
    Lanczos lanczos(H, gaussian(H.size(), gen));

    TridiagonalEigen e;
    std::vector<std::size_t> order;
    double last_beta = 0;
    bool converged = false;
    for (;;) {
        last_beta = lanczos.step();
        const std::size_t m = lanczos.steps();
        if (m >= k) {
            e = eigen_tridiagonal(lanczos.alpha(), lanczos.beta());
            order = ordered(e.values, options.which);
            double largest = 0;
            for (std::size_t i = 0; i < m; ++i) largest = std::max(largest, std::abs(e.values(i)));
            converged = true;
            for (std::size_t i = 0; i < k && converged; ++i) {
                converged =
                    last_beta * std::abs(e.vectors(m - 1, order[i])) <= options.tolerance * largest;
            }
        }
        if (converged || m == m_max) break;
        if (last_beta <= 1e-12 * lanczos.t_norm()) {
            if (!lanczos.restart(gen)) break;  // the basis spans everything: T is exact
        } else {
            lanczos.extend(last_beta);
        }
    }

    EigenResult r;
    const std::size_t m = lanczos.steps();
    const auto& q = lanczos.basis();
    for (std::size_t i = 0; i < k; ++i) {
        const std::size_t c = order[i];
        Vec x(H.size(), 0.0);
        for (std::size_t j = 0; j < m; ++j) axpy(e.vectors(j, c), q[j], x);
        scale(x, 1 / norm(x));
        r.eigenvalues.push_back(e.values(c));
        r.residuals.push_back(last_beta * std::abs(e.vectors(m - 1, c)));
        r.eigenvectors.push_back(std::move(x));
    }
    r.converged = converged;
    r.iterations = m;
    r.products = H.products() - products0;
    r.seconds = seconds_since(t0);
    return r;
}

// ---- Hutchinson's trace estimator -------------------------------------------------------------

TraceEstimate hessian_trace(HessianOperator& H, const HutchinsonOptions& options) {
    const char* who = "hessian_trace";
    check_tolerance(who, options.tolerance);
    if (options.max_samples < 2 || options.max_samples < options.min_samples) {
        throw ValueError(std::string(who) + ": need 2 <= max_samples and min_samples <= " +
                         "max_samples, got min_samples " + std::to_string(options.min_samples) +
                         ", max_samples " + std::to_string(options.max_samples));
    }
    const auto t0 = std::chrono::steady_clock::now();
    const std::size_t products0 = H.products();
    Generator gen(options.seed);
    TraceEstimate r;
    double mean = 0, m2 = 0;  // Welford's running mean and sum of squared deviations
    Vec hz;
    for (std::size_t s = 1; s <= options.max_samples; ++s) {
        const Vec z = rademacher(H.size(), gen);
        H.apply(z, hz);
        const double value = dot(z, hz);
        r.sample_values.push_back(value);
        const double delta = value - mean;
        mean += delta / static_cast<double>(s);
        m2 += delta * (value - mean);
        r.samples = s;
        r.estimate = mean;
        if (s >= 2) {
            const double n = static_cast<double>(s);
            r.standard_error = std::sqrt(m2 / (n - 1) / n);
            r.converged = r.standard_error <= options.tolerance * std::abs(mean);
            if (r.converged && s >= options.min_samples) break;
        }
    }
    r.products = H.products() - products0;
    r.seconds = seconds_since(t0);
    return r;
}

// ---- stochastic Lanczos quadrature -----------------------------------------------------------

Quadrature lanczos_quadrature(HessianOperator& H, const std::vector<double>& v, std::size_t steps,
                              double tolerance) {
    const char* who = "lanczos_quadrature";
    check_tolerance(who, tolerance);
    if (v.size() != H.size()) {
        throw ShapeError(std::string(who) + ": a starting vector of " + std::to_string(v.size()) +
                         " elements for a Hessian of size " + std::to_string(H.size()));
    }
    if (steps == 0) throw ValueError(std::string(who) + ": steps must be >= 1");
    if (!(norm(v) > 0)) throw ValueError(std::string(who) + ": the starting vector is zero");
    return run_quadrature(H, v, steps, tolerance);
}

SpectralDensity hessian_spectral_density(HessianOperator& H, const SlqOptions& options) {
    const char* who = "hessian_spectral_density";
    check_tolerance(who, options.tolerance);
    if (options.num_vectors == 0 || options.lanczos_steps == 0) {
        throw ValueError(std::string(who) + ": num_vectors and lanczos_steps must be >= 1");
    }
    const auto t0 = std::chrono::steady_clock::now();
    const std::size_t products0 = H.products();
    Generator gen(options.seed);
    SpectralDensity d;
    d.dimension = H.size();
    for (std::size_t l = 0; l < options.num_vectors; ++l) {
        d.rules.push_back(
            run_quadrature(H, rademacher(H.size(), gen), options.lanczos_steps, options.tolerance));
    }
    d.products = H.products() - products0;
    d.seconds = seconds_since(t0);
    return d;
}

double SpectralDensity::density(double t, double sigma) const {
    if (!(sigma > 0)) {
        throw ValueError("SpectralDensity::density: sigma must be > 0, got " +
                         std::to_string(sigma));
    }
    const double norm_const = 1 / (sigma * std::sqrt(2 * 3.14159265358979323846));
    double total = 0;
    for (const Quadrature& q : rules) {
        for (std::size_t k = 0; k < q.nodes.size(); ++k) {
            const double z = (t - q.nodes[k]) / sigma;
            total += q.weights[k] * norm_const * std::exp(-0.5 * z * z);
        }
    }
    return rules.empty() ? 0.0 : total / static_cast<double>(rules.size());
}

std::vector<double> SpectralDensity::density(double lo, double hi, std::size_t points,
                                             double sigma) const {
    if (points < 2 || !(hi > lo)) {
        throw ValueError("SpectralDensity::density: need points >= 2 and lo < hi, got " +
                         std::to_string(points) + " points on [" + std::to_string(lo) + ", " +
                         std::to_string(hi) + "]");
    }
    std::vector<double> out(points);
    for (std::size_t i = 0; i < points; ++i) {
        const double t = lo + (hi - lo) * static_cast<double>(i) / static_cast<double>(points - 1);
        out[i] = density(t, sigma);
    }
    return out;
}

double SpectralDensity::mass(double lo, double hi) const {
    double total = 0;
    for (const Quadrature& q : rules) {
        for (std::size_t k = 0; k < q.nodes.size(); ++k) {
            if (q.nodes[k] >= lo && q.nodes[k] <= hi) total += q.weights[k];
        }
    }
    return rules.empty() ? 0.0 : total / static_cast<double>(rules.size());
}

double SpectralDensity::moment(int p) const {
    double total = 0;
    for (const Quadrature& q : rules) {
        for (std::size_t k = 0; k < q.nodes.size(); ++k)
            total += q.weights[k] * std::pow(q.nodes[k], p);
    }
    return rules.empty() ? 0.0 : total / static_cast<double>(rules.size());
}

double SpectralDensity::min_node() const {
    double m = INFINITY;
    for (const Quadrature& q : rules)
        for (double t : q.nodes) m = std::min(m, t);
    return m;
}

double SpectralDensity::max_node() const {
    double m = -INFINITY;
    for (const Quadrature& q : rules)
        for (double t : q.nodes) m = std::max(m, t);
    return m;
}

}  // namespace tg
