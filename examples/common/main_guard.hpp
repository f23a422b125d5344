#pragma once
// The last line of defence of an example's main: any exception becomes a one-line error on
// stderr and exit status 1, never an abort. Running out of memory names the sizes given on the
// command line, which is nearly always what was too large.

#include <cstdio>
#include <exception>
#include <new>
#include <string>

#include "autograd/errors.hpp"
#include "common/progress_bar.hpp"

namespace example {

// Returns body()'s exit status, or 1 after printing "<program>: <what went wrong>". `sizes` lists
// the flags that set sizes, as given ("--hidden 99999999999 --batch 64").
template <class Body>
int guarded_main(const char* program, const std::string& sizes, Body&& body) {
    auto start = [] {
        std::fflush(stdout);
        if (progress_line_open()) std::fputc('\n', stderr);
        progress_line_open() = false;
    };
    try {
        return body();
    } catch (const std::bad_alloc&) {
        start();
        std::fprintf(stderr,
                     "%s: out of memory: the run with %s needs more memory than there "
                     "is; make them smaller\n",
                     program, sizes.c_str());
    } catch (const tg::Error& e) {
        start();
        std::fprintf(stderr, "%s: %s\n", program, e.what());
    } catch (const std::exception& e) {
        start();
        std::fprintf(stderr, "%s: %s\n", program, e.what());
    }
    return 1;
}

}  // namespace example
