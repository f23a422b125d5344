#include "nn/npy.hpp"

#include <algorithm>
#include <cstring>

#include "autograd/errors.hpp"
#include "nn/file_io.hpp"
#include "nn/npy_header.hpp"
#include "ops/kernels.hpp"

namespace tg::nn {

namespace {

const char kMagic[] = "\x93NUMPY";  // 6 bytes
constexpr std::size_t kMaxNpyBytes = std::size_t(1) << 36;

bool little_endian_host() {
    const std::uint16_t one = 1;
    std::uint8_t first;
    std::memcpy(&first, &one, 1);
    return first == 1;
}

[[noreturn]] void fail(const std::string& what, const std::string& problem) {
    throw IOError("decode_npy: " + what + ": " + problem);
}

// The value of 'key' in the header dict, up to the next ',' or '}' at nesting level 0.
std::string header_value(const std::string& header, const std::string& key,
                         const std::string& what) {
    std::size_t k = header.find("'" + key + "'");
    if (k == std::string::npos) k = header.find("\"" + key + "\"");
    if (k == std::string::npos) fail(what, "header has no '" + key + "': " + printable(header));
    std::size_t colon = header.find(':', k);
    if (colon == std::string::npos) fail(what, "malformed header: " + printable(header));
    std::size_t i = colon + 1;
    int depth = 0;
    std::string value;
    for (; i < header.size(); ++i) {
        const char c = header[i];
        if (c == '(') ++depth;
        if (c == ')') --depth;
        if (depth == 0 && (c == ',' || c == '}')) break;
        value += c;
    }
    // trim
    const auto b = value.find_first_not_of(" \t");
    const auto e = value.find_last_not_of(" \t");
    return b == std::string::npos ? "" : value.substr(b, e - b + 1);
}

// A Python tuple of non-negative integers as numpy writes a shape: "()", "(5,)", "(2, 3)"
// (Python 2's "3L" too). Anything else is malformed.
Shape parse_shape(const std::string& text, const std::string& what) {
    auto malformed = [&]() { fail(what, "malformed shape " + printable(text)); };
    std::size_t i = 0;
    auto skip_spaces = [&] {
        while (i < text.size() && text[i] == ' ') ++i;
    };
    if (text.empty() || text[0] != '(') malformed();
    ++i;
    Shape shape;
    for (;;) {
        skip_spaces();
        if (i < text.size() && text[i] == ')') break;  // "()" or a trailing comma
        std::string digits;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') digits += text[i++];
        if (digits.empty()) malformed();
        if (digits.size() > 12) fail(what, "absurd shape " + printable(text));
        shape.push_back(std::stoull(digits));
        if (i < text.size() && text[i] == 'L') ++i;
        skip_spaces();
        if (i < text.size() && text[i] == ',') {
            ++i;
            continue;
        }
        if (i < text.size() && text[i] == ')') break;
        malformed();
    }
    if (i + 1 != text.size()) malformed();  // nothing after the closing parenthesis
    return shape;
}

}  // namespace

std::vector<std::uint8_t> encode_npy(const Tensor& t) {
    if (!t.defined()) throw ValueError("encode_npy: undefined tensor");
    const bool f32 = t.dtype() == kFloat32;
    std::string shape = "(";
    for (std::size_t d = 0; d < t.dim(); ++d) shape += std::to_string(t.shape()[d]) + ", ";
    if (t.dim() > 1) shape.resize(shape.size() - 2);  // (2, 3); a 1-d shape keeps "(5,"
    if (t.dim() == 1) shape.resize(shape.size() - 1);
    shape += ")";
    std::string header = std::string("{'descr': '") + (f32 ? "<f4" : "<f8") +
                         "', 'fortran_order': False, 'shape': " + shape + ", }";
    // Pad with spaces and end with a newline so that the data starts 64-byte aligned.
    const std::size_t prefix = 6 + 2 + 2;
    std::size_t total = prefix + header.size() + 1;
    header.append((64 - total % 64) % 64, ' ');
    header += '\n';
    if (header.size() > 65535) throw ValueError("encode_npy: shape too long for a .npy header");

    std::vector<std::uint8_t> out(kMagic, kMagic + 6);
    out.push_back(1);  // version 1.0
    out.push_back(0);
    out.push_back(static_cast<std::uint8_t>(header.size() & 0xff));
    out.push_back(static_cast<std::uint8_t>(header.size() >> 8));
    out.insert(out.end(), header.begin(), header.end());
    kernels::dispatch(t.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const auto& a = t.array<T>();
        const auto* p = reinterpret_cast<const std::uint8_t*>(a.data());
        const std::size_t start = out.size();
        out.insert(out.end(), p, p + a.size() * sizeof(T));
        if (!little_endian_host()) {
            for (std::size_t i = start; i < out.size(); i += sizeof(T))
                for (std::size_t x = 0, y = sizeof(T) - 1; x < y; ++x, --y)
                    std::swap(out[i + x], out[i + y]);
        }
    });
    return out;
}

