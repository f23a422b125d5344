#pragma once
// How an op meets the tape. An op computes its result array, then calls record() with its
// OpDef: the op's name, its reverse rule (vjp) and its forward rule (jvp). Built-in ops and
// user-defined ops use exactly this interface.
//
// Rules are written with tapegrad ops on Tensors, never on raw arrays. When backward runs with
// create_graph, those ops are recorded too, which is what makes derivatives of any order work.

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <vector>

#include "tensor.hpp"

namespace tg {

class OpCall;

// Reverse rule: given the gradient of the output, write the gradient of each input that
// call.needs_grad(i) into grad_in[i] (leave the others undefined). Each must have the shape of
// its input.
using VjpRule = void (*)(const OpCall& call, const Tensor& grad_out, Tensor* grad_in);
// Forward rule: given the inputs' tangents (undefined where an input has none), return the
// output's tangent, with the output's shape.
using JvpRule = Tensor (*)(const OpCall& call, const Tensor* tangents);

struct OpDef {
    const char* name;
    VjpRule vjp;  // nullptr: not differentiable; its result never requires grad
    JvpRule jvp;  // nullptr with a vjp: reverse mode only (forward mode through it throws
                  // GraphError); nullptr with no vjp: its result is a constant, no tangent
};

// An op's attributes: one scalar and a list of integers (axes, shapes, strides, ...).
struct Attrs {
    Attrs() = default;
    Attrs(double s) : scalar(s) {}  // NOLINT: implicit on purpose, record(op, out, {x}, 2.0)
    // The list's array lives until the end of the full expression that calls record(), which
    // copies it: long enough.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winit-list-lifetime"
    Attrs(std::initializer_list<std::int64_t> list, double s = 0)
        : scalar(s), ints(list.begin()), num_ints(list.size()) {}
#pragma GCC diagnostic pop
    Attrs(const std::vector<std::int64_t>& list, double s = 0)
        : scalar(s), ints(list.data()), num_ints(list.size()) {}

    double scalar = 0;
    const std::int64_t* ints = nullptr;
    std::size_t num_ints = 0;
};

// What a rule sees: the inputs, the output and the attributes of one application of an op.
class OpCall {
  public:
    OpCall(const OpDef& op, const Tensor* inputs, std::size_t num_inputs, const Tensor& out,
           double scalar, const std::int64_t* ints, std::size_t num_ints,
           const char* needs = nullptr)
        : op_(op),
          inputs_(inputs),
          num_inputs_(num_inputs),
          out_(out),
          scalar_(scalar),
          ints_(ints),
          num_ints_(num_ints),
          needs_(needs) {}

    const char* name() const { return op_.name; }
    std::size_t num_inputs() const { return num_inputs_; }
    const Tensor& in(std::size_t i) const { return inputs_[i]; }
    const Tensor& out() const { return out_; }
    double scalar() const { return scalar_; }
    std::size_t num_ints() const { return num_ints_; }
    std::int64_t ints(std::size_t i) const { return ints_[i]; }
    std::vector<std::int64_t> int_list(std::size_t first, std::size_t count) const {
        return std::vector<std::int64_t>(ints_ + first, ints_ + first + count);
    }
    Shape shape_attr(std::size_t first, std::size_t count) const {
        Shape s(count);
        for (std::size_t i = 0; i < count; ++i) s[i] = static_cast<std::size_t>(ints_[first + i]);
        return s;
    }
    // In a vjp: whether input i wants a gradient. Always true in a jvp.
    bool needs_grad(std::size_t i) const { return needs_ == nullptr || needs_[i] != 0; }

  private:
    const OpDef& op_;
    const Tensor* inputs_;
    std::size_t num_inputs_;
    const Tensor& out_;
    double scalar_;
    const std::int64_t* ints_;
    std::size_t num_ints_;
    const char* needs_;
};

using InputList = std::initializer_list<std::reference_wrapper<const Tensor>>;

// Record one application of `op` whose freshly computed result is `out`, and return `out`.
// - If an input carries a tangent, the jvp rule gives `out` its tangent.
// - If grad mode is on and an input requires grad, a node is appended to this thread's tape.
// - In anomaly mode, inputs and result are checked for NaN and Inf.
Tensor record(const OpDef& op, Tensor out, InputList inputs, Attrs attrs = {});
Tensor record(const OpDef& op, Tensor out, const std::vector<Tensor>& inputs, Attrs attrs = {});

namespace detail {
// Throws NumericError naming `what` if t holds a NaN or an Inf.
void check_finite(const Tensor& t, const std::string& what);
}  // namespace detail

}  // namespace tg
