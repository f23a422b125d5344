// Line searches on one-dimensional functions whose values and slopes are written by hand.

#include "problems.hpp"

using namespace tgtest;
using namespace tg;
using namespace tg::optim;

namespace {

// phi(a) = t^2 + 0.1 t^3 / 3 with t = a - 3: phi'(a) = 2t + 0.1 t^2, which is -5.1 at a = 0
// and vanishes at the minimum a = 3 (the other root, a = -17, is behind the start).
struct Cubic {
    std::size_t calls = 0;
    LinePoint operator()(double a) {
        ++calls;
        const double t = a - 3;
        return {a, t * t + 0.1 * t * t * t / 3, 2 * t + 0.1 * t * t};
    }
};

}  // namespace

TEST_CASE("strong Wolfe returns a point that satisfies both conditions", "[optim][line_search]") {
    for (double alpha0 : {0.01, 1.0, 2.9, 7.0, 50.0}) {
        Cubic phi;
        const LinePoint zero = phi(0);
        const auto o = LineSearchOptions().c1(1e-4).c2(0.1);
        const LineSearchResult r = strong_wolfe(std::ref(phi), zero.f, zero.dphi, alpha0, o);
        INFO("alpha0 " << alpha0 << " -> alpha " << r.point.alpha);
        REQUIRE(r.status == LineSearchStatus::ok);
        const LinePoint p = Cubic()(r.point.alpha);
        REQUIRE(p.f == r.point.f);
        REQUIRE(p.f <= zero.f + o.c1() * r.point.alpha * zero.dphi);
        REQUIRE(std::abs(p.dphi) <= o.c2() * std::abs(zero.dphi));
        REQUIRE(r.evaluations == phi.calls - 1);
        REQUIRE(r.evaluations <= 10);
    }
}

TEST_CASE("strong Wolfe with a tiny c2 is an exact line search on a quadratic",
          "[optim][line_search]") {
    // phi(a) = 5 (a - 0.37)^2: cubic interpolation of a quadratic is exact.
    const auto phi = [](double a) {
        return LinePoint{a, 5 * (a - 0.37) * (a - 0.37), 10 * (a - 0.37)};
    };
    const auto o = LineSearchOptions().c1(1e-12).c2(1e-10);
    for (double alpha0 : {0.001, 1.0, 100.0}) {
        const LineSearchResult r = strong_wolfe(phi, phi(0).f, phi(0).dphi, alpha0, o);
        REQUIRE(r.status == LineSearchStatus::ok);
        REQUIRE(r.point.alpha == Approx(0.37).epsilon(1e-10));
    }
}

TEST_CASE("backtracking satisfies Armijo and interpolates", "[optim][line_search]") {
    // phi(a) = (a - 0.1)^2: from alpha0 = 1 the quadratic interpolation lands on 0.1 exactly,
    // but it is kept in [0.1, 0.5] alpha, so the first backtrack gives 0.1.
    std::size_t calls = 0;
    const auto phi = [&](double a) {
        ++calls;
        return (a - 0.1) * (a - 0.1);
    };
    const LineSearchResult r = backtracking(phi, 0.01, -0.2, 1.0);
    REQUIRE(r.status == LineSearchStatus::ok);
    REQUIRE(r.point.alpha == Approx(0.1).epsilon(1e-14));
    REQUIRE(r.evaluations == 2);
    REQUIRE(calls == 2);
    // Without interpolation it halves: 1, 0.5, 0.25, 0.125 (the first with sufficient decrease)
    const LineSearchResult h =
        backtracking(phi, 0.01, -0.2, 1.0, LineSearchOptions().interpolate(false));
    REQUIRE(h.point.alpha == 0.125);
    REQUIRE(h.evaluations == 4);
}

