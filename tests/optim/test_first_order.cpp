// SGD, momentum, Nesterov, Adam, AdamW and RMSprop against hand-computed steps.

#include "problems.hpp"

using namespace tgtest;
using namespace tg;
using namespace tg::optim;

namespace {

// f(w) = (w0^2 + 3 w1^2) / 2: gradient (w0, 3 w1).
Tensor bowl(const Tensor& w) {
    return 0.5 * sum(w * w * from_vector({1, 3}, {2}, w.dtype()));
}

// Sets .grad() to the gradient of the bowl at the parameters' current value.
void bowl_gradient(Tensor w) {
    w.zero_grad();
    bowl(w).backward();
}

}  // namespace

TEST_CASE("SGD takes the plain step w - lr (g + weight_decay w)", "[optim][sgd]") {
    Tensor w = from_vector({1, -2}, {2}, kFloat64).requires_grad_();
    SGD sgd({w}, SGDOptions(0.1).weight_decay(0.5));
    bowl_gradient(w);
    sgd.step();
    // g = (1, -6), g + 0.5 w = (1.5, -7): w = (1 - 0.15, -2 + 0.7)
    require_close(w, {0.85, -1.3}, 1e-15);
    REQUIRE(sgd.counters().iterations == 1);
    REQUIRE(sgd.counters().gradient_evaluations == 1);
    REQUIRE(sgd.counters().loss_evaluations == 0);
    REQUIRE(sgd.status() == Status::running);
}

TEST_CASE("momentum follows the lecture's v <- alpha v - eps grad, w <- w + v", "[optim][sgd]") {
    Tensor w = from_vector({1, -2}, {2}, kFloat64).requires_grad_();
    SGD sgd({w}, SGDOptions(0.1).momentum(0.9));
    // Worked by hand from w0 = (1, -2), gradient (w0, 3 w1), eps = 0.1, alpha = 0.9:
    //   g0 = (1, -6)        v1 = (-0.1, 0.6)     w1 = (0.9, -1.4)
    //   g1 = (0.9, -4.2)    v2 = (-0.18, 0.96)   w2 = (0.72, -0.44)
    //   g2 = (0.72, -1.32)  v3 = (-0.234, 0.996) w3 = (0.486, 0.556)
    const std::vector<std::vector<double>> w_expected{{0.9, -1.4}, {0.72, -0.44}, {0.486, 0.556}};
    const std::vector<std::vector<double>> v_expected{{-0.1, 0.6}, {-0.18, 0.96}, {-0.234, 0.996}};
    for (std::size_t k = 0; k < 3; ++k) {
        bowl_gradient(w);
        sgd.step();
        require_close(w, w_expected[k], 1e-14, 0, "w");
        require_close(sgd.velocity(0), v_expected[k], 1e-14, 0, "v");
    }
}

TEST_CASE("Nesterov matches Sutskever's look-ahead form step by step", "[optim][sgd]") {
    Tensor w = from_vector({1, -2}, {2}, kFloat64).requires_grad_();
    SGD sgd({w}, SGDOptions(0.1).momentum(0.9).nesterov(true));
    // Sutskever et al.: v <- alpha v - eps grad(u + alpha v), u <- u + v; the parameters hold
    // the look-ahead point u + alpha v. By hand from u0 = (1, -2), v0 = 0:
    //   grad at (1, -2) = (1, -6):         v1 = (-0.1, 0.6),     u1 = (0.9, -1.4),
    //                                      look-ahead (0.81, -0.86)
    //   grad at (0.81, -0.86) = (0.81, -2.58): v2 = (-0.171, 0.798), u2 = (0.729, -0.602),
    //                                      look-ahead (0.5751, 0.1162)
    bowl_gradient(w);
    sgd.step();
    require_close(w, {0.81, -0.86}, 1e-14);
    bowl_gradient(w);
    sgd.step();
    require_close(w, {0.5751, 0.1162}, 1e-14);
    require_close(sgd.velocity(0), {-0.171, 0.798}, 1e-14);
}

