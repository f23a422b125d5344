// NaN and Inf from the closure, losses with a restricted domain, float32 parameters.

#include "problems.hpp"

using namespace tgtest;
using namespace tg;
using namespace tg::optim;

namespace {

// A closure that behaves for `good` calls, then returns NaN (loss and gradient).
struct Poisoned {
    Poisoned(Tensor w_, std::size_t good_) : w(std::move(w_)), good(good_) {}
    Tensor w;
    std::size_t good;
    std::size_t calls = 0;
    Tensor operator()() {
        ++calls;
        w.zero_grad();
        Tensor loss = rosenbrock(w);
        if (calls > good) loss = loss * std::nan("");
        loss.backward();
        return loss;
    }
};

}  // namespace

TEST_CASE("a closure that turns NaN stops a line-search method at its last good point",
          "[optim][robustness]") {
    for (int method = 0; method < 3; ++method) {
        DYNAMIC_SECTION("method " << method) {
            Tensor w = rosenbrock_start();
            Poisoned poison{w, 7};
            std::unique_ptr<LineSearchOptimizer> opt;
            if (method == 0)
                opt = std::make_unique<LBFGS>(std::vector<Tensor>{w}, LBFGSOptions().max_iter(100));
            if (method == 1)
                opt = std::make_unique<BFGS>(std::vector<Tensor>{w}, BFGSOptions().max_iter(100));
            if (method == 2) {
                opt = std::make_unique<NonlinearCG>(std::vector<Tensor>{w},
                                                    NonlinearCGOptions().max_iter(100));
            }
            std::vector<double> last_accepted = w.to_vector();
            opt->on_iteration([&](const IterationInfo&) { last_accepted = w.to_vector(); });
            opt->step(std::ref(poison));
            INFO(opt->stop_reason());
            REQUIRE(opt->status() == Status::non_finite);
            REQUIRE(poison.calls > 7);
            // Back at the last accepted iterate, with finite values and gradient.
            require_close(w, last_accepted, 0);
            REQUIRE(std::isfinite(opt->last_loss()));
            for (double g : w.grad().to_vector()) REQUIRE(std::isfinite(g));
            REQUIRE(opt->stop_reason().find("restored") != std::string::npos);
        }
    }
}

TEST_CASE("a NaN at the start changes nothing", "[optim][robustness]") {
    Tensor w = rosenbrock_start();
    Poisoned poison{w, 0};
    LBFGS lbfgs({w});
    lbfgs.step(std::ref(poison));
    REQUIRE(lbfgs.status() == Status::non_finite);
    REQUIRE(lbfgs.counters().iterations == 0);
    require_close(w, {-1.2, 1}, 0);
    NewtonCG ncg({w});
    ncg.step([&] { return rosenbrock(w) * std::nan(""); });
    REQUIRE(ncg.status() == Status::non_finite);
    require_close(w, {-1.2, 1}, 0);
}

TEST_CASE("Newton stops with non_finite when the loss turns NaN after some iterations",
          "[optim][robustness][newton]") {
    Tensor w = rosenbrock_start();
    std::size_t calls = 0;
    Newton newton({w}, NewtonOptions().max_iter(100).tolerance_grad(1e-12));
    std::vector<double> last_accepted = w.to_vector();
    newton.on_iteration([&](const IterationInfo&) { last_accepted = w.to_vector(); });
    newton.step([&] {
        ++calls;
        Tensor f = rosenbrock(w);
        return calls > 12 ? f * std::nan("") : f;
    });
    INFO(newton.stop_reason());
    REQUIRE(newton.status() == Status::non_finite);
    require_close(w, last_accepted, 0);
}

