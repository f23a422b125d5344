#pragma once
// Rearranging ops: flip, roll, tile/repeat, expand, tril/triu, diagonal/diag_embed/diag,
// split/chunk and the reflect/replicate/circular pad modes. PyTorch semantics.
//
// Every op here is composed from index_select, broadcast_to, reshape, permute, slice and where,
// so its vjp and jvp are those ops' rules and it differentiates to any order in both modes. All
// of them are linear in x (tril/triu and constant padding mask with a constant), so their
// derivatives are exact everywhere, NaN inputs included (a NaN masked out by tril gives no NaN
// gradient).

#include <cstdint>
#include <utility>
#include <vector>

#include "../autograd/tensor.hpp"
#include "dims.hpp"

namespace tg {

// x reversed along each of `axes` (no repeats).
Tensor flip(const Tensor& x, const Dims& axes);
// x shifted by shifts[i] places along axes[i], elements leaving one end coming back at the
// other: out[(j + shift) mod n] = x[j]. Shifts may be negative or larger than the axis.
Tensor roll(const Tensor& x, const Dims& shifts, const Dims& axes);
// numpy.tile: x repeated reps[i] times along axis i. A shorter reps is padded with leading 1s,
// a shorter x with leading axes of size 1. reps >= 0.
Tensor tile(const Tensor& x, const Dims& reps);
// torch.Tensor.repeat: tile, but reps must have at least x's rank (ValueError otherwise).
Tensor repeat(const Tensor& x, const Dims& reps);
// torch.Tensor.expand: broadcast_to, where -1 keeps x's size on that axis (not on new leading
// axes).
Tensor expand(const Tensor& x, const Dims& shape);
// The lower (upper) triangle of the last two axes: elements with column - row <= k (>= k) are
// kept, the others are 0. x needs at least two axes.
Tensor tril(const Tensor& x, std::int64_t k = 0);
Tensor triu(const Tensor& x, std::int64_t k = 0);
// The diagonal x[..., i, i + offset] of the plane (axis1, axis2), as torch.diagonal: both axes
// are removed and the diagonal becomes the last axis. offset > 0 is above the main diagonal.
Tensor diagonal(const Tensor& x, std::int64_t offset = 0, std::int64_t axis1 = 0,
                std::int64_t axis2 = 1);
// torch.diag_embed: the last axis of x (length n) becomes the diagonal at `offset` of new last
// two axes of size n + |offset|, zero elsewhere.
Tensor diag_embed(const Tensor& x, std::int64_t offset = 0);
// torch.diag: a 1-D x gives the matrix with x on diagonal k; a 2-D x gives its diagonal k.
Tensor diag(const Tensor& x, std::int64_t k = 0);
// Pieces of `size` along an axis (the last one may be shorter); size >= 1.
std::vector<Tensor> split(const Tensor& x, std::size_t size, std::int64_t axis = 0);
// Pieces of the given sizes, which must add up to the axis's length.
std::vector<Tensor> split(const Tensor& x, const std::vector<std::size_t>& sizes,
                          std::int64_t axis = 0);
// torch.chunk: split into pieces of ceil(n / chunks), so possibly fewer than `chunks` pieces.
std::vector<Tensor> chunk(const Tensor& x, std::size_t chunks, std::int64_t axis = 0);

// Padding modes, as torch.nn.functional.pad. `pads` gives one (before, after) pair per axis of x
// (as tg::pad), so any axes may be padded.
//  constant:  the value.
//  reflect:   mirrored without repeating the edge (x[1], x[0] | x[0] ... ); each pad must be
//             smaller than its axis (ValueError otherwise).
//  replicate: the edge element repeated; a padded axis must not be empty.
//  circular:  wraps around (x[n-1] | x[0] ...); a padded axis must not be empty. Pads longer
//             than the axis wrap again (PyTorch refuses them).
enum class PadMode { constant, reflect, replicate, circular };
Tensor pad(const Tensor& x, const std::vector<std::pair<std::size_t, std::size_t>>& pads,
           PadMode mode, double value = 0);

}  // namespace tg