TEST_CASE("Nesterov needs momentum and options are checked", "[optim][sgd]") {
    Tensor w = zeros({2}, kFloat64).requires_grad_();
    require_throws<ValueError>([&] { SGD({w}, SGDOptions(0.1).nesterov(true)); },
                               {"SGD", "Nesterov"});
    require_throws<ValueError>([&] { SGD({w}, SGDOptions(-1)); }, {"SGD", "lr"});
    require_throws<ValueError>(
        [&] {
            Adam({w}, AdamOptions().betas({0.9, 1.0}));
        },
        {"Adam", "betas"});
}

TEST_CASE("momentum works in float32 and on several parameters", "[optim][sgd]") {
    Tensor a = from_vector({1, -2}, {2}, kFloat32).requires_grad_();
    Tensor b = from_vector({3}, {1}, kFloat32).requires_grad_();
    SGD sgd({a, b}, SGDOptions(0.1).momentum(0.9));
    for (int k = 0; k < 2; ++k) {
        a.zero_grad();
        b.zero_grad();
        (bowl(a) + sum(b * b)).backward();
        sgd.step();
    }
    require_close(a, {0.72, -0.44}, 1e-6);
    // b: g0 = 6, v1 = -0.6, b1 = 2.4; g1 = 4.8, v2 = -0.54 - 0.48 = -1.02, b2 = 1.38
    require_close(b, {1.38}, 1e-6);
    REQUIRE(a.dtype() == kFloat32);
}

TEST_CASE("Adam and AdamW match the update written out with loops", "[optim][adam]") {
    for (bool decoupled : {false, true}) {
        DYNAMIC_SECTION((decoupled ? "AdamW" : "Adam")) {
            Tensor w = from_vector({1, -2}, {2}, kFloat64).requires_grad_();
            const double lr = 0.1, b1 = 0.8, b2 = 0.9, eps = 1e-3, wd = 0.2;
            std::unique_ptr<FirstOrderOptimizer> opt;
            if (decoupled) {
                opt = std::make_unique<AdamW>(
                    std::vector<Tensor>{w},
                    AdamWOptions(lr).betas({b1, b2}).eps(eps).weight_decay(wd));
            } else {
                opt = std::make_unique<Adam>(
                    std::vector<Tensor>{w},
                    AdamOptions(lr).betas({b1, b2}).eps(eps).weight_decay(wd));
            }
            std::vector<double> x{1, -2}, m{0, 0}, v{0, 0};
            const std::vector<double> curv{1, 3};
            for (int t = 1; t <= 4; ++t) {
                bowl_gradient(w);
                opt->step();
                for (std::size_t i = 0; i < 2; ++i) {
                    double g = curv[i] * x[i];
                    if (decoupled) {
                        x[i] -= lr * wd * x[i];
                    } else {
                        g += wd * x[i];
                    }
                    m[i] = b1 * m[i] + (1 - b1) * g;
                    v[i] = b2 * v[i] + (1 - b2) * g * g;
                    const double mh = m[i] / (1 - std::pow(b1, t));
                    const double vh = v[i] / (1 - std::pow(b2, t));
                    x[i] -= lr * mh / (std::sqrt(vh) + eps);
                }
                require_close(w, x, 1e-14, 1e-13);
            }
        }
    }
}

TEST_CASE("Adam's first step has length lr in every coordinate", "[optim][adam]") {
    Tensor w = from_vector({1, -2}, {2}, kFloat64).requires_grad_();
    Adam adam({w}, AdamOptions(0.01).eps(0));
    bowl_gradient(w);
    adam.step();
    require_close(w, {0.99, -1.99}, 1e-15);
}

