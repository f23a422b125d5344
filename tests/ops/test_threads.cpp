// set_num_threads is process-wide, as torch::set_num_threads is: a thread the user starts later
// splits its loops across the same number of threads as the thread that set it, whatever
// OMP_NUM_THREADS says (OpenMP's own setting is per calling thread).

#include <catch2/catch.hpp>

#include <omp.h>

#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

#include "ops/kernels.hpp"
#include "tapegrad.hpp"

using namespace tg;

namespace {

struct ThreadCount {
    explicit ThreadCount(int n) : before(num_threads()) { set_num_threads(n); }
    ~ThreadCount() { set_num_threads(before); }
    int before;
};

// How many OpenMP threads one large parallel loop really ran on, seen from the calling thread.
int threads_used_by_a_loop() {
    std::vector<std::atomic<int>> seen(64);
    kernels::parallel_for(std::size_t{1} << 20, 1, [&](std::size_t, std::size_t) {
        seen[static_cast<std::size_t>(omp_get_thread_num()) % seen.size()].store(1);
    });
    int n = 0;
    for (const auto& s : seen) n += s.load();
    return n;
}

}  // namespace

TEST_CASE("set_num_threads governs threads started later", "[threads]") {
    for (int count : {1, 2}) {
        ThreadCount tc(count);
        int seen_count = 0, used = 0;
        std::thread user([&] {
            seen_count = num_threads();
            used = threads_used_by_a_loop();
        });
        user.join();
        INFO("set_num_threads(" << count << ")");
        CHECK(seen_count == count);
        CHECK(used == count);
        CHECK(threads_used_by_a_loop() == count);
    }
}

TEST_CASE("a result on a thread started later has the bits of the calling thread's", "[threads]") {
    ThreadCount tc(1);
    Generator gen(3);
    const Tensor a = rand({64, 8, 24, 24}, gen, kFloat64);  // large enough to split
    const Tensor b = rand({1, 8, 1, 24}, gen, kFloat64);
    const std::vector<double> here = sum(mul(a, b), {0, 2}).to_vector();
    std::vector<double> there;
    std::thread user([&] { there = sum(mul(a, b), {0, 2}).to_vector(); });
    user.join();
    CHECK(here == there);
}

TEST_CASE("set_num_threads refuses a count below 1", "[threads]") {
    CHECK_THROWS_AS(set_num_threads(0), ValueError);
    CHECK_THROWS_AS(set_num_threads(-2), ValueError);
}
