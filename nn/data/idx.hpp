#pragma once
// IDX files, the format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/):
//
//   bytes 0-1  zero
//   byte  2    element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32,
//              0x0E float64
//   byte  3    rank r (1 or more)
//   then r big-endian uint32 sizes, then the elements, big-endian, row-major.
//
// read_idx reads a file gzipped or not (zlib tells them apart), validates the magic number,
// the element type, the rank, the sizes and the file's length, and throws tg::IOError naming
// the file and the problem. It reads the header first and then only the data the header
// announces, so memory follows the smaller of the announced and the actual size (a small
// gzip file that inflates to gigabytes is refused at its first byte too many).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tg::nn::data {

enum class IdxType : std::uint8_t {
    u8 = 0x08,
    i8 = 0x09,
    i16 = 0x0B,
    i32 = 0x0C,
    f32 = 0x0D,
    f64 = 0x0E,
};

std::size_t idx_element_size(IdxType type);
const char* idx_type_name(IdxType type);

struct IdxArray {
    IdxType type = IdxType::u8;
    std::vector<std::size_t> dims;
    // The elements in host byte order, row-major.
    std::vector<std::uint8_t> bytes;

    std::size_t size() const;  // number of elements
    // Element i converted to double.
    double at(std::size_t i) const;
};

// Files larger than this are refused as corrupt (a bad header would otherwise ask for an
// absurd allocation).
constexpr std::size_t kIdxMaxBytes = std::size_t(1) << 34;

IdxArray read_idx(const std::string& path);
// Writes an IDX file, gzip-compressed when `gzip` is set. IOError if it cannot be written.
void write_idx(const std::string& path, const IdxArray& array, bool gzip = false);

}  // namespace tg::nn::data
