// A long training loop keeps a flat memory profile: 10,000 SGD steps of the workloads' MLP
// (bench/tapegrad/mlp_net.hpp) at batch 10. After every step the tape is back at its baseline
// size with only the parameters' leaf nodes alive, and the resident set size sampled between
// step 1,000 and step 10,000 does not grow beyond allocator noise.
//
// Under AddressSanitizer freed memory is held in a quarantine on purpose, so the resident set
// grows there by design; that build checks the tape every step and leaves leaks to
// LeakSanitizer, which runs when the binary exits.

#include <unistd.h>

#include <cstdio>

#include "../../bench/tapegrad/mlp_net.hpp"
#include "../helpers.hpp"

using namespace tg;
using bench::tapegrad::MlpNet;

namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

// Resident set size in bytes, from /proc/self/statm.
std::size_t resident_bytes() {
    std::FILE* f = std::fopen("/proc/self/statm", "r");
    REQUIRE(f != nullptr);
    unsigned long size = 0, resident = 0;
    const int n = std::fscanf(f, "%lu %lu", &size, &resident);
    std::fclose(f);
    REQUIRE(n == 2);
    return static_cast<std::size_t>(resident) * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace

TEST_CASE("10,000 mlp steps: the tape returns to its baseline every step, memory stays flat",
          "[memory]") {
    set_num_threads(1);
    Tape::current().reset();
    MlpNet net(10, kFloat32, 1);
    const auto params = net.parameters();
    optim::SGD sgd(params, optim::SGDOptions(0.1));
    auto step = [&] {
        for (auto p : params) p.zero_grad();
        const Tensor loss = net.loss();
        loss.backward();
        sgd.step();
        return loss.item();
    };
    const double first_loss = step();
    const std::size_t baseline = Tape::current().size();
    const std::size_t baseline_live = Tape::current().live_nodes();
    REQUIRE(baseline_live == params.size());  // one leaf node per parameter, nothing else

    std::size_t rss_at_1000 = 0, rss_peak = 0;
    double loss = first_loss;
    for (int i = 2; i <= 10000; ++i) {
        loss = step();
        // Checked every step; REQUIRE only on failure, so that 10,000 passes stay cheap.
        if (Tape::current().size() != baseline) {
            INFO("step " << i);
            REQUIRE(Tape::current().size() == baseline);
        }
        if (i % 1000 == 0) REQUIRE(Tape::current().live_nodes() == baseline_live);
        if (i == 1000) rss_at_1000 = resident_bytes();
        if (i > 1000 && i % 100 == 0) rss_peak = std::max(rss_peak, resident_bytes());
    }
    REQUIRE(loss < first_loss);
    const double growth_kib =
        (static_cast<double>(rss_peak) - static_cast<double>(rss_at_1000)) / 1024.0;
    std::printf(
        "memory: RSS %.1f MiB at step 1000, peak %.1f MiB over steps 1000-10000 "
        "(growth %.0f KiB); tape size %zu every step%s\n",
        static_cast<double>(rss_at_1000) / 1048576.0, static_cast<double>(rss_peak) / 1048576.0,
        growth_kib, baseline, kSanitized ? " (sanitized build: RSS not asserted)" : "");
    // One leaked activation per step ([10, 30] floats) would add 10 MiB over the 9,000 steps;
    // one leaked input batch (31 KiB) would add 270 MiB.
    if (!kSanitized) CHECK(growth_kib < 1024.0);
}
