#pragma once
// NumPy's .npy format (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
// a magic string, a version, a header giving dtype, order and shape, then the raw elements.
// Tensors are written as little-endian float32 ('<f4') or float64 ('<f8'), C order, format
// version 1.0; numpy.load reads them.

#include <cstdint>
#include <string>
#include <vector>

#include "../autograd/tensor.hpp"

namespace tg::nn {

std::vector<std::uint8_t> encode_npy(const Tensor& t);
// Reads format versions 1.0 to 3.0 holding float32 or float64 in either byte order, C order.
// IOError naming `what` (a file or an archive entry) if the bytes are not such an array.
Tensor decode_npy(const std::vector<std::uint8_t>& bytes, const std::string& what);

// One tensor per file; saving is atomic.
void save_npy(const Tensor& t, const std::string& path);
Tensor load_npy(const std::string& path);

}  // namespace tg::nn
