// Misuse gets a typed error whose message names the op and the shapes: one test per kind of bad
// input. Each check asserts the exact error type and the message's contents (bad_input.hpp).
// TG_BAD_INPUT_TABLE=path writes the table of every bad input tried with its real message.

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "bad_input.hpp"

using namespace tgtest;
using namespace tg;

namespace tgtest {

namespace {
struct Row {
    std::string input, type, message;
};

std::string cell(std::string s) {
    std::string out;
    for (char c : s) {
        if (c == '|')
            out += "\\|";
        else if (c == '\n')
            out += ' ';
        else
            out += c;
    }
    return out;
}

// Collects the rows and writes the table when the test binary exits, if asked to. The rows
// live in the writer itself, so they are still there when its destructor runs.
struct TableWriter {
    std::vector<Row> rows;
    ~TableWriter() {
        const char* path = std::getenv("TG_BAD_INPUT_TABLE");
        if (!path || !*path) return;
        std::ofstream f(path);
        f << "| bad input | error type | message |\n|---|---|---|\n";
        for (const Row& r : rows)
            f << "| " << cell(r.input) << " | `tg::" << r.type << "` | " << cell(r.message)
              << " |\n";
    }
} table_writer;
}  // namespace

void record_bad_input(const std::string& input, const std::string& type, const std::string& msg) {
    table_writer.rows.push_back({input, type, msg});
}

std::string error_type_name(const Error& e) {
    if (dynamic_cast<const StaleTensorError*>(&e)) return "StaleTensorError";
    if (dynamic_cast<const FreedGraphError*>(&e)) return "FreedGraphError";
    if (dynamic_cast<const GraphError*>(&e)) return "GraphError";
    if (dynamic_cast<const ShapeError*>(&e)) return "ShapeError";
    if (dynamic_cast<const DTypeError*>(&e)) return "DTypeError";
    if (dynamic_cast<const ValueError*>(&e)) return "ValueError";
    if (dynamic_cast<const NumericError*>(&e)) return "NumericError";
    if (dynamic_cast<const IOError*>(&e)) return "IOError";
    return "Error";
}

}  // namespace tgtest

namespace {
Tensor z(const Shape& s) {
    return zeros(s, kFloat64);
}
Tensor leaf(const Shape& s) {
    return ones(s, kFloat64).requires_grad_();
}
}  // namespace