TEST_CASE("RMSprop matches the update written out with loops", "[optim][rmsprop]") {
    for (bool centered : {false, true}) {
        DYNAMIC_SECTION("centered " << centered) {
            Tensor w = from_vector({1, -2}, {2}, kFloat64).requires_grad_();
            const double lr = 0.01, alpha = 0.9, eps = 1e-6, mu = 0.5;
            RMSprop opt({w},
                        RMSpropOptions(lr).alpha(alpha).eps(eps).momentum(mu).centered(centered));
            std::vector<double> x{1, -2}, s{0, 0}, a{0, 0}, buf{0, 0};
            const std::vector<double> curv{1, 3};
            for (int t = 1; t <= 4; ++t) {
                bowl_gradient(w);
                opt.step();
                for (std::size_t i = 0; i < 2; ++i) {
                    const double g = curv[i] * x[i];
                    s[i] = alpha * s[i] + (1 - alpha) * g * g;
                    double den = std::sqrt(s[i]) + eps;
                    if (centered) {
                        a[i] = alpha * a[i] + (1 - alpha) * g;
                        den = std::sqrt(s[i] - a[i] * a[i]) + eps;
                    }
                    buf[i] = mu * buf[i] + g / den;
                    x[i] -= lr * buf[i];
                }
                require_close(w, x, 1e-14, 1e-12);
            }
        }
    }
}

TEST_CASE("first-order step(closure) counts the closure and stops on the gradient norm",
          "[optim][sgd]") {
    Tensor w = from_vector({1, -2}, {2}, kFloat64).requires_grad_();
    SGD sgd({w}, SGDOptions(0.2).momentum(0.5).tolerance_grad(1e-6).max_iter(1000));
    const Closure closure = closure_of(w, bowl);
    std::size_t calls = 0;
    sgd.on_iteration([&](const IterationInfo& info) {
        ++calls;
        REQUIRE(info.iteration == calls);
        REQUIRE(std::isfinite(info.loss));
    });
    while (!sgd.stopped()) sgd.step(closure);
    REQUIRE(sgd.status() == Status::converged_gradient);
    REQUIRE(sgd.last_grad_norm() <= 1e-6);
    REQUIRE(sgd.counters().iterations == calls);
    // One closure call per step, and the last one found the gradient small enough.
    REQUIRE(sgd.counters().loss_evaluations == calls + 1);
    REQUIRE(sgd.counters().gradient_evaluations == calls + 1);
    REQUIRE(sgd.stop_reason().find("gradient norm") != std::string::npos);
}

TEST_CASE("first-order max_iter counts over the optimizer's life", "[optim][sgd]") {
    Tensor w = from_vector({1, -2}, {2}, kFloat64).requires_grad_();
    Adam adam({w}, AdamOptions(0.01).max_iter(5));
    const Closure closure = closure_of(w, bowl);
    for (int k = 0; k < 8; ++k) adam.step(closure);
    REQUIRE(adam.counters().iterations == 5);
    REQUIRE(adam.status() == Status::max_iterations);
    adam.reset();
    REQUIRE(adam.status() == Status::not_started);
    adam.step(closure);
    REQUIRE(adam.counters().iterations == 1);
}

TEST_CASE("a NaN gradient leaves every parameter and the state untouched", "[optim][sgd]") {
    Tensor a = from_vector({1, -2}, {2}, kFloat64).requires_grad_();
    Tensor b = from_vector({3}, {1}, kFloat64).requires_grad_();
    SGD sgd({a, b}, SGDOptions(0.1).momentum(0.9));
    a.set_grad(from_vector({1, 1}, {2}, kFloat64));
    b.set_grad(from_vector({1}, {1}, kFloat64));
    sgd.step();
    const auto a1 = a.to_vector(), b1 = b.to_vector();
    const auto v1 = sgd.velocity(0).to_vector();
    a.set_grad(from_vector({1, 1}, {2}, kFloat64));
    b.set_grad(from_vector({std::nan("")}, {1}, kFloat64));
    sgd.step();
    REQUIRE(sgd.status() == Status::non_finite);
    require_close(a, a1, 0);
    require_close(b, b1, 0);
    require_close(sgd.velocity(0), v1, 0);
    REQUIRE(sgd.counters().iterations == 1);
}

TEST_CASE("parameters without a gradient are skipped", "[optim][sgd]") {
    Tensor a = from_vector({1, -2}, {2}, kFloat64).requires_grad_();
    Tensor unused = from_vector({5}, {1}, kFloat64).requires_grad_();
    RMSprop opt({a, unused});
    bowl_gradient(a);
    opt.step();
    require_close(unused, {5}, 0);
    REQUIRE(a.to_vector()[0] < 1);
}
