// Every op, over every shape family: first derivatives against central differences
// (gradcheck) and second derivatives against differences of gradients (gradgradcheck), in double.

#include "../op_cases.hpp"

using namespace tgtest;

namespace {
tg::GradcheckOptions strict() {
    tg::GradcheckOptions o;
    o.eps = 1e-6;
    o.atol = 1e-7;
    o.rtol = 1e-6;
    return o;
}
}  // namespace

TEST_CASE("every op passes gradcheck in double", "[ops][gradcheck]") {
    for (const auto& c : all_op_cases()) {
        INFO(c.name);
        const auto r = tg::gradcheck(c.f, c.inputs, strict());
        INFO(r.to_string());
        CHECK(r.passed);
        CHECK(r.checked > 0);
    }
}

TEST_CASE("every op passes gradgradcheck in double", "[ops][gradgradcheck]") {
    for (const auto& c : all_op_cases()) {
        INFO(c.name);
        const auto r = tg::gradgradcheck(c.f, c.inputs, strict());
        INFO(r.to_string());
        CHECK(r.passed);
        CHECK(r.checked > 0);
    }
}

TEST_CASE("float results agree with double results", "[ops][float]") {
    for (const auto& c : all_op_cases()) {
        INFO(c.name);
        std::vector<tg::Tensor> as_double, as_float;
        for (const auto& x : c.inputs) {
            // Round the inputs to float first, so that both runs see the same numbers.
            const tg::Tensor f = tg::to_dtype(x, tg::kFloat32);
            as_float.push_back(f);
            as_double.push_back(tg::to_dtype(f, tg::kFloat64));
        }
        const tg::Tensor yd = c.f(as_double);
        const tg::Tensor yf = c.f(as_float);
        REQUIRE(yf.dtype() == tg::kFloat32);
        REQUIRE(yd.shape() == yf.shape());
        require_close(yf.to_vector(), yd.to_vector(), 1e-5, 1e-5, c.name);
    }
}