TEST_CASE("shape mismatches in every op family name the op and the shapes", "[errors]") {
    // arithmetic
    expect_error<ShapeError>("add [2, 3] + [4]",
                             [] {
                                 add(z({2, 3}), z({4}));
                             },
                             {"add", "[2, 3]", "[4]", "broadcast"});
    expect_error<ShapeError>("sub [2, 3] - [3, 2]",
                             [] {
                                 sub(z({2, 3}), z({3, 2}));
                             },
                             {"sub", "[2, 3]", "[3, 2]"});
    expect_error<ShapeError>("mul [2, 3] * [3, 2]",
                             [] {
                                 mul(z({2, 3}), z({3, 2}));
                             },
                             {"mul", "[2, 3]", "[3, 2]"});
    expect_error<ShapeError>("div [5] / [2]", [] { div(z({5}), z({2})); }, {"div", "[5]", "[2]"});
    expect_error<ShapeError>("pow [2] ^ [3]", [] { pow(z({2}), z({3})); }, {"pow", "[2]", "[3]"});
    // selection
    expect_error<ShapeError>("where mask [2], a [3], b [2]",
                             [] { where(ones({2}, kFloat64), z({3}), z({2})); },
                             {"where", "[2]", "[3]"});
    expect_error<ShapeError>("maximum [2, 3] and [2]",
                             [] {
                                 maximum(z({2, 3}), z({2}));
                             },
                             {"maximum", "[2, 3]", "[2]"});
    expect_error<ShapeError>("minimum [4] and [3]", [] { minimum(z({4}), z({3})); },
                             {"minimum", "[4]", "[3]"});
    // broadcasting pair
    expect_error<ShapeError>("broadcast_to [2, 3] -> [3]",
                             [] {
                                 broadcast_to(z({2, 3}), {3});
                             },
                             {"broadcast_to", "[2, 3]", "[3]"});
    expect_error<ShapeError>("broadcast_to [2, 3] -> [4, 3]",
                             [] {
                                 broadcast_to(z({2, 3}), {4, 3});
                             },
                             {"broadcast_to", "[2, 3]", "[4, 3]"});
    expect_error<ShapeError>("sum_to [2, 3] -> [2]",
                             [] {
                                 sum_to(z({2, 3}), {2});
                             },
                             {"sum_to", "[2, 3]", "[2]"});
    // shape ops
    expect_error<ShapeError>("squeeze an axis of size 3",
                             [] {
                                 squeeze(z({2, 3}), 1);
                             },
                             {"squeeze", "axis 1", "[2, 3]", "size 3"});
    // slicing, padding, concatenation
    expect_error<ShapeError>("concat [2, 3] and [3, 3] along axis 1",
                             [] {
                                 concat({z({2, 3}), z({3, 3})}, 1);
                             },
                             {"concat", "[2, 3]", "[3, 3]", "axis 1"});
    expect_error<ShapeError>("concat [2, 3] and [2, 3, 1]",
                             [] {
                                 concat({z({2, 3}), z({2, 3, 1})}, 0);
                             },
                             {"concat", "[2, 3]", "[2, 3, 1]"});
    expect_error<ShapeError>("stack [2] and [3]",
                             [] {
                                 stack({z({2}), z({3})});
                             },
                             {"stack", "[2]", "[3]"});
    expect_error<ShapeError>("unslice [3] into [4] with step 2",
                             [] { unslice(z({3}), {4}, {0}, {2}); },
                             {"unslice", "[3]", "[4]", "axis 0"});
    expect_error<ValueError>("pad with 1 pair for a 2-D tensor",
                             [] {
                                 pad(z({2, 3}), {{1, 1}});
                             },
                             {"pad", "1 (before, after) pairs", "[2, 3]"});
    expect_error<ValueError>("slice 1:5 of an axis of size 3",
                             [] { slice(z({3}), Dims{1}, Dims{5}, Dims{1}); },
                             {"slice", "1:5:1", "axis 0", "[3]"});
    // indexing
    expect_error<ShapeError>("index_add 3 indices for an axis of size 2",
                             [] {
                                 index_add(z({2, 4}), 0, {0, 1, 2}, 5);
                             },
                             {"index_add", "3 indices", "[2, 4]"});
    expect_error<ValueError>("index_select index 3 of an axis of size 3",
                             [] {
                                 index_select(z({2, 3}), 1, {0, 3});
                             },
                             {"index_select", "index 3", "position 1", "size 3"});
    expect_error<ValueError>("gather index 4 of an axis of size 3",
                             [] {
                                 gather(z({3, 2}), 0, {0, 4}, {1, 2});
                             },
                             {"gather", "index 4", "position 1", "size 3"});
    expect_error<ValueError>("scatter writing one place twice",
                             [] {
                                 scatter(z({3}), 0, {1, 1}, {2}, z({2}));
                             },
                             {"scatter", "index 1", "position 1"});
    expect_error<ValueError>("einsum with a repeated label",
                             [] {
                                 einsum("ii->i", {z({2, 2})});
                             },
                             {"einsum", "\"ii->i\"", "repeats"});
    expect_error<ValueError>("topk k above the axis size",
                             [] {
                                 topk(z({2, 3}), 4);
                             },
                             {"topk", "k = 4", "size 3"});
    // convolution building blocks
    expect_error<ShapeError>("unfold a 3-D input",
                             [] {
                                 unfold(z({1, 3, 3}), Window{2, 2});
                             },
                             {"unfold", "[N, C, H, W]", "[1, 3, 3]"});
    expect_error<ShapeError>("fold columns of the wrong length",
                             [] {
                                 fold(z({1, 4, 5}), 3, 3, Window{2, 2});
                             },
                             {"fold", "[1, 4, 5]", "2x2", "3x3", "[N, C*4, 4]"});
    // matrix products (inner dimensions have their own test)
    expect_error<ShapeError>("matmul of a 1-D operand",
                             [] {
                                 matmul(z({3}), z({3, 2}));
                             },
                             {"matmul", "2-D or 3-D", "[3]", "[3, 2]"});
    expect_error<ShapeError>("matmul batches 2 and 3",
                             [] {
                                 matmul(z({2, 3, 4}), z({3, 4, 5}));
                             },
                             {"matmul", "batch", "[2, 3, 4]", "[3, 4, 5]"});
    // losses
    expect_error<ShapeError>("mse_loss [2, 3] against [3, 2]",
                             [] {
                                 mse_loss(z({2, 3}), z({3, 2}));
                             },
                             {"mse_loss", "[2, 3]", "[3, 2]"});
    expect_error<ShapeError>("nll_loss [4, 5] with 3 labels",
                             [] {
                                 nll_loss(z({4, 5}), {0, 1, 2});
                             },
                             {"nll_loss", "[4, 5]", "3 labels"});
    expect_error<ShapeError>("cross_entropy of 1-D logits", [] { cross_entropy(z({5}), {1}); },
                             {"cross_entropy", "[N, classes]", "[5]"});
    expect_error<ShapeError>("binary_cross_entropy [3] against [4]",
                             [] { binary_cross_entropy(z({3}), z({4})); },
                             {"binary_cross_entropy", "[3]", "[4]"});
    // creation
    expect_error<ShapeError>("from_vector: 5 values for [2, 3]",
                             [] {
                                 from_vector({1, 2, 3, 4, 5}, {2, 3});
                             },
                             {"from_vector", "5 values", "[2, 3]"});
    // autograd
    expect_error<ShapeError>("backward with grad_output [3] for an output [2, 2]",
                             [] {
                                 (leaf({2, 2}) * 2.0).backward(ones({3}, kFloat64));
                             },
                             {"backward", "grad_output 0", "[3]", "[2, 2]"});
    expect_error<ShapeError>("set_grad [3] on a [2] tensor", [] { leaf({2}).set_grad(z({3})); },
                             {"set_grad", "[3]", "[2]"});
    expect_error<GraphError>(
        "a gradient hook that returns the wrong shape",
        [] {
            Tensor x = leaf({2});
            Tensor y = x * 2.0;
            y.register_hook([](const Tensor&) { return zeros({3}, kFloat64); });
            sum(y).backward();
        },
        {"hook", "[3]", "[2]"});
}

TEST_CASE("matmul with incompatible inner dimensions", "[errors]") {
    expect_error<ShapeError>("matmul [2, 3] @ [4, 5]",
                             [] {
                                 matmul(z({2, 3}), z({4, 5}));
                             },
                             {"matmul", "inner dimensions", "[2, 3] @ [4, 5]", "3 vs 4"});
    expect_error<ShapeError>("matmul [2, 3]^T @ [4, 5]",
                             [] {
                                 matmul(z({2, 3}), z({4, 5}), true, false);
                             },
                             {"matmul", "[2, 3]^T @ [4, 5]", "2 vs 4"});
    expect_error<ShapeError>("matmul [2, 3] @ [2, 3] (transpose_b forgotten)",
                             [] {
                                 matmul(z({2, 3}), z({2, 3}), false, false);
                             },
                             {"matmul", "[2, 3] @ [2, 3]", "3 vs 2"});
    expect_error<ShapeError>("matmul batched [2, 3, 4] @ [2, 5, 6]",
                             [] {
                                 matmul(z({2, 3, 4}), z({2, 5, 6}));
                             },
                             {"matmul", "[2, 3, 4] @ [2, 5, 6]", "4 vs 5"});
    // The right shapes with the transpose flag pass.
    REQUIRE(matmul(z({2, 3}), z({2, 3}), false, true).shape() == Shape{2, 2});
}

