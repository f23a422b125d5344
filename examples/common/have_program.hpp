#pragma once
// Whether an external program (gnuplot, Graphviz's dot) is on the PATH.

#include <cstdlib>
#include <string>

namespace example {

inline bool have_program(const std::string& name) {
    const std::string cmd = "command -v " + name + " > /dev/null 2>&1";
    return std::system(cmd.c_str()) == 0;
}

}  // namespace example
