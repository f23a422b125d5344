#include "nn/file_io.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

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

struct MaybeGzippedFile::Inflater {
    z_stream z{};
};

MaybeGzippedFile::MaybeGzippedFile(const std::string& path, const char* who)
    : path_(path), who_(who), in_(std::size_t(1) << 16) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) tg::nn::fail(who, path, "cannot open: " + errno_text());
    struct stat st {};
    if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode)) {
        size_known_ = true;
        file_size_ = static_cast<std::uint64_t>(st.st_size);
    }
    // The gzip magic tells the two apart (an IDX or .npy file never starts with it).
    while (in_end_ < 2 && fill()) {
    }
    gzip_ = in_end_ >= 2 && in_[0] == 0x1f && in_[1] == 0x8b;
    if (gzip_) {
        z_ = new Inflater;
        // windowBits 15 + 16: gzip only (a zlib or raw stream is corrupt data here).
        if (inflateInit2(&z_->z, 15 + 16) != Z_OK) {
            delete z_;
            z_ = nullptr;
            ::close(fd_);
            tg::nn::fail(who, path, "inflateInit2 failed");
        }
    }
}

MaybeGzippedFile::~MaybeGzippedFile() {
    if (z_ != nullptr) {
        inflateEnd(&z_->z);
        delete z_;
    }
    if (fd_ >= 0) ::close(fd_);
}

void MaybeGzippedFile::fail(const std::string& what) const {
    tg::nn::fail(who_, path_, what);
}

bool MaybeGzippedFile::fill() {
    if (eof_) return false;
    // Keep the unread bytes, at the front.
    if (in_at_ > 0) {
        std::memmove(in_.data(), in_.data() + in_at_, in_end_ - in_at_);
        in_end_ -= in_at_;
        in_at_ = 0;
    }
    if (in_end_ == in_.size()) return true;
    for (;;) {
        const ssize_t n = ::read(fd_, in_.data() + in_end_, in_.size() - in_end_);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail("read error: " + errno_text());
        if (n == 0) {
            eof_ = true;
            return false;
        }
        in_end_ += static_cast<std::size_t>(n);
        consumed_ += static_cast<std::uint64_t>(n);
        return true;
    }
}

std::size_t MaybeGzippedFile::read_plain(std::uint8_t* out, std::size_t n) {
    std::size_t got = 0;
    while (got < n) {
        if (in_at_ == in_end_ && !fill()) break;
        const std::size_t take = std::min(n - got, in_end_ - in_at_);
        std::memcpy(out + got, in_.data() + in_at_, take);
        in_at_ += take;
        got += take;
    }
    return got;
}

bool MaybeGzippedFile::next_member() {
    while (in_end_ - in_at_ < 2 && fill()) {
    }
    const std::size_t left = in_end_ - in_at_;
    if (left == 0) return false;
    if (left < 2 || in_[in_at_] != 0x1f || in_[in_at_ + 1] != 0x8b) {
        const std::uint64_t after = consumed_ - left;
        fail("trailing garbage: " + std::to_string(file_size_ > after ? file_size_ - after : left) +
             " bytes after the end of the gzip data (at byte " + std::to_string(after) +
             ") that are not a gzip member");
    }
    inflateReset(&z_->z);
    member_ended_ = false;
    return true;
}

std::size_t MaybeGzippedFile::read_gzip(std::uint8_t* out, std::size_t n) {
    z_stream& z = z_->z;
    std::size_t got = 0;
    while (got < n) {
        if (member_ended_ && !next_member()) break;
        if (in_at_ == in_end_) fill();
        // zlib counts in 32 bits: at most 1 GB of output per call.
        const std::size_t want = std::min(n - got, std::size_t(1) << 30);
        z.next_in = in_.data() + in_at_;
        z.avail_in = static_cast<uInt>(in_end_ - in_at_);
        z.next_out = out + got;
        z.avail_out = static_cast<uInt>(want);
        const int rc = inflate(&z, Z_NO_FLUSH);
        in_at_ = in_end_ - z.avail_in;
        got += want - z.avail_out;
        if (rc == Z_STREAM_END) {
            member_ended_ = true;
        } else if (rc == Z_BUF_ERROR) {
            // No progress: inflate needs input, and there is none left.
            if (in_at_ == in_end_ && eof_) fail("truncated gzip data (unexpected end of file)");
            if (in_at_ != in_end_) fail("corrupt gzip data: inflate made no progress");
        } else if (rc != Z_OK) {
            fail(std::string("corrupt gzip data: ") +
                 (z.msg != nullptr ? z.msg : "inflate failed"));
        }
    }
    return got;
}