TEST_CASE("line searches back off from NaN and Inf", "[optim][line_search]") {
    // phi(a) = -log(1 - a) - 2a, NaN from a = 1 on; phi'(a) = 1/(1 - a) - 2 is -1 at 0 and
    // vanishes at the minimum a = 0.5.
    const auto value = [](double a) { return a < 1 ? -std::log(1 - a) - 2 * a : std::nan(""); };
    const auto slope = [](double a) { return a < 1 ? 1 / (1 - a) - 2 : std::nan(""); };
    const LineSearchResult w = strong_wolfe(
        [&](double a) {
            return LinePoint{a, value(a), slope(a)};
        },
        0, -1, 4.0, LineSearchOptions().c2(0.5));
    REQUIRE(w.status == LineSearchStatus::ok);
    REQUIRE(w.point.alpha < 1);
    REQUIRE(std::abs(slope(w.point.alpha)) <= 0.5);
    const LineSearchResult b = backtracking(value, 0, -1, 4.0);
    REQUIRE(b.status == LineSearchStatus::ok);
    REQUIRE(b.point.alpha < 1);
    // Nothing finite at all.
    const LineSearchResult n = backtracking([](double) { return std::nan(""); }, 0, -1, 1.0,
                                            LineSearchOptions().max_evaluations(5));
    REQUIRE(n.status == LineSearchStatus::non_finite);
    REQUIRE_FALSE(n.decreased());
}

TEST_CASE("line searches refuse an ascent direction", "[optim][line_search]") {
    const auto phi = [](double a) { return LinePoint{a, a, 1}; };
    const LineSearchResult r = strong_wolfe(phi, 0, 1, 1);
    REQUIRE(r.status == LineSearchStatus::not_descent);
    REQUIRE(r.evaluations == 0);
    REQUIRE(backtracking([](double a) { return a; }, 0, 0, 1).status ==
            LineSearchStatus::not_descent);
}

TEST_CASE("cubic_minimizer is exact for a cubic and clamps", "[optim][line_search]") {
    // c(a) = a^3 - 3a: minimum at a = 1 (c'(a) = 3a^2 - 3).
    const auto c = [](double a) { return a * a * a - 3 * a; };
    const auto dc = [](double a) { return 3 * a * a - 3; };
    REQUIRE(cubic_minimizer(0, c(0), dc(0), 2, c(2), dc(2), 0, 2) == Approx(1).epsilon(1e-14));
    REQUIRE(cubic_minimizer(0.5, c(0.5), dc(0.5), 3, c(3), dc(3), 0.5, 3) ==
            Approx(1).epsilon(1e-14));
    REQUIRE(cubic_minimizer(0, c(0), dc(0), 2, c(2), dc(2), 1.5, 2) == 1.5);
}

TEST_CASE("line search options are checked", "[optim][line_search]") {
    require_throws<ValueError>([] { validate(LineSearchOptions().c1(0.5).c2(0.4), "test"); },
                               {"test", "c1", "c2"});
    Tensor w = rosenbrock_start();
    LBFGS opt({w}, LBFGSOptions().line_search_options(LineSearchOptions().c2(2)));
    require_throws<ValueError>([&] { opt.step(closure_of(w, rosenbrock)); }, {"LBFGS", "c2"});
}

TEST_CASE("line searches stop once the steps fall below alpha_min", "[optim][line_search]") {
    // A function flat to rounding along d: every trial raises f by one rounding step, as on
    // Powell's badly scaled problem near its minimum. Without alpha_min the searches shrank alpha
    // towards 0 for all 25 evaluations (strong Wolfe down to 6e-27), at trial points equal to x.
    const double f0 = 1.0, dphi0 = -1e-3;
    const double raised = f0 + std::numeric_limits<double>::epsilon();
    std::size_t calls = 0;
    const auto opts = LineSearchOptions().alpha_min(1e-6);
    const LineSearchResult wolfe = strong_wolfe(
        [&](double a) {
            ++calls;
            return LinePoint{a, raised, dphi0};
        },
        f0, dphi0, 1.0, opts);
    CHECK(wolfe.status == LineSearchStatus::interval_collapsed);
    CHECK(wolfe.evaluations < 25);
    CHECK(wolfe.evaluations == calls);
    CHECK_FALSE(wolfe.decreased());

    const LineSearchResult back =
        backtracking([&](double) { return raised; }, f0, dphi0, 1.0, opts);
    CHECK(back.status == LineSearchStatus::interval_collapsed);
    CHECK(back.evaluations < 25);
    CHECK_FALSE(back.decreased());
}

TEST_CASE("step_below_rounding is eps ||x|| / ||d||", "[optim][line_search]") {
    const double eps = std::numeric_limits<double>::epsilon();
    CHECK(step_below_rounding({3.0, 4.0}, {0.0, 2.0}) == Approx(eps * 5 / 2));
    CHECK(step_below_rounding({3.0, 4.0}, {0.0, 0.0}) == 0);
}
