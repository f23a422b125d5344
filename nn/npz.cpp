// .npz archives: a zip file of .npy entries. Written uncompressed ("stored") with a fixed
// timestamp, so the same tensors give the same bytes; read stored or deflated, following the
// central directory (with zip64 sizes and offsets, which numpy's writer uses).

#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "autograd/errors.hpp"
#include "nn/file_io.hpp"
#include "nn/npy.hpp"
#include "nn/serialize.hpp"

namespace tg::nn {

namespace {

constexpr std::size_t kMaxArchiveBytes = std::size_t(1) << 36;
constexpr std::uint32_t kLocalHeader = 0x04034b50;
constexpr std::uint32_t kCentralHeader = 0x02014b50;
constexpr std::uint32_t kEndOfCentralDirectory = 0x06054b50;
constexpr std::uint32_t kZip64End = 0x06064b50;
constexpr std::uint32_t kZip64Locator = 0x07064b50;
constexpr std::uint16_t kDosDate1980 = (0 << 9) | (1 << 5) | 1;  // 1980-01-01

void put16(std::vector<std::uint8_t>& out, std::uint32_t v) {
    out.push_back(static_cast<std::uint8_t>(v));
    out.push_back(static_cast<std::uint8_t>(v >> 8));
}

void put32(std::vector<std::uint8_t>& out, std::uint32_t v) {
    put16(out, v & 0xffff);
    put16(out, v >> 16);
}

std::uint32_t crc_of(const std::uint8_t* p, std::size_t n) {
    uLong crc = crc32(0L, Z_NULL, 0);
    while (n > 0) {
        const auto chunk = static_cast<uInt>(std::min<std::size_t>(n, 1u << 30));
        crc = crc32(crc, p, chunk);
        p += chunk;
        n -= chunk;
    }
    return static_cast<std::uint32_t>(crc);
}

// Bounds-checked little-endian reads from the archive's bytes.
class Reader {
  public:
    Reader(const std::vector<std::uint8_t>& bytes, const std::string& path)
        : b_(bytes), path_(path) {}

    std::uint64_t le(std::size_t at, std::size_t n) const {
        need(at, n);
        std::uint64_t v = 0;
        for (std::size_t i = 0; i < n; ++i) v |= std::uint64_t(b_[at + i]) << (8 * i);
        return v;
    }
    void need(std::size_t at, std::size_t n) const {
        if (at > b_.size() || n > b_.size() - at) corrupt("truncated (an entry runs past the end)");
    }
    [[noreturn]] void corrupt(const std::string& what) const {
        throw IOError("load_npz: " + path_ + ": not a valid .npz archive: " + what);
    }
    const std::vector<std::uint8_t>& bytes() const { return b_; }

