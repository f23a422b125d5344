#pragma once
// Forward mode: give tensors tangents for the duration of a scope. Every op applied to a tensor
// with a tangent computes its result's tangent with its jvp rule, alongside the value.

#include <vector>

#include "../autograd/tensor.hpp"

namespace tg {

class DualGuard {
  public:
    // tangents[i] must match tensors[i] in dtype and shape. Previous tangents come back at the
    // end of the scope.
    DualGuard(const std::vector<Tensor>& tensors, const std::vector<Tensor>& tangents);
    ~DualGuard();
    DualGuard(const DualGuard&) = delete;
    DualGuard& operator=(const DualGuard&) = delete;

  private:
    std::vector<Tensor> tensors_;
    std::vector<Tensor> previous_;
};

}  // namespace tg
