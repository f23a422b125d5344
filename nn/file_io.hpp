#pragma once
// Internal: whole-file reads and atomic writes, with tg::IOError naming the file. Not installed.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tg::nn {

// The file's bytes, gunzipped if it is gzip-compressed. `who` starts every error message.
// IOError if it cannot be opened or read, the gzip stream is corrupt or truncated, or it holds
// more than max_bytes.
std::vector<std::uint8_t> read_maybe_gzipped(const std::string& path, std::size_t max_bytes,
                                             const char* who);
// The file's bytes as they are.
std::vector<std::uint8_t> read_file(const std::string& path, std::size_t max_bytes,
                                    const char* who);

// Writes to a temporary file next to `path`, flushes it to disk, then renames it over `path`:
// readers see the old file or the new one, never half of one.
void write_file_atomically(const std::string& path, const std::vector<std::uint8_t>& bytes,
                           const char* who);

// gzip-compresses bytes (`path` only names the file in errors).
std::vector<std::uint8_t> gzip_bytes(const std::vector<std::uint8_t>& bytes,
                                     const std::string& path);

}  // namespace tg::nn
