#pragma once
// Slicing and its adjoint, padding, concatenation and stacking.

#include <cstdint>
#include <utility>
#include <vector>

#include "../autograd/tensor.hpp"
#include "dims.hpp"

namespace tg {

// Elements start, start+step, ... below stop along one axis. Negative start/stop count from the
// end and both are clamped to the axis, as in Python. step >= 1.
Tensor slice(const Tensor& x, std::int64_t axis, std::int64_t start, std::int64_t stop,
             std::int64_t step = 1);
// Every axis at once; starts, stops and steps give one in-range entry per axis.
Tensor slice(const Tensor& x, const Dims& starts, const Dims& stops, const Dims& steps);
// The adjoint of slice: a tensor of `shape`, zero except where g is placed at starts/steps.
Tensor unslice(const Tensor& g, const Shape& shape, const Dims& starts, const Dims& steps);
// Zero padding: one (before, after) pair per axis of x.
Tensor pad(const Tensor& x, const std::vector<std::pair<std::size_t, std::size_t>>& pads);
Tensor concat(const std::vector<Tensor>& xs, std::int64_t axis = 0);
Tensor stack(const std::vector<Tensor>& xs, std::int64_t axis = 0);

}  // namespace tg
