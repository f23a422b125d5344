// Newton on non-convex functions, Gauss-Newton products, and the Newton methods' checks.

#include <utility>

#include "problems.hpp"

using namespace tgtest;
using namespace tg;
using namespace tg::optim;

namespace {

// f(x, y) = x^4/4 - x^2/2 + y^2: a saddle at 0, minima (+-1, 0) with f = -1/4. Its Hessian
// diag(3x^2 - 1, 2) is indefinite for |x| < 1/sqrt(3).
Tensor double_well(const Tensor& w) {
    const Tensor x = slice(w, 0, 0, 1), y = slice(w, 0, 1, 2);
    return sum(0.25 * pow(x, 4.0) - 0.5 * square(x) + square(y));
}

}  // namespace

TEST_CASE("Newton with an indefinite Hessian shifts it and still goes downhill",
          "[optim][newton]") {
    for (auto mod : {HessianModification::eigenvalue_shift, HessianModification::levenberg}) {
        DYNAMIC_SECTION("modification " << int(mod)) {
            Tensor w = from_vector({0.2, 1.0}, {2}, kFloat64).requires_grad_();
            Newton newton({w},
                          NewtonOptions().modification(mod).tolerance_grad(1e-10).max_iter(100));
            std::vector<double> first_eigenvalue, shifts, losses;
            newton.on_iteration([&](const IterationInfo& info) {
                first_eigenvalue.push_back(newton.last_min_eigenvalue());
                shifts.push_back(newton.last_shift());
                losses.push_back(info.loss);
            });
            newton.step([&] { return double_well(w); });
            REQUIRE(newton.status() == Status::converged_gradient);
            REQUIRE(first_eigenvalue.front() == Approx(3 * 0.04 - 1));  // by hand at x = 0.2
            // The first Hessian, diag(-0.88, 2), was shifted enough to be positive definite.
            REQUIRE(shifts.front() > 0.88);
            // It reached a minimum, not the saddle an unmodified Newton step heads for.
            const auto x = w.to_vector();
            REQUIRE(std::abs(x[0]) == Approx(1).epsilon(1e-9));
            REQUIRE(std::abs(x[1]) < 1e-9);
            for (std::size_t k = 1; k < losses.size(); ++k) REQUIRE(losses[k] <= losses[k - 1]);
        }
    }
}

namespace {

// f(x, y) = x^4/4 - x^2/2 + y^2 + x y, whose Hessian [[3x^2 - 1, 1], [1, 2]] is not diagonal:
// indefinite at x = 0.2, positive definite at x = 1.5.
Tensor tilted_well(const Tensor& w) {
    const Tensor x = slice(w, 0, 0, 1), y = slice(w, 0, 1, 2);
    return sum(0.25 * pow(x, 4.0) - 0.5 * square(x) + square(y) + x * y);
}

// The eigenvalues of the symmetric [[a, b], [b, d]] in closed form, smallest first.
std::pair<double, double> eigenvalues_2x2(double a, double b, double d) {
    const double mid = 0.5 * (a + d), r = std::hypot(0.5 * (a - d), b);
    return {mid - r, mid + r};
}

}  // namespace

TEST_CASE(
    "Newton's eigenvalue shift makes an indefinite Hessian positive definite, and is 0 "
    "for a positive definite one",
    "[optim][newton]") {
    for (double x0 : {0.2, 1.5}) {
        DYNAMIC_SECTION("x = " << x0) {
            const double y0 = 0.7;
            // The Hessian and gradient by hand.
            const double a = 3 * x0 * x0 - 1, b = 1, d = 2;
            const double gx = x0 * x0 * x0 - x0 + y0, gy = 2 * y0 + x0;
            const auto [lambda_min, lambda_max] = eigenvalues_2x2(a, b, d);
            REQUIRE(lambda_max > 0);
            Tensor w = from_vector({x0, y0}, {2}, kFloat64).requires_grad_();
            // One iteration and the full step, so that the step shows the shift it used.
            Newton newton({w}, NewtonOptions().max_iter(1).line_search(LineSearchKind::none));
            newton.step([&] { return tilted_well(w); });
            REQUIRE(newton.last_min_eigenvalue() == Approx(lambda_min).epsilon(1e-12));
            const double shift = newton.last_shift();
            if (lambda_min < 0) {
                REQUIRE(shift > 0);
                REQUIRE(lambda_min + shift > 0);  // the smallest eigenvalue of H + shift I
            } else {
                REQUIRE(shift == 0);
            }
            // The step is -(H + shift I)^-1 g, by the 2x2 inverse.
            const double sa = a + shift, sd = d + shift, det = sa * sd - b * b;
            const double px = -(sd * gx - b * gy) / det, py = -(sa * gy - b * gx) / det;
            const auto x = w.to_vector();
            REQUIRE(x[0] == Approx(x0 + px).epsilon(1e-10));
            REQUIRE(x[1] == Approx(y0 + py).epsilon(1e-10));
        }
    }
}