TEST_CASE("conv building blocks with a kernel larger than the padded input", "[errors]") {
    expect_error<ShapeError>("unfold 5x5 kernel on a 3x3 image",
                             [] {
                                 unfold(z({1, 1, 3, 3}), Window{5, 5});
                             },
                             {"unfold", "kernel size 5", "padded input size 3", "padding 0"});
    expect_error<ShapeError>("unfold 6x3 kernel on a 3x3 image padded by 1",
                             [] {
                                 unfold(z({1, 1, 3, 3}), Window{6, 3, 1, 1, 1, 1});
                             },
                             {"unfold", "kernel size 6", "padded input size 5", "padding 1"});
    expect_error<ShapeError>("unfold 2x4 kernel on a 4x3 image (width too small)",
                             [] {
                                 unfold(z({2, 3, 4, 3}), Window{2, 4});
                             },
                             {"unfold", "kernel size 4", "padded input size 3"});
    expect_error<ShapeError>("fold to a 2x2 image with a 3x3 kernel",
                             [] {
                                 fold(z({1, 9, 1}), 2, 2, Window{3, 3});
                             },
                             {"fold", "kernel size 3", "padded input size 2"});
    expect_error<ValueError>("unfold with stride 0",
                             [] {
                                 unfold(z({1, 1, 3, 3}), Window{2, 2, 0, 1});
                             },
                             {"unfold", "stride 0x1", "positive"});
    // A kernel exactly the padded size fits: one window.
    REQUIRE(unfold(z({1, 1, 3, 3}), Window{5, 5, 1, 1, 1, 1}).shape() == Shape{1, 25, 1});
}

TEST_CASE("reshape to a wrong element count", "[errors]") {
    expect_error<ShapeError>("reshape [2, 3] to [4, 2]",
                             [] {
                                 reshape(z({2, 3}), {4, 2});
                             },
                             {"reshape", "[2, 3]", "6 elements", "[4, 2]"});
    expect_error<ShapeError>("reshape [2, 3] to [-1, 4]",
                             [] {
                                 reshape(z({2, 3}), {-1, 4});
                             },
                             {"reshape", "[2, 3]", "[-1, 4]"});
    expect_error<ShapeError>("reshape [2, 3] to [-1, -1]",
                             [] {
                                 reshape(z({2, 3}), {-1, -1});
                             },
                             {"reshape", "bad target shape", "[-1, -1]"});
    expect_error<ShapeError>("reshape [2, 3] to [-2, -3]",
                             [] {
                                 reshape(z({2, 3}), {-2, -3});
                             },
                             {"reshape", "[-2, -3]", "[2, 3]"});
    expect_error<ShapeError>("reshape [0, 3] to [0, -1]",
                             [] {
                                 reshape(z({0, 3}), {0, -1});
                             },
                             {"reshape", "-1", "[0, 3]", "any size"});
    expect_error<ShapeError>("reshape a 0-d tensor to [2]", [] { reshape(scalar_tensor(1), {2}); },
                             {"reshape", "[]", "1 elements", "[2]"});
}

TEST_CASE("axis out of range", "[errors]") {
    const Tensor x = z({2, 3});
    expect_error<ValueError>("sum over axis 2 of a 2-D tensor", [&] { sum(x, {2}); },
                             {"sum", "axis 2", "rank 2"});
    expect_error<ValueError>("sum over axis 0 of a 0-d tensor", [] { sum(z({}), {0}); },
                             {"sum", "axis 0", "rank 0"});
    expect_error<ValueError>("sum over axes {1, -1} (the same axis twice)",
                             [&] {
                                 sum(x, {1, -1});
                             },
                             {"sum", "given twice"});
    expect_error<ValueError>("mean over axis -3", [&] { mean(x, {-3}); }, {"mean", "axis -3"});
    expect_error<ValueError>("max over axis -3", [&] { max(x, -3); }, {"max", "axis -3", "rank 2"});
    expect_error<ValueError>("min over axis 2", [&] { min(x, 2); }, {"min", "axis 2", "rank 2"});
    expect_error<ValueError>("argmax over axis 5", [&] { argmax(x, 5); }, {"argmax", "axis 5"});
    expect_error<ValueError>("softmax over axis 2", [&] { softmax(x, 2); },
                             {"log_softmax", "axis 2", "rank 2"});
    expect_error<ValueError>("logsumexp over axis -4", [&] { logsumexp(x, -4); },
                             {"logsumexp", "axis -4"});
    expect_error<ValueError>("permute with 3 axes for a 2-D tensor",
                             [&] {
                                 permute(x, {0, 1, 2});
                             },
                             {"permute", "3 axes", "rank 2"});
    expect_error<ValueError>("permute {0, 0}", [&] { permute(x, {0, 0}); }, {"permute", "repeat"});
    expect_error<ValueError>("transpose axes 0 and 2", [&] { transpose(x, 0, 2); },
                             {"transpose", "axis 2"});
    expect_error<ValueError>("flatten from axis 3", [&] { flatten(x, 3); }, {"flatten", "axis 3"});
    expect_error<ValueError>("unsqueeze at axis 4 of a 2-D tensor", [&] { unsqueeze(x, 4); },
                             {"unsqueeze", "axis 4", "rank 3"});
    expect_error<ValueError>("squeeze axis -3", [&] { squeeze(x, -3); }, {"squeeze", "axis -3"});
    expect_error<ValueError>("slice along axis 2", [&] { slice(x, 2, 0, 1); }, {"slice", "axis 2"});
    expect_error<ValueError>("concat along axis 2",
                             [&] {
                                 concat({x, x}, 2);
                             },
                             {"concat", "axis 2"});
    expect_error<ValueError>("stack along axis 4",
                             [&] {
                                 stack({x, x}, 4);
                             },
                             {"stack", "axis 4", "rank 3"});
    expect_error<ValueError>("index_select along axis -3", [&] { index_select(x, -3, {0}); },
                             {"index_select", "axis -3"});
    expect_error<ValueError>("index_add along axis 2", [&] { index_add(x, 2, {0}, 1); },
                             {"index_add", "axis 2"});
}

