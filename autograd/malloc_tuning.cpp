#include "autograd/malloc_tuning.hpp"

#include <malloc.h>

#include <cstdlib>
#include <mutex>

namespace tg::detail {

namespace {
bool g_tuned = false;
}

void tune_malloc_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        const char* opt_out = std::getenv("TAPEGRAD_SYSTEM_MALLOC");
        if (opt_out && *opt_out && *opt_out != '0') return;
        g_tuned =
            mallopt(M_MMAP_THRESHOLD, 256 << 20) == 1 && mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1;
    });
}

bool malloc_tuned() {
    return g_tuned;
}

}  // namespace tg::detail
