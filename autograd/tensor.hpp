#pragma once
// Tensor: a reference-counted handle to an xtensor array of float or double, plus what autograd
// needs to know about it. Copying a Tensor copies the handle, never the array.
//
// A tensor is a leaf (made by the user, or by detach()) or a result (made by an op that was
// recorded on the tape). A result remembers its tape node by index; the node holds the op's
// inputs, so the graph behind a tensor lives exactly as long as something refers to it.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <xtensor/xarray.hpp>

#include "dtype.hpp"
#include "errors.hpp"

namespace tg {

using Shape = xt::xarray<double>::shape_type;

// "[2, 3]": how shapes appear in error messages.
std::string shape_str(const Shape& shape);

namespace detail {
struct TensorImpl;
}

// Options of backward() and grad(), in the style of libtorch's options structs:
// GradOptions().create_graph(true). retain_graph defaults to create_graph, as in PyTorch.
class GradOptions {
  public:
    GradOptions& create_graph(bool on) {
        create_graph_ = on;
        return *this;
    }
    GradOptions& retain_graph(bool on) {
        retain_graph_ = on;
        return *this;
    }
    GradOptions& allow_unused(bool on) {
        allow_unused_ = on;
        return *this;
    }
    bool create_graph() const { return create_graph_; }
    bool retain_graph() const { return retain_graph_.value_or(create_graph_); }
    bool allow_unused() const { return allow_unused_; }

  private:
    bool create_graph_ = false;
    std::optional<bool> retain_graph_;
    bool allow_unused_ = false;
};

class Tensor {
  public:
    Tensor() noexcept : impl_(nullptr) {}
    explicit Tensor(xt::xarray<float> value, bool requires_grad = false);
    explicit Tensor(xt::xarray<double> value, bool requires_grad = false);
    Tensor(const Tensor& other) noexcept;
    Tensor(Tensor&& other) noexcept : impl_(other.impl_) { other.impl_ = nullptr; }
    Tensor& operator=(const Tensor& other) noexcept;
    Tensor& operator=(Tensor&& other) noexcept;
    ~Tensor();

    bool defined() const noexcept { return impl_ != nullptr; }
    DType dtype() const;
    const Shape& shape() const;
    std::size_t dim() const { return shape().size(); }
    std::size_t numel() const;

    // The array itself. Throws DTypeError if T is not the tensor's element type.
    template <class T>
    const xt::xarray<T>& array() const;
    // Write access for in-place updates (optimizers, initialisers). Allowed on leaves only,
    // and only under no-grad when the leaf requires a gradient. Bumps the version counter,
    // so a graph that saved the old value refuses to backward through it.
    template <class T>
    xt::xarray<T>& mutable_array() const;

    double item() const;                    // the value of a one-element tensor, as double
    std::vector<double> to_vector() const;  // all values, flattened, as double

    // A Tensor is a handle: the methods below that change the tensor (its gradient, its name,
    // its values in place) are const, as in libtorch, because they leave the handle alone.

    // --- autograd ---
    bool requires_grad() const;
    const Tensor& requires_grad_(bool on = true) const;  // leaves only
    bool is_leaf() const;
    const Tensor& grad() const;  // undefined until a backward reaches this leaf
    void set_grad(const Tensor& g) const;
    void zero_grad() const;   // fills an existing gradient with zeros, keeping its buffer
    void clear_grad() const;  // drops the gradient
    void backward(const Tensor& grad_output = Tensor(), const GradOptions& opts = {}) const;
    Tensor detach() const;     // the same values, as a new leaf that does not require grad
    void retain_grad() const;  // also keep .grad() on a non-leaf
    // Called with the gradient when backward reaches this tensor; may return a replacement
    // (or an undefined tensor to keep the gradient as it is).
    void register_hook(std::function<Tensor(const Tensor&)> hook) const;
    std::uint32_t version() const;

    // --- forward mode: the tangent carried alongside the value (see functional/jvp.hpp) ---
    const Tensor& tangent() const;

    // --- a name, for parameter lists and graph export ---
    const std::string& name() const;
    const Tensor& set_name(std::string name) const;

    // Internal: adopt (no retain) or share (retain) a raw implementation pointer.
    static Tensor adopt(detail::TensorImpl* impl) noexcept;
    static Tensor share(detail::TensorImpl* impl) noexcept;
    detail::TensorImpl* impl() const noexcept { return impl_; }
    bool same(const Tensor& other) const noexcept { return impl_ == other.impl_; }

