#include "nn/data/idx.hpp"

#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <memory>

#include "autograd/errors.hpp"
#include "nn/file_io.hpp"

namespace tg::nn::data {

namespace {

bool known_type(std::uint8_t code) {
    switch (code) {
        case 0x08:
        case 0x09:
        case 0x0B:
        case 0x0C:
        case 0x0D:
        case 0x0E:
            return true;
        default:
            return false;
    }
}

std::uint32_t big_endian_u32(const std::uint8_t* p) {
    return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) |
           std::uint32_t(p[3]);
}

bool host_is_little_endian() {
    const std::uint16_t one = 1;
    std::uint8_t first;
    std::memcpy(&first, &one, 1);
    return first == 1;
}

// Reverses the bytes of every element (big-endian file <-> little-endian host).
void swap_elements(std::vector<std::uint8_t>& bytes, std::size_t element_size) {
    if (element_size == 1 || !host_is_little_endian()) return;
    for (std::size_t i = 0; i + element_size <= bytes.size(); i += element_size)
        for (std::size_t a = 0, b = element_size - 1; a < b; ++a, --b)
            std::swap(bytes[i + a], bytes[i + b]);
}

// Deflate codes at most 258 bytes in 2 bits, so n bytes of gzip data never inflate to more than
// 1032 n bytes (the slack only makes the bound generous for tiny files).
constexpr std::uint64_t kMaxDeflateRatio = 1032;
constexpr std::uint64_t kDeflateSlack = 4096;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
    throw IOError("read_idx: " + path + ": " + what);
}

}  // namespace

std::size_t idx_element_size(IdxType type) {
    switch (type) {
        case IdxType::u8:
        case IdxType::i8:
            return 1;
        case IdxType::i16:
            return 2;
        case IdxType::i32:
        case IdxType::f32:
            return 4;
        case IdxType::f64:
            return 8;
    }
    return 1;
}

const char* idx_type_name(IdxType type) {
    switch (type) {
        case IdxType::u8:
            return "uint8";
        case IdxType::i8:
            return "int8";
        case IdxType::i16:
            return "int16";
        case IdxType::i32:
            return "int32";
        case IdxType::f32:
            return "float32";
        case IdxType::f64:
            return "float64";
    }
    return "?";
}

std::size_t IdxArray::size() const {
    std::size_t n = 1;
    for (auto d : dims) n *= d;
    return n;
}

double IdxArray::at(std::size_t i) const {
    const std::uint8_t* p = bytes.data() + i * idx_element_size(type);
    auto load = [p](auto v) {
        std::memcpy(&v, p, sizeof v);
        return static_cast<double>(v);
    };
    switch (type) {
        case IdxType::u8:
            return p[0];
        case IdxType::i8:
            return load(std::int8_t{});
        case IdxType::i16:
            return load(std::int16_t{});
        case IdxType::i32:
            return load(std::int32_t{});
        case IdxType::f32:
            return load(float{});
        case IdxType::f64:
            return load(double{});
    }
    return 0;
}

