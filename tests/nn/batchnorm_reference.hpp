#pragma once
// Batch norm in training mode with plain loops, after Ioffe & Szegedy (2015), section 3: the
// forward transform and the closed-form backward pass
//
//   dx^_i  = dy_i gamma
//   dvar   = sum_i dx^_i (x_i - mu) (-1/2) (var + eps)^(-3/2)
//   dmu    = sum_i dx^_i (-1 / sqrt(var + eps)) + dvar sum_i (-2 (x_i - mu)) / m
//   dx_i   = dx^_i / sqrt(var + eps) + dvar 2 (x_i - mu) / m + dmu / m
//   dgamma = sum_i dy_i x^_i
//   dbeta  = sum_i dy_i
//
// per channel over the m = N * (spatial size) values of a channel. Shared by the closed-form
// batch-norm test and the full-size network checks.

#include <cmath>
#include <cstddef>
#include <vector>

namespace tgtest {

struct BatchNormReference {
    std::vector<double> y, dx, dgamma, dbeta, mean, biased_var;
};

// x viewed as [N, C, S] (S = 1 for [N, C]); dy the same shape.
inline BatchNormReference batchnorm_closed_form(const std::vector<double>& x,
                                                const std::vector<double>& dy,
                                                const std::vector<double>& gamma,
                                                const std::vector<double>& beta, std::size_t N,
                                                std::size_t C, std::size_t S, double eps) {
    BatchNormReference r;
    r.y.assign(x.size(), 0);
    r.dx.assign(x.size(), 0);
    r.dgamma.assign(C, 0);
    r.dbeta.assign(C, 0);
    const double m = static_cast<double>(N * S);
    auto at = [&](std::size_t n, std::size_t c, std::size_t s) { return (n * C + c) * S + s; };
    for (std::size_t c = 0; c < C; ++c) {
        double mu = 0;
        for (std::size_t n = 0; n < N; ++n)
            for (std::size_t s = 0; s < S; ++s) mu += x[at(n, c, s)];
        mu /= m;
        double var = 0;
        for (std::size_t n = 0; n < N; ++n)
            for (std::size_t s = 0; s < S; ++s)
                var += (x[at(n, c, s)] - mu) * (x[at(n, c, s)] - mu);
        var /= m;
        r.mean.push_back(mu);
        r.biased_var.push_back(var);
        const double inv = 1.0 / std::sqrt(var + eps);
        double dvar = 0, dmu_a = 0, dmu_b = 0;
        for (std::size_t n = 0; n < N; ++n)
            for (std::size_t s = 0; s < S; ++s) {
                const std::size_t i = at(n, c, s);
                const double xhat = (x[i] - mu) * inv;
                r.y[i] = gamma[c] * xhat + beta[c];
                const double dxhat = dy[i] * gamma[c];
                dvar += dxhat * (x[i] - mu) * -0.5 * std::pow(var + eps, -1.5);
                dmu_a += dxhat * -inv;
                dmu_b += -2.0 * (x[i] - mu);
                r.dgamma[c] += dy[i] * xhat;
                r.dbeta[c] += dy[i];
            }
        const double dmu = dmu_a + dvar * dmu_b / m;
        for (std::size_t n = 0; n < N; ++n)
            for (std::size_t s = 0; s < S; ++s) {
                const std::size_t i = at(n, c, s);
                const double dxhat = dy[i] * gamma[c];
                r.dx[i] = dxhat * inv + dvar * 2.0 * (x[i] - mu) / m + dmu / m;
            }
    }
    return r;
}

}  // namespace tgtest
