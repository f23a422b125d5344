#pragma once
// Making tensors: constants, ranges, copies from plain vectors. None of these record anything.

#include <cstdint>
#include <vector>

#include "../autograd/tensor.hpp"

namespace tg {

Tensor zeros(const Shape& shape, DType dtype = kFloat32);
Tensor ones(const Shape& shape, DType dtype = kFloat32);
Tensor full(const Shape& shape, double value, DType dtype = kFloat32);
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
Tensor full_like(const Tensor& t, double value);
// A 0-d tensor holding one value.
Tensor scalar_tensor(double value, DType dtype = kFloat32);
// 0, 1, ..., n-1.
Tensor arange(std::size_t n, DType dtype = kFloat32);
Tensor eye(std::size_t n, DType dtype = kFloat32);
// Values in row-major order; their count must match the shape.
Tensor from_vector(const std::vector<double>& values, const Shape& shape, DType dtype = kFloat32);
// Rows of one-hot vectors: shape [labels.size(), classes].
Tensor one_hot(const std::vector<std::int64_t>& labels, std::size_t classes,
               DType dtype = kFloat32);
// The same values in another element type (a leaf: conversion is not recorded).
Tensor to_dtype(const Tensor& t, DType dtype);

}  // namespace tg
