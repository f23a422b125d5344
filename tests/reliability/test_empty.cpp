// Tensors with a zero-sized axis, through every op family. The behaviour, as in NumPy and
// PyTorch:
// - elementwise ops, shape ops, slicing, indexing and unfold/fold return empty results of the
//   shape broadcasting or the op implies;
// - sum over an empty axis gives zeros; sum over other axes of an empty tensor is empty;
// - mean, max, min, argmax and logsumexp over an empty axis (or mean of an empty tensor) throw
//   ValueError naming the op, since they have no value there; log_softmax and softmax along an
//   empty axis return the empty input's shape;
// - matmul with a zero inner dimension gives zeros; with a zero outer or batch dimension, an
//   empty result;
// - backward through all of these works and gives empty (or zero) gradients.
// The whole suite also runs under AddressSanitizer and UndefinedBehaviorSanitizer, which is what
// checks that no empty case reads or writes out of bounds.

#include "bad_input.hpp"

using namespace tgtest;
using namespace tg;

namespace {

Tensor empty_leaf(const Shape& s) {
    return zeros(s, kFloat64).requires_grad_();
}

// y must have shape `expected`; then backward through sum(y) (0-d, always defined) must give x
// a gradient of x's shape whose values are all `g`.
void check_through(Tensor x, const Tensor& y, const Shape& expected, double g = 1) {
    REQUIRE(y.shape() == expected);
    x.clear_grad();
    sum(y).backward();
    REQUIRE(x.grad().defined());
    REQUIRE(x.grad().shape() == x.shape());
    for (double v : x.grad().to_vector()) REQUIRE(v == g);
}

}  // namespace

TEST_CASE("elementwise ops on empty tensors give empty results", "[empty]") {
    const Tensor x = empty_leaf({0, 3});
    check_through(x, exp(x), {0, 3});
    check_through(x, log(x + 1.0), {0, 3});
    check_through(x, sqrt(x + 1.0), {0, 3});
    check_through(x, tanh(sigmoid(relu(abs(x)))), {0, 3});
    check_through(x, softplus(leaky_relu(x)), {0, 3});
    check_through(x, pow(x, 3.0), {0, 3});
    check_through(x, affine(x, 2, 1), {0, 3});
    // Broadcasting: [0, 3] with [3], [1, 3], [] and [0, 1]; a size-1 axis stretches to 0.
    const Tensor row = from_vector({1, 2, 3}, {3}, kFloat64).requires_grad_();
    const Tensor s = scalar_tensor(2, kFloat64).requires_grad_();
    REQUIRE((x + row).shape() == Shape{0, 3});
    REQUIRE((x * s).shape() == Shape{0, 3});
    REQUIRE((x / zeros({1, 3}, kFloat64)).shape() == Shape{0, 3});
    REQUIRE(pow(x, zeros({0, 1}, kFloat64)).shape() == Shape{0, 3});
    REQUIRE(add(zeros({1}, kFloat64), zeros({0}, kFloat64)).shape() == Shape{0});
    // The non-empty operand's gradient sums over nothing: zeros.
    const Tensor y = sum(mul(x, row) + s);
    y.backward();
    require_close(row.grad(), {0, 0, 0}, 0);
    require_close(s.grad(), {0}, 0);
    // A zero-sized axis does not broadcast against a size-2 one.
    expect_error<ShapeError>("empty: add [0] + [2]", [&] { add(zeros({0}), zeros({2})); },
                             {"add", "[0]", "[2]"});
    // where, maximum, minimum, clamp.
    check_through(x, where(zeros({0, 3}, kFloat64), x, x * 2.0), {0, 3}, 2);
    check_through(x, maximum(x, row), {0, 3}, 1);
    check_through(x, clamp(x, -1, 1), {0, 3}, 1);
}

