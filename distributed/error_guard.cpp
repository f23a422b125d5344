#include "distributed/error_guard.hpp"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <typeinfo>

#include "autograd/errors.hpp"

namespace tg::distributed {

namespace {

// What std::terminate reports while a guarded body runs.
struct TerminateContext {
    const Communicator* comm = nullptr;
    const std::string* program = nullptr;
    int exit_code = 1;
};
TerminateContext terminate_context;

// The exception's type as a user knows it: tapegrad's error classes by name.
std::string describe(const std::exception& e) {
    const char* kind = "error";
    if (dynamic_cast<const StaleTensorError*>(&e))
        kind = "StaleTensorError";
    else if (dynamic_cast<const FreedGraphError*>(&e))
        kind = "FreedGraphError";
    else if (dynamic_cast<const ShapeError*>(&e))
        kind = "ShapeError";
    else if (dynamic_cast<const DTypeError*>(&e))
        kind = "DTypeError";
    else if (dynamic_cast<const ValueError*>(&e))
        kind = "ValueError";
    else if (dynamic_cast<const GraphError*>(&e))
        kind = "GraphError";
    else if (dynamic_cast<const NumericError*>(&e))
        kind = "NumericError";
    else if (dynamic_cast<const IOError*>(&e))
        kind = "IOError";
    else if (dynamic_cast<const Error*>(&e))
        kind = "tg::Error";
    else if (dynamic_cast<const std::bad_alloc*>(&e))
        kind = "out of memory (std::bad_alloc)";
    return std::string(kind) + ": " + e.what();
}

[[noreturn]] void on_terminate() {
    const TerminateContext c = terminate_context;
    std::string what = "std::terminate called";
    if (std::exception_ptr p = std::current_exception()) {
        try {
            std::rethrow_exception(p);
        } catch (const std::exception& e) {
            what += " after an uncaught " + describe(e);
        } catch (...) {
            what += " after an uncaught exception of unknown type";
        }
    }
    if (c.comm) abort_job(*c.comm, c.program ? *c.program : std::string(), what, c.exit_code);
    std::fprintf(stderr, "%s\n", what.c_str());
    std::abort();
}

}  // namespace

void abort_job(const Communicator& comm, const std::string& program, const std::string& message,
               int exit_code) {
    std::fflush(stdout);
    std::fprintf(stderr, "\n[rank %d/%d] %s%s%s\n", comm.rank(), comm.size(), program.c_str(),
                 program.empty() ? "" : ": ", message.c_str());
    std::fprintf(stderr,
                 "[rank %d/%d] ending all %d processes of the job (MPI_Abort, exit code %d)\n",
                 comm.rank(), comm.size(), comm.size(), exit_code);
    std::fflush(stderr);
    comm.abort(exit_code);
}

int run_guarded(const Communicator& comm, const std::function<int()>& body,
                const std::string& program, int exit_code) {
    const TerminateContext previous_context = terminate_context;
    terminate_context = {&comm, &program, exit_code};
    const std::terminate_handler previous_handler = std::set_terminate(on_terminate);
    int result = 0;
    try {
        result = body();
    } catch (const std::exception& e) {
        abort_job(comm, program, describe(e), exit_code);
    } catch (...) {
        abort_job(comm, program, "an exception of unknown type", exit_code);
    }
    std::set_terminate(previous_handler);
    terminate_context = previous_context;
    return result;
}

}  // namespace tg::distributed
