#include "distributed/environment.hpp"

#include <cstdlib>
#include <string>

#include "distributed/mpi_utils.hpp"

namespace tg::distributed {

Environment::Environment() {
    init(nullptr, nullptr);
}

Environment::Environment(int& argc, char**& argv) {
    init(&argc, &argv);
}

void Environment::init(int* argc, char*** argv) {
    int initialized = 0, finalized = 0;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    if (finalized) {
        throw ValueError("Environment: MPI was already finalised; it cannot be initialised twice");
    }
    if (initialized) return;
    int provided = 0;
    detail::check(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    owner_ = true;
    // Errors in MPI calls come back as return codes (turned into tg::Error by detail::check)
    // instead of ending the process at once.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}

Environment::~Environment() {
    if (!owner_) return;
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
}

bool Environment::initialized() {
    int initialized = 0, finalized = 0;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    return initialized && !finalized;
}

bool Environment::launched_by_mpirun() {
    for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"}) {
        if (std::getenv(name) != nullptr) return true;
    }
    return false;
}

}  // namespace tg::distributed
