#pragma once
// One process's failure ends the whole job. When a process throws, the others do not know: they
// wait in their next collective for a partner that never comes, and the job hangs until someone
// kills it. run_guarded() catches the exception, prints it with the process's rank, and calls
// MPI_Abort, which makes mpirun end every process and exit with a non-zero status:
//
//     [rank 1/2] train: ValueError: cross_entropy: label 12 out of range [0, 10)
//
// std::terminate (an exception escaping a worker thread, a noexcept violation) is turned into
// the same report and abort while the body runs.

#include <functional>
#include <string>

#include "communicator.hpp"

namespace tg::distributed {

// Runs body on this process and returns its result. If body throws, prints the error to stderr
// as "[rank r/size] program: what" and ends the job with MPI_Abort(exit_code); never returns
// then.
int run_guarded(const Communicator& comm, const std::function<int()>& body,
                const std::string& program = "", int exit_code = 1);

// Prints "[rank r/size] program: message" to stderr, flushed, and ends the job with
// MPI_Abort(exit_code).
[[noreturn]] void abort_job(const Communicator& comm, const std::string& program,
                            const std::string& message, int exit_code = 1);

}  // namespace tg::distributed
