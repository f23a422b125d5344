#pragma once
// index_select and its adjoint index_add.

#include <cstdint>
#include <vector>

#include "../autograd/tensor.hpp"

namespace tg {

// The slices x[..., i, ...] along `axis` for each i in indices, in that order (repeats allowed).
Tensor index_select(const Tensor& x, std::int64_t axis, const std::vector<std::int64_t>& indices);
// The adjoint: a tensor whose `axis` has `size` entries, zero except that slice k of src is
// added at position indices[k].
Tensor index_add(const Tensor& src, std::int64_t axis, const std::vector<std::int64_t>& indices,
                 std::size_t size);

}  // namespace tg
