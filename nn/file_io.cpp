#include "nn/file_io.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "autograd/errors.hpp"

namespace tg::nn {

namespace {
constexpr std::size_t kFirstReadStep = std::size_t(1) << 12;
constexpr std::size_t kMaxReadStep = std::size_t(1) << 24;

[[noreturn]] void fail(const char* who, const std::string& path, const std::string& what) {
    throw IOError(std::string(who) + ": " + path + ": " + what);
}

std::string errno_text() {
    return std::strerror(errno);
}
}  // namespace

MaybeGzippedFile::MaybeGzippedFile(const std::string& path, const char* who)
    : path_(path), who_(who) {
    // gzread reads plain files unchanged, so one path serves both.
    file_ = gzopen(path.c_str(), "rb");
    if (file_ == nullptr) fail(who, path, "cannot open: " + errno_text());
    gzbuffer(file_, 1 << 16);
}

MaybeGzippedFile::~MaybeGzippedFile() {
    if (file_ != nullptr) gzclose_r(file_);
}

std::size_t MaybeGzippedFile::read(std::vector<std::uint8_t>& out, std::size_t n) {
    std::size_t got = 0;
    // Read straight into `out`, in steps that grow with what arrives: a short file never costs
    // the buffer its header asks for, a long one costs few reallocations.
    for (std::size_t step = kFirstReadStep; got < n; step = std::min(2 * step, kMaxReadStep)) {
        const std::size_t want = std::min(step, n - got);
        const std::size_t have = out.size();
        out.resize(have + want);
        const int r = gzread(file_, out.data() + have, static_cast<unsigned>(want));
        out.resize(have + static_cast<std::size_t>(std::max(r, 0)));
        if (r < 0) fail_with_zlib_error();
        got += static_cast<std::size_t>(r);
        if (static_cast<std::size_t>(r) < want) {
            // The end of the data, or a stream cut short (zlib reports Z_BUF_ERROR).
            int code = Z_OK;
            gzerror(file_, &code);
            if (code != Z_OK) fail_with_zlib_error();
            break;
        }
    }
    return got;
}

std::size_t MaybeGzippedFile::skip(std::size_t n) {
    std::vector<std::uint8_t> buffer;
    std::size_t skipped = 0;
    while (skipped < n) {
        buffer.clear();
        const std::size_t got = read(buffer, std::min(n - skipped, kFirstReadStep));
        skipped += got;
        if (got == 0) break;
    }
    return skipped;
}

void MaybeGzippedFile::fail_with_zlib_error() const {
    int code = Z_OK;
    std::string msg = gzerror(file_, &code);
    if (code == Z_BUF_ERROR) fail(who_, path_, "truncated gzip data (unexpected end of file)");
    // zlib's message starts with the path, which fail() gives already.
    if (msg.compare(0, path_.size() + 2, path_ + ": ") == 0) msg.erase(0, path_.size() + 2);
    fail(who_, path_,
         std::string(gzdirect(file_) == 0 ? "corrupt gzip data: " : "read error: ") + msg);
}

std::vector<std::uint8_t> read_file(const std::string& path, std::size_t max_bytes,
                                    const char* who) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) fail(who, path, "cannot open: " + errno_text());
    std::vector<std::uint8_t> out;
    for (std::size_t step = kFirstReadStep;; step = std::min(2 * step, kMaxReadStep)) {
        const std::size_t have = out.size();
        out.resize(have + step);
        const std::size_t n = std::fread(out.data() + have, 1, step, f);
        out.resize(have + n);
        if (out.size() > max_bytes) {
            std::fclose(f);
            fail(who, path, "larger than " + std::to_string(max_bytes) + " bytes");
        }
        if (n < step) break;
    }
    const bool bad = std::ferror(f) != 0;
    const std::string why = bad ? errno_text() : "";
    std::fclose(f);
    if (bad) fail(who, path, "read error: " + why);
    return out;
}

void write_file_atomically(const std::string& path, const std::vector<std::uint8_t>& bytes,
                           const char* who) {
    static std::atomic<unsigned> counter{0};
    const std::string tmp =
        path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail(who, path, "cannot create " + tmp + ": " + errno_text());
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            const std::string why = errno_text();
            ::close(fd);
            ::unlink(tmp.c_str());
            fail(who, path, "write failed: " + why);
        }
        done += static_cast<std::size_t>(n);
    }
    // close() even when fsync() fails, or the descriptor leaks.
    const bool synced = ::fsync(fd) == 0;
    const std::string sync_error = synced ? "" : errno_text();
    const bool closed = ::close(fd) == 0;
    if (!synced || !closed) {
        const std::string why = synced ? errno_text() : sync_error;
        ::unlink(tmp.c_str());
        fail(who, path, "cannot flush to disk: " + why);
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        const std::string why = errno_text();
        ::unlink(tmp.c_str());
        fail(who, path, "cannot rename " + tmp + " into place: " + why);
    }
    // Make the rename durable too: until the directory is synced, a power cut could bring the
    // old file back (never a partial one). Best effort: not every file system syncs directories.
    const std::size_t slash = path.find_last_of('/');
    const std::string dir =
        slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
    const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {
        ::fsync(dir_fd);
        ::close(dir_fd);
    }
}

std::string printable(const std::string& s, std::size_t max_chars) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (out.size() >= max_chars) {
            out += "... (" + std::to_string(s.size()) + " bytes)";
            break;
        }
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out += static_cast<char>(c);
        } else {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
            out += escaped;
        }
    }
    return out;
}

std::vector<std::uint8_t> gzip_bytes(const std::vector<std::uint8_t>& bytes,
                                     const std::string& path) {
    z_stream z{};
    // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK) {
        fail("gzip", path, "deflateInit2 failed");
    }
    std::vector<std::uint8_t> out(deflateBound(&z, static_cast<uLong>(bytes.size())));
    z.next_in = const_cast<Bytef*>(bytes.data());
    z.avail_in = static_cast<uInt>(bytes.size());
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    if (rc != Z_STREAM_END) fail("gzip", path, "deflate failed");
    return out;
}

}  // namespace tg::nn