  private:
    detail::TensorImpl* impl_;
};

namespace detail {

constexpr std::uint32_t kNoNode = 0xffffffffu;

// What few tensors need: kept out of line so that a plain tensor stays small.
struct TensorExtras {
    std::string name;
    std::vector<std::function<Tensor(const Tensor&)>> hooks;
    bool retain_grad = false;
};

// A result whose values an op leaves to be written on first read (ops/deferred.hpp). unfold
// uses this: a matmul that consumes its columns makes them image by image in a small buffer that
// stays in cache, so the full column tensor (25x the image for a 5x5 kernel) is never written
// at all; elementwise ops read a large broadcast's source instead of the broadcast. Any other
// read writes all values first, once (array<T>() calls materialize()).
struct Deferred {
    virtual ~Deferred() = default;
    virtual void fill(TensorImpl& self) const = 0;  // writes every value of self.value
    std::once_flag once;
    std::atomic<bool> done{false};
};

// Writes a deferred tensor's values if no one has yet; safe to call from several threads.
void materialize(TensorImpl& impl);

struct TensorImpl {
    explicit TensorImpl(xt::xarray<float>&& v) : value(std::move(v)) {}
    explicit TensorImpl(xt::xarray<double>&& v) : value(std::move(v)) {}
    TensorImpl(const TensorImpl&) = delete;
    TensorImpl& operator=(const TensorImpl&) = delete;
    ~TensorImpl();  // tells the tape that this node's output is gone (tape.cpp)

    std::atomic<std::uint32_t> refs{1};
    std::uint32_t version = 0;
    bool is_leaf = true;
    bool requires_grad = false;
    // Link to the tape node that produced this tensor (results) or collects its gradient
    // (leaves). Valid only while the node's id still matches: ids are never reused. A leaf is
    // linked to the first tape that records it and never to another (Tape::input_node), so
    // only that tape's thread writes node and node_id; other threads read tape_serial alone.
    std::uint32_t node = kNoNode;
    std::uint64_t node_id = 0;
    std::atomic<std::uint64_t> tape_serial{0};
    std::variant<xt::xarray<float>, xt::xarray<double>> value;
    Tensor grad;
    Tensor tangent;
    std::unique_ptr<TensorExtras> extras;
    std::unique_ptr<Deferred> deferred;  // values not written yet (see Deferred)

    TensorExtras& extra() {
        if (!extras) extras = std::make_unique<TensorExtras>();
        return *extras;
    }
};

[[noreturn]] void throw_undefined(const char* what);

}  // namespace detail

// ---- inline definitions ---------------------------------------------------------------------

inline Tensor::Tensor(const Tensor& other) noexcept : impl_(other.impl_) {
    if (impl_) impl_->refs.fetch_add(1, std::memory_order_relaxed);
}

inline Tensor::~Tensor() {
    if (impl_ && impl_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete impl_;
}

inline Tensor& Tensor::operator=(const Tensor& other) noexcept {
    Tensor copy(other);
    std::swap(impl_, copy.impl_);
    return *this;
}

inline Tensor& Tensor::operator=(Tensor&& other) noexcept {
    Tensor moved(std::move(other));
    std::swap(impl_, moved.impl_);
    return *this;
}

inline Tensor Tensor::adopt(detail::TensorImpl* impl) noexcept {
    Tensor t;
    t.impl_ = impl;
    return t;
}

inline Tensor Tensor::share(detail::TensorImpl* impl) noexcept {
    if (impl) impl->refs.fetch_add(1, std::memory_order_relaxed);
    return adopt(impl);
}

inline DType Tensor::dtype() const {
    if (!impl_) detail::throw_undefined("dtype");
    return impl_->value.index() == 0 ? DType::f32 : DType::f64;
}

inline const Shape& Tensor::shape() const {
    if (!impl_) detail::throw_undefined("shape");
    if (auto* f = std::get_if<0>(&impl_->value)) return f->shape();
    return std::get<1>(impl_->value).shape();
}

inline std::size_t Tensor::numel() const {
    if (!impl_) detail::throw_undefined("numel");
    if (auto* f = std::get_if<0>(&impl_->value)) return f->size();
    return std::get<1>(impl_->value).size();
}

template <class T>
const xt::xarray<T>& Tensor::array() const {
    if (!impl_) detail::throw_undefined("array");
    if (impl_->deferred) detail::materialize(*impl_);
    if (auto* a = std::get_if<xt::xarray<T>>(&impl_->value)) return *a;
    throw DTypeError(std::string("array<") + dtype_name(dtype_of<T>()) + ">() on a tensor of " +
                     dtype_name(dtype()));
}

}  // namespace tg