TEST_CASE("mixing float and double is a DTypeError", "[errors]") {
    const Tensor f = zeros({2}, kFloat32);
    const Tensor d = zeros({2}, kFloat64);
    expect_error<DTypeError>("add float32 + float64", [&] { add(f, d); },
                             {"add", "float32", "float64", "to_dtype"});
    expect_error<DTypeError>("mul float64 * float32", [&] { mul(d, f); },
                             {"mul", "float64", "float32"});
    expect_error<DTypeError>("pow float32 ^ float64", [&] { pow(f, d); }, {"pow", "float32"});
    expect_error<DTypeError>("where with float32 a and float64 b", [&] { where(f, f, d); },
                             {"where", "float32", "float64"});
    expect_error<DTypeError>("maximum float32, float64", [&] { maximum(f, d); },
                             {"maximum", "float32", "float64"});
    expect_error<DTypeError>("matmul float32 @ float64",
                             [] {
                                 matmul(zeros({2, 2}, kFloat32), zeros({2, 2}, kFloat64));
                             },
                             {"matmul", "float32", "float64"});
    expect_error<DTypeError>("concat float32 and float64",
                             [&] {
                                 concat({f, d});
                             },
                             {"concat", "float32", "float64"});
    expect_error<DTypeError>("array<double>() of a float32 tensor", [&] { f.array<double>(); },
                             {"array<float64>", "float32"});
    expect_error<DTypeError>("mutable_array<float>() of a float64 tensor",
                             [&] {
                                 Tensor c = d;
                                 c.mutable_array<float>();
                             },
                             {"mutable_array<float32>", "float64"});
    expect_error<DTypeError>("backward with a float32 grad_output for a float64 output",
                             [] { (leaf({2}) * 2.0).backward(zeros({2}, kFloat32)); },
                             {"backward", "grad_output 0", "float32[2]", "float64[2]"});
    expect_error<DTypeError>("set_grad float32 on a float64 tensor",
                             [] { leaf({2}).set_grad(zeros({2}, kFloat32)); },
                             {"set_grad", "float32", "float64"});
    expect_error<DTypeError>("gradcheck of float32 inputs",
                             [] {
                                 gradcheck([](const std::vector<Tensor>& in) { return in[0]; },
                                           {ones({2}, kFloat32).requires_grad_()});
                             },
                             {"gradcheck", "float32", "float64"});
}

TEST_CASE("a second backward without retain_graph fails clearly", "[errors]") {
    const Tensor x = ones({2}, kFloat64).requires_grad_();
    const Tensor y = sum(exp(x));
    y.backward();
    expect_error<FreedGraphError>("backward twice through the same graph", [&] { y.backward(); },
                                  {"backward", "'sum'", "freed", "retain_graph(true)"});
    const Tensor w = sum(x * x);
    grad({w}, {x});
    expect_error<FreedGraphError>("grad twice through the same graph", [&] { grad({w}, {x}); },
                                  {"grad", "freed", "retain_graph"});
    // Through a shared intermediate: the second output's own ops are fresh, the shared one not.
    const Tensor h = exp(x);
    sum(h).backward();
    expect_error<FreedGraphError>("backward through an intermediate freed by an earlier backward",
                                  [&] { sum(h * 2.0).backward(); }, {"'exp'", "freed"});

    const Tensor t = sum(exp(x));
    t.backward({}, GradOptions().retain_graph(true));
    t.backward();  // allowed: the first kept the graph
    REQUIRE(x.grad().defined());
}

TEST_CASE("tensors from a reset or finished tape are stale", "[errors]") {
    const Tensor x = ones({2}, kFloat64).requires_grad_();
    const Tensor y = x * 3.0;
    Tape::current().reset();
    expect_error<StaleTensorError>("backward from a result of a reset tape",
                                   [&] { y.backward(ones({2}, kFloat64)); },
                                   {"backward", "output 0", "reset"});
    expect_error<StaleTensorError>("an op on a result of a reset tape", [&] { exp(y); },
                                   {"exp", "reset", "detach()"});
    expect_error<StaleTensorError>("grad with respect to a result of a reset tape",
                                   [&] { grad({sum(x * 2.0)}, {y}); },
                                   {"grad", "input 0", "reset"});
    require_close(y, {3, 3}, 0);  // its values stay readable
    REQUIRE(exp(y.detach()).defined());
    // Leaves simply enter the new tape.
    sum(x * x).backward();
    require_close(x.grad(), {2, 2}, 0);

    // A result recorded by a thread that has finished: its tape is gone with the thread.
    Tensor from_thread;
    std::thread([&from_thread] {
        const Tensor a = ones({2}, kFloat64).requires_grad_();
        from_thread = exp(a);
    }).join();
    expect_error<StaleTensorError>("backward from a result of a finished thread's tape",
                                   [&] { from_thread.backward(ones({2}, kFloat64)); },
                                   {"backward", "output 0", "another thread's tape"});
    expect_error<StaleTensorError>("sum() of a result of a finished thread's tape",
                                   [&] { sum(from_thread); }, {"sum", "another thread's tape"});
    expect_error<StaleTensorError>("an op in this thread on a result of another thread's tape",
                                   [&] { from_thread * 2.0; }, {"affine", "another thread"});
}