std::size_t npy_header_size(const std::uint8_t* p, std::size_t n, const std::string& what) {
    if (n < 10 || std::memcmp(p, kMagic, 6) != 0) fail(what, "not a .npy array (bad magic string)");
    const int major = p[6];
    std::size_t header_len = 0, offset = 0;
    if (major == 1) {
        header_len = p[8] | (std::size_t(p[9]) << 8);
        offset = 10;
    } else if (major == 2 || major == 3) {
        if (n < 12) fail(what, "truncated header");
        header_len = p[8] | (std::size_t(p[9]) << 8) | (std::size_t(p[10]) << 16) |
                     (std::size_t(p[11]) << 24);
        offset = 12;
    } else {
        fail(what, "unsupported .npy format version " + std::to_string(major));
    }
    if (header_len > kMaxNpyHeader) {
        fail(what, "header of " + std::to_string(header_len) + " bytes, more than the " +
                       std::to_string(kMaxNpyHeader) + " a float array's header needs");
    }
    return offset + header_len;
}

NpyHeader parse_npy_header(const std::uint8_t* p, std::size_t n, const std::string& what) {
    NpyHeader h;
    h.header_bytes = npy_header_size(p, n, what);
    if (n < h.header_bytes) fail(what, "truncated header");
    const std::size_t offset = p[6] == 1 ? 10 : 12;
    const std::string header(p + offset, p + h.header_bytes);
    const std::string descr = header_value(header, "descr", what);
    const std::string order = header_value(header, "fortran_order", what);
    const std::string shape_text = header_value(header, "shape", what);
    if (order != "False") fail(what, "Fortran-ordered arrays are not supported");

    std::string code = descr;
    code.erase(std::remove(code.begin(), code.end(), '\''), code.end());
    code.erase(std::remove(code.begin(), code.end(), '"'), code.end());
    if (code == "<f4" || code == ">f4" || code == "f4") {
        h.dtype = kFloat32;
    } else if (code == "<f8" || code == ">f8" || code == "f8") {
        h.dtype = kFloat64;
    } else {
        fail(what, "dtype " + printable(descr) + " is not float32 or float64");
    }
    h.big_endian = code[0] == '>';

    h.shape = parse_shape(shape_text, what);
    std::size_t count = 1;
    for (std::size_t d : h.shape) {
        if (d != 0 && count > kMaxNpyBytes / d) fail(what, "absurd shape " + printable(shape_text));
        count *= d;
    }
    h.data_bytes = count * (h.dtype == kFloat32 ? 4 : 8);
    return h;
}

void check_npy_data_size(const NpyHeader& h, std::size_t found, const std::string& what) {
    if (found != h.data_bytes) {
        fail(what, std::string(found < h.data_bytes ? "truncated" : "trailing data") + ": shape " +
                       shape_str(h.shape) + " needs " + std::to_string(h.data_bytes) +
                       " bytes of data, found " + std::to_string(found));
    }
}

Tensor npy_tensor(const NpyHeader& h, const std::function<void(std::uint8_t*, std::size_t)>& fill) {
    return kernels::dispatch(h.dtype, [&](auto tag) {
        using T = decltype(tag);
        auto a = kernels::uninitialized<T>(h.shape);
        auto* p = reinterpret_cast<std::uint8_t*>(a.data());
        // An empty array may have no storage: memcpy from or to a null pointer is undefined
        // even for zero bytes.
        if (h.data_bytes > 0) fill(p, h.data_bytes);
        if (h.big_endian == little_endian_host()) {
            for (std::size_t i = 0; i < h.data_bytes; i += sizeof(T))
                for (std::size_t x = 0, y = sizeof(T) - 1; x < y; ++x, --y)
                    std::swap(p[i + x], p[i + y]);
        }
        return Tensor(std::move(a));
    });
}

Tensor decode_npy(const std::vector<std::uint8_t>& bytes, const std::string& what) {
    const NpyHeader h = parse_npy_header(bytes.data(), bytes.size(), what);
    check_npy_data_size(h, bytes.size() - h.header_bytes, what);
    return npy_tensor(h, [&](std::uint8_t* to, std::size_t n) {
        std::memcpy(to, bytes.data() + h.header_bytes, n);
    });
}

void save_npy(const Tensor& t, const std::string& path) {
    write_file_atomically(path, encode_npy(t), "save_npy");
}

Tensor load_npy(const std::string& path) {
    return decode_npy(read_file(path, kMaxNpyBytes, "load_npy"), path);
}

}  // namespace tg::nn
