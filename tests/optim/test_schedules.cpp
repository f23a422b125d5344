// Learning-rate schedules against PyTorch's closed forms written out here, their effect on the
// optimizer's steps, and gradient clipping against norms computed with plain loops.

#include <cmath>
#include <limits>

#include "problems.hpp"

using namespace tgtest;
using namespace tg;
using namespace tg::optim;

namespace {

// One parameter with gradient 1, so an SGD step moves it by exactly -lr.
struct OneParameter {
    Tensor w = from_vector({0.0}, {1}, kFloat64).requires_grad_();
    SGD sgd{{w}, SGDOptions(0.5)};
    double step() {  // the lr this step used
        const double before = w.to_vector()[0];
        w.set_grad(ones({1}, kFloat64));
        sgd.step();
        return before - w.to_vector()[0];
    }
};

}  // namespace

TEST_CASE("learning-rate schedules follow their closed forms", "[optim][schedule]") {
    const double base = 0.5;
    SECTION("StepLR") {
        OneParameter p;
        StepLR s(p.sgd, 3, 0.1);
        for (int e = 0; e < 10; ++e) {
            CHECK(p.step() == Approx(base * std::pow(0.1, e / 3)));
            s.step();
        }
    }
    SECTION("MultiStepLR") {
        OneParameter p;
        MultiStepLR s(p.sgd, {2, 5}, 0.5);
        const double want[] = {1, 1, 0.5, 0.5, 0.5, 0.25, 0.25};
        for (double w : want) {
            CHECK(p.step() == Approx(base * w));
            s.step();
        }
    }
    SECTION("ExponentialLR") {
        OneParameter p;
        ExponentialLR s(p.sgd, 0.9);
        for (int e = 0; e < 6; ++e) {
            CHECK(p.step() == Approx(base * std::pow(0.9, e)));
            s.step();
        }
    }
    SECTION("CosineAnnealingLR") {
        OneParameter p;
        CosineAnnealingLR s(p.sgd, 8, 0.01);
        for (int e = 0; e <= 8; ++e) {
            CHECK(p.step() == Approx(0.01 + (base - 0.01) * (1 + std::cos(M_PI * e / 8)) / 2));
            s.step();
        }
    }
    SECTION("CosineAnnealingWarmRestarts with t_mult 2: cycles of 2, 4, 8") {
        OneParameter p;
        CosineAnnealingWarmRestarts s(p.sgd, 2, 2);
        const int starts[] = {0, 2, 6, 14};
        for (int e = 0; e < 14; ++e) {
            int k = 0;
            while (e >= starts[k + 1]) ++k;
            const double t_cur = e - starts[k], t_i = starts[k + 1] - starts[k];
            CHECK(p.step() == Approx(base * (1 + std::cos(M_PI * t_cur / t_i)) / 2));
            s.step();
        }
    }
    SECTION("LinearWarmup") {
        OneParameter p;
        LinearWarmup s(p.sgd, 4, 0.25);
        const double want[] = {0.25, 0.4375, 0.625, 0.8125, 1, 1, 1};
        for (double w : want) {
            CHECK(p.step() == Approx(base * w));
            s.step();
        }
    }
    SECTION("OneCycleLR: up to max_lr over 30%, then down to max_lr / 25e4") {
        OneParameter p;
        OneCycleLR s(p.sgd, 1.0, 10);  // pct_start 0.3: the peak at step 2
        const double initial = 1.0 / 25, last = initial / 1e4;
        for (int e = 0; e <= 10; ++e) {
            double want;
            if (e <= 2) {
                want = 1.0 + (initial - 1.0) / 2 * (1 + std::cos(M_PI * e / 2.0));
            } else {
                want = last + (1.0 - last) / 2 * (1 + std::cos(M_PI * (e - 2) / 7.0));
            }
            CHECK(p.step() == Approx(want));
            if (e < 10) s.step();
        }
        CHECK_THROWS_AS(s.step(), ValueError);  // step 11 of 10
    }
}

TEST_CASE("ReduceLROnPlateau waits for patience, then cools down", "[optim][schedule]") {
    OneParameter p;
    ReduceLROnPlateau s(p.sgd, 0.5, 2, 1e-4, 1);
    const double metrics[] = {1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95};
    // bad epochs after each: 0 0 1 2 3->cut 0(cooldown) 1 2 3->cut
    const bool cut[] = {false, false, false, false, true, false, false, false, true};
    for (std::size_t i = 0; i < std::size(metrics); ++i) {
        INFO("epoch " << i);
        CHECK(s.step(metrics[i]) == cut[i]);
    }
    CHECK(p.sgd.lr() == Approx(0.5 * 0.25));
    CHECK(s.best() == 0.9);
}

TEST_CASE("schedules refuse bad arguments", "[optim][schedule]") {
    OneParameter p;
    CHECK_THROWS_AS(StepLR(p.sgd, 0), ValueError);
    CHECK_THROWS_AS(CosineAnnealingLR(p.sgd, 0), ValueError);
    CHECK_THROWS_AS(OneCycleLR(p.sgd, 1.0, 10, 1.5), ValueError);
    CHECK_THROWS_AS(MultiStepLR(p.sgd, {5, 2}), ValueError);
    CHECK_THROWS_AS(p.sgd.set_lr(-1), ValueError);
    CHECK_THROWS_AS(p.sgd.set_lr(std::nan("")), ValueError);
}

TEST_CASE("clip_grad_norm_ and clip_grad_value_ against plain loops", "[optim][clip]") {
    const Tensor a = from_vector({3.0, -4.0}, {2}, kFloat64).requires_grad_();
    const Tensor b = from_vector({12.0f}, {1}, kFloat32).requires_grad_();
    const Tensor unused = zeros({3}, kFloat64).requires_grad_();  // no .grad(): skipped
    const auto reset = [&] {
        a.set_grad(from_vector({3.0, -4.0}, {2}, kFloat64));
        b.set_grad(from_vector({12.0f}, {1}, kFloat32));
    };
    for (double p : {1.0, 2.0, 3.0, std::numeric_limits<double>::infinity()}) {
        reset();
        double want = 0;
        for (double v : {3.0, -4.0, 12.0}) {
            want = std::isinf(p) ? std::max(want, std::abs(v)) : want + std::pow(std::abs(v), p);
        }
        if (!std::isinf(p)) want = std::pow(want, 1 / p);
        INFO("norm_type " << p);
        CHECK(clip_grad_norm_({a, b, unused}, 1.0, p) == Approx(want));
        const double coef = 1.0 / (want + 1e-6);
        require_close(a.grad(), {3 * coef, -4 * coef}, 1e-12);
        require_close(b.grad(), {12 * coef}, 1e-6);
    }
    reset();
    CHECK(clip_grad_norm_({a, b}, 100.0) == Approx(13.0));  // below max_norm: unchanged
    require_close(a.grad(), {3.0, -4.0}, 0);
    clip_grad_value_({a, b}, 3.5);
    require_close(a.grad(), {3.0, -3.5}, 0);
    require_close(b.grad(), {3.5}, 0);
    a.set_grad(from_vector({std::nan(""), 1.0}, {2}, kFloat64));
    CHECK(std::isnan(clip_grad_norm_({a}, 1.0)));
    CHECK(std::isnan(a.grad().to_vector()[0]));  // left as it was
    CHECK_THROWS_AS(clip_grad_norm_({a}, 1.0, 2.0, true), NumericError);
    CHECK_THROWS_AS(clip_grad_norm_({a}, -1.0), ValueError);
}