TEST_CASE("backward from a non-scalar needs grad_outputs", "[errors]") {
    const Tensor x = ones({2, 2}, kFloat64).requires_grad_();
    const Tensor y = x * 2.0;
    expect_error<GraphError>("backward() from a [2, 2] output", [&] { y.backward(); },
                             {"backward", "output 0", "[2, 2]", "grad_outputs"});
    expect_error<GraphError>("grad() of a [2, 2] output", [&] { grad({y}, {x}); },
                             {"grad", "[2, 2]", "grad_outputs"});
    expect_error<ValueError>("backward with 1 grad_output for 2 outputs",
                             [&] {
                                 backward({y, y}, {ones({2, 2}, kFloat64)});
                             },
                             {"backward", "1 grad_outputs for 2 outputs"});
    expect_error<ValueError>("backward with no outputs", [] { backward({}); },
                             {"backward", "no outputs"});
    // A one-element output of any rank is fine.
    reshape(sum(y), {1, 1}).backward();
    require_close(x.grad(), {2, 2, 2, 2}, 0);
}

TEST_CASE("grad with respect to a tensor that does not require grad", "[errors]") {
    const Tensor x = ones({2}, kFloat64).requires_grad_();
    const Tensor c = ones({2}, kFloat64);
    expect_error<GraphError>("grad with respect to a constant", [&] { grad({sum(x * c)}, {c}); },
                             {"grad", "input 0", "[2]", "does not require grad"});
    const Tensor unused = ones({2}, kFloat64).requires_grad_();
    expect_error<GraphError>("grad with respect to an unused input",
                             [&] { grad({sum(x * 2.0)}, {unused}); },
                             {"grad", "input 0", "not used", "allow_unused"});
    const auto g = grad({sum(x * 2.0)}, {unused}, {}, GradOptions().allow_unused(true));
    REQUIRE_FALSE(g[0].defined());
    expect_error<GraphError>("backward from a constant", [&] { sum(c).backward(); },
                             {"backward", "does not require grad"});
    expect_error<GraphError>("backward from a result computed under NoGradGuard",
                             [&] {
                                 Tensor r;
                                 {
                                     NoGradGuard off;
                                     r = sum(x * 2.0);
                                 }
                                 r.backward();
                             },
                             {"backward", "NoGradGuard"});
    expect_error<GraphError>("register_hook on a constant",
                             [&] {
                                 Tensor k = c;
                                 k.register_hook([](const Tensor& t) { return t; });
                             },
                             {"register_hook", "does not require grad"});
    expect_error<GraphError>("requires_grad_() on a recorded result",
                             [&] {
                                 Tensor r = x * 2.0;
                                 r.requires_grad_(false);
                             },
                             {"requires_grad_", "only leaves"});
    expect_error<GraphError>("in-place write to a leaf that requires grad, in grad mode",
                             [&] {
                                 Tensor w = x;
                                 w.mutable_array<double>();
                             },
                             {"mutable_array", "requires grad", "NoGradGuard"});
    expect_error<GraphError>("in-place write to a recorded result",
                             [&] {
                                 Tensor r = x * 2.0;
                                 r.mutable_array<double>();
                             },
                             {"mutable_array", "recorded op", "detach()"});
    expect_error<GraphError>("backward after a saved input was modified in place",
                             [] {
                                 Tensor a = ones({2}, kFloat64);
                                 const Tensor w = ones({2}, kFloat64).requires_grad_();
                                 const Tensor y = sum(w * a);
                                 a.mutable_array<double>()(0) = 5;
                                 y.backward();
                             },
                             {"backward", "'mul'", "modified in place"});
}

TEST_CASE("anomaly mode names the first op that meets or makes a NaN or Inf", "[errors]") {
    const Tensor bad = from_vector({1, NAN}, {2}, kFloat64);
    const Tensor inf = from_vector({INFINITY, 1}, {2}, kFloat64);
    const Tensor x = from_vector({1, 2}, {2}, kFloat64).requires_grad_();
    {
        // Off (the default), values pass through unchecked, as in PyTorch.
        REQUIRE(std::isnan(exp(bad).to_vector()[1]));
    }
    AnomalyGuard on;
    expect_error<NumericError>("NaN in an input (anomaly mode)", [&] { exp(bad); },
                               {"exp", "input 0", "NaN", "flat index 1", "[2]"});
    expect_error<NumericError>("Inf in an input (anomaly mode)", [&] { add(x, inf); },
                               {"add", "input 1", "Inf", "flat index 0"});
    expect_error<NumericError>("division by zero makes Inf (anomaly mode)",
                               [&] { div(x, zeros({2}, kFloat64)); },
                               {"div", "the result, from finite inputs,", "Inf"});
    expect_error<NumericError>("exp overflows to Inf (anomaly mode)", [&] { exp(x * 1000.0); },
                               {"exp", "result", "Inf"});
    expect_error<NumericError>("log(0) makes -Inf (anomaly mode)", [&] { log(x - 1.0); },
                               {"log", "result", "-Inf", "flat index 0"});
    expect_error<NumericError>("pow of a negative base to 0.5 makes NaN (anomaly mode)",
                               [&] { pow(-x, 0.5); }, {"pow_scalar", "result", "NaN"});
    // The first op in a chain is named, not a later one.
    expect_error<NumericError>("the first of several ops that would see the Inf",
                               [&] { tanh(sigmoid(exp(x * 800.0) * 0.5)); }, {"exp", "Inf"});
    // In backward: sqrt at 0 is fine forward, but its derivative 1 / (2 sqrt(0)) is Inf.
    expect_error<NumericError>("a gradient that becomes Inf in backward (anomaly mode)",
                               [&] { sum(sqrt(x - 1.0)).backward(); },
                               {"backward of 'sqrt'", "Inf"});
}

