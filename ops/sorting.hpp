#pragma once
// sort and topk along an axis. The values are gather(x, axis, indices), so they differentiate
// like gather (to any order, both modes): the gradient of an output goes to the input element
// it came from. That derivative holds where the order is strict; at ties the order is the one
// returned (equal values keep their index order, stable), and the derivative is that of this
// fixed permutation, which is one-sided as for max. NaN sorts above every number (last when
// ascending, first when descending), as in PyTorch.
// The indices are constants: a std::vector in row-major order, of the values' shape.

#include <cstdint>
#include <vector>

#include "../autograd/tensor.hpp"

namespace tg {

struct SortResult {
    Tensor values;
    std::vector<std::int64_t> indices;  // positions along the axis, of values.shape()
};

// x sorted along `axis`, ascending unless `descending`; stable.
SortResult sort(const Tensor& x, std::int64_t axis = -1, bool descending = false);
// The k largest (or smallest) elements along `axis`, in sorted order (largest first when
// `largest`). ValueError if k exceeds the axis's size.
SortResult topk(const Tensor& x, std::size_t k, std::int64_t axis = -1, bool largest = true);

}  // namespace tg