TEST_CASE("sum over an empty axis gives zeros; mean, max, min over it throw", "[empty]") {
    const Tensor x = empty_leaf({0, 3});
    require_close(sum(x), {0}, 0);
    REQUIRE(sum(x).dim() == 0);
    check_through(x, sum(x, {0}), {3});
    require_close(sum(x, {0}), {0, 0, 0}, 0);
    check_through(x, sum(x, {0}, true), {1, 3});
    check_through(x, sum(x, {1}), {0});  // the empty axis stays: an empty result
    check_through(x, sum_to(x, {3}), {3});
    require_close(sum_to(x, {1, 3}), {0, 0, 0}, 0);

    // Over a non-empty axis of an empty tensor these are defined, and empty.
    check_through(x, mean(x, {1}), {0});
    check_through(x, max(x, 1), {0});
    check_through(x, min(x, 1, true), {0, 1});
    REQUIRE(argmax(x, 1).shape() == Shape{0});
    check_through(x, log_softmax(x, 1), {0, 3});
    check_through(x, logsumexp(x, 1), {0});

    // Over the empty axis they are not.
    expect_error<ValueError>("empty: mean of a [0, 3] tensor", [&] { mean(x); },
                             {"mean", "[0, 3]", "empty"});
    expect_error<ValueError>("empty: mean over the empty axis of [0, 3]", [&] { mean(x, {0}); },
                             {"mean", "[0, 3]", "empty"});
    expect_error<ValueError>("empty: mean over axes {0, 1} of [0, 3]",
                             [&] {
                                 mean(x, {0, 1}, true);
                             },
                             {"mean", "[0, 3]", "empty"});
    expect_error<ValueError>("empty: max over the empty axis of [0, 3]", [&] { max(x, 0); },
                             {"max", "axis 0", "[0, 3]", "empty"});
    expect_error<ValueError>("empty: min over the empty axis of [0, 3]", [&] { min(x, -2); },
                             {"min", "axis 0", "[0, 3]", "empty"});
    expect_error<ValueError>("empty: argmax over the empty axis", [&] { argmax(x, 0); },
                             {"argmax", "[0, 3]", "empty"});
    expect_error<ValueError>("empty: logsumexp over the empty axis", [&] { logsumexp(x, 0); },
                             {"logsumexp", "[0, 3]", "empty"});
    // Softmax along an empty axis has nothing to normalise: the empty input's shape.
    check_through(x, softmax(x, 0), {0, 3}, 0);
    check_through(x, log_softmax(x, 0), {0, 3}, 0);
    // Losses on an empty batch.
    expect_error<ValueError>("empty: mse_loss of [0, 2] tensors",
                             [] {
                                 mse_loss(zeros({0, 2}), zeros({0, 2}));
                             },
                             {"mean", "empty"});
    expect_error<ValueError>("empty: cross_entropy of an empty batch",
                             [] {
                                 cross_entropy(zeros({0, 4}), {});
                             },
                             {"nll_loss", "empty"});
}

TEST_CASE("matmul with a zero dimension", "[empty]") {
    // Zero inner dimension: a sum over nothing, so zeros.
    const Tensor a = empty_leaf({2, 0});
    const Tensor b = empty_leaf({0, 3});
    const Tensor c = matmul(a, b);
    REQUIRE(c.shape() == Shape{2, 3});
    require_close(c, std::vector<double>(6, 0.0), 0);
    sum(c).backward();
    REQUIRE(a.grad().shape() == Shape{2, 0});
    REQUIRE(b.grad().shape() == Shape{0, 3});
    const Tensor w = from_vector({1, 2, 3, 4, 5, 6}, {3, 2}, kFloat64).requires_grad_();
    REQUIRE(matmul(a, b, false, false).shape() == Shape{2, 3});
    REQUIRE(matmul(zeros({0, 2}, kFloat64), zeros({3, 0}, kFloat64), true, true).shape() ==
            Shape{2, 3});
    // Zero rows, columns or batch: an empty result.
    const Tensor rows = empty_leaf({0, 3});
    check_through(rows, matmul(rows, w), {0, 2});
    REQUIRE(w.grad().shape() == Shape{3, 2});
    require_close(w.grad(), std::vector<double>(6, 0.0), 0);
    const Tensor batch = empty_leaf({0, 4, 3});
    check_through(batch, matmul(batch, w), {0, 4, 2});
    check_through(batch, matmul(w, batch, true, true), {0, 2, 4});
    const Tensor one = empty_leaf({1, 4, 3});
    REQUIRE(matmul(one, zeros({0, 3, 2}, kFloat64)).shape() == Shape{0, 4, 2});
    check_through(one, matmul(one, zeros({0, 3, 2}, kFloat64)), {0, 4, 2}, 0);
    expect_error<ShapeError>("empty: matmul batches 0 and 2",
                             [] {
                                 matmul(zeros({0, 2, 3}), zeros({2, 3, 1}));
                             },
                             {"matmul", "batch", "[0, 2, 3]", "[2, 3, 1]"});
}

