#include "distributed/collectives.hpp"

#include "autograd/op.hpp"
#include "ops/kernels.hpp"

namespace tg::distributed {

namespace {

Tensor reduce_and_record(const Communicator& comm, const Tensor& x);

// The rules see gradients and tangents shaped like the op's output, which was checked to agree
// across the processes when the op ran: they skip the check. The communicator travels as the
// op's integer attribute (its Fortran handle).
const OpDef kAllReduceSum{
    "all_reduce_sum",
    [](const OpCall& c, const Tensor& g, Tensor* gi) {
        gi[0] = reduce_and_record(Communicator::from_handle(static_cast<int>(c.ints(0))), g);
    },
    [](const OpCall& c, const Tensor* t) {
        return reduce_and_record(Communicator::from_handle(static_cast<int>(c.ints(0))), t[0]);
    }};

Tensor reduce_and_record(const Communicator& comm, const Tensor& x) {
    Tensor out = kernels::dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        xt::xarray<T> a = x.array<T>();  // a copy: the input stays as it was
        comm.all_reduce(a.data(), a.size());
        return Tensor(std::move(a));
    });
    return record(kAllReduceSum, std::move(out), {x}, Attrs({std::int64_t(comm.handle())}));
}

}  // namespace

Tensor all_reduce_sum(const Communicator& comm, const Tensor& x) {
    if (!x.defined()) throw ValueError("all_reduce_sum: undefined tensor");
    // Sizes and dtypes must agree, or MPI would read past the shorter buffers: one small
    // all-reduce of (n, -n, kind, -kind) with max tells every process whether they all do.
    const auto n = static_cast<std::int64_t>(x.numel());
    const std::int64_t kind = x.dtype() == DType::f32 ? 0 : 1;
    std::int64_t check[4] = {n, -n, kind, -kind};
    comm.all_reduce(check, 4, ReduceOp::max);
    if (check[0] != -check[1] || check[2] != -check[3]) {
        throw ShapeError(
            "all_reduce_sum: the processes hold tensors of different sizes or dtypes "
            "(from " +
            std::to_string(-check[1]) + " to " + std::to_string(check[0]) +
            " elements; this process, rank " + std::to_string(comm.rank()) + ", has " +
            dtype_name(x.dtype()) + shape_str(x.shape()) + ")");
    }
    return reduce_and_record(comm, x);
}

}  // namespace tg::distributed