TEST_CASE("log and sqrt outside their domain in anomaly mode", "[errors]") {
    AnomalyGuard on;
    const Tensor x = from_vector({1, -1}, {2}, kFloat64).requires_grad_();
    expect_error<NumericError>("log of -1 (anomaly mode)", [&] { log(x); },
                               {"log", "-1", "flat index 1", "domain x >= 0", "[2]"});
    expect_error<NumericError>("sqrt of -0.5 (anomaly mode)", [&] { sqrt(x * 0.5); },
                               {"sqrt", "-0.5", "domain"});
    expect_error<NumericError>("log of a negative value made mid-graph (anomaly mode)",
                               [&] { log(sin(x * 4.0)); }, {"log", "domain"});
    // Without anomaly mode the result is NaN, silently, as in PyTorch.
    AnomalyGuard off(false);
    REQUIRE(std::isnan(log(x).to_vector()[1]));
}

TEST_CASE("other bad arguments are ValueErrors", "[errors]") {
    expect_error<ValueError>("item() of a [2, 2] tensor",
                             [] {
                                 zeros({2, 2}).item();
                             },
                             {"item", "[2, 2]", "not exactly one element"});
    expect_error<ValueError>("shape() of an undefined tensor", [] { Tensor().shape(); },
                             {"shape()", "undefined"});
    expect_error<ValueError>("exp of an undefined tensor", [] { exp(Tensor()); }, {"undefined"});
    expect_error<ValueError>("clamp with lo > hi", [] { clamp(z({2}), 1, -1); },
                             {"clamp", "lo", "hi"});
    expect_error<ValueError>("slice with step 0", [] { slice(z({4}), 0, 0, 4, 0); },
                             {"slice", "step 0"});
    expect_error<ValueError>("concat of no tensors", [] { concat({}); }, {"concat", "no tensors"});
    expect_error<ValueError>("one_hot label 5 of 5 classes",
                             [] {
                                 one_hot({1, 5}, 5);
                             },
                             {"one_hot", "label 5", "position 1", "[0, 5)"});
    expect_error<ValueError>("cross_entropy with label 7 of 5 classes",
                             [] {
                                 cross_entropy(z({2, 5}), {0, 7});
                             },
                             {"label 7"});
    expect_error<ValueError>("set_num_threads(0)", [] { set_num_threads(0); },
                             {"set_num_threads", "0"});
    expect_error<ValueError>("gradcheck with no input requiring grad",
                             [] {
                                 gradcheck([](const std::vector<Tensor>& in) { return in[0]; },
                                           {ones({2}, kFloat64)});
                             },
                             {"gradcheck", "no input requires grad"});
}

TEST_CASE("regressions found by the property tests", "[errors][properties]") {
    // grad() lost the gradient of inputs below an unused one on the tape.
    const Tensor a = from_vector({-0.5}, {}, kFloat64).requires_grad_();
    const Tensor b = from_vector({1.5}, {}, kFloat64).requires_grad_();
    const Tensor unused = add(a, b);  // gives a and b their nodes, b's above a's
    const auto g = grad({affine(a, 2, 0)}, {a, b}, {}, GradOptions().allow_unused(true));
    require_close(g[0], {2}, 0);
    REQUIRE_FALSE(g[1].defined());
    // grad() of a leaf with respect to itself, when no recorded op used the leaf: d u / d u = 1
    // (gradgradcheck meets this when f returns its input unchanged).
    const Tensor u = from_vector({1, 2}, {2}, kFloat64).requires_grad_();
    const auto gu = grad({u}, {u}, {from_vector({3, 4}, {2}, kFloat64)});
    require_close(gu[0], {3, 4}, 0);
    const auto gs =
        grad({reshape(u, {2})}, {u, b}, {ones({2}, kFloat64)}, GradOptions().allow_unused(true));
    require_close(gs[0], {1, 1}, 0);
    REQUIRE_FALSE(gs[1].defined());
}

