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
// - non-smooth ops are kept at least kKinkMargin away from their kinks and ties: abs, relu,
//   leaky_relu and clamp get x + c, maximum and minimum get (x, y + c), with the constant c of
//   least magnitude that clears every kink (0 if none is near); max and min over an axis get a
//   constant tensor that lifts the winner of every near-tied slice by 2 kKinkMargin;
// - after every op, values larger than 4 in magnitude are scaled down by a power of two, so
//   that exp never overflows and finite differences stay accurate, and results larger than 3
//   budgets (kMaxNumel or kLargeNumel) are strided down along their longest axes.
// Ops that need axes reshape a value of lower rank first. A descriptor that cannot apply at all
// (a fold or a broadcast too large for the size budget) falls back to sin, a smooth stand-in; the
// property test counts how often (Graph::fell_back). The Graph remembers every op as C++ source, so
// a failing case prints as a program.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tapegrad.hpp"

namespace tgtest::fuzz {

// The op families the generator knows, simplest first (rapidcheck shrinks a kind towards 0,
// which is affine). New elementwise ops are one line each in the tables at the top of
// random_graph.cpp.
int family_count();
const char* family_name(int kind);  // kind is read modulo family_count()

struct OpDesc {
    int kind = 0;             // an op family, modulo family_count()
    int a = 0;                // which earlier value is the operand (0: the latest)
    int b = 0, c = 0, d = 0;  // op-specific choices, read modulo what fits
};

struct GraphSpec {
    std::vector<int> input_shape;  // rank 0 to 4, sizes 1 to 3 (large: rank 3 or 4, 3 to 5)
    std::vector<OpDesc> ops;       // 2 to 20
    std::uint64_t seed = 0;        // for input values
    bool large = false;            // tensors up to kLargeNumel elements instead of kMaxNumel
};

struct Graph {
    struct Node {
        int input = -1;  // >= 0: this value is inputs[input]
        std::function<tg::Tensor(const std::vector<tg::Tensor>&)> fn;  // else computed from earlier
        std::string code;  // the expression, in terms of v0, v1, ...
    };
    std::vector<tg::Tensor> inputs;  // float64; those requiring grad are checked
    std::vector<Node> nodes;
    std::vector<std::string> applied;    // op families as applied (descriptors that fell back
                                         // are not here)
    std::vector<std::string> fell_back;  // families whose descriptor fell back to sin
    std::vector<std::string> shifted;    // families whose operand was moved off a kink or tie

    tg::Tensor run(const std::vector<tg::Tensor>& in) const;
    // A complete C++ program that rebuilds the graph and runs gradcheck and gradgradcheck on it.
    std::string to_cpp() const;
    std::size_t input_elements() const;
};

// Values within this distance of a kink or a tie are moved away from it. The property test's
// finite-difference step is 1e-6, so a value would have to be 1000 times more sensitive to an
// input than the input itself for the step to cross a kink.
constexpr double kKinkMargin = 1e-3;
// The size budget: the first input has at most this many elements, every new leaf that
// requires grad as well, except the new parts of a concat; results stay within 3 budgets. Small
// graphs keep the full Jacobians small; large ones (GraphSpec::large) reach a few hundred.
constexpr std::size_t kMaxNumel = 16;
constexpr std::size_t kLargeNumel = 256;
// The graph's output (the last value, or the join of all values nothing else uses) is strided
// down to this many elements: gradgradcheck perturbs every output element as well.
constexpr std::size_t kMaxOutput = 256;

// The tolerances every graph is checked at, the op tests' (tests/ops/test_op_gradients.cpp):
// central differences with step 1e-6, |analytic - numeric| <= 1e-7 + 1e-6 |numeric|. With
// values kept within 4 in magnitude (Builder::settle) and domains kept 0.1 from poles, the
// step's truncation error (about 1e-12 times the third derivative) and rounding error (about
// 1e-10 |f|) stay well inside that.
tg::GradcheckOptions check_options();

Graph build_graph(const GraphSpec& spec);

std::string to_string(const GraphSpec& spec);

}  // namespace tgtest::fuzz