  private:
    const std::vector<std::uint8_t>& b_;
    const std::string& path_;
};

// Deflate codes at most 258 bytes in 2 bits, so n deflated bytes never inflate to more than
// 1032 n bytes: an entry that claims more is corrupt, and is refused before its size is
// allocated.
constexpr std::uint64_t kMaxDeflateRatio = 1032;

std::vector<std::uint8_t> inflate_raw(const std::uint8_t* p, std::size_t n, std::size_t size,
                                      const Reader& r, const std::string& name) {
    if (size / kMaxDeflateRatio > n) {
        r.corrupt("entry " + name + " claims " + std::to_string(size) + " bytes, more than its " +
                  std::to_string(n) + " deflated bytes can hold");
    }
    std::vector<std::uint8_t> out(size);
    std::uint8_t none = 0;  // zlib refuses a null output pointer, even for no output
    z_stream z{};
    if (inflateInit2(&z, -15) != Z_OK) r.corrupt("inflateInit2 failed");
    z.next_in = const_cast<Bytef*>(p);
    z.next_out = size > 0 ? out.data() : &none;
    // zlib counts bytes in 32 bits: hand it the input and the output a gigabyte at a time.
    constexpr std::size_t kStep = std::size_t(1) << 30;
    std::size_t in_left = n, out_left = size;
    int rc = Z_OK;
    while (rc == Z_OK) {
        if (z.avail_in == 0 && in_left > 0) {
            z.avail_in = static_cast<uInt>(std::min(in_left, kStep));
            in_left -= z.avail_in;
        }
        if (z.avail_out == 0 && out_left > 0) {
            z.avail_out = static_cast<uInt>(std::min(out_left, kStep));
            out_left -= z.avail_out;
        }
        // Z_BUF_ERROR: no progress possible, the input ran out or the output is full.
        rc = inflate(&z, Z_NO_FLUSH);
    }
    const std::size_t produced = z.total_out;
    inflateEnd(&z);
    if (rc != Z_STREAM_END || produced != size) r.corrupt("entry " + name + " does not inflate");
    return out;
}

}  // namespace

void save_npz(const NamedTensors& tensors, const std::string& path) {
    std::vector<std::uint8_t> out, central;
    std::size_t count = 0;
    for (const auto& [name, t] : tensors) {
        if (name.empty()) throw ValueError("save_npz: " + path + ": a tensor has an empty name");
        const std::string entry = name + ".npy";
        const std::vector<std::uint8_t> data = encode_npy(t);
        if (out.size() > 0xfffffff0u || data.size() > 0xfffffff0u - out.size()) {
            throw ValueError("save_npz: " + path + ": archives over 4 GB are not supported");
        }
        const std::uint32_t crc = crc_of(data.data(), data.size());
        const auto offset = static_cast<std::uint32_t>(out.size());
        const auto size = static_cast<std::uint32_t>(data.size());
        // Local file header.
        put32(out, kLocalHeader);
        put16(out, 20);  // version needed: 2.0
        put16(out, 0);   // flags
        put16(out, 0);   // stored
        put16(out, 0);   // time
        put16(out, kDosDate1980);
        put32(out, crc);
        put32(out, size);
        put32(out, size);
        put16(out, static_cast<std::uint32_t>(entry.size()));
        put16(out, 0);  // extra length
        out.insert(out.end(), entry.begin(), entry.end());
        out.insert(out.end(), data.begin(), data.end());
        // Its central directory record.
        put32(central, kCentralHeader);
        put16(central, 20);  // made by
        put16(central, 20);  // needed
        put16(central, 0);
        put16(central, 0);
        put16(central, 0);
        put16(central, kDosDate1980);
        put32(central, crc);
        put32(central, size);
        put32(central, size);
        put16(central, static_cast<std::uint32_t>(entry.size()));
        put16(central, 0);  // extra
        put16(central, 0);  // comment
        put16(central, 0);  // disk
        put16(central, 0);  // internal attributes
        put32(central, 0);  // external attributes
        put32(central, offset);
        central.insert(central.end(), entry.begin(), entry.end());
        ++count;
    }
    if (count > 0xfffe) throw ValueError("save_npz: " + path + ": more than 65534 tensors");
    const auto cd_offset = static_cast<std::uint32_t>(out.size());
    out.insert(out.end(), central.begin(), central.end());
    put32(out, kEndOfCentralDirectory);
    put16(out, 0);
    put16(out, 0);
    put16(out, static_cast<std::uint32_t>(count));
    put16(out, static_cast<std::uint32_t>(count));
    put32(out, static_cast<std::uint32_t>(central.size()));
    put32(out, cd_offset);
    put16(out, 0);  // comment length
    write_file_atomically(path, out, "save_npz");
}

NamedTensors load_npz(const std::string& path) {
    const std::vector<std::uint8_t> bytes = read_file(path, kMaxArchiveBytes, "load_npz");
    const Reader r(bytes, path);
    if (bytes.size() < 22) r.corrupt("too short (" + std::to_string(bytes.size()) + " bytes)");
    // The end-of-central-directory record sits in the last 22 + 65535 bytes.
    std::size_t eocd = std::string::npos;
    const std::size_t lowest = bytes.size() > 22 + 65535 ? bytes.size() - 22 - 65535 : 0;
    for (std::size_t at = bytes.size() - 22 + 1; at-- > lowest;) {
        if (r.le(at, 4) == kEndOfCentralDirectory) {
            eocd = at;
            break;
        }
    }
    if (eocd == std::string::npos) r.corrupt("no end-of-central-directory record");
    std::uint64_t entries = r.le(eocd + 10, 2);
    std::uint64_t cd_size = r.le(eocd + 12, 4);
    std::uint64_t cd_offset = r.le(eocd + 16, 4);
    if (entries == 0xffff || cd_size == 0xffffffff || cd_offset == 0xffffffff) {
        if (eocd < 20 || r.le(eocd - 20, 4) != kZip64Locator) r.corrupt("missing zip64 locator");
        const std::uint64_t z64 = r.le(eocd - 20 + 8, 8);
        if (z64 > bytes.size() || r.le(z64, 4) != kZip64End) r.corrupt("bad zip64 record");
        entries = r.le(z64 + 32, 8);
        cd_size = r.le(z64 + 40, 8);
        cd_offset = r.le(z64 + 48, 8);
    }
    r.need(cd_offset, cd_size);

    NamedTensors out;
    std::size_t at = cd_offset;
    for (std::uint64_t e = 0; e < entries; ++e) {
        if (r.le(at, 4) != kCentralHeader) r.corrupt("bad central directory record");
        const auto method = r.le(at + 10, 2);
        const auto crc = static_cast<std::uint32_t>(r.le(at + 16, 4));
        std::uint64_t compressed = r.le(at + 20, 4);
        std::uint64_t size = r.le(at + 24, 4);
        const std::size_t name_len = r.le(at + 28, 2);
        const std::size_t extra_len = r.le(at + 30, 2);
        const std::size_t comment_len = r.le(at + 32, 2);
        std::uint64_t local = r.le(at + 42, 4);
        r.need(at + 46, name_len + extra_len);
        const std::string name(bytes.begin() + static_cast<std::ptrdiff_t>(at + 46),
                               bytes.begin() + static_cast<std::ptrdiff_t>(at + 46 + name_len));
        const std::string shown = printable(name);
        // Extra fields: (id, length, data) records. The zip64 one (id 1) holds the fields that
        // are 0xffffffff above, in order, as 8-byte values.
        const std::size_t extra_end = at + 46 + name_len + extra_len;
        for (std::size_t x = at + 46 + name_len; x + 4 <= extra_end;) {
            const auto id = r.le(x, 2);
            const std::size_t len = r.le(x + 2, 2);
            if (len > extra_end - x - 4)
                r.corrupt("an extra field of " + shown + " runs past its end");
            if (id == 1) {
                std::size_t f = x + 4;
                auto field = [&](std::uint64_t& value) {
                    if (value != 0xffffffff) return;
                    if (f + 8 > x + 4 + len)
                        r.corrupt("the zip64 field of " + shown + " is too short");
                    value = r.le(f, 8);
                    f += 8;
                };
                field(size);
                field(compressed);
                field(local);
            }
            x += 4 + len;
        }
        at += 46 + name_len + extra_len + comment_len;

        // The local header must describe the same entry as the central directory.
        if (r.le(local, 4) != kLocalHeader) r.corrupt("bad local header for " + shown);
        const std::size_t local_name_len = r.le(local + 26, 2);
        r.need(local + 30, local_name_len);
        if (r.le(local + 8, 2) != method || local_name_len != name_len ||
            std::memcmp(name.data(), bytes.data() + local + 30, name_len) != 0) {
            r.corrupt("the local header of " + shown +
                      " does not match its central directory record");
        }
        const std::size_t data_at = local + 30 + local_name_len + r.le(local + 28, 2);
        r.need(data_at, compressed);
        const std::uint8_t* data = bytes.data() + data_at;
        std::vector<std::uint8_t> content;
        if (method == 0) {
            if (compressed != size) r.corrupt("entry " + shown + " has inconsistent sizes");
            content.assign(data, data + size);
        } else if (method == 8) {
            if (size > kMaxArchiveBytes) r.corrupt("entry " + shown + " is absurdly large");
            content = inflate_raw(data, compressed, size, r, shown);
        } else {
            r.corrupt("entry " + shown + " uses compression method " + std::to_string(method) +
                      " (only stored and deflate are supported)");
        }
        if (crc_of(content.data(), content.size()) != crc) {
            r.corrupt("entry " + shown + " fails its CRC-32 check");
        }
        const std::string suffix = ".npy";
        std::string tensor_name = name;
        if (tensor_name.size() > suffix.size() &&
            tensor_name.compare(tensor_name.size() - suffix.size(), suffix.size(), suffix) == 0)
            tensor_name.resize(tensor_name.size() - suffix.size());
        out.emplace_back(tensor_name, decode_npy(content, path + ":" + shown));
    }
    return out;
}

}  // namespace tg::nn
