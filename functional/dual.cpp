#include "functional/dual.hpp"

#include <string>

namespace tg {

DualGuard::DualGuard(const std::vector<Tensor>& tensors, const std::vector<Tensor>& tangents)
    : tensors_(tensors) {
    if (tangents.size() != tensors.size()) {
        throw ValueError("DualGuard: " + std::to_string(tangents.size()) + " tangents for " +
                         std::to_string(tensors.size()) + " tensors");
    }
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        const Tensor& t = tensors[i];
        const Tensor& v = tangents[i];
        if (!t.defined() || !v.defined())
            throw ValueError("DualGuard: undefined tensor or tangent " + std::to_string(i));
        if (v.dtype() != t.dtype() || v.shape() != t.shape()) {
            throw ShapeError("DualGuard: tangent " + std::to_string(i) + " is " +
                             dtype_name(v.dtype()) + shape_str(v.shape()) + " for a tensor " +
                             dtype_name(t.dtype()) + shape_str(t.shape()));
        }
    }
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        previous_.push_back(tensors[i].impl()->tangent);
        tensors[i].impl()->tangent = tangents[i].detach();
    }
}

DualGuard::~DualGuard() {
    for (std::size_t i = 0; i < tensors_.size(); ++i) tensors_[i].impl()->tangent = previous_[i];
}

}  // namespace tg
