#pragma once
// Internal: an .npz archive opened for reading, its entries listed and checked before any
// tensor data is read or inflated, so that a loader can compare names, dtypes and shapes with
// what it expects first, and a forged or mismatched entry costs no memory. Not installed.

#include <cstdint>
#include <string>
#include <vector>

#include "npy_header.hpp"

namespace tg::nn {

class NpzArchive {
  public:
    struct Entry {
        std::string name;   // the tensor's name: the entry's name without ".npy"
        std::string shown;  // the entry's name as messages show it
        NpyHeader npy;
        // Where its bytes are and how to read them.
        std::uint64_t method = 0, compressed = 0, size = 0, data_at = 0;
        std::uint32_t crc = 0;
    };

    // Reads the file and checks the end records, every central directory record and local
    // header, every stored entry's CRC-32 and every entry's .npy header (for a deflated entry,
    // only its first bytes are inflated), and that the sizes agree: the .npy header's shape
    // and dtype give exactly the entry's size, and a deflated entry claims no more than deflate
    // can give. Names must be unique. IOError "load_npz: <path>: ..." naming the entry.
    explicit NpzArchive(const std::string& path);

    const std::vector<Entry>& entries() const { return entries_; }
    // The entry's tensor. A deflated entry is inflated straight into the tensor, never past the
    // size its headers give, and its CRC-32 checked.
    Tensor read(const Entry& e) const;

  private:
    std::string path_;
    std::vector<std::uint8_t> bytes_;
    std::vector<Entry> entries_;
};

}  // namespace tg::nn
