#pragma once
// Wall time since a moment, in seconds.

#include <chrono>

namespace example {

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace example
