// ThreadScratch gives each parallel loop's scratch buffer whole cache lines of its own: aligned on
// a line, and no other block of memory begins before the line it ends in is over.

#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "ops/thread_scratch.hpp"

using tg::kCacheLine;
using tg::ThreadScratch;

namespace {
std::uintptr_t address(const void* p) {
    return reinterpret_cast<std::uintptr_t>(p);
}
}  // namespace

TEST_CASE("thread scratch buffers start on a cache line and own the lines they end in",
          "[ops][threads]") {
    // Sizes that end inside a line, on its last byte, and on a line boundary.
    for (std::size_t n : {1u, 3u, 7u, 8u, 9u, 100u}) {
        INFO(n << " values");
        std::vector<ThreadScratch<double>> buffers;
        for (int i = 0; i < 16; ++i) buffers.emplace_back(n, 2.5);
        for (const auto& b : buffers) {
            CHECK(address(b.data()) % kCacheLine == 0);
            CHECK(b.size() == n);
            for (double v : b) CHECK(v == 2.5);
        }
        // No two buffers touch a common line: each ends before the next line-aligned start of
        // any other.
        for (std::size_t i = 0; i < buffers.size(); ++i)
            for (std::size_t j = 0; j < buffers.size(); ++j) {
                if (i == j) continue;
                const std::uintptr_t a0 = address(buffers[i].data()) / kCacheLine;
                const std::uintptr_t a1 = (address(buffers[i].data() + n) - 1) / kCacheLine;
                const std::uintptr_t b0 = address(buffers[j].data()) / kCacheLine;
                const std::uintptr_t b1 = (address(buffers[j].data() + n) - 1) / kCacheLine;
                CHECK((a1 < b0 || b1 < a0));
            }
    }
}
