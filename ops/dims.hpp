#pragma once
// A list of signed integers for axes and target shapes: {0, 2}, {-1, 784}, or a Shape.

#include <cstdint>
#include <initializer_list>
#include <vector>

#include "../autograd/tensor.hpp"

namespace tg {

struct Dims {
    Dims() = default;
    Dims(std::initializer_list<std::int64_t> list) : values(list) {}
    Dims(std::vector<std::int64_t> list) : values(std::move(list)) {}  // NOLINT: implicit
    Dims(const Shape& shape) : values(shape.begin(), shape.end()) {}   // NOLINT: implicit

    std::size_t size() const { return values.size(); }
    std::int64_t operator[](std::size_t i) const { return values[i]; }

    std::vector<std::int64_t> values;
};

}  // namespace tg
