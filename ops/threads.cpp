#include "ops/threads.hpp"

#include <omp.h>

#include <atomic>
#include <string>

#include "autograd/errors.hpp"

namespace tg {
namespace {

// One count for the process. omp_set_num_threads() would set it for the calling thread only:
// a thread the user starts later would get OpenMP's default instead, and other bits.
std::atomic<int>& thread_count() {
    static std::atomic<int> count{omp_get_max_threads()};
    return count;
}

// Read while the library loads, on the loading thread, so that the default does not depend on
// which thread asks first.
const int kDefaultThreads = thread_count().load();

}  // namespace

void set_num_threads(int n) {
    if (n < 1) throw ValueError("set_num_threads: " + std::to_string(n) + " threads (need >= 1)");
    thread_count().store(n, std::memory_order_relaxed);
}

int num_threads() {
    return thread_count().load(std::memory_order_relaxed);
}

}  // namespace tg