TEST_CASE("Newton-CG meets negative curvature and handles it", "[optim][newton_cg]") {
    for (auto glob : {NewtonCGGlobalization::line_search, NewtonCGGlobalization::trust_region}) {
        DYNAMIC_SECTION("globalization " << int(glob)) {
            Tensor w = from_vector({0.2, 1.0}, {2}, kFloat64).requires_grad_();
            NewtonCG opt({w},
                         NewtonCGOptions().globalization(glob).tolerance_grad(1e-10).max_iter(100));
            opt.step([&] { return double_well(w); });
            REQUIRE(opt.status() == Status::converged_gradient);
            REQUIRE(opt.negative_curvature_count() >= 1);
            const auto x = w.to_vector();
            REQUIRE(std::abs(x[0]) == Approx(1).epsilon(1e-9));
        }
    }
}

TEST_CASE("Gauss-Newton products equal J^T H_L J v", "[optim][gauss_newton]") {
    Generator gen(31);
    const Tensor X = sample({5, 3}, Domain::any, gen);
    const Tensor t = from_vector({1, 0, 1, 1, 0}, {5, 1}, kFloat64);
    const Tensor w = sample({3, 1}, Domain::any, gen).requires_grad_();
    const auto model_of = [&](const Tensor& p) { return tanh(matmul(X, p)); };
    // Logistic loss on the outputs: H_L = diag(s (1 - s)) with s = sigmoid(z).
    const auto loss_of_output = [&](const Tensor& z) { return sum(softplus(z) - t * z); };
    GaussNewtonVectorProduct gn([&] { return model_of(w); }, loss_of_output, {w});

    const Tensor J = jacobian(model_of, w);  // [5, 1, 3, 1]
    const auto jv = J.to_vector();
    const auto z = model_of(w.detach()).to_vector();
    const auto tv = t.to_vector();
    const std::vector<double> v{0.3, -1.2, 0.7};
    // By hand with loops: u = J v, u_i *= s_i (1 - s_i), result = J^T u.
    std::vector<double> u(5, 0.0), expected(3, 0.0);
    for (std::size_t i = 0; i < 5; ++i) {
        for (std::size_t j = 0; j < 3; ++j) u[i] += jv[i * 3 + j] * v[j];
        const double s = 1 / (1 + std::exp(-z[i]));
        u[i] *= s * (1 - s);
    }
    for (std::size_t j = 0; j < 3; ++j)
        for (std::size_t i = 0; i < 5; ++i) expected[j] += jv[i * 3 + j] * u[i];
    const auto out = gn({from_vector(v, {3, 1}, kFloat64)});
    require_close(out[0], expected, 1e-12, 1e-10);
    REQUIRE(gn.products() == 1);
    // The loss and gradient J^T (s - t) come along.
    double loss = 0;
    std::vector<double> grad(3, 0.0);
    for (std::size_t i = 0; i < 5; ++i) {
        loss += std::log1p(std::exp(z[i])) - tv[i] * z[i];
        const double s = 1 / (1 + std::exp(-z[i]));
        for (std::size_t j = 0; j < 3; ++j) grad[j] += jv[i * 3 + j] * (s - tv[i]);
    }
    REQUIRE(gn.loss() == Approx(loss).epsilon(1e-12));
    require_close(gn.gradient()[0], grad, 1e-12, 1e-10);
    // A second product reuses the graphs.
    const auto again = gn({from_vector(v, {3, 1}, kFloat64)});
    require_close(again[0], expected, 1e-12, 1e-10);
}

