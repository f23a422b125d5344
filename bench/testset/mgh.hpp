#pragma once
// The Moré-Garbow-Hillstrom unconstrained test set (ACM TOMS 7(1), 1981), problems 1 to 18,
// written with tapegrad ops: f(x) = sum_i r_i(x)^2 with the residuals of the paper, the
// standard starting points and the global minima f*. Definitions, dimension choices (m) and
// minima as in the project's shared test set (mgh-1-18.json, checked against the MINPACK code).
//
// Used by bench/optim-testset (every method on every problem) and tests/optim/test_testset.cpp
// (a fast subset).

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "tapegrad.hpp"

namespace tg::testset {

struct Problem {
    int number;
    std::string name;
    std::vector<double> x0;
    double fstar;  // the global minimum
    // The residuals r(x) as a 1-D tensor, for a 1-D double tensor x of length n.
    std::function<Tensor(const Tensor&)> residuals;

    std::size_t n() const { return x0.size(); }
    Tensor objective(const Tensor& x) const { return sum(square(residuals(x))); }
    // The test set's rule: within 1e-6 relative or 1e-8 absolute of f*.
    bool solved(double f) const {
        return std::abs(f - fstar) <= std::max(1e-8, 1e-6 * std::abs(fstar));
    }
};

namespace detail {

inline Tensor vec(const std::vector<double>& v) {
    return from_vector(v, {v.size()}, kFloat64);
}
// x_i, 1-based as in the paper, as a 1-element tensor that broadcasts.
inline Tensor xi(const Tensor& x, std::size_t i) {
    return slice(x, 0, static_cast<std::int64_t>(i - 1), static_cast<std::int64_t>(i));
}
inline std::vector<double> seq(std::size_t m, const std::function<double(double)>& f) {
    std::vector<double> v(m);
    for (std::size_t i = 1; i <= m; ++i) v[i - 1] = f(double(i));
    return v;
}

}  // namespace detail

// Problems 1 to 18.
inline std::vector<Problem> mgh_problems() {
    using detail::seq;
    using detail::vec;
    using detail::xi;
    std::vector<Problem> p;
    p.push_back({1, "Rosenbrock", {-1.2, 1.0}, 0.0, [](const Tensor& x) {
                     return concat({10.0 * (xi(x, 2) - square(xi(x, 1))), 1.0 - xi(x, 1)}, 0);
                 }});
    p.push_back({2, "Freudenstein and Roth", {0.5, -2.0}, 0.0, [](const Tensor& x) {
                     const Tensor x1 = xi(x, 1), x2 = xi(x, 2);
                     return concat({-13.0 + x1 + ((5.0 - x2) * x2 - 2.0) * x2,
                                    -29.0 + x1 + ((x2 + 1.0) * x2 - 14.0) * x2},
                                   0);
                 }});
    p.push_back({3, "Powell badly scaled", {0.0, 1.0}, 0.0, [](const Tensor& x) {
                     const Tensor x1 = xi(x, 1), x2 = xi(x, 2);
                     return concat({1e4 * x1 * x2 - 1.0, exp(-x1) + exp(-x2) - 1.0001}, 0);
                 }});
    p.push_back({4, "Brown badly scaled", {1.0, 1.0}, 0.0, [](const Tensor& x) {
                     const Tensor x1 = xi(x, 1), x2 = xi(x, 2);
                     return concat({x1 - 1e6, x2 - 2e-6, x1 * x2 - 2.0}, 0);
                 }});
    p.push_back({5, "Beale", {1.0, 1.0}, 0.0, [](const Tensor& x) {
                     const Tensor x1 = xi(x, 1), x2 = xi(x, 2), x2sq = x2 * x2;
                     const Tensor powers = concat({x2, x2sq, x2sq * x2}, 0);
                     return vec({1.5, 2.25, 2.625}) - x1 * (1.0 - powers);
                 }});
    p.push_back({6, "Jennrich and Sampson", {0.3, 0.4}, 124.3621823556148, [](const Tensor& x) {
                     const Tensor i = vec(seq(10, [](double k) { return k; }));
                     return 2.0 + 2.0 * i - (exp(i * xi(x, 1)) + exp(i * xi(x, 2)));
                 }});
    p.push_back(
        {7, "Helical valley", {-1.0, 0.0, 0.0}, 0.0, [](const Tensor& x) {
             const Tensor x1 = xi(x, 1), x2 = xi(x, 2), x3 = xi(x, 3);
             // MINPACK's theta in (-1/4, 3/4): atan(x2/x1)/(2 pi), plus 1/2 for x1 < 0,
             // which is atan2's angle plus one turn in the third quadrant.
             const Tensor third_quadrant = lt(x1, 0.0) * lt(x2, 0.0);
             const Tensor theta = atan2(x2, x1) / (2 * M_PI) + third_quadrant;
             return concat(
                 {10.0 * (x3 - 10.0 * theta), 10.0 * (sqrt(square(x1) + square(x2)) - 1.0), x3}, 0);
         }});
    p.push_back({8, "Bard", {1.0, 1.0, 1.0}, 0.008214877306578, [](const Tensor& x) {
                     const Tensor y = vec({0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37,
                                           0.58, 0.73, 0.96, 1.34, 2.10, 4.39});
                     const Tensor u = vec(seq(15, [](double i) { return i; }));
                     const Tensor v = vec(seq(15, [](double i) { return 16 - i; }));
                     const Tensor w = vec(seq(15, [](double i) { return std::min(i, 16 - i); }));
                     return y - (xi(x, 1) + u / (v * xi(x, 2) + w * xi(x, 3)));
                 }});
    p.push_back({9, "Gaussian", {0.4, 1.0, 0.0}, 1.127932769618e-08, [](const Tensor& x) {
                     const Tensor y =
                         vec({0.0009, 0.0044, 0.0175, 0.0540, 0.1295, 0.2420, 0.3521, 0.3989,
                              0.3521, 0.2420, 0.1295, 0.0540, 0.0175, 0.0044, 0.0009});
                     const Tensor t = vec(seq(15, [](double i) { return (8 - i) / 2; }));
                     return xi(x, 1) * exp(-0.5 * xi(x, 2) * square(t - xi(x, 3))) - y;
                 }});
    p.push_back({10, "Meyer", {0.02, 4000.0, 250.0}, 87.94585517062, [](const Tensor& x) {
                     const Tensor y = vec({34780, 28610, 23650, 19630, 16370, 13720, 11540, 9744,
                                           8261, 7030, 6005, 5147, 4427, 3820, 3307, 2872});
                     const Tensor t = vec(seq(16, [](double i) { return 45 + 5 * i; }));
                     return xi(x, 1) * exp(xi(x, 2) / (t + xi(x, 3))) - y;
                 }});
    p.push_back({11, "Gulf research and development", {5.0, 2.5, 0.15}, 0.0, [](const Tensor& x) {
                     const auto t_of = [](double i) { return i / 100; };
                     const Tensor t = vec(seq(99, t_of));
                     const Tensor y = vec(seq(99, [&](double i) {
                         return 25 + std::pow(-50 * std::log(t_of(i)), 2.0 / 3.0);
                     }));
                     return exp(-pow(abs(y - xi(x, 2)), xi(x, 3)) / xi(x, 1)) - t;
                 }});
    p.push_back({12, "Box three-dimensional", {0.0, 10.0, 20.0}, 0.0, [](const Tensor& x) {
                     const Tensor t = vec(seq(10, [](double i) { return 0.1 * i; }));
                     const Tensor c =
                         vec(seq(10, [](double i) { return std::exp(-0.1 * i) - std::exp(-i); }));
                     return exp(-t * xi(x, 1)) - exp(-t * xi(x, 2)) - xi(x, 3) * c;
                 }});
    p.push_back({13, "Powell singular", {3.0, -1.0, 0.0, 1.0}, 0.0, [](const Tensor& x) {
                     const Tensor x1 = xi(x, 1), x2 = xi(x, 2), x3 = xi(x, 3), x4 = xi(x, 4);
                     return concat({x1 + 10.0 * x2, std::sqrt(5.0) * (x3 - x4),
                                    square(x2 - 2.0 * x3), std::sqrt(10.0) * square(x1 - x4)},
                                   0);
                 }});
    p.push_back({14, "Wood", {-3.0, -1.0, -3.0, -1.0}, 0.0, [](const Tensor& x) {
                     const Tensor x1 = xi(x, 1), x2 = xi(x, 2), x3 = xi(x, 3), x4 = xi(x, 4);
                     return concat(
                         {10.0 * (x2 - square(x1)), 1.0 - x1, std::sqrt(90.0) * (x4 - square(x3)),
                          1.0 - x3, std::sqrt(10.0) * (x2 + x4 - 2.0), (x2 - x4) / std::sqrt(10.0)},
                         0);
                 }});
    p.push_back(
        {15,
         "Kowalik and Osborne",
         {0.25, 0.39, 0.415, 0.39},
         0.0003075056038492,
         [](const Tensor& x) {
             const Tensor y = vec({0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627, 0.0456, 0.0342,
                                   0.0323, 0.0235, 0.0246});
             const Tensor u = vec({4, 2, 1, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625});
             const Tensor u2 = u * u;
             return y - xi(x, 1) * (u2 + u * xi(x, 2)) / (u2 + u * xi(x, 3) + xi(x, 4));
         }});
    p.push_back(
        {16, "Brown and Dennis", {25.0, 5.0, -5.0, -1.0}, 85822.20162635634, [](const Tensor& x) {
             const Tensor t = vec(seq(20, [](double i) { return i / 5; }));
             const Tensor et = vec(seq(20, [](double i) { return std::exp(i / 5); }));
             const Tensor st = vec(seq(20, [](double i) { return std::sin(i / 5); }));
             const Tensor ct = vec(seq(20, [](double i) { return std::cos(i / 5); }));
             return square(xi(x, 1) + t * xi(x, 2) - et) + square(xi(x, 3) + xi(x, 4) * st - ct);
         }});
    p.push_back(
        {17, "Osborne 1", {0.5, 1.5, -1.0, 0.01, 0.02}, 5.464894697483e-05, [](const Tensor& x) {
             const Tensor y =
                 vec({0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.850, 0.818, 0.784, 0.751,
                      0.718, 0.685, 0.658, 0.628, 0.603, 0.580, 0.558, 0.538, 0.522, 0.506, 0.490,
                      0.478, 0.467, 0.457, 0.448, 0.438, 0.431, 0.424, 0.420, 0.414, 0.411, 0.406});
             const Tensor t = vec(seq(33, [](double i) { return 10 * (i - 1); }));
             return y - (xi(x, 1) + xi(x, 2) * exp(-t * xi(x, 4)) + xi(x, 3) * exp(-t * xi(x, 5)));
         }});
    p.push_back({18, "Biggs EXP6", {1.0, 2.0, 1.0, 1.0, 1.0, 1.0}, 0.0, [](const Tensor& x) {
                     const auto t_of = [](double i) { return 0.1 * i; };
                     const Tensor t = vec(seq(13, t_of));
                     const Tensor y = vec(seq(13, [&](double i) {
                         const double ti = t_of(i);
                         return std::exp(-ti) - 5 * std::exp(-10 * ti) + 3 * std::exp(-4 * ti);
                     }));
                     return xi(x, 3) * exp(-t * xi(x, 1)) - xi(x, 4) * exp(-t * xi(x, 2)) +
                            xi(x, 6) * exp(-t * xi(x, 5)) - y;
                 }});
    return p;
}

}  // namespace tg::testset
