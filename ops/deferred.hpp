#pragma once
// Internal (not installed): results written only when read (see detail::Deferred).
//
// A convolution unfolds each image into columns 25 times its size (for a 5x5 kernel), multiplies
// them by the filters, and in the backward pass multiplies the gradient back into columns and
// folds them. Written out for a whole batch, those column tensors are megabytes that go to
// memory and come back. Instead, unfold and a matrix-times-batch product leave their result
// pending (DeferredBatch): a consumer that works item by item (matmul, fold) asks for one item's
// values in a small buffer that stays in cache. Likewise a large broadcast stays pending
// (DeferredBroadcast) and elementwise ops read its source. Any other reader gets the whole
// tensor, written once. The ops and their derivatives stay exactly as they are.

#include <cstddef>
#include <memory>
#include <vector>

#include "../autograd/tensor.hpp"

namespace tg {

// What a deferred result keeps of an input: a leaf is copied, since it may be written in place
// before the result is read; a recorded result cannot change, so it is shared, and so is a
// pending input (read it through the source taken at the same time, which never changes).
Tensor snapshot(const Tensor& input);

class DeferredBatch : public detail::Deferred {
  public:
    // items_per_thread: the fewest items worth a thread of their own when all are written.
    explicit DeferredBatch(std::size_t items_per_thread) : items_per_thread_(items_per_thread) {}
    // Writes item n (the slice [n] along axis 0) of the result to out.
    virtual void item(std::size_t n, float* out) const = 0;
    virtual void item(std::size_t n, double* out) const = 0;
    // Writes every item, across threads.
    void fill(detail::TensorImpl& self) const final;
    std::size_t items_per_thread() const { return items_per_thread_; }

  private:
    std::size_t items_per_thread_;
};

// The items' source if t's values have not been written yet; nullptr otherwise.
const DeferredBatch* pending_batch(const Tensor& t);

// reshape(t, shape) for a pending t when shape keeps t's first axis: each item is the same
// values in the same order, so the result stays pending and reads t's source.
Tensor deferred_reshape(const Tensor& t, const Shape& shape);

// A tensor of the given shape and dtype whose values `source` writes when they are read.
Tensor deferred_result(DType dtype, const Shape& shape, std::unique_ptr<DeferredBatch> source);

// broadcast_to's result, written only when read. Elementwise ops read the source instead, with
// broadcasting: f(broadcast(s)) is broadcast(f(s)). A gradient spread over a whole tensor (the
// derivative of a sum or a mean, as in batch-norm) then costs a pass only where it is used.
class DeferredBroadcast final : public detail::Deferred {
  public:
    explicit DeferredBroadcast(const Tensor& source) : source_(snapshot(source)) {}
    void fill(detail::TensorImpl& self) const override;
    const Tensor& source() const { return source_; }

  private:
    Tensor source_;
};

// The source of t if t is a broadcast not written yet; nullptr otherwise.
const Tensor* pending_broadcast_source(const Tensor& t);

// source broadcast to shape (which it must broadcast to), left pending.
Tensor deferred_broadcast(const Tensor& source, const Shape& shape);

// A per-thread buffer for one item of a deferred operand, reused from call to call. Buffers
// nest: writing an item may need an item of a deferred input of its own (a product of columns),
// so each live ItemBuffer of a thread has its own level.
template <class T>
class ItemBuffer {
  public:
    explicit ItemBuffer(std::size_t size) : level_(depth()++) {
        auto& buffers = pool();
        if (buffers.size() <= level_) buffers.resize(level_ + 1);
        if (buffers[level_].size() < size) buffers[level_].resize(size);
        data_ = buffers[level_].data();
    }
    ~ItemBuffer() { --depth(); }
    ItemBuffer(const ItemBuffer&) = delete;
    ItemBuffer& operator=(const ItemBuffer&) = delete;
    T* data() const { return data_; }

  private:
    static std::vector<std::vector<T>>& pool() {
        thread_local std::vector<std::vector<T>> buffers;
        return buffers;
    }
    static std::size_t& depth() {
        thread_local std::size_t d = 0;
        return d;
    }
    std::size_t level_;
    T* data_ = nullptr;
};

}  // namespace tg
