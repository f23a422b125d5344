#pragma once
// Internal: a .npy header read on its own, so that an archive reader can check an entry's dtype
// and shape (and the size of its data) before it reads or inflates the data. Not installed.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "../autograd/tensor.hpp"

namespace tg::nn {

// The bytes a .npy file needs to hold before npy_header_size can tell its header's size.
constexpr std::size_t kNpyPreamble = 12;
// Longer headers are refused: numpy writes a few dozen bytes for the arrays read here (and by
// default refuses to read more than 10000).
constexpr std::size_t kMaxNpyHeader = std::size_t(1) << 20;

struct NpyHeader {
    DType dtype = kFloat32;
    bool big_endian = false;
    Shape shape;
    std::size_t header_bytes = 0;  // magic, version, length and dict: where the data starts
    std::size_t data_bytes = 0;    // what the shape and dtype need
};

// From the first min(n, kNpyPreamble) bytes: where the data starts (magic, version and length
// fields plus the header dict). IOError "decode_npy: <what>: ..." if they are not a .npy
// preamble.
std::size_t npy_header_size(const std::uint8_t* p, std::size_t n, const std::string& what);
// Parses the header; p holds at least npy_header_size(...) bytes.
NpyHeader parse_npy_header(const std::uint8_t* p, std::size_t n, const std::string& what);
// The tensor the header describes, its data filled by `fill(destination, data_bytes)` with the
// file's bytes (then put in host byte order).
Tensor npy_tensor(const NpyHeader& h, const std::function<void(std::uint8_t*, std::size_t)>& fill);
// "truncated: shape [2] needs 8 bytes of data, found 4" (or "trailing data: ...") when the data
// that follows the header is not what the header needs.
void check_npy_data_size(const NpyHeader& h, std::size_t data_bytes_found, const std::string& what);

}  // namespace tg::nn
