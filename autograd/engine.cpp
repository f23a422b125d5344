// The reverse walk over the tape. The tape is in creation order, which is a topological order,
// so backward is one loop from the highest output's index down: no graph search, no recursion.

#include "autograd/engine.hpp"

#include <algorithm>
#include <mutex>
#include <string>
#include <unordered_map>

#include "autograd/grad_mode.hpp"
#include "autograd/op.hpp"
#include "autograd/tape.hpp"
#include "ops/arithmetic.hpp"
#include "ops/creation.hpp"
#include "ops/kernels.hpp"

namespace tg {

namespace {

// slot += g. In place when nothing else can see slot's buffer and no graph is being built;
// otherwise through the differentiable add.
void accumulate(Tensor& slot, const Tensor& g, bool create_graph) {
    if (!slot.defined()) {
        slot = g;
        return;
    }
    detail::TensorImpl* s = slot.impl();
    // A pending g (a broadcast, say) is cheaper to add than to write out and then add.
    if (!create_graph && s->refs.load() == 1 && s->is_leaf && !s->tangent.defined() &&
        !g.tangent().defined() && slot.dtype() == g.dtype() && slot.shape() == g.shape() &&
        !g.impl()->deferred) {
        if (s->deferred) detail::materialize(*s);
        kernels::dispatch(slot.dtype(), [&](auto tag) {
            using T = decltype(tag);
            T* p = std::get<xt::xarray<T>>(s->value).data();
            const T* q = g.array<T>().data();
            kernels::parallel_for(
                g.numel(), kernels::kElementwiseGrain, [&](std::size_t b, std::size_t e) {
                    kernels::map_rows(p, q, p, b, e, [](auto x, auto y) { return x + y; });
                });
        });
        ++s->version;
        return;
    }
    slot = add(slot, g);
}

// leaf.grad += g. Threads that share a leaf may run backward at once (each on its own tape), so
// this is the one step that takes a lock: one of a few, picked by the leaf's address.
void accumulate_into_leaf(detail::TensorImpl* leaf, const Tensor& g, bool create_graph) {
    static std::mutex locks[16];
    std::lock_guard<std::mutex> hold(locks[(reinterpret_cast<std::uintptr_t>(leaf) >> 6) % 16]);
    accumulate(leaf->grad, g, create_graph);
}

Tensor run_hooks(detail::TensorImpl* t, Tensor g) {
    for (auto& hook : t->extras->hooks) {
        Tensor replaced = hook(g);
        if (replaced.defined()) {
            if (replaced.shape() != g.shape() || replaced.dtype() != g.dtype()) {
                throw GraphError("a gradient hook returned " +
                                 std::string(dtype_name(replaced.dtype())) +
                                 shape_str(replaced.shape()) + " for a gradient of " +
                                 dtype_name(g.dtype()) + shape_str(g.shape()));
            }
            g = std::move(replaced);
        }
    }
    return g;
}

struct Wanted {
    std::uint32_t node;                  // kNoNode for a leaf that this tape does not link
    std::size_t slot;                    // index into grad()'s results
    detail::TensorImpl* leaf = nullptr;  // that leaf
};

// Gradients of leaves that another thread's tape links (Tape::input_node): they have no node on
// this tape, so the walk sums them here, and finishes them after the tape, in order of arrival.
class OtherTapesLeaves {
  public:
    // The sum for `leaf`; nullptr if it is not collected (grad() collects only wanted leaves).
    Tensor* slot(detail::TensorImpl* leaf, bool create) {
        auto it = index_.find(leaf);
        if (it != index_.end()) return &grads_[it->second].second;
        if (!create) return nullptr;
        index_.emplace(leaf, grads_.size());
        grads_.emplace_back(leaf, Tensor());
        return &grads_.back().second;
    }
    std::vector<std::pair<detail::TensorImpl*, Tensor>>& all() { return grads_; }

