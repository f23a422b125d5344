#pragma once
// Random expression graphs for property-based derivative tests.
//
// A graph is generated as plain data, a GraphSpec: the shape of the first input and a list of
// op descriptors, each a kind and four small integers. build_graph() interprets the spec into a
// concrete Graph. The interpretation reads every integer modulo what fits the shapes at hand, so
// EVERY spec is valid: rapidcheck can shrink a failing spec (drop descriptors, shrink integers
// towards 0, which means "the simplest choice") and still get a graph that runs.
//
// Domains are built in while interpreting, using the values at the check point:
// - log, sqrt, fractional and negative powers, and the base of pow take x directly only where
//   min(x) >= 0.1; otherwise softplus(x) + 0.1 (or + 0.5) is inserted in front;
// - a divisor is used directly only where min|b| >= 0.2, otherwise softplus(b) + 0.5;
// - abs, relu, leaky_relu, maximum, minimum, clamp and max/min over an axis are used only where
//   every value is at least kKinkMargin away from the kink (or a tie); otherwise a smooth op
//   takes their place;
// - after every op, values larger than 4 in magnitude are scaled down by a power of two, so
//   that exp never overflows and finite differences stay accurate.
// The Graph remembers every op as C++ source, so a failing case prints as a program.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "tapegrad.hpp"

namespace tgtest::fuzz {

// The op families, simplest first (rapidcheck shrinks a kind towards 0).
enum class Kind : int {
    affine,
    neg,
    add,
    sub,
    mul,
    div,
    exp,
    log,
    sqrt,
    sin,
    cos,
    tanh,
    sigmoid,
    softplus,
    pow_scalar,
    pow,
    abs,
    relu,
    leaky_relu,
    where,
    maximum,
    minimum,
    clamp,
    sum,
    mean,
    max,
    min,
    matmul,
    reshape,
    permute,
    slice,
    pad,
    unslice,
    concat,
    broadcast_to,
    sum_to,
    index_select,
    index_add,
    unfold,
    fold,
    softmax,
    count
};

const char* kind_name(Kind k);

struct OpDesc {
    int kind = 0;             // a Kind
    int a = 0;                // which earlier value is the operand (0: the latest)
    int b = 0, c = 0, d = 0;  // op-specific choices, read modulo what fits
};

struct GraphSpec {
    std::vector<int> input_shape;  // rank 0 to 4, sizes 1 to 3
    std::vector<OpDesc> ops;       // 2 to 20
    std::uint64_t seed = 0;        // for input values
};

struct Graph {
    struct Node {
        int input = -1;  // >= 0: this value is inputs[input]
        std::function<tg::Tensor(const std::vector<tg::Tensor>&)> fn;  // else computed from earlier
        std::string code;  // the expression, in terms of v0, v1, ...
    };
    std::vector<tg::Tensor> inputs;  // float64; those requiring grad are checked
    std::vector<Node> nodes;
    std::vector<std::string> applied;  // op family names as applied (after fallbacks)

    tg::Tensor run(const std::vector<tg::Tensor>& in) const;
    // A complete C++ program that rebuilds the graph and runs gradcheck and gradgradcheck on it.
    std::string to_cpp() const;
    std::size_t input_elements() const;
};

// Values within this distance of a kink or a tie are kept away from non-smooth ops.
constexpr double kKinkMargin = 1e-3;
// The largest tensor the generator makes (keeps the full Jacobians small).
constexpr std::size_t kMaxNumel = 16;

Graph build_graph(const GraphSpec& spec);

// How often each op family was applied across all graphs built so far in this process, and
// how often a descriptor fell back to a smooth op because its domain condition failed.
std::map<std::string, std::size_t>& usage_counts();

std::string to_string(const GraphSpec& spec);

}  // namespace tgtest::fuzz
