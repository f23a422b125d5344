#include "ops/deferred.hpp"

#include <variant>

#include "ops/kernels.hpp"

namespace tg {

void DeferredBatch::fill(detail::TensorImpl& self) const {
    std::visit(
        [&](auto& values) {
            const std::size_t n = values.shape().empty() ? 1 : values.shape()[0];
            const std::size_t per_item = n == 0 ? 0 : values.size() / n;
            kernels::parallel_for(n, items_per_thread_, [&](std::size_t b, std::size_t e) {
                for (std::size_t i = b; i < e; ++i) item(i, values.data() + i * per_item);
            });
        },
        self.value);
}

namespace {

// t's pending source of kind D, or nullptr if t's values are written (or of another kind).
template <class D>
const D* pending(const Tensor& t) {
    if (!t.defined() || !t.impl()->deferred) return nullptr;
    const auto* d = dynamic_cast<const D*>(t.impl()->deferred.get());
    return d != nullptr && !d->done.load(std::memory_order_acquire) ? d : nullptr;
}

// An array of the given shape and dtype, allocated but not written (untouched pages cost
// nothing until the values are needed), that `source` will write when it is read.
Tensor unwritten(DType dtype, const Shape& shape, std::unique_ptr<detail::Deferred> source) {
    Tensor out = kernels::dispatch(
        dtype, [&](auto tag) { return Tensor(kernels::uninitialized<decltype(tag)>(shape)); });
    out.impl()->deferred = std::move(source);
    return out;
}

}  // namespace

const DeferredBatch* pending_batch(const Tensor& t) {
    return pending<DeferredBatch>(t);
}

Tensor deferred_result(DType dtype, const Shape& shape, std::unique_ptr<DeferredBatch> source) {
    return unwritten(dtype, shape, std::move(source));
}

namespace {

class SameItems final : public DeferredBatch {
  public:
    SameItems(const Tensor& t, const DeferredBatch* source)
        : DeferredBatch(source->items_per_thread()), t_(t), source_(source) {}
    void item(std::size_t n, float* out) const override { source_->item(n, out); }
    void item(std::size_t n, double* out) const override { source_->item(n, out); }

  private:
    Tensor t_;  // keeps source_ alive
    const DeferredBatch* source_;
};

}  // namespace

Tensor deferred_reshape(const Tensor& t, const Shape& shape) {
    return deferred_result(t.dtype(), shape, std::make_unique<SameItems>(t, pending_batch(t)));
}

void DeferredBroadcast::fill(detail::TensorImpl& self) const {
    std::visit(
        [&](auto& values) {
            using T = typename std::decay_t<decltype(values)>::value_type;
            const auto& a = source_.array<T>();
            kernels::strided_copy(a.data(), 0,
                                  kernels::broadcast_strides(a.shape(), values.shape()),
                                  values.shape(), values.data());
        },
        self.value);
}

const Tensor* pending_broadcast_source(const Tensor& t) {
    const DeferredBroadcast* d = pending<DeferredBroadcast>(t);
    return d ? &d->source() : nullptr;
}

Tensor deferred_broadcast(const Tensor& source, const Shape& shape) {
    return unwritten(source.dtype(), shape, std::make_unique<DeferredBroadcast>(source));
}

Tensor snapshot(const Tensor& input) {
    if (pending_batch(input) != nullptr) return input;  // its source keeps the values it had
    return input.is_leaf() ? input.detach() : input;
}

}  // namespace tg
