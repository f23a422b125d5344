#pragma once
// Printing tensors: values (through xtensor's printer), dtype and shape, and autograd state.

#include <iosfwd>

#include "../autograd/tensor.hpp"

namespace tg {

std::ostream& operator<<(std::ostream& os, const Tensor& t);

}  // namespace tg
