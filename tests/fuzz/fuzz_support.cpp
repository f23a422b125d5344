#include "fuzz_support.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tgfuzz {

namespace {

// One scratch directory per process, made on first use and removed (with its files) at exit.
class ScratchDir {
  public:
    ScratchDir() {
        struct stat st {};
        const char* tmp = std::getenv("TMPDIR");
        std::string base =
            ::stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && ::access("/dev/shm", W_OK) == 0
                ? "/dev/shm"
                : (tmp && *tmp ? tmp : "/tmp");
        std::string pattern = base + "/tapegrad-fuzz-XXXXXX";
        std::vector<char> buf(pattern.begin(), pattern.end());
        buf.push_back('\0');
        if (::mkdtemp(buf.data()) == nullptr)
            violated("mkdtemp " + pattern + ": " + std::strerror(errno));
        path_ = buf.data();
    }
    ~ScratchDir() {
        for (const auto& name : names_) ::unlink((path_ + "/" + name).c_str());
        ::rmdir(path_.c_str());
    }
    std::string path_of(const std::string& name) {
        bool known = false;
        for (const auto& n : names_) known = known || n == name;
        if (!known) names_.push_back(name);
        return path_ + "/" + name;
    }

  private:
    std::string path_;
    std::vector<std::string> names_;
};

ScratchDir& scratch() {
    static ScratchDir dir;
    return dir;
}

}  // namespace

std::string scratch_path(const std::string& name) {
    return scratch().path_of(name);
}

std::string scratch_file(const std::string& name, const std::uint8_t* data, std::size_t size) {
    const std::string path = scratch_path(name);
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) violated("cannot create " + path + ": " + std::strerror(errno));
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n = ::write(fd, data + done, size - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) violated("cannot write " + path + ": " + std::strerror(errno));
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    return path;
}

std::string scratch_file(const std::string& name, const std::vector<std::uint8_t>& bytes) {
    return scratch_file(name, bytes.data(), bytes.size());
}

bool verbose() {
    static const bool on = std::getenv("TGFUZZ_VERBOSE") != nullptr;
    return on;
}

void violated(const std::string& what) {
    std::fprintf(stderr, "fuzz invariant violated: %s\n", what.c_str());
    std::fflush(stderr);
    std::abort();
}

}  // namespace tgfuzz
