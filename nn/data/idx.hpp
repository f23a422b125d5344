#pragma once
// IDX files, the format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/):
//
//   bytes 0-1  zero
//   byte  2    element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32,
//              0x0E float64
//   byte  3    rank r (1 or more)
//   then r big-endian uint32 sizes, then the elements, big-endian, row-major.
//
// read_idx reads a file gzipped or not (the gzip magic bytes tell them apart), validates the
// magic number, the element type, the rank, the sizes and the file's length, and throws
// tg::IOError naming the file and the problem. Memory and time follow the smaller of the
// announced and the actual size:
// - the header is read first, and the data it announces is refused before anything is read or
//   allocated if it is over `max_bytes` (kIdxMaxBytes, 4 GiB, by default), or more than the
//   file can hold: a plain file's length, or 1032 times a gzip file's length (deflate's best
//   ratio);
// - then exactly the announced data is read (inflated), and one byte more at most: a file that
//   holds more is refused at that byte (a small gzip file that inflates to gigabytes too).
// gzip data may be several gzip members back to back (read as one stream, as gzip(1) does);
// anything else after the last member is refused as trailing garbage, as bytes after the data
// of a plain file are refused as trailing data.

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

// Arrays larger than this (in bytes of data) are refused as corrupt by default: a bad header
// would otherwise ask for an absurd allocation. MNIST's largest file holds 47 MB. Pass a larger
// max_bytes to read bigger files.
constexpr std::size_t kIdxMaxBytes = std::size_t(1) << 32;

IdxArray read_idx(const std::string& path, std::size_t max_bytes = kIdxMaxBytes);
// Writes an IDX file, gzip-compressed when `gzip` is set. IOError if it cannot be written.
void write_idx(const std::string& path, const IdxArray& array, bool gzip = false);

}  // namespace tg::nn::data
