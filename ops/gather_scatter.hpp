#pragma once
// Indexing by an index tensor along one axis (gather, scatter_add, scatter, take_along_axis) and
// by a 0/1 mask (masked_fill, masked_select). PyTorch semantics.
//
// An index tensor is given as its values in row-major order plus its shape. It must have x's
// rank, and on every axis but `axis` it may not be longer than x (ShapeError otherwise). Every
// value must lie in [0, x.shape()[axis]): a ValueError names the op, the index, its position
// and the axis size. Index tensors are constants: nothing is differentiated with respect to them.
//
// Derivatives, all to any order in both modes: gather and scatter_add are each other's adjoint
// (the vjp of one is the other), so each is linear and exact everywhere. scatter and the mask
// ops are built from where/index_select, so their derivatives come from those ops.

#include <cstdint>
#include <vector>

#include "../autograd/tensor.hpp"

namespace tg {

// out[i][j][k] = x[index[i][j][k]][j][k] for axis 0 (likewise for other axes); out has the
// index's shape. Repeated indices are allowed (their gradients add up).
Tensor gather(const Tensor& x, std::int64_t axis, const std::vector<std::int64_t>& index,
              const Shape& index_shape);
// numpy.take_along_axis: the same as gather (the index's shape rules are gather's).
Tensor take_along_axis(const Tensor& x, const std::vector<std::int64_t>& index,
                       const Shape& index_shape, std::int64_t axis);
// A copy of x with src[i][j][k] added at [index[i][j][k]][j][k] (axis 0); src has the index's
// shape. Repeated indices add up.
Tensor scatter_add(const Tensor& x, std::int64_t axis, const std::vector<std::int64_t>& index,
                   const Shape& index_shape, const Tensor& src);
// A copy of x with src[i][j][k] written at [index[i][j][k]][j][k] (axis 0). The gradient goes to
// src at the written places and to x everywhere else. Two entries of src written to the same
// place would make the result depend on the write order (PyTorch leaves it undefined): that is
// a ValueError here.
Tensor scatter(const Tensor& x, std::int64_t axis, const std::vector<std::int64_t>& index,
               const Shape& index_shape, const Tensor& src);

// x with `value` wherever mask is nonzero. The mask (a constant, e.g. from gt or eq) broadcasts
// to x's shape; the result has x's shape (ShapeError if the mask would enlarge it). The gradient
// is g where the mask is 0 and 0 where it is 1, also at NaN inputs.
Tensor masked_fill(const Tensor& x, const Tensor& mask, double value);
// The elements of x where the (broadcast) mask is nonzero, in row-major order, as a 1-D tensor.
// The vjp scatters the gradient back to those places (zero elsewhere); if the mask is larger
// than x, the gradient of an element of x sums over its copies.
Tensor masked_select(const Tensor& x, const Tensor& mask);

}  // namespace tg
