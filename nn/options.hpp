#pragma once
// Options structs in the style of libtorch: each option is a chained setter plus a getter,
//
//     Conv2dOptions(1, 8, 5).stride(2).padding(kSame).bias(false)
//
// TG_ARG(T, name) = default; declares both and the stored value with its default.

#include <cstddef>
#include <string>

#define TG_ARG(T, name)               \
  public:                             \
    auto& name(const T& new_##name) { \
        this->name##_ = new_##name;   \
        return *this;                 \
    }                                 \
    const T& name() const noexcept {  \
        return this->name##_;         \
    }                                 \
                                      \
  private:                            \
    T name##_

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
