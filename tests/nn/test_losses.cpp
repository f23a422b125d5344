// The losses the network examples use, against hand-derived values and finite differences.

#include "nn_helpers.hpp"

using namespace tgtest;
using namespace tg;

TEST_CASE("quadratic cost is 1/(2n) sum ||y - a||^2", "[nn][losses]") {
    const Tensor a = from_vector({0.5, 0.25, 1.0, 0.0}, {2, 2}, kFloat64).requires_grad_();
    const Tensor y = from_vector({1.0, 0.0, 0.0, 0.0}, {2, 2}, kFloat64);
    const Tensor c = quadratic_cost(a, y);
    // (0.25 + 0.0625 + 1 + 0) / 4
    REQUIRE(c.item() == Approx(1.3125 / 4).epsilon(1e-15));
    c.backward();
    // dC/da = (a - y) / n
    require_close(a.grad(), {-0.25, 0.125, 0.5, 0.0}, 1e-16);
}

TEST_CASE("cross-entropy from logits is stable for large logits", "[nn][losses]") {
    // log-softmax of (1000, 0, -1000): the first class takes all the mass.
    const Tensor z = from_vector({1000, 0, -1000, 0, 0, 0}, {2, 3}, kFloat64).requires_grad_();
    const Tensor loss = cross_entropy(z, {1, 2});
    // Row 1: -log softmax_1 = 1000; row 2: log 3. Mean over the rows.
    REQUIRE(loss.item() == Approx((1000 + std::log(3.0)) / 2).epsilon(1e-14));
    loss.backward();
    // (softmax - onehot) / N
    require_close(z.grad(), {0.5, -0.5, 0, 1.0 / 6, 1.0 / 6, -1.0 / 3}, 1e-15);
    const auto r = gradgradcheck(
        [](const std::vector<Tensor>& in) {
            return cross_entropy(in[0], {1, 2});
        },
        {from_vector({1.5, 0.2, -0.7, 0.3, 0.1, 2.0}, {2, 3}, kFloat64).requires_grad_()});
    INFO(r.to_string());
    CHECK(r.passed);
}

TEST_CASE("binary cross-entropy from logits", "[nn][losses]") {
    const Tensor z = from_vector({-800, 0, 2, 800}, {4}, kFloat64).requires_grad_();
    const Tensor y = from_vector({1, 0, 1, 0}, {4}, kFloat64);
    const Tensor loss = binary_cross_entropy_with_logits(z, y);
    // Per element: log(1 + e^z) - y z.
    const double expect = (800 + std::log(2.0) + std::log1p(std::exp(-2.0)) + 800) / 4;
    REQUIRE(loss.item() == Approx(expect).epsilon(1e-14));
    loss.backward();
    // (sigmoid(z) - y) / 4
    require_close(z.grad(), {-0.25, 0.125, (1 / (1 + std::exp(-2.0)) - 1) / 4, 0.25}, 1e-16);
}