std::size_t MaybeGzippedFile::read(std::vector<std::uint8_t>& out, std::size_t n) {
    std::size_t got = 0;
    // Read straight into `out`, in steps that grow with what arrives: a short file never costs
    // the buffer its header asks for, a long one costs few reallocations.
    for (std::size_t step = kFirstReadStep; got < n; step = std::min(2 * step, kMaxReadStep)) {
        const std::size_t want = std::min(step, n - got);
        const std::size_t have = out.size();
        out.resize(have + want);
        const std::size_t r =
            gzip_ ? read_gzip(out.data() + have, want) : read_plain(out.data() + have, want);
        out.resize(have + r);
        got += r;
        if (r < want) break;
    }
    return got;
}

bool MaybeGzippedFile::more() {
    std::uint8_t byte = 0;
    return (gzip_ ? read_gzip(&byte, 1) : read_plain(&byte, 1)) == 1;
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

namespace {

// The directory holding `path` and the file's name in it.
std::pair<std::string, std::string> split_path(const std::string& path) {
    const std::size_t slash = path.find_last_of('/');
    if (slash == std::string::npos) return {".", path};
    return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

// The process id in `name` if it is a temporary file of write_file_atomically for the target
// named `base` ("<base>.tmp-<pid>-<n>", nothing more or less), else 0.
pid_t temp_file_pid(const std::string& name, const std::string& base) {
    const std::string prefix = base + ".tmp-";
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return 0;
    auto digits = [&](std::size_t from) {
        std::size_t i = from;
        while (i < name.size() && name[i] >= '0' && name[i] <= '9') ++i;
        return i;
    };
    const std::size_t pid_end = digits(prefix.size());
    if (pid_end == prefix.size() || pid_end - prefix.size() > 9 || pid_end == name.size() ||
        name[pid_end] != '-' || digits(pid_end + 1) != name.size() || pid_end + 1 == name.size()) {
        return 0;
    }
    return static_cast<pid_t>(std::stol(name.substr(prefix.size(), pid_end - prefix.size())));
}

// Removes the temporary files that saves to `path` killed part-way left behind: files of the
// temporary name pattern for `path` whose process is gone (a temporary file of this process
// may be another thread's save under way) and which no one holds locked (the writer holds a
// lock on its temporary file, which covers a writer whose process id means nothing here, as
// in another pid namespace). Best effort: errors are ignored.
void remove_stale_temp_files(const std::string& path) {
    const auto [dir, base] = split_path(path);
    std::vector<std::string> stale;
    if (DIR* d = ::opendir(dir.c_str())) {
        while (const dirent* e = ::readdir(d)) {
            const pid_t pid = temp_file_pid(e->d_name, base);
            if (pid <= 0 || pid == ::getpid()) continue;
            // kill(pid, 0) fails with ESRCH only when there is no such process.
            if (::kill(pid, 0) == 0 || errno != ESRCH) continue;
            stale.push_back(e->d_name);
        }
        ::closedir(d);
    }
    for (const std::string& name : stale) {
        const std::string file = dir + "/" + name;
        const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0) continue;
        struct stat opened {
        }, named{};
        if (::flock(fd, LOCK_EX | LOCK_NB) == 0 && ::fstat(fd, &opened) == 0 &&
            S_ISREG(opened.st_mode) && ::lstat(file.c_str(), &named) == 0 &&
            opened.st_dev == named.st_dev && opened.st_ino == named.st_ino) {
            ::unlink(file.c_str());
        }
        ::close(fd);
    }
}

}  // namespace

void write_file_atomically(const std::string& path, const std::vector<std::uint8_t>& bytes,
                           const char* who) {
    remove_stale_temp_files(path);
    static std::atomic<unsigned> counter{0};
    const std::string tmp =
        path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail(who, path, "cannot create " + tmp + ": " + errno_text());
    // Held until the file is complete: remove_stale_temp_files leaves a locked file alone. Best
    // effort (some file systems do not lock); the process id in the name protects the file too.
    ::flock(fd, LOCK_EX | LOCK_NB);
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
    const int dir_fd = ::open(split_path(path).first.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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
