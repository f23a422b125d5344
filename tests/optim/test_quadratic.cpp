// Quadratics f(w) = w.A w / 2 - b.w: what each method is known to do on them, including
// ill-conditioned ones (condition number 1e4).

#include "problems.hpp"

using namespace tgtest;
using namespace tg;
using namespace tg::optim;

TEST_CASE("Newton minimises a quadratic in one step", "[optim][quadratic][newton]") {
    const Quadratic q(log_spaced(6, 1e4), 21);
    Tensor w = q.zero_start();
    Newton newton({w}, NewtonOptions().tolerance_grad(1e-9).max_iter(10));
    newton.step([&] { return q(w); });
    REQUIRE(newton.status() == Status::converged_gradient);
    REQUIRE(newton.counters().iterations == 1);
    REQUIRE(newton.counters().hessian_vector_products == 6);  // one dense Hessian
    require_close(w, q.minimiser, 1e-10, 1e-10);
}

TEST_CASE("Newton-CG minimises a quadratic in one outer iteration of at most n CG steps",
          "[optim][quadratic][newton_cg]") {
    const Quadratic q(log_spaced(8, 1e2), 22);
    Tensor w = q.zero_start();
    // CG to 1e-10 relative residual, with room for the few extra steps rounding needs.
    NewtonCG opt({w}, NewtonCGOptions()
                          .forcing(ForcingSequence::constant)
                          .forcing_constant(1e-10)
                          .max_cg_iter(3 * 8)
                          .tolerance_grad(1e-9)
                          .tolerance_step(0));
    opt.step([&] { return q(w); });
    REQUIRE(opt.status() == Status::converged_gradient);
    REQUIRE(opt.counters().iterations == 1);
    REQUIRE(opt.counters().hessian_vector_products <= 8 + 3);
    require_close(w, q.minimiser, 1e-10, 1e-10);
}

TEST_CASE("nonlinear CG with an exact line search is linear CG on a quadratic",
          "[optim][quadratic][cg]") {
    const Quadratic q(log_spaced(6, 20), 23);
    std::vector<FlatVector> linear;
    conjugate_gradient([&](const FlatVector& v, FlatVector& av) { av = mat_vec(q.a, v); }, q.b,
                       LinearCGOptions().rel_tol(1e-14),
                       [&](const FlatVector& x) { linear.push_back(x); });
    REQUIRE(linear.size() >= 5);
    for (CGBeta beta :
         {CGBeta::fletcher_reeves, CGBeta::polak_ribiere_plus, CGBeta::hestenes_stiefel}) {
        DYNAMIC_SECTION(to_string(beta)) {
            Tensor w = q.zero_start();
            // c2 tiny: the strong-Wolfe search must find the exact minimiser along d, which
            // its cubic interpolation does on a quadratic.
            NonlinearCG cg({w}, NonlinearCGOptions(beta)
                                    .line_search_options(LineSearchOptions().c1(1e-12).c2(1e-10))
                                    .tolerance_grad(1e-10)
                                    .max_iter(50));
            std::vector<FlatVector> nonlinear;
            cg.on_iteration([&](const IterationInfo&) { nonlinear.push_back(w.to_vector()); });
            cg.step(closure_of(w, q));
            REQUIRE(cg.status() == Status::converged_gradient);
            REQUIRE(cg.restarts() == 0);
            REQUIRE(nonlinear.size() >= 5);
            for (std::size_t k = 0; k < 5; ++k) {
                INFO("iterate " << k + 1);
                require_close(nonlinear[k], linear[k], 1e-7, 1e-7);
            }
        }
    }
}