TEST_CASE("conv and pooling refuse negative, zero and overflowing windows", "[errors][conv]") {
    namespace F = nn::functional;
    const Tensor x = z({1, 1, 5, 5});
    const Tensor w = z({2, 1, 3, 3});
    const Tensor b = z({2});
    // Before: padding -1 wrapped to 2^64 - 1 and gave the bias alone; -3 a reshape message.
    expect_error<ValueError>("conv2d padding -1", [&] { F::conv2d(x, w, b, 1, -1); },
                             {"conv2d", "padding -1x-1", "must not be negative"});
    expect_error<ValueError>("conv2d padding (1, -3)",
                             [&] { F::conv2d(x, w, b, 1, nn::Size2(1, -3)); },
                             {"conv2d", "padding 1x-3", "must not be negative"});
    expect_error<ValueError>("conv2d stride -2", [&] { F::conv2d(x, w, b, -2); },
                             {"conv2d", "stride -2x-2", "must be positive"});
    expect_error<ValueError>("conv2d stride 0", [&] { F::conv2d(x, w, b, 0); },
                             {"conv2d", "stride 0x0", "must be positive"});
    // Before: padding 1 << 63 gave zeros.
    expect_error<ValueError>("conv2d padding 2^63 (unsigned)",
                             [&] { F::conv2d(x, w, b, 1, std::uint64_t{1} << 63); },
                             {"9223372036854775808", "out of range"});
    expect_error<ValueError>(
        "conv2d padding 2^62: the padded size overflows",
        [&] { F::conv2d(x, w, b, 1, std::int64_t{1} << 62); },
        {"conv2d", "padding 4611686018427387904", "input of size 5", "overflows"});
    expect_error<ShapeError>("conv2d padding 2^40: the output's size overflows",
                             [&] { F::conv2d(x, w, b, 1, std::int64_t{1} << 40); },
                             {"conv2d", "[1, 2, 2199023255555, 2199023255555]", "overflows"});

    // The options refuse a bad value when it is set.
    expect_error<ValueError>("Conv2dOptions(...).padding(-1)",
                             [] { nn::Conv2dOptions(1, 2, 3).padding(-1); },
                             {"Conv2dOptions", "padding -1x-1", "must not be negative"});
    expect_error<ValueError>("Conv2dOptions(...).padding(Size2(2, -1))",
                             [] { nn::Conv2dOptions(1, 2, 3).padding(nn::Size2(2, -1)); },
                             {"Conv2dOptions", "padding 2x-1"});
    expect_error<ValueError>(
        "Conv2dOptions(...).padding(size_t(-1))",
        [] { nn::Conv2dOptions(1, 2, 3).padding(static_cast<std::size_t>(-1)); },
        {"18446744073709551615", "out of range"});
    expect_error<ValueError>("Conv2dOptions(...).stride(-1)",
                             [] { nn::Conv2dOptions(1, 2, 3).stride(-1); },
                             {"Conv2dOptions", "stride -1x-1", "must be positive"});
    expect_error<ValueError>("Conv2dOptions(...).stride(0)",
                             [] { nn::Conv2dOptions(1, 2, 3).stride(0); },
                             {"Conv2dOptions", "stride 0x0", "must be positive"});
    expect_error<ValueError>("Conv2dOptions(1, 2, -3)", [] { nn::Conv2dOptions(1, 2, -3); },
                             {"Conv2dOptions", "kernel_size -3x-3", "must be positive"});
    expect_error<ValueError>("Conv2dOptions(...).kernel_size({3, 0})",
                             [] {
                                 nn::Conv2dOptions(1, 2, 3).kernel_size({3, 0});
                             },
                             {"Conv2dOptions", "kernel_size 3x0", "must be positive"});
    expect_error<ValueError>("MaxPool2dOptions(-2)", [] { nn::MaxPool2dOptions(-2); },
                             {"MaxPool2dOptions", "kernel_size -2x-2", "must be positive"});
    expect_error<ValueError>("MaxPool2dOptions(2).stride(0)",
                             [] { nn::MaxPool2dOptions(2).stride(nn::Size2(0)); },
                             {"MaxPool2dOptions", "stride 0x0", "must be positive"});
    expect_error<ValueError>("MaxPool2dOptions(2).padding(-1)",
                             [] { nn::MaxPool2dOptions(2).padding(-1); },
                             {"MaxPool2dOptions", "padding -1x-1", "must not be negative"});
    expect_error<ValueError>("AvgPool2dOptions(0)", [] { nn::AvgPool2dOptions(0); },
                             {"AvgPool2dOptions", "kernel_size 0x0", "must be positive"});
    expect_error<ValueError>("AvgPool2dOptions(2).stride(-1)",
                             [] { nn::AvgPool2dOptions(2).stride(nn::Size2(-1)); },
                             {"AvgPool2dOptions", "stride -1x-1", "must be positive"});
    expect_error<ValueError>("AvgPool2dOptions(2).padding(Size2(0, -1))",
                             [] { nn::AvgPool2dOptions(2).padding(nn::Size2(0, -1)); },
                             {"AvgPool2dOptions", "padding 0x-1", "must not be negative"});

    // The functional pooling ops.
    expect_error<ValueError>("max_pool2d kernel -2", [&] { F::max_pool2d(x, -2); },
                             {"max_pool2d", "kernel -2x-2", "must be positive"});
    expect_error<ValueError>("max_pool2d stride -1", [&] { F::max_pool2d(x, 2, nn::Size2(-1)); },
                             {"max_pool2d", "stride -1x-1", "must be positive"});
    expect_error<ValueError>("avg_pool2d padding -1",
                             [&] { F::avg_pool2d(x, 2, std::nullopt, -1); },
                             {"avg_pool2d", "padding -1x-1", "must not be negative"});
    expect_error<ShapeError>(
        "max_pool2d kernel 2^40 padding 2^39: the windows overflow",
        [&] { F::max_pool2d(x, std::int64_t{1} << 40, std::nullopt, std::int64_t{1} << 39); },
        {"max_pool2d", "1099511627776", "overflows"});

    // unfold and fold take size_t: a negative number converted is out of range.
    expect_error<ValueError>("unfold padding size_t(-1)",
                             [&] {
                                 unfold(x, Window{3, 3, 1, 1, static_cast<std::size_t>(-1), 0});
                             },
                             {"unfold", "padding 18446744073709551615x0", "out of range"});
    expect_error<ValueError>("unfold padding 2^62",
                             [&] {
                                 unfold(x, Window{3, 3, 1, 1, std::size_t{1} << 62, 0});
                             },
                             {"unfold", "padding 4611686018427387904", "overflows"});
    expect_error<ShapeError>(
        "fold to a 2^40 x 2^40 image",
        [] {
            fold(z({1, 1, 1}), std::size_t{1} << 40, std::size_t{1} << 40, Window{1, 1});
        },
        {"fold", "[1099511627776, 1099511627776]", "overflows"});
}

