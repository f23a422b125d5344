#pragma once
// Internal to distributed/ (not installed): the MPI side of Communicator. Only .cpp files
// include mpi.h.

#include <mpi.h>

#include <cstdint>
#include <string>

#include "communicator.hpp"

namespace tg::distributed::detail {

inline MPI_Comm to_mpi(const Communicator& comm) {
    return MPI_Comm_f2c(comm.handle());
}

template <class T>
MPI_Datatype mpi_type();
template <>
inline MPI_Datatype mpi_type<float>() {
    return MPI_FLOAT;
}
template <>
inline MPI_Datatype mpi_type<double>() {
    return MPI_DOUBLE;
}
template <>
inline MPI_Datatype mpi_type<std::int64_t>() {
    return MPI_INT64_T;
}

inline MPI_Op to_mpi(ReduceOp op) {
    switch (op) {
        case ReduceOp::sum:
            return MPI_SUM;
        case ReduceOp::max:
            return MPI_MAX;
        case ReduceOp::min:
            return MPI_MIN;
    }
    return MPI_SUM;
}

// MPI counts are ints: long buffers go in pieces of this many elements.
constexpr std::size_t kMaxChunk = std::size_t(1) << 30;

// Throws tg::Error naming the call and MPI's message unless rc is MPI_SUCCESS.
void check(int rc, const char* call);

// MPI must be initialised (and not finalised) before anything in distributed/ runs.
void require_mpi(const char* what);

}  // namespace tg::distributed::detail