TEST_CASE(
    "gradient descent on an ill-conditioned quadratic contracts each eigen-direction by "
    "exactly 1 - lr lambda",
    "[optim][quadratic][ill_conditioned]") {
    // Condition number 1e4, lr = 1 / lambda_max: the error along eigenvector k shrinks by
    // (1 - lambda_k / lambda_max) per step, so the flat directions hardly move: the valley.
    const Quadratic q(log_spaced(5, 1e4), 24);
    Tensor w = q.zero_start();
    const double lr = 1 / q.eigenvalues.back();
    GradientDescent gd({w}, GradientDescentOptions(lr)
                                .line_search(LineSearchKind::none)
                                .max_iter(200)
                                .tolerance_grad(0)
                                .tolerance_step(0));
    gd.step(closure_of(w, q));
    REQUIRE(gd.status() == Status::max_iterations);
    REQUIRE(gd.counters().iterations == 200);
    // Expected by the eigen-decomposition: e_200 = sum_k (1 - lambda_k lr)^200 (q_k . e_0) q_k
    std::vector<double> e0(q.n);
    for (std::size_t i = 0; i < q.n; ++i) e0[i] = -q.minimiser[i];
    std::vector<double> expected = q.minimiser;
    for (std::size_t k = 0; k < q.n; ++k) {
        const double c = inner(q.q[k], e0) * std::pow(1 - q.eigenvalues[k] * lr, 200);
        for (std::size_t i = 0; i < q.n; ++i) expected[i] += c * q.q[k][i];
    }
    require_close(w, expected, 1e-10, 1e-9);
    // The flattest direction kept 98 percent of its error.
    REQUIRE(std::abs(inner(q.q[0], w.to_vector()) - inner(q.q[0], q.minimiser)) >
            0.97 * std::abs(inner(q.q[0], e0)));
}

TEST_CASE("on an ill-conditioned quadratic, momentum beats gradient descent by about sqrt(kappa)",
          "[optim][quadratic][ill_conditioned]") {
    // Polyak's tuning for eigenvalues in [mu, L]: eps = 4 / (sqrt L + sqrt mu)^2,
    // alpha = ((sqrt kappa - 1) / (sqrt kappa + 1))^2; the error falls like alpha^(k/2), about
    // (1 - 2 / sqrt kappa)^k, against (1 - 1/kappa)^k for gradient descent with eps = 1 / L.
    const Quadratic q(log_spaced(6, 1e4), 25);
    const double mu = q.eigenvalues.front(), L = q.eigenvalues.back();
    const double kappa = L / mu;
    const double eps = 4 / std::pow(std::sqrt(L) + std::sqrt(mu), 2);
    const double alpha = std::pow((std::sqrt(kappa) - 1) / (std::sqrt(kappa) + 1), 2);
    const double start = q.distance(std::vector<double>(q.n, 0.0));

    Tensor w = q.zero_start();
    SGD heavy_ball({w}, SGDOptions(eps).momentum(alpha).max_iter(3000));
    const Closure closure = closure_of(w, q);
    std::size_t reached = 0;
    while (!heavy_ball.stopped()) {
        heavy_ball.step(closure);
        if (reached == 0 && q.distance(w.to_vector()) <= 1e-6 * start)
            reached = heavy_ball.counters().iterations;
    }
    INFO("momentum reached 1e-6 after " << reached << " iterations");
    REQUIRE(reached > 0);
    REQUIRE(reached < 2000);
    // Gradient descent would need log(1e-6) / log(1 - 1/kappa), about 1.4e5 iterations.
    REQUIRE(std::log(1e-6) / std::log(1 - 1 / kappa) > 50 * double(reached));
}

