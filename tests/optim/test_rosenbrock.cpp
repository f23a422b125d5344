// Every method on the Rosenbrock function from (-1.2, 1). Second-order, quasi-Newton and CG
// methods must reach a gradient norm below 1e-8; the first-order methods get a looser target:
// within 1e-3 of the minimum (1, 1).

#include "problems.hpp"

using namespace tgtest;
using namespace tg;
using namespace tg::optim;

namespace {

void require_at_minimum(const Optimizer& opt, const Tensor& w) {
    INFO(opt.name() << ": " << opt.stop_reason());
    REQUIRE(opt.status() == Status::converged_gradient);
    // The gradient at the final point, by hand: (-2(1-a) - 400 a (b - a^2), 200 (b - a^2)).
    const auto x = w.to_vector();
    const double a = x[0], b = x[1];
    const double g0 = -2 * (1 - a) - 400 * a * (b - a * a), g1 = 200 * (b - a * a);
    REQUIRE(std::sqrt(g0 * g0 + g1 * g1) < 1e-8);
    require_close(w, {1, 1}, 1e-7);  // |x - x*| <= |g| / lambda_min(H), lambda_min ~ 0.4
}

}  // namespace

TEST_CASE("line-search methods reach gradient norm 1e-8 on Rosenbrock", "[optim][rosenbrock]") {
    const auto options_cg = [](CGBeta beta) {
        return NonlinearCGOptions(beta).tolerance_grad(1e-9).tolerance_step(0).max_iter(1000);
    };
    for (int method = 0; method < 5; ++method) {
        Tensor w = rosenbrock_start();
        std::unique_ptr<LineSearchOptimizer> opt;
        switch (method) {
            case 0:
                opt = std::make_unique<NonlinearCG>(std::vector<Tensor>{w},
                                                    options_cg(CGBeta::fletcher_reeves));
                break;
            case 1:
                opt = std::make_unique<NonlinearCG>(std::vector<Tensor>{w},
                                                    options_cg(CGBeta::polak_ribiere_plus));
                break;
            case 2:
                opt = std::make_unique<NonlinearCG>(std::vector<Tensor>{w},
                                                    options_cg(CGBeta::hestenes_stiefel));
                break;
            case 3:
                opt = std::make_unique<BFGS>(
                    std::vector<Tensor>{w},
                    BFGSOptions().tolerance_grad(1e-9).tolerance_step(0).max_iter(1000));
                break;
            default:
                opt = std::make_unique<LBFGS>(
                    std::vector<Tensor>{w},
                    LBFGSOptions().tolerance_grad(1e-9).tolerance_step(0).max_iter(1000));
        }
        DYNAMIC_SECTION(opt->name() << " " << method) {
            opt->step(closure_of(w, rosenbrock));
            require_at_minimum(*opt, w);
            const Counters& c = opt->counters();
            // One closure call gives both: every trial point, plus the start.
            REQUIRE(c.loss_evaluations == c.gradient_evaluations);
            REQUIRE(c.loss_evaluations >= c.iterations + 1);
            REQUIRE(c.iterations >= 10);  // nobody solves Rosenbrock in a handful of steps
            REQUIRE(c.iterations <= 200);
            REQUIRE(c.hessian_vector_products == 0);
        }
    }
}

TEST_CASE("Newton and Newton-CG reach gradient norm 1e-8 on Rosenbrock",
          "[optim][rosenbrock][newton]") {
    SECTION("Newton, eigenvalue shift and backtracking") {
        Tensor w = rosenbrock_start();
        Newton opt({w}, NewtonOptions().tolerance_grad(1e-9).tolerance_step(0).max_iter(200));
        opt.step([&] { return rosenbrock(w); });
        require_at_minimum(opt, w);
        const Counters& c = opt.counters();
        REQUIRE(c.hessian_vector_products == 2 * c.iterations);  // a dense 2x2 per iteration
        REQUIRE(c.gradient_evaluations == c.iterations + 1);
        REQUIRE(c.iterations <= 40);
    }
    SECTION("Newton, Levenberg damping") {
        Tensor w = rosenbrock_start();
        Newton opt({w}, NewtonOptions()
                            .modification(HessianModification::levenberg)
                            .tolerance_grad(1e-9)
                            .tolerance_step(0)
                            .max_iter(200));
        opt.step([&] { return rosenbrock(w); });
        require_at_minimum(opt, w);
    }
    for (auto glob : {NewtonCGGlobalization::line_search, NewtonCGGlobalization::trust_region,
                      NewtonCGGlobalization::damping}) {
        DYNAMIC_SECTION("Newton-CG globalization " << int(glob)) {
            Tensor w = rosenbrock_start();
            NewtonCG opt({w}, NewtonCGOptions()
                                  .globalization(glob)
                                  .tolerance_grad(1e-9)
                                  .tolerance_step(0)
                                  .max_iter(300));
            opt.step([&] { return rosenbrock(w); });
            require_at_minimum(opt, w);
            const Counters& c = opt.counters();
            REQUIRE(c.hessian_vector_products >= c.iterations - opt.rejected_steps());
            REQUIRE(opt.cg_iterations() <= c.hessian_vector_products);
            REQUIRE(c.gradient_evaluations <= c.iterations + 1 + opt.rejected_steps());
        }
    }
}

