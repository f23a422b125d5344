#pragma once
// Refusing, before any work, a model that command-line sizes make larger than this machine's
// memory (--hidden 99999999999 would otherwise end in std::bad_alloc, or in the OOM killer).

#include <unistd.h>

#include <cstdio>
#include <string>

#include "autograd/errors.hpp"

namespace example {

// Bytes as "3.2 GB" (powers of 1000), "512 bytes".
inline std::string readable_bytes(double bytes) {
    const char* units[] = {"bytes", "kB", "MB", "GB", "TB", "PB", "EB"};
    int u = 0;
    while (bytes >= 1000 && u < 6) {
        bytes /= 1000;
        ++u;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.3g %s", bytes, units[u]);
    return buf;
}

// This machine's physical memory in bytes (0 if unknown).
inline double physical_memory() {
    const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) : 0;
}

// Throws tg::ValueError if `bytes` (counted in double, so that no size overflows) is more than
// the physical memory; `what` says what needs them ("the model with --hidden 99999999999").
inline void check_fits_in_memory(const std::string& what, double bytes) {
    const double memory = physical_memory();
    if (memory > 0 && bytes > memory) {
        throw tg::ValueError("out of memory: " + what + " needs at least " + readable_bytes(bytes) +
                             ", more than the " + readable_bytes(memory) +
                             " of memory of this machine");
    }
}

}  // namespace example
