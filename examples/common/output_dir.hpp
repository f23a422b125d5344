#pragma once
// Where an example writes its files by default: a folder next to its binary
// (build/examples/<name>), wherever it is run from.

#include <filesystem>
#include <string>
#include <system_error>

namespace example {

inline std::filesystem::path default_output_dir(const std::string& folder) {
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::filesystem::path(folder) : exe.parent_path() / folder;
}

}  // namespace example
