#pragma once
// Options structs use TG_OPTION (autograd/options.hpp):
//
//     Conv2dOptions(1, 8, 5).stride(2).padding(kSame).bias(false)

#include <cstddef>
#include <string>

#include "autograd/options.hpp"

namespace tg::nn {

// A height and a width: Size2(5) is 5x5, Size2(3, 5) is 3 high and 5 wide.
struct Size2 {
    Size2(std::size_t both) : h(both), w(both) {}  // NOLINT: implicit, as in .stride(2)
    Size2(std::size_t height, std::size_t width) : h(height), w(width) {}
    std::size_t h, w;
    bool operator==(const Size2& o) const { return h == o.h && w == o.w; }
    std::string str() const { return std::to_string(h) + "x" + std::to_string(w); }
};

}  // namespace tg::nn
