#pragma once
// Forward-mode Jacobian-vector products.

#include <functional>
#include <vector>

#include "../autograd/tensor.hpp"

namespace tg {

struct JvpResult {
    Tensor value;    // f(inputs)
    Tensor tangent;  // J t: the directional derivative of f along the tangents
};

// Evaluates f once, with the tangents travelling alongside the values; nothing is recorded.
JvpResult jvp(const std::function<Tensor(const std::vector<Tensor>&)>& f,
              const std::vector<Tensor>& inputs, const std::vector<Tensor>& tangents);

}  // namespace tg