TEST_CASE("on an ill-conditioned quadratic, CG, BFGS, L-BFGS and Newton-CG still converge fast",
          "[optim][quadratic][ill_conditioned]") {
    // Condition number 1e4: gradient descent with the best fixed step would need
    // log(1e-8) / log(1 - 1e-4), about 1.8e5 iterations, to shrink the error by 1e-8.
    const std::size_t n = 10;
    const Quadratic q(log_spaced(n, 1e4), 26);
    const double tol = 1e-8;
    const auto exact = LineSearchOptions().c1(1e-12).c2(1e-10);
    SECTION("linear CG: n steps in exact arithmetic, a few more in double precision") {
        const LinearCGResult r =
            conjugate_gradient([&](const FlatVector& v, FlatVector& av) { av = mat_vec(q.a, v); },
                               q.b, LinearCGOptions().rel_tol(1e-12).max_iter(3 * n));
        REQUIRE(r.status == LinearCGStatus::converged);
        REQUIRE(r.iterations <= 2 * n);
    }
    SECTION(
        "nonlinear CG (PR+, strong Wolfe c2 = 0.1): restarted by Powell's test, slower than "
        "linear CG but far faster than gradient descent") {
        Tensor w = q.zero_start();
        NonlinearCG cg({w},
                       NonlinearCGOptions().tolerance_grad(tol).tolerance_step(0).max_iter(1000));
        cg.step(closure_of(w, q));
        REQUIRE(cg.status() == Status::converged_gradient);
        REQUIRE(cg.counters().iterations <= 30 * n);
        REQUIRE(cg.restarts() >= 1);
        require_close(w, q.minimiser, 1e-9, 1e-7);
    }
    SECTION("BFGS with exact line searches terminates in about n iterations") {
        Tensor w = q.zero_start();
        BFGS bfgs(
            {w},
            BFGSOptions().line_search_options(exact).tolerance_grad(tol).tolerance_step(0).max_iter(
                500));
        bfgs.step(closure_of(w, q));
        REQUIRE(bfgs.status() == Status::converged_gradient);
        REQUIRE(bfgs.counters().iterations <= n + 3);
        require_close(w, q.minimiser, 1e-9, 1e-7);
    }
    SECTION("BFGS with the default loose Wolfe search (c2 = 0.9) takes more, still converges") {
        Tensor w = q.zero_start();
        BFGS bfgs({w}, BFGSOptions().tolerance_grad(tol).tolerance_step(0).max_iter(500));
        bfgs.step(closure_of(w, q));
        REQUIRE(bfgs.status() == Status::converged_gradient);
        REQUIRE(bfgs.counters().iterations > n + 3);
        REQUIRE(bfgs.counters().iterations <= 10 * n);
    }
    SECTION("L-BFGS with a memory of n and a tighter search behaves like BFGS") {
        Tensor w = q.zero_start();
        LBFGS lbfgs({w}, LBFGSOptions()
                             .history_size(n)
                             .line_search_options(LineSearchOptions().c2(0.1))
                             .tolerance_grad(tol)
                             .tolerance_step(0)
                             .max_iter(500));
        lbfgs.step(closure_of(w, q));
        REQUIRE(lbfgs.status() == Status::converged_gradient);
        REQUIRE(lbfgs.counters().iterations <= 2 * n);
    }
    SECTION("Newton-CG: few outer iterations, each a truncated CG") {
        Tensor w = q.zero_start();
        NewtonCG opt({w}, NewtonCGOptions().tolerance_grad(tol).tolerance_step(0).max_iter(50));
        opt.step([&] { return q(w); });
        REQUIRE(opt.status() == Status::converged_gradient);
        REQUIRE(opt.counters().iterations <= 20);
        REQUIRE(opt.cg_iterations() == opt.counters().hessian_vector_products);
        require_close(w, q.minimiser, 1e-9, 1e-7);
    }
    SECTION("steepest descent with a line search does not converge in 500 iterations") {
        Tensor w = q.zero_start();
        GradientDescent gd({w}, GradientDescentOptions()
                                    .line_search(LineSearchKind::strong_wolfe)
                                    .tolerance_grad(tol)
                                    .max_iter(500));
        gd.step(closure_of(w, q));
        REQUIRE(gd.status() == Status::max_iterations);
        REQUIRE(q.distance(w.to_vector()) > 1e-3 * q.distance(std::vector<double>(n, 0.0)));
    }
}
