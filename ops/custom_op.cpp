#include "ops/custom_op.hpp"

#include <algorithm>
#include <string>

#include "ops/arithmetic.hpp"

namespace tg {

namespace {

std::string shapes_str(const std::vector<Shape>& shapes) {
    std::string s;
    for (std::size_t i = 0; i < shapes.size(); ++i) {
        if (i > 0) s += i + 1 == shapes.size() ? " and " : ", ";
        s += shape_str(shapes[i]);
    }
    return s;
}

}  // namespace

DType common_dtype(const char* op, const std::vector<Tensor>& tensors) {
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        if (!tensors[i].defined()) {
            throw ValueError(std::string(op) + ": input " + std::to_string(i) + " is undefined");
        }
    }
    if (tensors.empty()) throw ValueError(std::string(op) + ": no inputs");
    const DType d = tensors[0].dtype();
    for (std::size_t i = 1; i < tensors.size(); ++i) {
        if (tensors[i].dtype() != d) {
            throw DTypeError(std::string(op) + ": input 0 is " + dtype_name(d) + " but input " +
                             std::to_string(i) + " is " + dtype_name(tensors[i].dtype()) +
                             "; convert one with to_dtype()");
        }
    }
    return d;
}

Shape broadcast_shape(const char* op, const std::vector<Shape>& shapes) {
    std::size_t rank = 0;
    for (const auto& s : shapes) rank = std::max(rank, s.size());
    Shape out(rank, 1);
    for (const auto& s : shapes) {
        for (std::size_t k = 0; k < s.size(); ++k) {
            const std::size_t d = s[s.size() - 1 - k];
            std::size_t& o = out[rank - 1 - k];
            if (d == o || d == 1) continue;
            if (o != 1) {
                throw ShapeError(std::string(op) + ": shapes " + shapes_str(shapes) +
                                 " cannot be broadcast together");
            }
            o = d;
        }
    }
    return out;
}

}  // namespace tg
