#pragma once
// Drawing PNG plots with gnuplot, and saying clearly when it cannot: gnuplot is not installed
// (and how to install it), or it failed.
//
// gnuplot reads its script on stdin (no shell is involved) and its stdout goes nowhere: when a
// `set output` fails, gnuplot draws to stdout instead, which would pour PNG bytes into ours. A
// plot counts as drawn only if gnuplot succeeded and wrote every file it was meant to.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "autograd/errors.hpp"
#include "common/subprocess.hpp"

namespace example {

inline constexpr const char* kInstallGnuplot = "apt-get install gnuplot-nox";

// `text` as a gnuplot string literal, for a file name or a title in a script. Single quotes,
// because gnuplot runs `backquoted` shell commands inside double-quoted strings; a ' is written
// ''. A control character (a newline would end the command) cannot be written there at all.
inline std::string gnuplot_quote(const std::string& text) {
    std::string quoted = "'";
    for (char c : text) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            throw tg::ValueError("gnuplot cannot be given '" + text +
                                 "': it contains a control character (such as a newline)");
        }
        quoted += c == '\'' ? std::string("''") : std::string(1, c);
    }
    return quoted + "'";
}

// Whether a plot was drawn: gnuplot not installed is a note, not a failure (the data and the
// script are there to plot later); gnuplot failing is a failure.
enum class PlotResult { drawn, no_gnuplot, failed };

// Runs a gnuplot script that sets its own terminal and `outputs`. Says why on `log` (nullptr:
// silently) if it did not draw them.
inline PlotResult run_gnuplot(const std::string& script,
                              const std::vector<std::filesystem::path>& outputs, std::FILE* log) {
    if (!have_program("gnuplot")) {
        if (log)
            std::fprintf(log, "gnuplot is not installed, so no PNG was drawn (%s)\n",
                         kInstallGnuplot);
        return PlotResult::no_gnuplot;
    }
    // An old file from an earlier run must not pass for a new one.
    for (const auto& file : outputs) {
        std::error_code ec;
        std::filesystem::remove(file, ec);
    }
    RunOptions options;
    options.input = script;
    const int status = run_program({"gnuplot"}, options);
    bool written = status == 0;
    for (const auto& file : outputs) {
        std::error_code ec;
        written = written && std::filesystem::file_size(file, ec) > 0 && !ec;
    }
    if (!written) {
        if (log) {
            std::string files;
            for (const auto& file : outputs) files += (files.empty() ? "" : ", ") + file.string();
            std::fprintf(log, "gnuplot failed (exit status %d), so %s %s not drawn\n", status,
                         files.empty() ? "the plot" : files.c_str(),
                         outputs.size() > 1 ? "were" : "was");
        }
        return PlotResult::failed;
    }
    return PlotResult::drawn;
}

// Writes the script to `file`, to be run again or edited, and runs gnuplot on it. If gnuplot is
// not installed, says on `log` how to draw the plot later.
inline PlotResult run_gnuplot_file(const std::filesystem::path& file, const std::string& script,
                                   const std::vector<std::filesystem::path>& outputs,
                                   std::FILE* log) {
    std::ofstream f(file);
    f << script;
    f.close();
    if (!f) throw tg::IOError("cannot write the gnuplot script '" + file.string() + "'");
    if (!have_program("gnuplot")) {
        if (log)
            std::fprintf(log,
                         "gnuplot is not installed, so no PNG was drawn. Install it with\n"
                         "  %s\nthen run: gnuplot %s\n",
                         kInstallGnuplot, file.string().c_str());
        return PlotResult::no_gnuplot;
    }
    return run_gnuplot(script, outputs, log);
}

}  // namespace example
