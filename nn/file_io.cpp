#include "nn/file_io.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "autograd/errors.hpp"

namespace tg::nn {

namespace {
[[noreturn]] void fail(const char* who, const std::string& path, const std::string& what) {
    throw IOError(std::string(who) + ": " + path + ": " + what);
}

std::string errno_text() {
    return std::strerror(errno);
}
}  // namespace

std::vector<std::uint8_t> read_maybe_gzipped(const std::string& path, std::size_t max_bytes,
                                             const char* who) {
    // gzread reads plain files unchanged, so one path serves both.
    gzFile f = gzopen(path.c_str(), "rb");
    if (f == nullptr) fail(who, path, "cannot open: " + errno_text());
    gzbuffer(f, 1 << 17);
    const bool compressed = gzdirect(f) == 0;
    std::vector<std::uint8_t> out;
    std::vector<std::uint8_t> chunk(1 << 20);
    std::string error;
    for (;;) {
        const int n = gzread(f, chunk.data(), static_cast<unsigned>(chunk.size()));
        if (n < 0) {
            int code = 0;
            error = std::string(compressed ? "corrupt gzip data: " : "read error: ") +
                    gzerror(f, &code);
            break;
        }
        if (n == 0) break;
        if (out.size() + static_cast<std::size_t>(n) > max_bytes) {
            error = "larger than " + std::to_string(max_bytes) + " bytes";
            break;
        }
        out.insert(out.end(), chunk.begin(), chunk.begin() + n);
    }
    if (error.empty()) {
        int code = Z_OK;
        const char* msg = gzerror(f, &code);
        if (code == Z_BUF_ERROR)
            error = "truncated gzip data (unexpected end of file)";
        else if (code != Z_OK && code != Z_STREAM_END)
            error = std::string(compressed ? "corrupt gzip data: " : "read error: ") + msg;
    }
    // A stream cut short shows up when the reader is closed.
    const int closed = gzclose_r(f);
    if (error.empty() && closed == Z_BUF_ERROR)
        error = "truncated gzip data (unexpected end of file)";
    if (error.empty() && closed != Z_OK)
        error = "read error while closing (zlib " + std::to_string(closed) + ")";
    if (!error.empty()) fail(who, path, error);
    return out;
}

std::vector<std::uint8_t> read_file(const std::string& path, std::size_t max_bytes,
                                    const char* who) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) fail(who, path, "cannot open: " + errno_text());
    std::vector<std::uint8_t> out;
    std::vector<std::uint8_t> chunk(1 << 20);
    for (;;) {
        const std::size_t n = std::fread(chunk.data(), 1, chunk.size(), f);
        if (out.size() + n > max_bytes) {
            std::fclose(f);
            fail(who, path, "larger than " + std::to_string(max_bytes) + " bytes");
        }
        out.insert(out.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
        if (n < chunk.size()) break;
    }
    const bool bad = std::ferror(f) != 0;
    std::fclose(f);
    if (bad) fail(who, path, "read error");
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
