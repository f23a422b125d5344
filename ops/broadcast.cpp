#include "ops/broadcast.hpp"

#include "autograd/op.hpp"
#include "ops/kernels.hpp"

namespace tg {

using kernels::dispatch;

namespace {

const OpDef kBroadcastTo{
    "broadcast_to",
    [](const OpCall& c, const Tensor& g, Tensor* gi) { gi[0] = sum_to(g, c.in(0).shape()); },
    [](const OpCall& c, const Tensor* t) { return broadcast_to(t[0], c.out().shape()); }};

const OpDef kSumTo{
    "sum_to",
    [](const OpCall& c, const Tensor& g, Tensor* gi) { gi[0] = broadcast_to(g, c.in(0).shape()); },
    [](const OpCall& c, const Tensor* t) { return sum_to(t[0], c.out().shape()); }};

}  // namespace

Tensor broadcast_to(const Tensor& x, const Shape& shape) {
    if (x.shape() == shape) return x;
    kernels::checked_numel("broadcast_to", shape, x.dtype());
    if (x.dim() > shape.size() ||
        kernels::broadcast_shapes("broadcast_to", x.shape(), shape) != shape) {
        throw ShapeError("broadcast_to: cannot broadcast " + shape_str(x.shape()) + " to " +
                         shape_str(shape));
    }
    // A large result is written only when read, and elementwise ops read x itself instead (see
    // ops/deferred.hpp). A small one is cheaper to write than to keep pending.
    constexpr std::size_t kDeferFrom = std::size_t{1} << 14;
    if (kernels::numel_of(shape) >= kDeferFrom)
        return record(kBroadcastTo, deferred_broadcast(x, shape), {x});
    Tensor out = dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const auto& a = x.array<T>();
        auto r = kernels::uninitialized<T>(shape);
        kernels::strided_copy(a.data(), 0, kernels::broadcast_strides(a.shape(), shape), shape,
                              r.data());
        return Tensor(std::move(r));
    });
    return record(kBroadcastTo, std::move(out), {x});
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
    if (x.shape() == shape) return x;
    const Shape& xs = x.shape();
    const std::size_t lead = xs.size() >= shape.size() ? xs.size() - shape.size() : 0;
    bool ok = shape.size() <= xs.size();
    std::vector<bool> reduce(xs.size(), false);
    for (std::size_t d = 0; ok && d < xs.size(); ++d) {
        if (d < lead) {
            reduce[d] = true;
        } else if (shape[d - lead] != xs[d]) {
            ok = shape[d - lead] == 1;
            reduce[d] = true;
        }
    }
    if (!ok) {
        throw ShapeError("sum_to: cannot sum " + shape_str(xs) + " down to " + shape_str(shape) +
                         " (" + shape_str(shape) + " does not broadcast to " + shape_str(xs) + ")");
    }
    Tensor out = dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        auto r = kernels::reduce_sum(x.array<T>(), reduce);
        r.reshape(shape);
        return Tensor(std::move(r));
    });
    return record(kSumTo, std::move(out), {x});
}

}  // namespace tg