TEST_CASE("first-order methods get within 1e-3 of the Rosenbrock minimum",
          "[optim][rosenbrock][first_order]") {
    struct Case {
        const char* name;
        std::function<std::unique_ptr<FirstOrderOptimizer>(Tensor)> make;
        std::size_t budget;
    };
    const std::vector<Case> cases{
        {"momentum",
         [](Tensor w) {
             return std::make_unique<SGD>(std::vector<Tensor>{w},
                                          SGDOptions(1e-3).momentum(0.9).max_iter(5000));
         },
         5000},
        {"Nesterov",
         [](Tensor w) {
             return std::make_unique<SGD>(
                 std::vector<Tensor>{w},
                 SGDOptions(1e-3).momentum(0.9).nesterov(true).max_iter(5000));
         },
         5000},
        {"Adam",
         [](Tensor w) {
             return std::make_unique<Adam>(std::vector<Tensor>{w},
                                           AdamOptions(1e-2).max_iter(10000));
         },
         10000},
        {"RMSprop",
         [](Tensor w) {
             return std::make_unique<RMSprop>(std::vector<Tensor>{w},
                                              RMSpropOptions(1e-3).momentum(0.9).max_iter(10000));
         },
         10000},
    };
    for (const auto& c : cases) {
        DYNAMIC_SECTION(c.name) {
            Tensor w = rosenbrock_start();
            auto opt = c.make(w);
            const Closure closure = closure_of(w, rosenbrock);
            std::size_t reached = 0;
            while (!opt->stopped()) {
                opt->step(closure);
                const auto x = w.to_vector();
                if (std::hypot(x[0] - 1, x[1] - 1) < 1e-3) {
                    reached = opt->counters().iterations;
                    break;
                }
            }
            INFO(c.name << " after " << opt->counters().iterations << " iterations at "
                        << w.to_vector()[0] << ", " << w.to_vector()[1]);
            REQUIRE(reached > 0);
            REQUIRE(reached <= c.budget);
        }
    }
}

TEST_CASE("plausible counts: Newton needs far fewer iterations than gradient descent",
          "[optim][rosenbrock][counters]") {
    Tensor w1 = rosenbrock_start();
    Newton newton({w1}, NewtonOptions().tolerance_grad(1e-4).max_iter(500));
    newton.step([&] { return rosenbrock(w1); });
    REQUIRE(newton.status() == Status::converged_gradient);

    Tensor w2 = rosenbrock_start();
    GradientDescent gd({w2}, GradientDescentOptions().tolerance_grad(1e-4).max_iter(20000));
    gd.step(closure_of(w2, rosenbrock));
    REQUIRE(gd.status() == Status::converged_gradient);

    Tensor w3 = rosenbrock_start();
    LBFGS lbfgs({w3}, LBFGSOptions().tolerance_grad(1e-4).max_iter(500));
    lbfgs.step(closure_of(w3, rosenbrock));
    REQUIRE(lbfgs.status() == Status::converged_gradient);

    const auto& cn = newton.counters();
    const auto& cg = gd.counters();
    const auto& cl = lbfgs.counters();
    INFO("Newton " << cn.iterations << ", L-BFGS " << cl.iterations << ", GD " << cg.iterations);
    REQUIRE(10 * cn.iterations < cg.iterations);
    REQUIRE(10 * cl.iterations < cg.iterations);
    REQUIRE(cn.hessian_vector_products > 0);
    REQUIRE(cg.hessian_vector_products == 0);
    REQUIRE(cl.gradient_evaluations < cg.gradient_evaluations / 10);
}

TEST_CASE("step(closure) runs max_iter iterations per call, as libtorch's LBFGS",
          "[optim][rosenbrock][counters]") {
    Tensor w = rosenbrock_start();
    LBFGS lbfgs({w}, LBFGSOptions().max_iter(5).tolerance_grad(1e-9).tolerance_step(0));
    const Closure closure = closure_of(w, rosenbrock);
    lbfgs.step(closure);
    REQUIRE(lbfgs.counters().iterations == 5);
    REQUIRE(lbfgs.status() == Status::max_iterations);
    int calls = 1;
    while (lbfgs.status() == Status::max_iterations && calls < 100) {
        lbfgs.step(closure);
        ++calls;
    }
    require_at_minimum(lbfgs, w);
    REQUIRE(lbfgs.counters().iterations <= 5u * calls);
}
