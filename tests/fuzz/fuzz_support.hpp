#pragma once
// What the fuzz targets share. Each target defines LLVMFuzzerTestOneInput; it is linked either
// with libFuzzer (scripts/fuzz-readers, a clang build) or with replay_main.cpp, which feeds it
// every file of the committed corpus (the meson tests fuzz-corpus-*, any compiler).
//
// The readers under test take file names, so each input is written to a scratch file first.
// A target may let only the typed errors it names escape a reader: anything else (another
// exception, a crash, a leak, a failed invariant) is a finding.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <typeinfo>
#include <vector>

#include "autograd/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace tgfuzz {

// Writes the bytes to `name` in this process's scratch directory (under /dev/shm when it
// exists, else $TMPDIR or /tmp; removed at exit) and returns the file's path.
std::string scratch_file(const std::string& name, const std::uint8_t* data, std::size_t size);
std::string scratch_file(const std::string& name, const std::vector<std::uint8_t>& bytes);
// The path a file of that name would have, without writing it.
std::string scratch_path(const std::string& name);

// An invariant of the readers failed: print it and abort, so that libFuzzer keeps the input.
[[noreturn]] void violated(const std::string& what);
#define TGFUZZ_CHECK(cond, what)                                           \
    do {                                                                   \
        if (!(cond)) ::tgfuzz::violated(std::string(#cond ": ") + (what)); \
    } while (0)

// True when TGFUZZ_VERBOSE is set: `returns` then prints every error it sees.
bool verbose();

// Runs f. Returns true if it returned, false if it threw one of the error types Allowed...;
// any other tg::Error aborts as a finding (other exceptions escape and end the process).
// The message of an allowed error must be non-empty and name `file` when one is given.
template <class... Allowed, class F>
bool returns(F&& f, const std::string& file = "") {
    try {
        f();
        return true;
    } catch (const tg::Error& e) {
        const bool allowed = (... || (dynamic_cast<const Allowed*>(&e) != nullptr));
        const std::string msg = e.what();
        if (verbose()) std::fprintf(stderr, "  %s: %s\n", typeid(e).name(), msg.c_str());
        TGFUZZ_CHECK(allowed, std::string("unexpected ") + typeid(e).name() + ": " + msg);
        TGFUZZ_CHECK(!msg.empty(), "an error without a message");
        TGFUZZ_CHECK(file.empty() || msg.find(file) != std::string::npos,
                     "the message does not name " + file + ": " + msg);
        return false;
    }
}

}  // namespace tgfuzz