  private:
    std::vector<std::pair<detail::TensorImpl*, Tensor>> grads_;
    std::unordered_map<detail::TensorImpl*, std::size_t> index_;
};

// The walk shared by backward() and grad(). With `wanted` (grad), the complete gradient of
// each wanted node is written to results and leaves' .grad() is untouched; without it
// (backward), gradients accumulate into leaves.
void walk(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs,
          const GradOptions& opts, std::vector<Wanted>* wanted, std::vector<Tensor>* results) {
    const char* who = wanted ? "grad" : "backward";
    Tape& tape = Tape::current();
    if (outputs.empty()) throw ValueError(std::string(who) + ": no outputs given");
    if (!grad_outputs.empty() && grad_outputs.size() != outputs.size()) {
        throw ValueError(std::string(who) + ": " + std::to_string(grad_outputs.size()) +
                         " grad_outputs for " + std::to_string(outputs.size()) + " outputs");
    }
    for (std::size_t k = 0; k < outputs.size(); ++k) {
        const Tensor& y = outputs[k];
        if (!y.defined())
            throw ValueError(std::string(who) + ": output " + std::to_string(k) + " is undefined");
        if (!y.requires_grad()) {
            throw GraphError(std::string(who) + ": output " + std::to_string(k) + " " +
                             shape_str(y.shape()) +
                             " does not require grad (no input of the ops that made it requires "
                             "grad, or it was computed under NoGradGuard)");
        }
        if (!tape.links(y.impl()) && !y.is_leaf()) {  // a leaf output is handled below
            throw StaleTensorError(std::string(who) + ": output " + std::to_string(k) +
                                   " was recorded on a tape that has since been reset, or on "
                                   "another thread's tape");
        }
    }
    // Seeds.
    std::uint32_t hi = 0;
    std::vector<Tensor> seeds(outputs.size());
    std::vector<std::uint32_t> seed_nodes(outputs.size());
    for (std::size_t k = 0; k < outputs.size(); ++k) {
        const Tensor& y = outputs[k];
        if (!grad_outputs.empty() && grad_outputs[k].defined()) {
            const Tensor& s = grad_outputs[k];
            if (s.dtype() != y.dtype()) {
                throw DTypeError(std::string(who) + ": grad_output " + std::to_string(k) + " is " +
                                 dtype_name(s.dtype()) + shape_str(s.shape()) + " but output is " +
                                 dtype_name(y.dtype()) + shape_str(y.shape()));
            }
            if (s.shape() != y.shape()) {
                throw ShapeError(std::string(who) + ": grad_output " + std::to_string(k) + " is " +
                                 dtype_name(s.dtype()) + shape_str(s.shape()) + " but output is " +
                                 dtype_name(y.dtype()) + shape_str(y.shape()));
            }
            seeds[k] = s;
        } else if (y.numel() == 1) {
            seeds[k] = ones_like(y);
        } else {
            throw GraphError(std::string(who) + ": output " + std::to_string(k) + " has shape " +
                             shape_str(y.shape()) +
                             "; a non-scalar output needs grad_outputs of the same shape");
        }
        // A leaf as its own output gets its node here (or none, if another tape links it).
        seed_nodes[k] = tape.links(y.impl()) ? y.impl()->node : tape.input_node(y.impl(), who);
        if (seed_nodes[k] != detail::kNoNode) hi = std::max(hi, seed_nodes[k]);
    }

    // The walk goes down to the lowest wanted node; leaves of other tapes can be anywhere.
    std::uint32_t lo = 0;
    OtherTapesLeaves others;
    if (wanted) {
        lo = hi + 1;  // nothing wanted: nothing to walk
        for (const Wanted& w : *wanted) {
            lo = w.leaf ? 0 : std::min(lo, w.node);
            if (w.leaf) others.slot(w.leaf, true);
        }
    }
    std::vector<Tensor> G(static_cast<std::size_t>(hi) + 1);
    for (std::size_t k = 0; k < outputs.size(); ++k) {
        Tensor* slot = seed_nodes[k] != detail::kNoNode
                           ? &G[seed_nodes[k]]
                           : others.slot(outputs[k].impl(), wanted == nullptr);
        if (slot) accumulate(*slot, seeds[k], false);
    }

    const bool create = opts.create_graph();
    struct RestoreGradMode {
        bool previous = grad_enabled();
        ~RestoreGradMode() { set_grad_enabled(previous); }
    } restore;
    set_grad_enabled(create);

    std::vector<std::uint32_t> visited;
    std::vector<Tensor> grad_in;
    std::vector<char> needs;
    std::size_t next_wanted = 0;
    for (std::int64_t i = hi; i >= static_cast<std::int64_t>(lo); --i) {
        Tensor& slot = G[static_cast<std::size_t>(i)];
        if (!slot.defined()) continue;
        Node& n = tape.node(static_cast<std::size_t>(i));
        Tensor g = std::move(slot);
        detail::TensorImpl* t = n.out;
        if (t->extras) {
            if (!t->extras->hooks.empty()) g = run_hooks(t, std::move(g));
            if (t->extras->retain_grad && !wanted) t->grad = g;
        }
        bool captured = false;
        // Wanted nodes above i that no gradient reached are unused: step past them, or the
        // ones below would never be captured.
        while (wanted && next_wanted < wanted->size() && (*wanted)[next_wanted].node > i)
            ++next_wanted;
        while (wanted && next_wanted < wanted->size() && (*wanted)[next_wanted].node == i) {
            (*results)[(*wanted)[next_wanted].slot] = g;
            ++next_wanted;
            captured = true;
        }
        if (n.op == nullptr) {  // a leaf
            if (!wanted) accumulate_into_leaf(t, g, create);
            continue;
        }
        if (captured && i == static_cast<std::int64_t>(lo)) continue;  // nothing wanted below
        if (n.state == NodeState::freed) {
            throw FreedGraphError(std::string(who) + ": the graph through '" + n.op->name +
                                  "' was freed by an earlier backward; pass "
                                  "GradOptions().retain_graph(true) to the first one");
        }
        const std::size_t nin = n.inputs.size();
        needs.assign(nin, 0);
        for (std::size_t k = 0; k < nin; ++k) {
            detail::TensorImpl* in = n.inputs[k].impl();
            if (in->version != n.versions[k]) {
                throw GraphError(std::string(who) + ": input " + std::to_string(k) + " of '" +
                                 n.op->name + "' was modified in place after it was recorded");
            }
            needs[k] = in->requires_grad ? 1 : 0;
        }
        grad_in.assign(nin, Tensor());
        const Tensor out = Tensor::share(t);
        OpCall call(*n.op, n.inputs.data(), nin, out, n.scalar, n.ints.data(), n.ints.size(),
                    needs.data());
        if (anomaly_enabled()) {
            // Name the op whose reverse rule produced the NaN or Inf, not just the primitive
            // inside the rule that first saw it.
            try {
                n.op->vjp(call, g, grad_in.data());
            } catch (const NumericError& e) {
                throw NumericError(std::string("backward of '") + n.op->name + "': " + e.what());
            }
        } else {
            n.op->vjp(call, g, grad_in.data());
        }
        visited.push_back(static_cast<std::uint32_t>(i));
        for (std::size_t k = 0; k < nin; ++k) {
            if (!needs[k] || !grad_in[k].defined()) continue;
            const Tensor& x = n.inputs[k];
            const Tensor& gk = grad_in[k];
            if (gk.shape() != x.shape() || gk.dtype() != x.dtype()) {
                throw GraphError(std::string("the vjp of '") + n.op->name + "' returned " +
                                 dtype_name(gk.dtype()) + shape_str(gk.shape()) +
                                 " as the gradient of input " + std::to_string(k) + ", which is " +
                                 dtype_name(x.dtype()) + shape_str(x.shape()));
            }
            if (anomaly_enabled()) {
                detail::check_finite(gk, std::string("backward of '") + n.op->name +
                                             "': the gradient of input " + std::to_string(k));
            }
            detail::TensorImpl* in = x.impl();
            if (!tape.links(in)) {
                if (!in->is_leaf) {
                    throw StaleTensorError(std::string(who) + ": input " + std::to_string(k) +
                                           " of '" + n.op->name + "' is no longer on this tape");
                }
                if (Tensor* s = others.slot(in, wanted == nullptr)) accumulate(*s, gk, create);
                continue;
            }
            if (in->node < lo) continue;
            accumulate(G[in->node], gk, create);
        }
    }
    for (auto& [leaf, g] : others.all()) {
        if (!g.defined()) continue;  // wanted but not reached
        if (leaf->extras && !leaf->extras->hooks.empty()) g = run_hooks(leaf, std::move(g));
        if (!wanted) accumulate_into_leaf(leaf, g, create);
        for (std::size_t w = 0; wanted && w < wanted->size(); ++w)
            if ((*wanted)[w].leaf == leaf) (*results)[(*wanted)[w].slot] = g;
    }
    G.clear();
    if (!opts.retain_graph()) {
        for (std::uint32_t i : visited) tape.free_saved(i);
    }
}

}  // namespace

void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs,
              const GradOptions& options) {
    walk(outputs, grad_outputs, options, nullptr, nullptr);
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, const GradOptions& options) {
    Tape& tape = Tape::current();
    std::vector<Wanted> wanted;
    for (std::size_t k = 0; k < inputs.size(); ++k) {
        const Tensor& x = inputs[k];
        if (!x.defined()) throw ValueError("grad: input " + std::to_string(k) + " is undefined");
        if (!x.requires_grad()) {
            throw GraphError("grad: input " + std::to_string(k) + " " + shape_str(x.shape()) +
                             " does not require grad; call requires_grad_() on it before "
                             "computing the outputs");
        }
        if (tape.links(x.impl())) {
            wanted.push_back({x.impl()->node, k});
        } else if (!x.is_leaf()) {
            throw StaleTensorError("grad: input " + std::to_string(k) +
                                   " was recorded on a tape that has since been reset");
        } else if (x.impl()->tape_serial.load(std::memory_order_relaxed) != 0 &&
                   x.impl()->tape_serial.load(std::memory_order_relaxed) != tape.serial()) {
            wanted.push_back({detail::kNoNode, k, x.impl()});  // another tape's leaf
        } else {
            // A leaf that no recorded op used: unused, unless it is itself an output, whose
            // gradient with respect to itself is its seed (d x / d x = 1). Give it its node now,
            // so that the walk captures it.
            for (const Tensor& y : outputs) {
                if (y.same(x)) {
                    const std::uint32_t node = tape.input_node(x.impl(), "grad");
                    wanted.push_back({node, k, node == detail::kNoNode ? x.impl() : nullptr});
                    break;
                }
            }
        }
    }
    std::sort(wanted.begin(), wanted.end(),
              [](const Wanted& a, const Wanted& b) { return a.node > b.node; });
    std::vector<Tensor> results(inputs.size());
    walk(outputs, grad_outputs, options, &wanted, &results);
    for (std::size_t k = 0; k < inputs.size(); ++k) {
        if (!results[k].defined() && !options.allow_unused()) {
            throw GraphError("grad: input " + std::to_string(k) + " " +
                             shape_str(inputs[k].shape()) +
                             " was not used to compute the outputs; pass "
                             "GradOptions().allow_unused(true) to get an undefined gradient");
        }
    }
    return results;
}

void Tensor::backward(const Tensor& grad_output, const GradOptions& opts) const {
    tg::backward({*this},
                 grad_output.defined() ? std::vector<Tensor>{grad_output} : std::vector<Tensor>{},
                 opts);
}

}  // namespace tg
