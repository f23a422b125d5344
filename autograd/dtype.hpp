#pragma once
// The element types a tensor can hold. Every op is instantiated for both.

#include <type_traits>

namespace tg {

enum class DType { f32, f64 };

constexpr DType kFloat32 = DType::f32;
constexpr DType kFloat64 = DType::f64;

constexpr const char* dtype_name(DType d) {
    return d == DType::f32 ? "float32" : "float64";
}

template <class T>
constexpr DType dtype_of() {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                  "tapegrad tensors hold float or double");
    return std::is_same_v<T, float> ? DType::f32 : DType::f64;
}

}  // namespace tg
