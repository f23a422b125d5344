// .npz archives: a zip file of .npy entries. Written uncompressed ("stored") with a fixed
// timestamp, so the same tensors give the same bytes; read stored or deflated, following the
// central directory (with zip64 sizes and offsets, which numpy's writer uses).

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "autograd/errors.hpp"
#include "nn/file_io.hpp"
#include "nn/npy.hpp"
#include "nn/npz_archive.hpp"
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
// 1032 n bytes: an entry that claims more is corrupt, and is refused before anything is
// inflated or allocated.
constexpr std::uint64_t kMaxDeflateRatio = 1032;

// A deflated entry's bytes, inflated in pieces of the caller's choosing: its .npy header into a
// small buffer, then the data straight into the tensor.
class EntryInflater {
  public:
    EntryInflater(const std::uint8_t* p, std::size_t n, const Reader& r, const std::string& shown)
        : in_(p), in_left_(n), r_(r), shown_(shown) {
        if (inflateInit2(&z_, -15) != Z_OK) r.corrupt("inflateInit2 failed");
    }
    ~EntryInflater() { inflateEnd(&z_); }
    EntryInflater(const EntryInflater&) = delete;
    EntryInflater& operator=(const EntryInflater&) = delete;

    // Inflates up to n bytes into `out`; fewer only where the stream ends (or runs out of input).
    std::size_t take(std::uint8_t* out, std::size_t n) {
        std::size_t got = 0;
        // zlib counts bytes in 32 bits: it gets input and output a gigabyte at a time.
        constexpr std::size_t kStep = std::size_t(1) << 30;
        while (got < n && !ended_) {
            if (z_.avail_in == 0 && in_left_ > 0) {
                z_.next_in = const_cast<Bytef*>(in_);
                z_.avail_in = static_cast<uInt>(std::min(in_left_, kStep));
                in_ += z_.avail_in;
                in_left_ -= z_.avail_in;
            }
            const std::size_t want = std::min(n - got, kStep);
            z_.next_out = out + got;
            z_.avail_out = static_cast<uInt>(want);
            const int rc = inflate(&z_, Z_NO_FLUSH);
            got += want - z_.avail_out;
            if (rc == Z_STREAM_END) {
                ended_ = true;
            } else if (rc == Z_BUF_ERROR) {
                // No progress: inflate needs input. Go on only if there is more to give it.
                if (z_.avail_in != 0 || in_left_ == 0) break;
            } else if (rc != Z_OK) {
                r_.corrupt("entry " + shown_ + " does not inflate: " +
                           (z_.msg != nullptr ? z_.msg : "corrupt deflate data"));
            }
        }
        return got;
    }
    // True if the stream ends here, checked by asking for one byte more.
    bool ends() {
        std::uint8_t byte = 0;
        return take(&byte, 1) == 0 && ended_;
    }

  private:
    z_stream z_{};
    const std::uint8_t* in_;
    std::size_t in_left_;
    bool ended_ = false;
    const Reader& r_;
    const std::string& shown_;
};

// The CRC-32 of pieces, in order.
class Crc {
  public:
    void add(const std::uint8_t* p, std::size_t n) {
        while (n > 0) {
            const auto chunk = static_cast<uInt>(std::min<std::size_t>(n, 1u << 30));
            crc_ = crc32(crc_, p, chunk);
            p += chunk;
            n -= chunk;
        }
    }
    std::uint32_t value() const { return static_cast<std::uint32_t>(crc_); }

  private:
    uLong crc_ = crc32(0L, Z_NULL, 0);
};

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
        Crc data_crc;
        data_crc.add(data.data(), data.size());
        const std::uint32_t crc = data_crc.value();
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

