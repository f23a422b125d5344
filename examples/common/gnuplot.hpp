#pragma once
// Drawing PNG plots with gnuplot, and saying clearly when it cannot: gnuplot is not installed
// (and how to install it), or it failed.

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/have_program.hpp"

namespace example {

inline constexpr const char* kInstallGnuplot = "apt-get install gnuplot-nox";

// Runs a gnuplot script that sets its own terminal and output. Returns whether it succeeded; if
// not, says why on `log` (nullptr: silently).
inline bool run_gnuplot(const std::string& script, std::FILE* log) {
    if (!have_program("gnuplot")) {
        if (log)
            std::fprintf(log, "gnuplot is not installed, so no PNG was drawn (%s)\n",
                         kInstallGnuplot);
        return false;
    }
    std::FILE* gp = popen("gnuplot", "w");
    if (!gp) {
        if (log) std::fprintf(log, "could not start gnuplot, so no PNG was drawn\n");
        return false;
    }
    std::fputs(script.c_str(), gp);
    if (pclose(gp) != 0) {
        if (log) std::fprintf(log, "gnuplot failed, so no PNG was drawn\n");
        return false;
    }
    return true;
}

// Writes the script to `file`, to be run again or edited, and runs gnuplot on it. Returns whether
// gnuplot succeeded; if not, says why on `log` (nullptr: silently) and how to draw the plot later.
inline bool run_gnuplot_file(const std::filesystem::path& file, const std::string& script,
                             std::FILE* log) {
    std::ofstream(file) << script;
    if (!have_program("gnuplot")) {
        if (log)
            std::fprintf(log,
                         "gnuplot is not installed, so no PNG was drawn. Install it with\n"
                         "  %s\nthen run: gnuplot %s\n",
                         kInstallGnuplot, file.string().c_str());
        return false;
    }
    const std::string cmd = "gnuplot '" + file.string() + "'";
    if (std::system(cmd.c_str()) != 0) {
        if (log) std::fprintf(log, "gnuplot failed on %s\n", file.string().c_str());
        return false;
    }
    return true;
}

}  // namespace example
