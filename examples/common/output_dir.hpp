#pragma once
// Where an example writes its files: by default a folder next to its binary
// (build/examples/<name>), wherever it is run from; and the checks that a folder or file given on
// the command line can be written, made before any work starts, so that a long run does not end
// in a failed save.

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include "autograd/errors.hpp"

namespace example {

inline std::filesystem::path default_output_dir(const std::string& folder) {
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::filesystem::path(folder) : exe.parent_path() / folder;
}

namespace detail {

inline void check_name(const std::string& flag, const std::string& path) {
    if (path.empty()) throw tg::IOError(flag + ": the path is empty");
    for (char c : path) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            // (not shown: it would break the one-line message)
            throw tg::IOError(flag +
                              ": a file name with a control character (such as a newline) is "
                              "not supported");
        }
    }
}

inline void check_writable_dir(const std::string& flag, const std::string& path,
                               const std::filesystem::path& dir) {
    std::error_code ec;
    const std::string shown = dir.empty() ? std::string(".") : dir.string();
    if (!std::filesystem::exists(dir.empty() ? "." : dir, ec))
        throw tg::IOError(flag + " '" + path + "': the folder '" + shown + "' does not exist");
    if (!std::filesystem::is_directory(dir.empty() ? "." : dir, ec))
        throw tg::IOError(flag + " '" + path + "': '" + shown + "' is not a folder");
    if (::access(shown.c_str(), W_OK | X_OK) != 0)
        throw tg::IOError(flag + " '" + path + "': the folder '" + shown + "' is not writable");
}

}  // namespace detail

// The output folder of `flag` (such as --out): created if missing (with its parents), and
// checked to be a writable folder. Throws tg::IOError with a one-line message otherwise.
inline void prepare_output_dir(const std::string& flag, const std::filesystem::path& dir) {
    detail::check_name(flag, dir.string());
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        throw tg::IOError(flag + " '" + dir.string() + "': cannot create the folder (" +
                          ec.message() + ")");
    }
    detail::check_writable_dir(flag, dir.string(), dir);
}

// An output file of `flag` (such as --plot): its folder must exist and be writable, and the file
// must not be a folder. Throws tg::IOError with a one-line message otherwise.
inline void check_output_file(const std::string& flag, const std::filesystem::path& file) {
    detail::check_name(flag, file.string());
    if (!file.has_filename())
        throw tg::IOError(flag + " '" + file.string() + "': names a folder, not a file");
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec))
        throw tg::IOError(flag + " '" + file.string() + "': is a folder, not a file");
    detail::check_writable_dir(flag, file.string(), file.parent_path());
}

// Writes `text` to `path`, or throws tg::IOError.
inline void write_text(const std::filesystem::path& path, const std::string& text) {
    std::ofstream f(path);
    if (!f) throw tg::IOError("cannot write '" + path.string() + "'");
    f << text;
    f.close();
    if (!f) throw tg::IOError("writing '" + path.string() + "' failed");
}

}  // namespace example
