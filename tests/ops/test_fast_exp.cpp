// The vectorizable exponential behind exp and sigmoid: within 1 ulp of libm's exp over the whole
// normal range, with exp's special values.

#include <cmath>
#include <limits>

#include "../helpers.hpp"
#include "ops/fast_exp.hpp"

namespace {
template <class T>
double ulps(T got, T want) {
    if (got == want) return 0;
    const T next = std::nextafter(want, std::numeric_limits<T>::infinity());
    return std::abs(static_cast<double>(got) - static_cast<double>(want)) /
           static_cast<double>(next - want);
}

template <class T>
void check_range(T lo, T hi) {
    tg::Generator gen(17);
    double worst = 0;
    for (int i = 0; i < 200000; ++i) {
        const T x = static_cast<T>(gen.uniform(lo, hi));
        worst = std::max(worst, ulps(tg::kernels::fast_exp(x), std::exp(x)));
    }
    INFO("worst error in ulps " << worst);
    REQUIRE(worst <= 1.0);
}
}  // namespace

TEST_CASE("fast_exp is within 1 ulp of std::exp", "[ops][exp]") {
    check_range<double>(-708.0, 709.0);
    check_range<double>(-1.0, 1.0);
    check_range<float>(-87.0f, 88.0f);
    check_range<float>(-1.0f, 1.0f);
}

TEST_CASE("fast_exp keeps exp's special values and subnormal results", "[ops][exp]") {
    using tg::kernels::fast_exp;
    const double inf = std::numeric_limits<double>::infinity();
    for (double x :
         {-inf, -1000.0, -745.2, -745.0, -740.0, -708.5, 0.0, -0.0, 709.7, 709.79, 1000.0, inf}) {
        INFO("x = " << x);
        REQUIRE(fast_exp(x) == std::exp(x));
    }
    REQUIRE(std::isnan(fast_exp(std::numeric_limits<double>::quiet_NaN())));
    const float finf = std::numeric_limits<float>::infinity();
    for (float x : {-finf, -110.0f, -103.9f, -100.0f, -87.5f, 0.0f, 88.7f, 89.0f, finf}) {
        INFO("x = " << x);
        REQUIRE(fast_exp(x) == std::exp(x));
    }
    REQUIRE(std::isnan(fast_exp(std::numeric_limits<float>::quiet_NaN())));
}
