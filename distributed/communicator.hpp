#pragma once
// Communicator: a group of processes that take part in collective operations together, the
// processes that `mpirun -np N` started (MPI_COMM_WORLD). A thin, cheap-to-copy wrapper of an
// MPI communicator; MPI's own header stays out of tapegrad's headers.
//
// Every collective (all_reduce, broadcast, barrier, and everything in distributed/ built on
// them) must be called by every process of the group, in the same order. A process that stops
// calling them (an exception, an early return) leaves the others waiting: run the program
// under run_guarded() (error_guard.hpp), which ends the whole job instead.

#include <cstddef>
#include <cstdint>

#include "../autograd/tensor.hpp"

namespace tg::distributed {

enum class ReduceOp { sum, max, min };

class Communicator {
  public:
    // All processes of the job (MPI_COMM_WORLD). ValueError unless MPI is initialised (an
    // Environment exists, see environment.hpp).
    static Communicator world();

    int rank() const { return rank_; }  // 0 .. size() - 1
    int size() const { return size_; }
    bool is_root() const { return rank_ == 0; }

    void barrier() const;

    // In place, elementwise over all processes; every process gets the same result.
    void all_reduce(float* data, std::size_t n, ReduceOp op = ReduceOp::sum) const;
    void all_reduce(double* data, std::size_t n, ReduceOp op = ReduceOp::sum) const;
    void all_reduce(std::int64_t* data, std::size_t n, ReduceOp op = ReduceOp::sum) const;
    double all_reduce(double value, ReduceOp op = ReduceOp::sum) const;
    std::int64_t all_reduce(std::int64_t value, ReduceOp op = ReduceOp::sum) const;
    // A leaf tensor's values, in place (bumps its version; no gradient flows through this: see
    // all_reduce_sum in collectives.hpp for the differentiable form).
    void all_reduce(Tensor& t, ReduceOp op = ReduceOp::sum) const;

    // Root's values to every process, in place.
    void broadcast(float* data, std::size_t n, int root = 0) const;
    void broadcast(double* data, std::size_t n, int root = 0) const;
    void broadcast(std::int64_t* data, std::size_t n, int root = 0) const;
    void broadcast(Tensor& t, int root = 0) const;

    // Ends every process of the job with this exit code (MPI_Abort). Does not return.
    [[noreturn]] void abort(int exit_code) const;

    // Internal: the MPI communicator as a Fortran handle (MPI_Comm_c2f), an integer that ops
    // can record as an attribute, and back.
    int handle() const { return handle_; }
    static Communicator from_handle(int handle);

  private:
    explicit Communicator(int handle);
    void check_root(const char* what, int root) const;

    int handle_;
    int rank_;
    int size_;
};

}  // namespace tg::distributed
