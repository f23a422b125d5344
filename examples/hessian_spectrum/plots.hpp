#pragma once
// Output of the hessian_spectrum example: CSV files and a gnuplot script drawing the spectral
// densities (density.png) and the loss surfaces along the top two eigenvectors (surface.png),
// one panel per model.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/gnuplot.hpp"

namespace example {

namespace fs = std::filesystem;

struct Panel {
    std::string tag;    // file name part: "plain", "l2", ...
    std::string title;  // "MLP, L2 1e-2"
    std::vector<double> top_eigenvalues;
    double sigma = 0;        // Gaussian broadening of the density
    double radius = 0;       // the surface covers [-radius, radius]^2
    double center_loss = 0;  // the loss at the trained parameters
};

inline void write_density_csv(const fs::path& dir, const std::string& tag,
                              const std::vector<double>& t, const std::vector<double>& phi) {
    std::ofstream f(dir / ("density_" + tag + ".csv"));
    f << "# eigenvalue, density (smoothed SLQ; integrates to 1)\n";
    for (std::size_t i = 0; i < t.size(); ++i) f << t[i] << "," << phi[i] << "\n";
}

// Rows "alpha,beta,loss" in gnuplot's grid layout (a blank line after each alpha).
inline void write_surface_csv(const fs::path& dir, const std::string& tag,
                              const std::vector<double>& coords,
                              const std::vector<std::vector<double>>& loss) {
    std::ofstream f(dir / ("surface_" + tag + ".csv"));
    f << "# alpha (along v1), beta (along v2), loss\n";
    for (std::size_t i = 0; i < coords.size(); ++i) {
        for (std::size_t j = 0; j < coords.size(); ++j)
            f << coords[i] << "," << coords[j] << "," << loss[i][j] << "\n";
        f << "\n";
    }
}

inline std::string gnuplot_script(const fs::path& dir, const std::vector<Panel>& panels) {
    std::string s = "set datafile separator ','\nset terminal pngcairo size 1300,1000\n";
    // Densities, on a log scale (most eigenvalues crowd near zero; the outliers are rare).
    s += "set output " + gnuplot_quote((dir / "density.png").string()) + "\n";
    s += "set multiplot layout 2,2 title 'Hessian eigenvalue density (stochastic Lanczos "
         "quadrature); dashed: top eigenvalues by Lanczos'\n";
    s += "set logscale y\nset yrange [1e-6:*]\nset format y '10^{%L}'\nset grid\n"
         "set xlabel 'eigenvalue'\nset ylabel 'density'\n";
    for (const Panel& p : panels) {
        s += "unset arrow\n";
        for (double l : p.top_eigenvalues) {
            char buf[160];
            std::snprintf(buf, sizeof buf,
                          "set arrow from %.9g, graph 0 to %.9g, graph 1 nohead dt 2 lc 'red'\n", l,
                          l);
            s += buf;
        }
        char title[200];
        std::snprintf(title, sizeof title, "%s (sigma %.3g)", p.title.c_str(), p.sigma);
        s += "set title " + gnuplot_quote(title) + "\n";
        s += "plot " + gnuplot_quote((dir / ("density_" + p.tag + ".csv")).string()) +
             " using 1:2 with lines lw 2 notitle\n";
    }
    s += "unset multiplot\nunset arrow\nunset logscale y\nset yrange [*:*]\nset format y\n";
    // Loss surfaces: colour map with contour lines.
    s += "set output " + gnuplot_quote((dir / "surface.png").string()) + "\n";
    s += "set multiplot layout 2,2 title 'log10 of the loss along the top two Hessian "
         "eigenvectors: L(theta + alpha v1 + beta v2), theta at the centre'\n";
    s += "set view map\nset pm3d at b interpolate 4,4\nset contour base\n"
         "set cntrparam levels 14\nunset clabel\nset xlabel 'alpha (along v1)'\n"
         "set ylabel 'beta (along v2)'\nset cblabel 'log10 loss'\n"
         "set palette rgbformulae 33,13,10\nset size ratio -1\nunset key\nunset grid\n";
    for (const Panel& p : panels) {
        char title[200];
        std::snprintf(title, sizeof title, "%s (loss %.4f at the centre)", p.title.c_str(),
                      p.center_loss);
        s += "set title " + gnuplot_quote(title) + "\n";
        char range[120];
        std::snprintf(range, sizeof range, "set xrange [%.9g:%.9g]\nset yrange [%.9g:%.9g]\n",
                      -p.radius, p.radius, -p.radius, p.radius);
        s += range;
        s += "splot " + gnuplot_quote((dir / ("surface_" + p.tag + ".csv")).string()) +
             " using 1:2:(log10($3)) with pm3d, '' using 1:2:(log10($3)) with lines "
             "nosurface lc 'black'\n";
    }
    s += "unset multiplot\n";
    return s;
}

// Writes the script next to the CSV files and runs gnuplot on it.
inline PlotResult plot(const fs::path& dir, const std::string& script) {
    return run_gnuplot_file(dir / "hessian_spectrum.gp", script,
                            {dir / "density.png", dir / "surface.png"}, stderr);
}

}  // namespace example