TEST_CASE("shapes whose element count or byte size overflows are ShapeErrors",
          "[errors][overflow]") {
    const std::size_t big = std::size_t{1} << 32;
    // Before: numel wrapped to 0 and the sum was 0.
    expect_error<ShapeError>("zeros [2^32, 2^32]",
                             [&] {
                                 zeros({big, big});
                             },
                             {"zeros", "[4294967296, 4294967296]", "overflows"});
    expect_error<ShapeError>("ones [2^32, 2^32]", [&] { ones({big, big}); }, {"ones", "overflows"});
    expect_error<ShapeError>("full [2^32, 2^32]",
                             [&] {
                                 full({big, big}, 1);
                             },
                             {"full", "overflows"});
    expect_error<ShapeError>("from_vector({}, [2^32, 2^32])",
                             [&] {
                                 from_vector({}, {big, big});
                             },
                             {"from_vector", "[4294967296, 4294967296]", "overflows"});
    expect_error<ShapeError>("zeros [0, 2^32, 2^32] (empty, but the other sizes overflow)",
                             [&] {
                                 zeros({0, big, big});
                             },
                             {"zeros", "overflows"});
    expect_error<ShapeError>("zeros [2^31, 2^31] float32: 2^62 elements, 2^64 bytes",
                             [] {
                                 zeros({std::size_t{1} << 31, std::size_t{1} << 31});
                             },
                             {"zeros", "4611686018427387904 elements of float32", "bytes"});
    expect_error<ShapeError>("eye(2^32)", [&] { eye(big); }, {"eye", "overflows"});
    expect_error<ShapeError>("arange(2^62) float64", [] { arange(std::size_t{1} << 62, kFloat64); },
                             {"arange", "float64", "bytes"});
    expect_error<ShapeError>("one_hot of 2 labels, 2^63 classes",
                             [] {
                                 one_hot({0, 1}, std::size_t{1} << 63);
                             },
                             {"one_hot", "overflows"});
    Generator gen(1);
    expect_error<ShapeError>("rand [2^32, 2^32]",
                             [&] {
                                 rand({big, big}, gen);
                             },
                             {"rand", "overflows"});
    expect_error<ShapeError>("randn [2^32, 2^32]",
                             [&] {
                                 randn({big, big}, gen);
                             },
                             {"randn", "overflows"});
    expect_error<ShapeError>("uniform [2^32, 2^32]",
                             [&] {
                                 uniform({big, big}, 0, 1, gen);
                             },
                             {"uniform", "overflows"});
    expect_error<ShapeError>("normal [2^32, 2^32]",
                             [&] {
                                 normal({big, big}, 0, 1, gen);
                             },
                             {"normal", "overflows"});
    // Before: [0] reshaped to [2^32, 2^32] since the product wrapped to 0.
    const auto ibig = static_cast<std::int64_t>(big);
    expect_error<ShapeError>("reshape [0] to [2^32, 2^32]",
                             [&] {
                                 reshape(z({0}), {ibig, ibig});
                             },
                             {"reshape", "[4294967296, 4294967296]", "for [0]", "overflows"});
    expect_error<ShapeError>("reshape [2] to [-1, 2^32, 2^32]",
                             [&] {
                                 reshape(z({2}), {-1, ibig, ibig});
                             },
                             {"reshape", "[-1, 4294967296, 4294967296]", "overflows"});
    expect_error<ShapeError>("broadcast_to [1] -> [2^32, 2^32]",
                             [&] {
                                 broadcast_to(z({1}), {big, big});
                             },
                             {"broadcast_to", "[4294967296, 4294967296]", "overflows"});
}

TEST_CASE("random distributions with bad parameters are ValueErrors", "[errors][random]") {
    Generator gen(2);
    expect_error<ValueError>("normal with std -1", [&] { normal({3}, 0, -1, gen); },
                             {"normal", "standard deviation -1", ">= 0"});
    expect_error<ValueError>("normal with std NaN", [&] { normal({3}, 0, std::nan(""), gen); },
                             {"normal", "standard deviation nan"});
    expect_error<ValueError>("uniform with lo 2 > hi 1", [&] { uniform({3}, 2, 1, gen); },
                             {"uniform", "lo 2", "hi 1", "empty"});
    expect_error<ValueError>("uniform on [-inf, inf)",
                             [&] { uniform({3}, -HUGE_VAL, HUGE_VAL, gen); },
                             {"uniform", "not finite"});
    expect_error<ValueError>("Generator::uniform(2, 1)", [&] { gen.uniform(2, 1); },
                             {"Generator::uniform", "lo 2", "hi 1"});
    expect_error<ValueError>("Generator::normal(0, -0.5)", [&] { gen.normal(0, -0.5); },
                             {"Generator::normal", "standard deviation -0.5"});
    // The edges are fine: an empty-width interval, a zero deviation.
    REQUIRE(uniform({2}, 3, 3, gen).to_vector() == std::vector<double>{3, 3});
    REQUIRE(normal({2}, 4, 0, gen).to_vector() == std::vector<double>{4, 4});
}

TEST_CASE("binary_cross_entropy refuses probabilities outside [0, 1] and propagates NaN",
          "[errors][losses]") {
    const Tensor y = from_vector({1, 0, 1}, {3}, kFloat64);
    expect_error<ValueError>(
        "binary_cross_entropy with probability 1.5",
        [&] {
            binary_cross_entropy(from_vector({0.5, 1.5, 0.2}, {3}, kFloat64), y);
        },
        {"binary_cross_entropy", "probability 1.5", "index 1", "[0, 1]"});
    expect_error<ValueError>(
        "binary_cross_entropy with probability -0.25",
        [&] {
            binary_cross_entropy(from_vector({0.5, 0.5, -0.25}, {3}), from_vector({1, 0, 1}, {3}));
        },
        {"binary_cross_entropy", "probability -0.25", "index 2"});
    // NaN is not refused: it propagates to the loss.
    const Tensor l = binary_cross_entropy(from_vector({0.5, std::nan(""), 0.25}, {3}, kFloat64), y);
    REQUIRE(std::isnan(l.item()));
    // 0 and 1 are probabilities.
    REQUIRE_NOTHROW(binary_cross_entropy(from_vector({0.5, 0, 1}, {3}, kFloat64), y));
}

TEST_CASE("second derivatives of a non-scalar function name the function called", "[errors]") {
    // These used to fail inside item(): "item(): the tensor has shape [2]".
    const Tensor x = from_vector({1.0, 2.0}, {2}, kFloat64).requires_grad_();
    const auto vector_valued = [](const Tensor& t) { return t * t; };
    expect_error<ShapeError>("hessian of a function returning [2]",
                             [&] { hessian(vector_valued, x); },
                             {"hessian", "must return a scalar", "[2]"});
    expect_error<ShapeError>("hvp of a function returning [2]",
                             [&] { hvp([&] { return x * x; }, {x}, {ones({2}, kFloat64)}); },
                             {"hvp", "must return a scalar", "[2]"});
    expect_error<ShapeError>("HessianVectorProduct of a function returning [2]",
                             [&] { HessianVectorProduct([&] { return x * x; }, {x}); },
                             {"HessianVectorProduct", "must return a scalar", "[2]"});
}