TEST_CASE("line searches back off from a loss that is NaN outside its domain",
          "[optim][robustness]") {
    // f(w) = sum(w - log(w)) is NaN for w < 0 and minimal at w = 1. From w = (10, 4) a long
    // step downhill (and the Newton step 2w - w^2) lands at negative w: NaN.
    std::size_t nan_trials = 0;
    const auto f = [&](const Tensor& w) {
        Tensor loss = sum(w - log(w));
        if (std::isnan(loss.item())) ++nan_trials;
        return loss;
    };
    SECTION("strong Wolfe (gradient descent with a long first step)") {
        Tensor w = from_vector({10, 4}, {2}, kFloat64).requires_grad_();
        GradientDescent gd({w}, GradientDescentOptions(50)
                                    .line_search(LineSearchKind::strong_wolfe)
                                    .max_iter(100)
                                    .tolerance_grad(1e-10));
        gd.step(closure_of(w, f));
        INFO(gd.stop_reason());
        REQUIRE(gd.status() == Status::converged_gradient);
        REQUIRE(nan_trials > 0);
        require_close(w, {1, 1}, 1e-9);
    }
    SECTION("backtracking (Newton-CG)") {
        Tensor w = from_vector({10, 4}, {2}, kFloat64).requires_grad_();
        NewtonCG opt({w}, NewtonCGOptions().max_iter(100).tolerance_grad(1e-10));
        opt.step([&] { return f(w); });
        INFO(opt.stop_reason());
        REQUIRE(opt.status() == Status::converged_gradient);
        REQUIRE(nan_trials > 0);
        require_close(w, {1, 1}, 1e-9);
    }
}

TEST_CASE(
    "float32 parameters: L-BFGS and Newton-CG get as close as float allows and stop "
    "cleanly",
    "[optim][robustness]") {
    Tensor w = rosenbrock_start(kFloat32);
    LBFGS lbfgs({w}, LBFGSOptions().max_iter(200).tolerance_grad(1e-3));
    lbfgs.step(closure_of(w, rosenbrock));
    INFO(lbfgs.stop_reason());
    REQUIRE(lbfgs.converged());
    REQUIRE(w.dtype() == kFloat32);
    require_close(w, {1, 1}, 1e-3);

    Tensor v = rosenbrock_start(kFloat32);
    NewtonCG ncg({v}, NewtonCGOptions().max_iter(200).tolerance_grad(1e-3));
    ncg.step([&] { return rosenbrock(v); });
    INFO(ncg.stop_reason());
    REQUIRE(ncg.converged());
    require_close(v, {1, 1}, 1e-3);
}

TEST_CASE("float32 parameters asked for too much stop with a clear status, never NaN",
          "[optim][robustness]") {
    Tensor w = rosenbrock_start(kFloat32);
    LBFGS lbfgs({w}, LBFGSOptions().max_iter(500).tolerance_grad(1e-12).tolerance_step(0));
    lbfgs.step(closure_of(w, rosenbrock));
    INFO(lbfgs.stop_reason());
    REQUIRE(lbfgs.stopped());
    REQUIRE(lbfgs.status() != Status::non_finite);
    for (double x : w.to_vector()) REQUIRE(std::abs(x - 1) < 1e-2);
    REQUIRE_FALSE(lbfgs.stop_reason().empty());
}

TEST_CASE("the callback sees every iteration with the parameters at the new point",
          "[optim][robustness]") {
    Tensor w = rosenbrock_start();
    BFGS bfgs({w}, BFGSOptions().max_iter(8));
    std::vector<IterationInfo> infos;
    bfgs.on_iteration([&](const IterationInfo& info) {
        infos.push_back(info);
        // The reported loss is the loss at the parameters now.
        REQUIRE(info.loss == Approx(rosenbrock(w.detach()).item()).epsilon(1e-14));
    });
    bfgs.step(closure_of(w, rosenbrock));
    REQUIRE(infos.size() == 8);
    for (std::size_t k = 0; k < infos.size(); ++k) {
        REQUIRE(infos[k].iteration == k + 1);
        REQUIRE(infos[k].step_norm > 0);
        REQUIRE(infos[k].step_size > 0);
        if (k > 0) REQUIRE(infos[k].loss < infos[k - 1].loss);
    }
    REQUIRE(bfgs.last_loss() == infos.back().loss);
}