TEST_CASE("shape ops, slicing and indexing on empty tensors", "[empty]") {
    const Tensor x = empty_leaf({2, 0, 3});
    check_through(x, reshape(x, {0, 6}), {0, 6});
    check_through(x, reshape(x, {-1, 3}), {0, 3});
    check_through(x, reshape(x, {3, -1}), {3, 0});
    expect_error<ShapeError>("empty: reshape [2, 0, 3] to [0, -1]",
                             [&] {
                                 reshape(x, {0, -1});
                             },
                             {"reshape", "[2, 0, 3]", "-1"});
    check_through(x, permute(x, {2, 0, 1}), {3, 2, 0});
    check_through(x, transpose(x), {2, 3, 0});
    check_through(x, flatten(x), {2, 0});
    check_through(x, unsqueeze(x, 1), {2, 1, 0, 3});
    check_through(x, broadcast_to(x, {4, 2, 0, 3}), {4, 2, 0, 3});
    const Tensor single = empty_leaf({1});
    check_through(single, broadcast_to(single, {0}), {0}, 0);  // size 1 stretches to 0
    check_through(x, slice(x, 2, 1, 3), {2, 0, 2});
    check_through(x, slice(x, 0, 1, 1), {0, 0, 3});
    // Padding an empty tensor makes zeros; its gradient is empty.
    const Tensor p = pad(x, {{0, 0}, {1, 1}, {0, 0}});
    REQUIRE(p.shape() == Shape{2, 2, 3});
    require_close(p, std::vector<double>(12, 0.0), 0);
    check_through(x, p, {2, 2, 3});
    // Concatenating with an empty part, along the empty axis and along another.
    const Tensor full = from_vector({1, 2, 3, 4, 5, 6}, {2, 1, 3}, kFloat64).requires_grad_();
    const Tensor joined = concat({x, full}, 1);
    REQUIRE(joined.shape() == Shape{2, 1, 3});
    require_close(joined, {1, 2, 3, 4, 5, 6}, 0);
    check_through(x, joined, {2, 1, 3});
    require_close(full.grad(), std::vector<double>(6, 1.0), 0);
    check_through(x, concat({x, x}, 2), {2, 0, 6});
    check_through(x, stack({x, x}, 0), {2, 2, 0, 3});
    // index_select: an empty index list, or a selection from an empty tensor.
    check_through(full, index_select(full, 0, {}), {0, 1, 3}, 0);
    check_through(x, index_select(x, 2, {2, 0}), {2, 0, 2});
    expect_error<ValueError>("empty: index_select index 0 of an empty axis",
                             [&] { index_select(x, 1, {0}); },
                             {"index_select", "index 0", "size 0"});
    check_through(x, index_add(x, 2, {1, 1, 0}, 4), {2, 0, 4});
}

TEST_CASE("unfold and fold on empty batches and channels", "[empty]") {
    const Tensor x = empty_leaf({0, 2, 4, 4});
    check_through(x, unfold(x, Window{3, 3}), {0, 18, 4});
    check_through(x, fold(unfold(x, Window{3, 3}), 4, 4, Window{3, 3}), {0, 2, 4, 4});
    const Tensor c = empty_leaf({1, 0, 4, 4});
    check_through(c, unfold(c, Window{2, 2, 2, 2}), {1, 0, 4});
    // An empty image has no room for a kernel.
    expect_error<ShapeError>("empty: unfold of a 0-high image",
                             [] {
                                 unfold(zeros({1, 1, 0, 4}), Window{1, 1});
                             },
                             {"unfold", "kernel size 1", "padded input size 0"});
}

TEST_CASE("backward from an empty output needs an empty grad_output", "[empty]") {
    const Tensor x = empty_leaf({0, 2});
    const Tensor y = exp(x);
    expect_error<GraphError>("empty: backward() from a [0, 2] output", [&] { y.backward(); },
                             {"backward", "[0, 2]", "grad_outputs"});
    y.backward(zeros({0, 2}, kFloat64), GradOptions().retain_graph(true));
    REQUIRE(x.grad().shape() == Shape{0, 2});
    const auto g = grad({sum(y * 3.0)}, {x});
    REQUIRE(g[0].shape() == Shape{0, 2});
    // Second order through empty tensors too.
    const auto g1 = grad({sum(pow(x, 3.0))}, {x}, {}, GradOptions().create_graph(true));
    const auto g2 = grad({sum(g1[0])}, {x}, {}, GradOptions().allow_unused(true));
    REQUIRE((!g2[0].defined() || g2[0].shape() == Shape{0, 2}));
    expect_error<ValueError>("empty: item() of a [0, 2] tensor", [&] { y.item(); },
                             {"item", "[0, 2]"});
}
