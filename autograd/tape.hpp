#pragma once
// The tape: a Wengert list of nodes, one per recorded op, in creation order. Creation order is
// a topological order, so backward is a loop from the output's index down to zero.
//
// Each thread has its own tape. Node slots live in fixed-size chunks that are never freed while
// the tape lives, so a training loop that records and releases one step after another reuses
// the same slots (and the capacity of their small vectors) without touching the heap.
//
// What threads may share: leaves (parameters). Several threads may record ops on one leaf and
// run backward() or grad() at the same time, each on its own tape; gradients from all of them
// add up in the leaf's .grad() under a lock, none lost (PyTorch's semantics). Not shared: a
// result of a recorded op belongs to the thread that made it (another thread gets
// StaleTensorError; detach() it to pass its values on). Reading, zeroing or setting a leaf's
// .grad(), changing its values (an optimizer step), requires_grad_() and register_hook() must
// not overlap with other threads' backward on that leaf: synchronise around them. Hooks on a
// shared leaf run on the thread of each backward.

#include <cstdint>
#include <memory>
#include <vector>

#include "tensor.hpp"

namespace tg {

struct OpDef;

enum class NodeState : std::uint8_t {
    live,   // recorded, inputs saved
    freed,  // a backward without retain_graph released its saved inputs
    dead,   // its output tensor is gone; the slot can be reused once it is at the end
};

struct Node {
    const OpDef* op = nullptr;            // nullptr for a leaf
    std::uint64_t id = 0;                 // unique per tape; tensors check it to detect staleness
    detail::TensorImpl* out = nullptr;    // the tensor this node produced, or the leaf (not owned)
    std::vector<Tensor> inputs;           // saved inputs (owned references)
    std::vector<std::uint32_t> versions;  // their version counters when recorded
    std::vector<std::int64_t> ints;       // op attributes: axes, shapes, strides, ...
    double scalar = 0;                    // op attribute
    NodeState state = NodeState::dead;
};

class Tape {
  public:
    // This thread's tape.
    static Tape& current();

    Tape();
    ~Tape();
    Tape(const Tape&) = delete;
    Tape& operator=(const Tape&) = delete;

    std::size_t size() const { return size_; }
    std::uint64_t serial() const { return serial_; }
    Node& node(std::size_t i) { return chunks_[i >> kChunkBits][i & kChunkMask]; }

    // Drop every node. Tensors recorded before become stale: using them in a recorded op or
    // backward throws StaleTensorError (their values stay readable).
    void reset();

    // Number of nodes that are not dead (for tests and diagnostics).
    std::size_t live_nodes();

    // ---- used by record() and the backward engine ----

    // Whether t's link points at a node of this tape that still belongs to it.
    bool links(const detail::TensorImpl* t) {
        return t->tape_serial.load(std::memory_order_relaxed) == serial_ && t->node < size_ &&
               node(t->node).id == t->node_id;
    }
    // The node index of an input of a recorded op: a leaf that requires grad gets a leaf node
    // on first use; a result must still be linked. `op` names the op for the error message.
    //
    // Leaves may be shared between threads (parameters that several threads use for forward and
    // backward at once). A leaf belongs to the first tape that records it, for good: on any other
    // tape it gets no node (kNoNode is returned), and the backward walk gathers its gradient
    // beside the tape (engine.cpp). So two tapes never fight over one leaf's link.
    std::uint32_t input_node(detail::TensorImpl* t, const char* op);
    // Append a node for an op and link `out` to it. Inputs are filled in by the caller.
    Node& append(const OpDef* op, detail::TensorImpl* out);
    // After a backward without retain_graph: release node i's saved inputs.
    void free_saved(std::uint32_t i);

    // Called by ~TensorImpl on whatever thread destroys a tensor.
    static void on_tensor_destroyed(std::uint64_t serial, std::uint32_t index,
                                    std::uint64_t id) noexcept;

  private:
    static constexpr std::size_t kChunkBits = 10;
    static constexpr std::size_t kChunkSize = std::size_t{1} << kChunkBits;
    static constexpr std::size_t kChunkMask = kChunkSize - 1;

    void release(std::uint32_t index, std::uint64_t id) noexcept;
    void drain() noexcept;

    std::vector<std::unique_ptr<Node[]>> chunks_;
    std::size_t size_ = 0;
    std::uint64_t serial_;
    std::uint64_t next_id_ = 1;
    std::vector<std::uint32_t> pending_;  // nodes to release, so that long chains do not recurse
    bool releasing_ = false;
};

}  // namespace tg
