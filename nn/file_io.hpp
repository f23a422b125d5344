#pragma once
// Internal: whole-file reads and atomic writes, with tg::IOError naming the file. Not installed.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

struct gzFile_s;

namespace tg::nn {

// A file read front to back, gunzipped on the fly if it is gzip-compressed (zlib tells), so
// that a reader can check a header before it reads (and allocates for) the rest. Errors are
// tg::IOError "<who>: <path>: <what is wrong>".
class MaybeGzippedFile {
  public:
    // IOError if the file cannot be opened.
    MaybeGzippedFile(const std::string& path, const char* who);
    ~MaybeGzippedFile();
    MaybeGzippedFile(const MaybeGzippedFile&) = delete;
    MaybeGzippedFile& operator=(const MaybeGzippedFile&) = delete;

    // Appends up to n more bytes to `out` and returns how many: fewer than n only at the end
    // of the data. Memory grows with the bytes that arrive, not with n. IOError if the file
    // cannot be read or the gzip data is corrupt or cut short (a gzip stream's checksum is
    // checked when a read reaches its end).
    std::size_t read(std::vector<std::uint8_t>& out, std::size_t n);
    // Reads and drops up to n bytes; returns how many there were.
    std::size_t skip(std::size_t n);

  private:
    [[noreturn]] void fail_with_zlib_error() const;

    gzFile_s* file_ = nullptr;
    std::string path_;
    const char* who_;
};

// The file's bytes as they are.
std::vector<std::uint8_t> read_file(const std::string& path, std::size_t max_bytes,
                                    const char* who);

// Writes to a temporary file next to `path`, flushes it to disk, then renames it over `path`:
// readers see the old file or the new one, never half of one.
void write_file_atomically(const std::string& path, const std::vector<std::uint8_t>& bytes,
                           const char* who);

// `s` as an error message can show it: bytes outside printable ASCII as \xNN, and no more than
// max_chars characters of it (then "... (N bytes)"). For names and text read from a file.
std::string printable(const std::string& s, std::size_t max_chars = 200);

// gzip-compresses bytes (`path` only names the file in errors).
std::vector<std::uint8_t> gzip_bytes(const std::vector<std::uint8_t>& bytes,
                                     const std::string& path);

}  // namespace tg::nn
