#include "distributed/communicator.hpp"

#include <algorithm>
#include <cstdlib>
#include <string>

#include "autograd/grad_mode.hpp"
#include "distributed/mpi_utils.hpp"
#include "ops/kernels.hpp"

namespace tg::distributed {

namespace detail {

void check(int rc, const char* call) {
    if (rc == MPI_SUCCESS) return;
    char message[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(rc, message, &length);
    throw Error(std::string(call) + " failed: " + std::string(message, std::size_t(length)));
}

void require_mpi(const char* what) {
    int initialized = 0, finalized = 0;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    if (!initialized || finalized) {
        throw ValueError(std::string(what) +
                         ": MPI is not initialised; create a tg::distributed::Environment first "
                         "(and keep it alive while you communicate)");
    }
}

}  // namespace detail

namespace {

template <class T>
void all_reduce_impl(const Communicator& c, T* data, std::size_t n, ReduceOp op) {
    for (std::size_t done = 0; done < n; done += detail::kMaxChunk) {
        const int count = static_cast<int>(std::min(detail::kMaxChunk, n - done));
        detail::check(MPI_Allreduce(MPI_IN_PLACE, data + done, count, detail::mpi_type<T>(),
                                    detail::to_mpi(op), detail::to_mpi(c)),
                      "MPI_Allreduce");
    }
}

template <class T>
void broadcast_impl(const Communicator& c, T* data, std::size_t n, int root) {
    for (std::size_t done = 0; done < n; done += detail::kMaxChunk) {
        const int count = static_cast<int>(std::min(detail::kMaxChunk, n - done));
        detail::check(MPI_Bcast(data + done, count, detail::mpi_type<T>(), root, detail::to_mpi(c)),
                      "MPI_Bcast");
    }
}

// The writable array of a tensor that may be changed in place: a leaf, under no-grad.
template <class T>
T* writable(Tensor& t, const char* what) {
    if (!t.defined()) throw ValueError(std::string(what) + ": undefined tensor");
    if (!t.is_leaf()) {
        throw ValueError(std::string(what) + ": the tensor " + shape_str(t.shape()) +
                         " was produced by a recorded op; only leaves can be changed in place");
    }
    NoGradGuard no_grad;
    return t.mutable_array<T>().data();
}

}  // namespace

Communicator::Communicator(int handle) : handle_(handle) {
    detail::require_mpi("Communicator");
    const MPI_Comm comm = MPI_Comm_f2c(handle);
    detail::check(MPI_Comm_rank(comm, &rank_), "MPI_Comm_rank");
    detail::check(MPI_Comm_size(comm, &size_), "MPI_Comm_size");
}

Communicator Communicator::world() {
    detail::require_mpi("Communicator::world");
    return Communicator(static_cast<int>(MPI_Comm_c2f(MPI_COMM_WORLD)));
}

Communicator Communicator::from_handle(int handle) {
    return Communicator(handle);
}

void Communicator::barrier() const {
    detail::check(MPI_Barrier(detail::to_mpi(*this)), "MPI_Barrier");
}

void Communicator::all_reduce(float* data, std::size_t n, ReduceOp op) const {
    all_reduce_impl(*this, data, n, op);
}
void Communicator::all_reduce(double* data, std::size_t n, ReduceOp op) const {
    all_reduce_impl(*this, data, n, op);
}
void Communicator::all_reduce(std::int64_t* data, std::size_t n, ReduceOp op) const {
    all_reduce_impl(*this, data, n, op);
}

double Communicator::all_reduce(double value, ReduceOp op) const {
    all_reduce_impl(*this, &value, 1, op);
    return value;
}

std::int64_t Communicator::all_reduce(std::int64_t value, ReduceOp op) const {
    all_reduce_impl(*this, &value, 1, op);
    return value;
}

void Communicator::all_reduce(Tensor& t, ReduceOp op) const {
    kernels::dispatch(t.dtype(), [&](auto tag) {
        using T = decltype(tag);
        all_reduce_impl(*this, writable<T>(t, "Communicator::all_reduce"), t.numel(), op);
    });
}

void Communicator::check_root(const char* what, int root) const {
    if (root < 0 || root >= size_) {
        throw ValueError(std::string(what) + ": root " + std::to_string(root) +
                         " is not a rank of this communicator of " + std::to_string(size_) +
                         " processes");
    }
}

void Communicator::broadcast(float* data, std::size_t n, int root) const {
    check_root("Communicator::broadcast", root);
    broadcast_impl(*this, data, n, root);
}
void Communicator::broadcast(double* data, std::size_t n, int root) const {
    check_root("Communicator::broadcast", root);
    broadcast_impl(*this, data, n, root);
}
void Communicator::broadcast(std::int64_t* data, std::size_t n, int root) const {
    check_root("Communicator::broadcast", root);
    broadcast_impl(*this, data, n, root);
}

void Communicator::broadcast(Tensor& t, int root) const {
    check_root("Communicator::broadcast", root);
    if (!t.defined()) throw ValueError("Communicator::broadcast: undefined tensor");
    // Root's element count and type first, so that a mismatch is an error on every process
    // instead of a truncated message.
    std::int64_t root_kind[2] = {static_cast<std::int64_t>(t.numel()),
                                 t.dtype() == DType::f32 ? 0 : 1};
    const std::int64_t mine[2] = {root_kind[0], root_kind[1]};
    broadcast_impl(*this, root_kind, 2, root);
    const std::int64_t mismatched =
        all_reduce(std::int64_t(root_kind[0] != mine[0] || root_kind[1] != mine[1]));
    if (mismatched > 0) {
        throw ShapeError("Communicator::broadcast: " + std::to_string(mismatched) + " of " +
                         std::to_string(size_) + " processes hold a tensor whose size or dtype " +
                         "differs from rank " + std::to_string(root) + "'s (" +
                         std::to_string(root_kind[0]) + " elements of " +
                         (root_kind[1] == 0 ? "float32" : "float64") + "; this process, rank " +
                         std::to_string(rank_) + ", has " + dtype_name(t.dtype()) +
                         shape_str(t.shape()) + ")");
    }
    kernels::dispatch(t.dtype(), [&](auto tag) {
        using T = decltype(tag);
        broadcast_impl(*this, writable<T>(t, "Communicator::broadcast"), t.numel(), root);
    });
}

void Communicator::abort(int exit_code) const {
    MPI_Abort(detail::to_mpi(*this), exit_code);
    std::abort();  // MPI_Abort does not return; this keeps [[noreturn]] honest
}

}  // namespace tg::distributed