IdxArray read_idx(const std::string& path, std::size_t max_bytes) {
    // The header first; then, if the file can hold what the header announces, exactly that
    // data. A file whose header announces less than it holds (say, a gzip stream that inflates
    // to gigabytes) is refused at the first byte too many, and one that announces more than it
    // can hold is refused before its data is read.
    MaybeGzippedFile file(path, "read_idx");
    std::vector<std::uint8_t> head;
    if (file.read(head, 4) < 4) {
        fail(path, "too short for an IDX header (" + std::to_string(head.size()) + " bytes)");
    }
    if (head[0] != 0 || head[1] != 0) {
        char magic[16];
        std::snprintf(magic, sizeof magic, "0x%02x%02x%02x%02x", head[0], head[1], head[2],
                      head[3]);
        fail(path, std::string("bad magic number ") + magic +
                       " (an IDX file starts with two zero bytes)");
    }
    if (!known_type(head[2])) {
        char code[8];
        std::snprintf(code, sizeof code, "0x%02x", head[2]);
        fail(path, std::string("unknown element type ") + code);
    }
    IdxArray a;
    a.type = static_cast<IdxType>(head[2]);
    const std::size_t rank = head[3];
    if (rank == 0) fail(path, "rank 0 (an IDX array has at least one dimension)");
    const std::size_t header = 4 + 4 * rank;
    if (file.read(head, 4 * rank) < 4 * rank) {
        fail(path, "truncated header: rank " + std::to_string(rank) + " needs " +
                       std::to_string(header) + " bytes, the file has " +
                       std::to_string(head.size()));
    }
    const std::size_t element = idx_element_size(a.type);
    std::uint64_t expected = element;
    bool overflow = false;
    std::string sizes;
    for (std::size_t d = 0; d < rank; ++d) {
        const std::size_t n = big_endian_u32(head.data() + 4 + 4 * d);
        a.dims.push_back(n);
        sizes += (d ? "x" : "") + std::to_string(n);
        if (n == 0) fail(path, "dimension " + std::to_string(d) + " has size 0");
        overflow = overflow || expected > UINT64_MAX / n;
        if (!overflow) expected *= n;
    }
    const std::string what = "sizes " + sizes + " of " + idx_type_name(a.type);
    if (overflow || expected > max_bytes) {
        fail(path, what + " are absurdly large: they need " +
                       (overflow ? "more than 2^64" : std::to_string(expected)) +
                       " bytes of data, over the limit of " + std::to_string(max_bytes) +
                       " bytes (read_idx's max_bytes)");
    }
    const std::uint64_t on_disk = file.file_size();
    if (file.size_known() && !file.gzipped() &&
        expected > on_disk - std::min<std::uint64_t>(on_disk, header)) {
        fail(path, "truncated: " + what + " need " + std::to_string(expected) +
                       " bytes of data, the file has " + std::to_string(on_disk - header));
    }
    if (file.size_known() && file.gzipped() &&
        header + expected > kMaxDeflateRatio * on_disk + kDeflateSlack) {
        fail(path, "truncated: " + what + " need " + std::to_string(expected) +
                       " bytes of data, more than " + std::to_string(on_disk) +
                       " bytes of gzip data can hold (deflate expands at most " +
                       std::to_string(kMaxDeflateRatio) + " times)");
    }
    const std::size_t have = file.read(a.bytes, static_cast<std::size_t>(expected));
    if (have < expected) {
        fail(path, "truncated: " + what + " need " + std::to_string(expected) +
                       " bytes of data, the file has " + std::to_string(have));
    }
    // One byte more is the most read past the announced data.
    if (file.more()) {
        fail(path,
             "trailing data: " + what + " need " + std::to_string(expected) +
                 " bytes of data, the file has " +
                 (file.gzipped() || !file.size_known() ? "at least " + std::to_string(expected + 1)
                                                       : std::to_string(on_disk - header)));
    }
    swap_elements(a.bytes, element);
    return a;
}

void write_idx(const std::string& path, const IdxArray& a, bool gzip) {
    if (a.dims.empty() || a.dims.size() > 255) {
        throw ValueError("write_idx: " + path + ": rank " + std::to_string(a.dims.size()) +
                         " (must be 1 to 255)");
    }
    const std::size_t element = idx_element_size(a.type);
    if (a.bytes.size() != a.size() * element) {
        throw ValueError("write_idx: " + path + ": " + std::to_string(a.bytes.size()) +
                         " bytes for " + std::to_string(a.size()) + " elements of " +
                         idx_type_name(a.type));
    }
    std::vector<std::uint8_t> out{0, 0, static_cast<std::uint8_t>(a.type),
                                  static_cast<std::uint8_t>(a.dims.size())};
    for (std::size_t d : a.dims) {
        const auto n = static_cast<std::uint32_t>(d);
        for (int shift = 24; shift >= 0; shift -= 8)
            out.push_back(static_cast<std::uint8_t>(n >> shift));
    }
    std::vector<std::uint8_t> data = a.bytes;
    swap_elements(data, element);
    out.insert(out.end(), data.begin(), data.end());
    write_file_atomically(path, gzip ? gzip_bytes(out, path) : out, "write_idx");
}

}  // namespace tg::nn::data
