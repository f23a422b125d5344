// Flat vectors: gather and scatter of values and gradients, and the optimizer base's checks.

#include "problems.hpp"

using namespace tgtest;
using namespace tg;
using namespace tg::optim;

TEST_CASE("gather and scatter round-trip mixed float and double parameters", "[optim][flat]") {
    Tensor a = from_vector({1, 2, 3, 4, 5, 6}, {2, 3}, kFloat32).requires_grad_();
    Tensor b = from_vector({7, 8}, {2}, kFloat64).requires_grad_();
    const std::vector<Tensor> params{a, b};
    REQUIRE(flat_size(params) == 8);
    const FlatVector x = gather_values(params);
    require_close(x, {1, 2, 3, 4, 5, 6, 7, 8}, 0);

    const std::uint32_t version = a.version();
    scatter_values({0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.25, 7.25}, params);
    require_close(a, {0.5, 1.5, 2.5, 3.5, 4.5, 5.5}, 0);
    require_close(b, {6.25, 7.25}, 0);
    REQUIRE(a.version() > version);  // a graph that saved the old value will notice
    REQUIRE(a.dtype() == kFloat32);
    REQUIRE(a.shape() == Shape{2, 3});
}

TEST_CASE("gather_grads gives zeros for a parameter without a gradient", "[optim][flat]") {
    Tensor a = from_vector({1, 2}, {2}, kFloat64).requires_grad_();
    Tensor b = from_vector({3}, {1}, kFloat64).requires_grad_();
    sum(a * a).backward();  // b gets no gradient
    require_close(gather_grads({a, b}), {2, 4, 0}, 0);
    scatter_grads({-1, -2, -3}, {a, b});
    require_close(a.grad(), {-1, -2}, 0);
    require_close(b.grad(), {-3}, 0);
}

TEST_CASE("unflatten makes new tensors shaped like the parameters", "[optim][flat]") {
    Tensor a = zeros({2, 2}, kFloat32);
    Tensor b = zeros({1}, kFloat64);
    const auto parts = unflatten({1, 2, 3, 4, 5}, {a, b});
    REQUIRE(parts[0].shape() == Shape{2, 2});
    REQUIRE(parts[0].dtype() == kFloat32);
    require_close(parts[0], {1, 2, 3, 4}, 0);
    require_close(parts[1], {5}, 0);
    require_close(a, {0, 0, 0, 0}, 0);
}

TEST_CASE("flat vectors of the wrong length are refused", "[optim][flat]") {
    Tensor a = zeros({3}, kFloat64).requires_grad_();
    require_throws<ShapeError>([&] { scatter_values({1, 2}, {a}); }, {"scatter_values", "2", "3"});
    require_throws<ShapeError>([&] { unflatten({1, 2, 3, 4}, {a}); }, {"unflatten", "4", "3"});
}

TEST_CASE("level-1 helpers", "[optim][flat]") {
    FlatVector y{1, 2, 3};
    axpy(2, {1, 1, 1}, y);
    require_close(y, {3, 4, 5}, 0);
    REQUIRE(dot({1, 2, 3}, {4, 5, 6}) == 32);
    REQUIRE(norm({3, 4}) == Approx(5).epsilon(1e-15));
    REQUIRE(norm({3e200, 4e200}) == Approx(5e200).epsilon(1e-15));  // no overflow
    REQUIRE(std::isnan(norm({1, std::nan("")})));
    REQUIRE_FALSE(all_finite({1, HUGE_VAL}));
}

TEST_CASE("optimizers check their parameter lists and use names in messages", "[optim]") {
    Tensor a = zeros({2}, kFloat64).requires_grad_();
    Tensor frozen = zeros({3}, kFloat64);
    require_throws<ValueError>([&] { SGD(std::vector<Tensor>{}); }, {"SGD", "empty"});
    require_throws<ValueError>(
        [&] {
            LBFGS({{"fc.weight", a}, {"fc.bias", frozen}});
        },
        {"LBFGS", "parameter 1", "fc.bias", "[3]", "requires_grad"});
    require_throws<ValueError>([&] { Adam({a, a}); }, {"Adam", "same tensor"});
    const Tensor result = a * 2.0;
    require_throws<ValueError>([&] { SGD({result}); }, {"SGD", "recorded op"});
    LBFGS named({{"w", a}});
    REQUIRE(named.parameter_name(0) == "w");
    REQUIRE(named.num_elements() == 2);
}
