#pragma once
// Internal: whole-file reads and atomic writes, with tg::IOError naming the file. Not installed.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tg::nn {

// A file read front to back, gunzipped on the fly if it starts with the gzip magic bytes 1f 8b,
// so that a reader can check a header before it reads (and allocates for) the rest. Errors are
// tg::IOError "<who>: <path>: <what is wrong>".
//
// gzip data is one or more gzip members back to back, as gzip(1) reads them (RFC 1952); every
// member's CRC-32 and length are checked. Anything after the last member that is not a gzip
// member is refused ("trailing garbage"), as trailing bytes after the data of a plain file are
// refused by the readers: gzip(1) only warns about them.
class MaybeGzippedFile {
  public:
    // IOError if the file cannot be opened.
    MaybeGzippedFile(const std::string& path, const char* who);
    ~MaybeGzippedFile();
    MaybeGzippedFile(const MaybeGzippedFile&) = delete;
    MaybeGzippedFile& operator=(const MaybeGzippedFile&) = delete;

    bool gzipped() const { return gzip_; }
    // The size of the file on disk (compressed, for a gzip file), if it is a regular file.
    bool size_known() const { return size_known_; }
    std::uint64_t file_size() const { return file_size_; }

    // Appends up to n more bytes to `out` and returns how many: fewer than n only at the end
    // of the data. Never inflates more than n bytes, and memory grows with the bytes that
    // arrive, not with n. IOError if the file cannot be read or the gzip data is corrupt, cut
    // short or followed by garbage.
    std::size_t read(std::vector<std::uint8_t>& out, std::size_t n);
    // True if the data goes on: reads (inflates) at most one more byte.
    bool more();

  private:
    [[noreturn]] void fail(const std::string& what) const;
    // Refills the input buffer when it is empty; false at the end of the file.
    bool fill();
    // At the end of a gzip member: true if another member follows, false at the end of the
    // file; IOError if anything else follows.
    bool next_member();
    std::size_t read_plain(std::uint8_t* out, std::size_t n);
    std::size_t read_gzip(std::uint8_t* out, std::size_t n);

    int fd_ = -1;
    std::string path_;
    const char* who_;
    std::uint64_t file_size_ = 0;
    std::uint64_t consumed_ = 0;  // bytes taken from the file into the input buffer
    bool size_known_ = false;
    bool gzip_ = false;
    bool eof_ = false;
    bool member_ended_ = false;
    std::vector<std::uint8_t> in_;
    std::size_t in_at_ = 0, in_end_ = 0;  // the unread bytes of in_
    struct Inflater;
    Inflater* z_ = nullptr;
};

// The file's bytes as they are.
std::vector<std::uint8_t> read_file(const std::string& path, std::size_t max_bytes,
                                    const char* who);

// Writes to a temporary file next to `path` ("<path>.tmp-<pid>-<n>", locked with flock while it
// is written), flushes it to disk, then renames it over `path`: readers see the old file or the
// new one, never half of one. First it removes the temporary files of earlier saves to `path`
// that were killed part-way: those of that name pattern whose process is gone and which no one
// holds locked.
void write_file_atomically(const std::string& path, const std::vector<std::uint8_t>& bytes,
                           const char* who);

// `s` as an error message can show it: bytes outside printable ASCII as \xNN, and no more than
// max_chars characters of it (then "... (N bytes)"). For names and text read from a file.
std::string printable(const std::string& s, std::size_t max_chars = 200);

// gzip-compresses bytes (`path` only names the file in errors).
std::vector<std::uint8_t> gzip_bytes(const std::vector<std::uint8_t>& bytes,
                                     const std::string& path);

}  // namespace tg::nn
