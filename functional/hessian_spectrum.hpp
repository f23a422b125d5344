#pragma once
// The spectrum of a loss Hessian from Hessian-vector products only, in the manner of PyHessian
// (Yao et al., 2020): the top eigenpairs (power iteration with deflation, or Lanczos), the trace
// (Hutchinson's estimator) and the eigenvalue density (stochastic Lanczos quadrature). Each
// works on a HessianOperator (functional/hessian_operator.hpp): a model's parameter list and a
// loss over one batch or several. Every random vector comes from a tg::Generator seeded with
// the options' seed, so the same seed gives the same numbers.
//
//     HessianOperator H(loss, net->parameters());
//     EigenResult top = hessian_eigenpairs_lanczos(H, 3);     // top.eigenvalues[0] = lambda_max
//     TraceEstimate tr = hessian_trace(H);                      // tr.estimate +- tr.standard_error
//     SpectralDensity rho = hessian_spectral_density(H);       // rho.density(t, sigma)
//
// Eigenvectors are flat vectors of unit length (H.unflatten(v) gives them as tensors shaped
// like the parameters). The small eigenproblems (Lanczos' tridiagonal matrices) are solved
// densely with LAPACK (xtensor-blas).

#include <cstddef>
#include <cstdint>
#include <vector>

#include "hessian_operator.hpp"

namespace tg {

// Which end of the spectrum an eigen-solver looks for.
enum class EigenOrder {
    largest,            // largest algebraic values first: lambda_max, ...
    smallest,           // smallest algebraic values first: lambda_min, ...
    largest_magnitude,  // largest |lambda| first
};

struct EigenResult {
    std::vector<double> eigenvalues;                // in the requested order
    std::vector<std::vector<double>> eigenvectors;  // flat, unit length, one per eigenvalue
    // ||H v - lambda v|| per pair: measured for power iteration (for the deflated operator
    // (I - V V^T) H (I - V V^T), V the pairs found before), the Lanczos bound
    // |beta_m e_m^T y| for Lanczos. An eigenvalue of H lies within it of each returned value.
    std::vector<double> residuals;
    bool converged = false;      // every pair within the tolerance
    std::size_t iterations = 0;  // power: over all pairs; Lanczos: steps (Krylov dimension)
    std::size_t products = 0;    // Hessian-vector products
    double seconds = 0;          // wall time
};

struct PowerIterationOptions {
    std::size_t max_iter = 100;  // per eigenpair
    // A pair has converged when ||H v - lambda v|| <= tolerance * |lambda_1|, lambda_1 the
    // dominant eigenvalue (the first pair's own estimate while it is found).
    double tolerance = 1e-3;
    std::uint64_t seed = 0;
};

// The k eigenvalues of largest magnitude and their eigenvectors, one after another: power
// iteration on H, then on H with the pairs found so far projected out (deflation). Finds
// repeated eigenvalues as often as they occur. Converges at the rate |lambda_(i+1) / lambda_i|:
// slowly where eigenvalues crowd; Lanczos needs far fewer products.
EigenResult hessian_eigenpairs_power(HessianOperator& H, std::size_t k,
                                     const PowerIterationOptions& options = {});

struct LanczosOptions {
    std::size_t max_iter = 100;  // Lanczos steps, at most H.size()
    // Converged when the Lanczos bound of each wanted Ritz pair is <= tolerance * max |Ritz
    // value|. Checked after every step.
    double tolerance = 1e-6;
    std::uint64_t seed = 0;
    EigenOrder which = EigenOrder::largest;
};

// The k extreme eigenvalues (by options.which) and their eigenvectors by the Lanczos method
// with full reorthogonalisation (every new Lanczos vector is orthogonalised twice against all
// earlier ones, so no spurious copies appear; memory: max_iter flat vectors). One starting
// vector sees one copy of a repeated eigenvalue unless the Krylov space closes (then it
// continues from a new random vector orthogonal to it).
EigenResult hessian_eigenpairs_lanczos(HessianOperator& H, std::size_t k,
                                       const LanczosOptions& options = {});

struct HutchinsonOptions {
    std::size_t min_samples = 10;
    std::size_t max_samples = 200;
    // Stop once standard_error <= tolerance * |estimate| (after min_samples).
    double tolerance = 1e-2;
    std::uint64_t seed = 0;
};

struct TraceEstimate {
    double estimate = 0;        // mean of z^T H z over Rademacher vectors z
    double standard_error = 0;  // sample standard deviation / sqrt(samples)
    std::size_t samples = 0;
    std::vector<double> sample_values;  // each z^T H z
    bool converged = false;             // standard error within the tolerance
    std::size_t products = 0;
    double seconds = 0;
};

// Hutchinson's estimator of tr(H): E[z^T H z] = tr(H) for z with independent +-1 entries.
// Its variance per sample is 2 sum_(i != j) H_ij^2.
TraceEstimate hessian_trace(HessianOperator& H, const HutchinsonOptions& options = {});

// A Gauss quadrature rule of a spectral measure: nodes (Ritz values) and weights summing to 1.
struct Quadrature {
    std::vector<double> nodes;
    std::vector<double> weights;
};

// The Lanczos quadrature of H seen from v: m = steps Lanczos steps from v / ||v|| (with full
// reorthogonalisation) give T_m = Y diag(theta) Y^T; nodes theta_k, weights Y_(0k)^2. Then
// sum_k weights_k f(nodes_k) approximates v^T f(H) v / v^T v, exactly for polynomials f of
// degree <= 2m - 1. Stops early, with an exact rule, if the Krylov space closes (beta_j <=
// tolerance * ||T||).
Quadrature lanczos_quadrature(HessianOperator& H, const std::vector<double>& v, std::size_t steps,
                              double tolerance = 1e-12);

struct SlqOptions {
    std::size_t num_vectors = 1;     // random starting vectors (Rademacher)
    std::size_t lanczos_steps = 80;  // per vector, at most H.size()
    double tolerance = 1e-12;        // Krylov space closed when beta_j <= tolerance * ||T||
    std::uint64_t seed = 0;
};

// The eigenvalue density of H as stochastic Lanczos quadrature gives it: the average, over
// starting vectors, of their quadrature rules. As a measure it puts mass 1/n on each
// eigenvalue of H (n = H.size()) in expectation: mass(a, b) estimates the fraction of
// eigenvalues in [a, b], moment(p) estimates tr(H^p) / n.
struct SpectralDensity {
    std::vector<Quadrature> rules;  // one per starting vector
    std::size_t dimension = 0;      // n
    std::size_t products = 0;
    double seconds = 0;

    // The density smoothed by a Gaussian of standard deviation sigma:
    // phi(t) = mean over rules of sum_k weights_k N(t; nodes_k, sigma^2). Integrates to 1.
    double density(double t, double sigma) const;
    // phi on `points` equally spaced points of [lo, hi].
    std::vector<double> density(double lo, double hi, std::size_t points, double sigma) const;
    // The (unsmoothed) mass of the nodes in [lo, hi].
    double mass(double lo, double hi) const;
    // mean over rules of sum_k weights_k nodes_k^p.
    double moment(int p) const;
    double min_node() const;
    double max_node() const;
};

// Stochastic Lanczos quadrature (Lin, Saad & Yang, 2016; Ghorbani, Krishnan & Xiao, 2019).
SpectralDensity hessian_spectral_density(HessianOperator& H, const SlqOptions& options = {});

}  // namespace tg
