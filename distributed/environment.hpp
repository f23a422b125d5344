#pragma once
// Environment: MPI's lifetime as a scope. Create one at the top of main(), before anything else
// in distributed/; MPI is finalised when it goes out of scope.
//
//     int main(int argc, char** argv) {
//         tg::distributed::Environment env(argc, argv);
//         const auto comm = env.world();           // rank() and size()
//         return tg::distributed::run_guarded(comm, [&] { return train(comm); });
//     }
//
// MPI is initialised with thread support MPI_THREAD_FUNNELED: tapegrad's worker threads (BLAS,
// parallel loops) never call MPI; every collective comes from the thread that made the
// Environment.

#include "communicator.hpp"

namespace tg::distributed {

class Environment {
  public:
    // Initialises MPI unless something else already has (then this Environment leaves the
    // finalising to that owner as well).
    Environment();
    Environment(int& argc, char**& argv);
    ~Environment();
    Environment(const Environment&) = delete;
    Environment& operator=(const Environment&) = delete;

    Communicator world() const { return Communicator::world(); }

    // MPI is initialised and not yet finalised.
    static bool initialized();
    // Whether this process was started by an MPI launcher (mpirun, mpiexec, srun): they set
    // OMPI_COMM_WORLD_SIZE (Open MPI), PMIX_RANK (PMIx) or PMI_RANK (MPICH, Slurm). Lets a
    // program choose between single-process and distributed runs without initialising MPI.
    static bool launched_by_mpirun();

  private:
    void init(int* argc, char*** argv);
    bool owner_ = false;
};

}  // namespace tg::distributed