TEST_CASE("Newton-CG with Gauss-Newton products fits a nonlinear least-squares model",
          "[optim][gauss_newton][newton_cg]") {
    Generator gen(32);
    const Tensor X = sample({20, 4}, Domain::any, gen);
    const Tensor w_true = from_vector({0.5, -0.3, 0.8, 0.1}, {4, 1}, kFloat64);
    const Tensor y = tanh(matmul(X, w_true));
    Tensor w = zeros({4, 1}, kFloat64).requires_grad_();
    NewtonCG opt({w}, NewtonCGOptions().tolerance_grad(1e-10).tolerance_step(0).max_iter(50));
    opt.step([&] { return tanh(matmul(X, w)); },
             [&](const Tensor& z) { return 0.5 * sum(square(z - y)); });
    INFO(opt.stop_reason());
    REQUIRE(opt.status() == Status::converged_gradient);
    require_close(w, w_true.to_vector(), 1e-8);
    REQUIRE(opt.counters().iterations <= 15);
    REQUIRE(opt.counters().hessian_vector_products > 0);
}

TEST_CASE("the Newton methods explain a closure that calls backward", "[optim][newton]") {
    Tensor w = rosenbrock_start();
    Newton newton({w});
    require_throws<GraphError>([&] { newton.step(closure_of(w, rosenbrock)); },
                               {"Newton::step", "without calling backward()"});
    NewtonCG ncg({w});
    require_throws<GraphError>([&] { ncg.step(closure_of(w, rosenbrock)); },
                               {"NewtonCG::step", "without calling backward()"});
    require_close(w, {-1.2, 1}, 0);
}

TEST_CASE("dense methods refuse large problems", "[optim][newton]") {
    Tensor big = zeros({5000}, kFloat64).requires_grad_();
    require_throws<ValueError>([&] { Newton({big}); }, {"Newton", "5000", "NewtonCG"});
    require_throws<ValueError>([&] { BFGS({big}); }, {"BFGS", "5000", "LBFGS"});
    REQUIRE_NOTHROW(BFGS({big}, BFGSOptions().max_size(5000)));
}

TEST_CASE("Newton leaves a positive definite Hessian unshifted however ill-conditioned",
          "[optim][newton]") {
    // Brown badly scaled: r = (x1 - 1e6, x2 - 2e-6, x1 x2 - 2). Its Hessian at the start (1, 1)
    // is diag(2 + 2, 2 + 2) plus the cross terms, and near the minimum (1e6, 2e-6) its
    // eigenvalues are about 2 and 2e12: positive definite with condition number 1e12. A shift
    // there (the old rule shifted whenever lambda_min < 1e-8 lambda_max) turns Newton into a
    // crawl: 10,000 iterations ended at f = 8.4e9.
    const Tensor w = from_vector({1.0, 1.0}, {2}, kFloat64).requires_grad_();
    const auto brown = [&] {
        const Tensor a = slice(w, 0, 0, 1), b = slice(w, 0, 1, 2);
        return sum(square(a - 1e6) + square(b - 2e-6) + square(a * b - 2.0));
    };
    Newton newton({w}, NewtonOptions().tolerance_grad(1e-8).max_iter(50));
    std::vector<std::pair<double, double>> eig_and_shift;
    newton.on_iteration([&](const IterationInfo&) {
        eig_and_shift.emplace_back(newton.last_min_eigenvalue(), newton.last_shift());
    });
    newton.step(brown);
    INFO(newton.stop_reason());
    REQUIRE(newton.converged());
    REQUIRE(newton.counters().iterations <= 20);
    const auto x = w.to_vector();
    CHECK(x[0] == Approx(1e6).epsilon(1e-12));
    CHECK(x[1] == Approx(2e-6).epsilon(1e-9));
    for (const auto& [lambda_min, shift] : eig_and_shift) {
        if (lambda_min > 0) CHECK(shift == 0);
    }
}

TEST_CASE("Newton stops with a status when the shifted Hessian is singular", "[optim][newton]") {
    // f = (x1 + x2)^2 / 2 has the Hessian [[1, 1], [1, 1]] (eigenvalues 0 and 2): a shift of
    // 2e-300 leaves it exactly singular in double, and LAPACK's solver fails. That used to escape
    // as std::runtime_error from xtensor-blas.
    const Tensor w = from_vector({1.0, 0.0}, {2}, kFloat64).requires_grad_();
    Newton newton({w}, NewtonOptions().min_eigenvalue(1e-300).max_iter(10));
    REQUIRE_NOTHROW(newton.step([&] { return 0.5 * square(sum(w)); }));
    INFO(newton.stop_reason());
    CHECK(newton.status() == Status::singular);
    CHECK(newton.stop_reason().find("singular") != std::string::npos);
    require_close(w, {1.0, 0.0}, 0);  // left where it was
}
