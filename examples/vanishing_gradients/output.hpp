#pragma once
// Files in the output directory, gnuplot and Graphviz.

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "common/gnuplot.hpp"
#include "common/output_dir.hpp"
#include "common/subprocess.hpp"
#include "tapegrad.hpp"

namespace vg {

using example::write_text;

// Runs a gnuplot script (which sets its own output, `png`); says where the PNG went, or why not.
// Returns false if gnuplot failed.
inline bool run_gnuplot(const std::string& script, const std::filesystem::path& png,
                        std::FILE* log) {
    const example::PlotResult result = example::run_gnuplot(script, {png}, stderr);
    if (result == example::PlotResult::drawn)
        std::fprintf(log, "  plot: %s\n", png.string().c_str());
    return result != example::PlotResult::failed;
}

// Writes the graph behind `outputs` as DOT and renders it to PNG and SVG when Graphviz is there.
// Returns false if dot failed.
inline bool export_graph(const std::vector<tg::Tensor>& outputs, const std::string& title,
                         const std::filesystem::path& dot_path, std::FILE* log) {
    tg::DotOptions options;
    options.title = title;
    tg::write_dot(dot_path.string(), outputs, options);
    std::fprintf(log, "  graph: %s\n", dot_path.string().c_str());
    if (!example::have_program("dot")) {
        std::fprintf(log, "  dot not found: not rendered (apt-get install graphviz)\n");
        return true;
    }
    bool ok = true;
    for (const char* format : {"png", "svg"}) {
        std::filesystem::path rendered = dot_path;
        rendered.replace_extension(format);
        if (example::run_program({"dot", std::string("-T") + format, dot_path.string(), "-o",
                                  rendered.string()}) == 0) {
            std::fprintf(log, "  rendered: %s\n", rendered.string().c_str());
        } else {
            std::fprintf(stderr, "  dot failed on %s\n", dot_path.string().c_str());
            ok = false;
        }
    }
    return ok;
}

}  // namespace vg
