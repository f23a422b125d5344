#include "autograd/op.hpp"

#include <cmath>
#include <string>

#include "autograd/grad_mode.hpp"
#include "autograd/tape.hpp"

namespace tg {

namespace detail {

void check_finite(const Tensor& t, const std::string& what) {
    auto scan = [&](const auto& a) {
        const auto* p = a.data();
        for (std::size_t i = 0; i < a.size(); ++i) {
            if (!std::isfinite(p[i])) {
                throw NumericError(what + " holds " +
                                   (std::isnan(p[i]) ? "NaN"
                                    : p[i] < 0       ? "-Inf"
                                                     : "Inf") +
                                   " at flat index " + std::to_string(i) + " (shape " +
                                   shape_str(t.shape()) + ")");
            }
        }
    };
    if (t.dtype() == DType::f32)
        scan(t.array<float>());
    else
        scan(t.array<double>());
}

}  // namespace detail

namespace {

const Tensor& get(const Tensor& t) {
    return t;
}
const Tensor& get(const std::reference_wrapper<const Tensor>& t) {
    return t.get();
}

template <class Range>
void check_anomalies(const OpDef& op, const Tensor& out, const Range& inputs) {
    std::size_t i = 0;
    for (const auto& in : inputs) {
        detail::check_finite(get(in), std::string(op.name) + ": input " + std::to_string(i));
        ++i;
    }
    detail::check_finite(out, std::string(op.name) + ": the result, from finite inputs,");
}

template <class Range>
void attach_tangent(const OpDef& op, const Tensor& out, const Range& inputs, const Attrs& attrs) {
    std::vector<Tensor> in;
    std::vector<Tensor> tangents;
    in.reserve(inputs.size());
    tangents.reserve(inputs.size());
    for (const auto& t : inputs) {
        in.push_back(get(t));
        tangents.push_back(get(t).impl()->tangent);
    }
    if (op.jvp == nullptr) {
        if (op.vjp == nullptr) return;  // not differentiable: the result is a constant
        // A zero tangent would be silently wrong: refuse, as JAX does for a custom_vjp.
        throw GraphError(std::string("'") + op.name +
                         "' has a vjp rule but no jvp rule, so forward mode (jvp, DualGuard, "
                         "forward-over-reverse hvp) cannot pass through it; give it a jvp rule "
                         "or use reverse mode");
    }
    Tensor tangent;
    {
        detail::TangentsOffGuard off;  // a rule works on primal values only
        // Tangents are not recorded: a recorded tangent would save `out` as an input while `out`
        // holds the tangent, a reference cycle that keeps both alive. Forward-over-reverse needs
        // no recorded tangents; reverse-over-reverse covers the other orderings.
        NoGradGuard unrecorded;
        OpCall call(op, in.data(), in.size(), out, attrs.scalar, attrs.ints, attrs.num_ints);
        tangent = op.jvp(call, tangents.data());
    }
    if (!tangent.defined()) return;
    if (tangent.dtype() != out.dtype() || tangent.shape() != out.shape()) {
        throw GraphError(std::string("jvp of '") + op.name + "' returned a tangent of " +
                         dtype_name(tangent.dtype()) + shape_str(tangent.shape()) +
                         " for a result of " + dtype_name(out.dtype()) + shape_str(out.shape()));
    }
    out.impl()->tangent = std::move(tangent);
}

template <class Range>
Tensor record_impl(const OpDef& op, Tensor out, const Range& inputs, const Attrs& attrs) {
    if (anomaly_enabled()) check_anomalies(op, out, inputs);
    if (detail::tangents_enabled()) {
        for (const auto& t : inputs) {
            if (get(t).impl()->tangent.defined()) {
                attach_tangent(op, out, inputs, attrs);
                break;
            }
        }
    }
    if (!grad_enabled() || op.vjp == nullptr) return out;
    bool any = false;
    for (const auto& t : inputs) any = any || get(t).impl()->requires_grad;
    if (!any) return out;

    Tape& tape = Tape::current();
    // Inputs get their nodes first (a leaf's node on its first use), so that the op's node
    // comes after all of them.
    for (const auto& t : inputs) {
        if (get(t).impl()->requires_grad) tape.input_node(get(t).impl(), op.name);
    }
    detail::TensorImpl* o = out.impl();
    if (o->node != detail::kNoNode) {
        throw GraphError(std::string(op.name) +
                         ": record() needs a fresh result, not a tensor that is already recorded");
    }
    Node& n = tape.append(&op, o);
    for (const auto& t : inputs) {
        n.inputs.push_back(get(t));
        n.versions.push_back(get(t).impl()->version);
    }
    n.ints.assign(attrs.ints, attrs.ints + attrs.num_ints);
    n.scalar = attrs.scalar;
    o->is_leaf = false;
    o->requires_grad = true;
    return out;
}

}  // namespace

Tensor record(const OpDef& op, Tensor out, InputList inputs, Attrs attrs) {
    return record_impl(op, std::move(out), inputs, attrs);
}

Tensor record(const OpDef& op, Tensor out, const std::vector<Tensor>& inputs, Attrs attrs) {
    return record_impl(op, std::move(out), inputs, attrs);
}

}  // namespace tg
