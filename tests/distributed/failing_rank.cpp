// A job in which one process fails while the others wait in a collective for it. Run by
// check-abort under mpirun: the job must end, non-zero, with the failing rank's message, instead
// of hanging.
//
//   failing_rank throw       the last rank throws a tg::ValueError
//   failing_rank terminate   the last rank calls a noexcept function that throws (std::terminate)
//   failing_rank ok          nobody fails: exit 0

#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>

#include "distributed/distributed.hpp"

namespace {

// Calls f, which must not throw: if it does, the exception cannot leave this noexcept function
// and std::terminate runs.
void must_not_throw(const std::function<void()>& f) noexcept {
    f();
}

}  // namespace

int main(int argc, char** argv) {
    tg::distributed::Environment env(argc, argv);
    const auto comm = env.world();
    const std::string mode = argc > 1 ? argv[1] : "throw";
    const bool last = comm.rank() == comm.size() - 1;
    return tg::distributed::run_guarded(
        comm,
        [&] {
            comm.barrier();
            if (last && mode == "throw") {
                throw tg::ValueError("deliberate failure on the last rank, while the others wait");
            }
            must_not_throw([&] {
                if (last && mode == "terminate")
                    throw std::runtime_error("an exception escaped a noexcept function");
            });
            // The others wait here for a partner that never comes.
            double x = 1;
            x = comm.all_reduce(x);
            if (comm.is_root()) std::printf("all %g processes finished\n", x);
            return 0;
        },
        "failing_rank");
}