NpzArchive::NpzArchive(const std::string& path)
    : path_(path), bytes_(read_file(path, kMaxArchiveBytes, "load_npz")) {
    const std::vector<std::uint8_t>& bytes = bytes_;
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

    std::map<std::string, std::string> entry_of;  // tensor name -> entry name, for duplicates
    std::size_t at = cd_offset;
    for (std::uint64_t e = 0; e < entries; ++e) {
        if (r.le(at, 4) != kCentralHeader) r.corrupt("bad central directory record");
        Entry entry;
        entry.method = r.le(at + 10, 2);
        entry.crc = static_cast<std::uint32_t>(r.le(at + 16, 4));
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
        if (r.le(local + 8, 2) != entry.method || local_name_len != name_len ||
            std::memcmp(name.data(), bytes.data() + local + 30, name_len) != 0) {
            r.corrupt("the local header of " + shown +
                      " does not match its central directory record");
        }
        entry.data_at = local + 30 + local_name_len + r.le(local + 28, 2);
        r.need(entry.data_at, compressed);
        entry.compressed = compressed;
        entry.size = size;
        entry.shown = shown;

        const std::string suffix = ".npy";
        entry.name = name;
        if (name.size() > suffix.size() &&
            name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
            entry.name.resize(name.size() - suffix.size());
        const auto [first, unique] = entry_of.emplace(entry.name, shown);
        if (!unique) {
            throw IOError("load_npz: " + path + ": the archive holds '" + printable(entry.name) +
                          "' twice (entries " + first->second + " and " + shown + ")");
        }

        // The .npy header, and the data size it gives against the entry's size.
        const std::uint8_t* data = bytes.data() + entry.data_at;
        const std::string what = path + ":" + shown;
        if (entry.method == 0) {
            if (compressed != size) r.corrupt("entry " + shown + " has inconsistent sizes");
            Crc crc;
            crc.add(data, size);
            if (crc.value() != entry.crc) r.corrupt("entry " + shown + " fails its CRC-32 check");
            entry.npy = parse_npy_header(data, size, what);
        } else if (entry.method == 8) {
            if (size > kMaxArchiveBytes) r.corrupt("entry " + shown + " is absurdly large");
            if (size / kMaxDeflateRatio > compressed) {
                r.corrupt("entry " + shown + " claims " + std::to_string(size) +
                          " bytes, more than its " + std::to_string(compressed) +
                          " deflated bytes can hold");
            }
            // Inflate the header only: the preamble, then the rest of the header it announces.
            EntryInflater inflater(data, compressed, r, shown);
            std::vector<std::uint8_t> head(std::min<std::uint64_t>(size, kNpyPreamble));
            std::size_t got = inflater.take(head.data(), head.size());
            const std::size_t header_size = npy_header_size(head.data(), got, what);
            head.resize(std::min<std::uint64_t>(std::max(header_size, got), size));
            got += inflater.take(head.data() + got, head.size() - got);
            entry.npy = parse_npy_header(head.data(), got, what);
        } else {
            r.corrupt("entry " + shown + " uses compression method " +
                      std::to_string(entry.method) + " (only stored and deflate are supported)");
        }
        check_npy_data_size(entry.npy, size - entry.npy.header_bytes, what);
        entries_.push_back(std::move(entry));
    }
}

Tensor NpzArchive::read(const Entry& e) const {
    const Reader r(bytes_, path_);
    const std::uint8_t* data = bytes_.data() + e.data_at;
    const std::size_t header = e.npy.header_bytes;
    if (e.method == 0) {
        // Checked when the archive was opened.
        return npy_tensor(
            e.npy, [&](std::uint8_t* to, std::size_t n) { std::memcpy(to, data + header, n); });
    }
    // Deflated: inflate exactly the size the headers give (header, then data), and refuse a
    // stream that ends before or goes on after.
    const std::string does_not =
        "entry " + e.shown + " does not inflate to its " + std::to_string(e.size) + " bytes";
    EntryInflater inflater(data, e.compressed, r, e.shown);
    Crc crc;
    std::vector<std::uint8_t> head(header);
    if (inflater.take(head.data(), header) != header) r.corrupt(does_not);
    crc.add(head.data(), header);
    Tensor t = npy_tensor(e.npy, [&](std::uint8_t* to, std::size_t n) {
        if (inflater.take(to, n) != n) r.corrupt(does_not);
        crc.add(to, n);
    });
    if (!inflater.ends()) r.corrupt(does_not + " (it holds more)");
    if (crc.value() != e.crc) r.corrupt("entry " + e.shown + " fails its CRC-32 check");
    return t;
}

NamedTensors load_npz(const std::string& path) {
    const NpzArchive archive(path);
    NamedTensors out;
    for (const NpzArchive::Entry& e : archive.entries()) out.emplace_back(e.name, archive.read(e));
    return out;
}

}  // namespace tg::nn
