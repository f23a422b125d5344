// Misuse gets a typed error whose message names the op and the shapes.

#include "../helpers.hpp"

using namespace tgtest;
using namespace tg;

TEST_CASE("mismatched shapes name the op and both shapes", "[errors]") {
    require_throws<ShapeError>([] { add(zeros({2, 3}), zeros({4})); }, {"add", "[2, 3]", "[4]"});
    require_throws<ShapeError>(
        [] {
            mul(zeros({2, 3}), zeros({3, 2}));
        },
        {"mul", "[2, 3]", "[3, 2]"});
    require_throws<ShapeError>(
        [] {
            matmul(zeros({2, 3}), zeros({4, 5}));
        },
        {"matmul", "[2, 3]", "[4, 5]", "inner"});
    require_throws<ShapeError>(
        [] {
            reshape(zeros({2, 3}), {4, 2});
        },
        {"reshape", "[2, 3]", "[4, 2]"});
    require_throws<ShapeError>(
        [] {
            concat({zeros({2, 3}), zeros({3, 3})}, 1);
        },
        {"concat", "[2, 3]", "[3, 3]"});
    require_throws<ShapeError>(
        [] {
            unfold(zeros({1, 1, 3, 3}), Window{5, 5});
        },
        {"unfold", "kernel size 5", "padded input size 3"});
    require_throws<ShapeError>([] { sum_to(zeros({2, 3}), {2}); }, {"sum_to", "[2, 3]", "[2]"});
    require_throws<ShapeError>(
        [] {
            broadcast_to(zeros({2, 3}), {3});
        },
        {"broadcast_to", "[2, 3]", "[3]"});
    require_throws<ShapeError>([] { where(ones({2}), zeros({3}), zeros({2})); },
                               {"where", "[2]", "[3]"});
}

TEST_CASE("bad axes and arguments are ValueErrors", "[errors]") {
    require_throws<ValueError>([] { sum(zeros({2, 3}), {2}); }, {"sum", "axis 2", "rank 2"});
    require_throws<ValueError>([] { max(zeros({2, 3}), -3); }, {"max", "axis -3"});
    require_throws<ValueError>(
        [] {
            index_select(zeros({2, 3}), 1, {3});
        },
        {"index_select", "index 3", "size 3"});
    require_throws<ValueError>([] { permute(zeros({2, 3}), {0, 0}); }, {"permute", "repeat"});
    require_throws<ValueError>([] { mean(zeros({0})); }, {"mean", "empty"});
    require_throws<ValueError>([] { zeros({2, 2}).item(); }, {"item", "[2, 2]"});
}

TEST_CASE("mixing float and double is a DTypeError", "[errors]") {
    require_throws<DTypeError>([] { add(zeros({2}, kFloat32), zeros({2}, kFloat64)); },
                               {"add", "float32", "float64"});
    require_throws<DTypeError>([] { zeros({2}, kFloat32).array<double>(); },
                               {"float64", "float32"});
}

TEST_CASE("backward from a non-scalar needs grad_outputs", "[errors]") {
    const Tensor x = ones({2, 2}, kFloat64).requires_grad_();
    const Tensor y = x * 2.0;
    require_throws<GraphError>([&] { y.backward(); }, {"backward", "[2, 2]", "grad_outputs"});
    require_throws<ShapeError>([&] { y.backward(ones({3}, kFloat64)); },
                               {"grad_output", "[3]", "[2, 2]"});
}

TEST_CASE("a second backward without retain_graph fails clearly", "[errors]") {
    const Tensor x = ones({2}, kFloat64).requires_grad_();
    const Tensor y = sum(exp(x));
    y.backward();
    require_throws<FreedGraphError>([&] { y.backward(); }, {"freed", "retain_graph"});

    const Tensor z = sum(exp(x));
    z.backward({}, GradOptions().retain_graph(true));
    z.backward();  // allowed: the first kept the graph
    require_close(x.grad(), std::vector<double>(2, 3 * std::exp(1.0)), 1e-13);
}

TEST_CASE("tensors from a reset tape are stale", "[errors]") {
    const Tensor x = ones({2}, kFloat64).requires_grad_();
    const Tensor y = x * 3.0;
    Tape::current().reset();
    require_throws<StaleTensorError>([&] { sum(y).backward(); }, {"reset"});
    require_throws<StaleTensorError>([&] { grad({sum(x * 2.0)}, {y}); }, {"reset"});
    require_close(y, {3, 3}, 0);  // its values stay readable
    // Leaves simply enter the new tape.
    sum(x * x).backward();
    require_close(x.grad(), {2, 2}, 0);
}

TEST_CASE("grad with respect to something that does not require grad", "[errors]") {
    const Tensor x = ones({2}, kFloat64).requires_grad_();
    const Tensor c = ones({2}, kFloat64);
    require_throws<GraphError>([&] { grad({sum(x * c)}, {c}); },
                               {"input 0", "does not require grad"});
    const Tensor unused = ones({2}, kFloat64).requires_grad_();
    require_throws<GraphError>([&] { grad({sum(x * 2.0)}, {unused}); }, {"not used"});
    const auto g = grad({sum(x * 2.0)}, {unused}, {}, GradOptions().allow_unused(true));
    REQUIRE_FALSE(g[0].defined());
    require_throws<GraphError>([&] { sum(c).backward(); }, {"does not require grad"});
}

TEST_CASE("anomaly mode names the first op that makes a NaN", "[errors]") {
    AnomalyGuard on;
    const Tensor x = from_vector({1, -1}, {2}, kFloat64).requires_grad_();
    require_throws<NumericError>([&] { log(x); }, {"log", "-1", "domain"});
    require_throws<NumericError>([&] { sqrt(x); }, {"sqrt", "domain"});
    require_throws<NumericError>([&] { div(x, zeros({2}, kFloat64)); }, {"div", "Inf"});
    const Tensor bad = from_vector({1, NAN}, {2}, kFloat64);
    require_throws<NumericError>([&] { exp(bad); }, {"exp", "input 0", "NaN"});
}
