#pragma once
// Options structs use TG_OPTION (autograd/options.hpp):
//
//     Conv2dOptions(1, 8, 5).stride(2).padding(kSame).bias(false)

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

#include "../autograd/errors.hpp"
#include "../autograd/options.hpp"

namespace tg::nn {

// A height and a width: Size2(5) is 5x5, Size2(3, 5) is 3 high and 5 wide.
// The sizes are signed, so that a negative kernel size, stride or padding stays negative and is
// refused by name (by the options' setters and by the functional ops) instead of wrapping to
// 18446744073709551615. An unsigned value above INT64_MAX (a negative number converted to
// unsigned on the way) is refused here: ValueError.
struct Size2 {
    template <class I, std::enable_if_t<std::is_integral_v<I>, int> = 0>
    Size2(I both) : h(to_signed(both)), w(h) {}  // NOLINT: implicit, as in .stride(2)
    template <class I, class J,
              std::enable_if_t<std::is_integral_v<I> && std::is_integral_v<J>, int> = 0>
    Size2(I height, J width) : h(to_signed(height)), w(to_signed(width)) {}
    std::int64_t h, w;
    bool operator==(const Size2& o) const { return h == o.h && w == o.w; }
    std::string str() const { return std::to_string(h) + "x" + std::to_string(w); }

  private:
    template <class I>
    static std::int64_t to_signed(I v) {
        if constexpr (std::is_unsigned_v<I>) {
            if (v > static_cast<std::make_unsigned_t<std::int64_t>>(
                        std::numeric_limits<std::int64_t>::max())) {
                throw ValueError("Size2: " + std::to_string(v) +
                                 " is out of range for a kernel size, stride or padding (a "
                                 "negative number converted to unsigned?)");
            }
        }
        return static_cast<std::int64_t>(v);
    }
};

// TG_OPTION whose setter first runs `check`, a statement that sees the new value as new_<name>
// and throws if it is bad: the options refuse a bad value when it is set.
#define TG_CHECKED_OPTION(T, name, check) \
  public:                                 \
    auto& name(const T& new_##name) {     \
        check;                            \
        this->name##_ = new_##name;       \
        return *this;                     \
    }                                     \
    const T& name() const noexcept {      \
        return this->name##_;             \
    }                                     \
                                          \
  private:                                \
    T name##_

// ValueError "who: what HxW must be at least `least`" (positive for kernels and strides, not
// negative for paddings) if either side is smaller.
inline void check_size2(const std::string& who, const char* what, Size2 s, std::int64_t least) {
    if (s.h < least || s.w < least) {
        throw ValueError(who + ": " + what + " " + s.str() +
                         (least > 0 ? " must be positive" : " must not be negative"));
    }
}

}  // namespace tg::nn
