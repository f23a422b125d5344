#include "autograd/tape.hpp"

#include "autograd/malloc_tuning.hpp"

#include <atomic>
#include <string>

namespace tg {

namespace {
std::atomic<std::uint64_t> g_next_serial{1};
// Set while this thread's tape exists, so that tensors dying during thread exit leave it alone.
thread_local Tape* tl_tape = nullptr;
}  // namespace

Tape& Tape::current() {
    if (tl_tape) return *tl_tape;
    static thread_local Tape tape;
    tl_tape = &tape;
    return tape;
}

Tape::Tape() : serial_(g_next_serial.fetch_add(1)) {
    detail::tune_malloc_once();
}

Tape::~Tape() {
    if (tl_tape == this) tl_tape = nullptr;
    releasing_ = true;  // nodes die with the chunks; nothing to keep track of any more
}

void Tape::reset() {
    releasing_ = true;
    for (std::size_t i = 0; i < size_; ++i) {
        Node& n = node(i);
        n.state = NodeState::dead;
        n.id = 0;
        n.op = nullptr;
        n.out = nullptr;
        n.versions.clear();
        n.ints.clear();
        n.inputs.clear();
    }
    pending_.clear();
    size_ = 0;
    releasing_ = false;
}

std::size_t Tape::live_nodes() {
    std::size_t n = 0;
    for (std::size_t i = 0; i < size_; ++i) n += node(i).state != NodeState::dead;
    return n;
}

std::uint32_t Tape::input_node(detail::TensorImpl* t, const char* op) {
    if (links(t)) return t->node;
    if (t->is_leaf) {
        // Claim it if no tape has (a plain load first: another tape's leaf stays read-only).
        std::uint64_t owner = t->tape_serial.load(std::memory_order_relaxed);
        if (owner == 0)
            t->tape_serial.compare_exchange_strong(owner, serial_, std::memory_order_relaxed);
        if (owner != 0 && owner != serial_) return detail::kNoNode;  // another tape's leaf
        append(nullptr, t);
        return t->node;
    }
    throw StaleTensorError(std::string(op) +
                           ": an input was recorded on a tape that has since been reset, or on "
                           "another thread's tape; use detach() to use its value as a constant");
}

Node& Tape::append(const OpDef* op, detail::TensorImpl* out) {
    if (size_ == chunks_.size() * kChunkSize) {
        if (size_ >= detail::kNoNode - kChunkSize)
            throw GraphError("tape: too many nodes; reset the tape or drop old results");
        chunks_.push_back(std::make_unique<Node[]>(kChunkSize));
    }
    const auto index = static_cast<std::uint32_t>(size_);
    Node& n = node(index);
    n.op = op;
    n.id = next_id_++;
    n.out = out;
    n.scalar = 0;
    n.state = NodeState::live;
    out->node = index;
    out->node_id = n.id;
    out->tape_serial.store(serial_, std::memory_order_relaxed);
    ++size_;
    return n;
}

void Tape::free_saved(std::uint32_t i) {
    if (i >= size_) return;
    Node& n = node(i);
    if (n.state != NodeState::live || n.op == nullptr) return;
    n.state = NodeState::freed;
    n.versions.clear();
    n.inputs.clear();  // may release other nodes through release()
}

void Tape::release(std::uint32_t index, std::uint64_t id) noexcept {
    if (index >= size_ || node(index).id != id) return;
    pending_.push_back(index);
    if (!releasing_) drain();
}

void Tape::drain() noexcept {
    releasing_ = true;
    while (!pending_.empty()) {
        Node& n = node(pending_.back());
        pending_.pop_back();
        n.state = NodeState::dead;
        n.op = nullptr;
        n.out = nullptr;
        n.versions.clear();
        n.ints.clear();
        n.inputs.clear();  // inputs that die here are queued by release(), not recursed into
    }
    while (size_ > 0 && node(size_ - 1).state == NodeState::dead) --size_;
    releasing_ = false;
}

void Tape::on_tensor_destroyed(std::uint64_t serial, std::uint32_t index,
                               std::uint64_t id) noexcept {
    Tape* t = tl_tape;
    if (t && t->serial_ == serial) t->release(index, id);
}

namespace detail {
TensorImpl::~TensorImpl() {
    if (node != kNoNode) Tape::on_tensor_destroyed(tape_serial.load(), node, node_id);
}
}  // namespace detail

}  // namespace tg
