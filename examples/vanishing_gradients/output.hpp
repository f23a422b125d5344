#pragma once
// Files in the output directory, gnuplot and Graphviz.

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/gnuplot.hpp"
#include "common/have_program.hpp"
#include "tapegrad.hpp"

namespace vg {

inline void write_text(const std::filesystem::path& path, const std::string& text) {
    std::ofstream f(path);
    if (!f) throw tg::IOError("cannot write '" + path.string() + "'");
    f << text;
    if (!f) throw tg::IOError("writing '" + path.string() + "' failed");
}

// Runs a gnuplot script (which sets its own output); says where the PNG went, or why not.
inline void run_gnuplot(const std::string& script, const std::filesystem::path& png,
                        std::FILE* log) {
    if (example::run_gnuplot(script, log)) std::fprintf(log, "  plot: %s\n", png.string().c_str());
}

// Writes the graph behind `outputs` as DOT and renders it to PNG and SVG when Graphviz is there.
inline void export_graph(const std::vector<tg::Tensor>& outputs, const std::string& title,
                         const std::filesystem::path& dot_path, std::FILE* log) {
    tg::DotOptions options;
    options.title = title;
    tg::write_dot(dot_path.string(), outputs, options);
    std::fprintf(log, "  graph: %s\n", dot_path.string().c_str());
    if (!example::have_program("dot")) {
        std::fprintf(log, "  dot not found: not rendered (apt-get install graphviz)\n");
        return;
    }
    for (const char* format : {"png", "svg"}) {
        std::filesystem::path rendered = dot_path;
        rendered.replace_extension(format);
        const std::string cmd = std::string("dot -T") + format + " '" + dot_path.string() +
                                "' -o '" + rendered.string() + "'";
        if (std::system(cmd.c_str()) == 0)
            std::fprintf(log, "  rendered: %s\n", rendered.string().c_str());
        else
            std::fprintf(log, "  dot failed on %s\n", dot_path.string().c_str());
    }
}

}  // namespace vg
