#pragma once
// Part 1 of the optimizers example: the lecture's picture. Gradient descent zig-zags through a
// narrow valley; momentum, Nesterov, conjugate gradient and Newton get through it far faster.
// Two landscapes: an ill-conditioned quadratic and the Rosenbrock function. Every method's
// trajectory goes to a CSV file, gnuplot draws them over the contours, and a table compares
// iterations, evaluations and the final loss.

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/gnuplot.hpp"
#include "tapegrad.hpp"

namespace example {

namespace fs = std::filesystem;
namespace optim = tg::optim;

// A function of two variables, written once with tapegrad ops and once for gnuplot.
struct Landscape {
    std::string name;   // file names
    std::string title;  // plot title
    std::function<tg::Tensor(const tg::Tensor&)> f;
    std::string gnuplot_f;  // the same function of x and y, in gnuplot syntax
    std::array<double, 2> start;
    std::array<double, 4> range;  // xmin, xmax, ymin, ymax of the plot
    std::string contour_levels;   // gnuplot "discrete" levels
    std::string key;              // where the legend does not hide the paths
};

inline Landscape ill_conditioned_quadratic(double condition) {
    // f = (lambda1 u^2 + lambda2 v^2) / 2 in coordinates (u, v) rotated by 30 degrees:
    // eigenvalues 1 and `condition`, minimum 0 at the origin.
    const double c = std::cos(M_PI / 6), s = std::sin(M_PI / 6);
    const double l1 = 1, l2 = condition;
    const double a11 = l1 * c * c + l2 * s * s, a22 = l1 * s * s + l2 * c * c;
    const double a12 = (l1 - l2) * c * s;
    Landscape l;
    l.name = "quadratic";
    l.title = fmt::format("ill-conditioned quadratic, condition number {:g}", condition);
    l.f = [=](const tg::Tensor& w) {
        const tg::Tensor x = tg::slice(w, 0, 0, 1), y = tg::slice(w, 0, 1, 2);
        return tg::sum(0.5 * (a11 * tg::square(x) + (2 * a12) * (x * y) + a22 * tg::square(y)));
    };
    l.gnuplot_f = fmt::format("0.5*({:.17g}*x**2 + 2*({:.17g})*x*y + {:.17g}*y**2)", a11, a12, a22);
    l.start = {-4.0, 2.0};
    l.range = {-6, 6, -4, 4};
    l.key = "top right";
    std::string levels;
    for (double v = 0.01; v < 2000; v *= 2.5)
        levels += fmt::format("{}{:.4g}", levels.empty() ? "" : ",", v);
    l.contour_levels = levels;
    return l;
}

inline Landscape rosenbrock() {
    Landscape l;
    l.name = "rosenbrock";
    l.title = "Rosenbrock (1-x)^2 + 100 (y-x^2)^2, from (-1.2, 1)";
    l.f = [](const tg::Tensor& w) {
        const tg::Tensor x = tg::slice(w, 0, 0, 1), y = tg::slice(w, 0, 1, 2);
        return tg::sum(tg::square(1.0 - x) + 100.0 * tg::square(y - tg::square(x)));
    };
    l.gnuplot_f = "(1-x)**2 + 100*(y-x**2)**2";
    l.start = {-1.2, 1.0};
    l.range = {-1.7, 1.7, -0.7, 2.2};
    l.key = "bottom right";
    l.contour_levels = "0.1,0.3,1,2,4,8,16,32,64,128,256,512";
    return l;
}

struct Point {
    double x, y, loss;
};

struct RunResult {
    std::string method;
    bool plotted = false;
    std::vector<Point> path;
    optim::Counters counters;
    std::string reason;
    double loss = 0, grad_norm = 0;  // at the final point, evaluated afterwards
    double milliseconds = 0;
};

struct Settings {
    double tolerance = 1e-6;  // gradient norm at which every method stops
    std::size_t max_first_order = 50000;
    std::size_t max_second_order = 1000;
};

namespace detail {

inline tg::Tensor start_point(const Landscape& l) {
    return tg::from_vector({l.start[0], l.start[1]}, {2}, tg::kFloat64).requires_grad_();
}

inline Point here(const tg::Tensor& w, const Landscape& l) {
    const auto v = w.to_vector();
    return {v[0], v[1], l.f(w.detach()).item()};
}

inline optim::Closure closure_for(tg::Tensor w, const Landscape& l) {
    return [w, &l]() mutable {
        w.zero_grad();
        tg::Tensor loss = l.f(w);
        loss.backward();
        return loss;
    };
}

// The loss and gradient norm at w, outside any optimizer's counters.
inline std::pair<double, double> final_values(const tg::Tensor& w, const Landscape& l) {
    const tg::Tensor x = w.detach().requires_grad_();
    const tg::Tensor y = l.f(x);
    const auto g = tg::grad({y}, {x})[0].to_vector();
    return {y.item(), std::hypot(g[0], g[1])};
}

// Runs `drive` on a fresh start point with an optimizer made by `make`, recording the path.
template <class Make, class Drive>
RunResult run(const std::string& method, bool plotted, const Landscape& l, Make make, Drive drive) {
    RunResult r;
    r.method = method;
    r.plotted = plotted;
    tg::Tensor w = start_point(l);
    auto opt = make(w);
    r.path.push_back(here(w, l));
    opt->on_iteration([&](const optim::IterationInfo&) { r.path.push_back(here(w, l)); });
    const auto t0 = std::chrono::steady_clock::now();
    drive(*opt, w);
    r.milliseconds =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    r.counters = opt->counters();
    r.reason = opt->stop_reason();
    std::tie(r.loss, r.grad_norm) = final_values(w, l);
    return r;
}

}  // namespace detail

// The methods: the lecture's five (plotted), then L-BFGS, BFGS and Newton-CG for the table.
// Learning rates: for the quadratic, gradient descent gets lr * lambda_max = 1.75, which makes
// it zig-zag across the valley (it converges for lr * lambda_max < 2); momentum and Nesterov
// get a smaller, stable lr and alpha = 0.7.
inline std::vector<RunResult> run_all(const Landscape& l, double lr, double momentum_lr,
                                      double alpha, const Settings& s) {
    using detail::run;
    const double tol = s.tolerance;
    std::vector<RunResult> results;
    const auto first_order = [&](optim::FirstOrderOptimizer& opt, tg::Tensor w) {
        const optim::Closure closure = detail::closure_for(w, l);
        while (!opt.stopped()) opt.step(closure);
    };
    const auto with_closure = [&](auto& opt, tg::Tensor w) { opt.step(detail::closure_for(w, l)); };
    const auto with_loss = [&](auto& opt, tg::Tensor w) { opt.step([w, &l] { return l.f(w); }); };

    results.push_back(run(
        "gradient descent", true, l,
        [&](tg::Tensor w) {
            return std::make_unique<optim::SGD>(
                std::vector<tg::Tensor>{w},
                optim::SGDOptions(lr).tolerance_grad(tol).max_iter(s.max_first_order));
        },
        first_order));
    results.push_back(run(
        "momentum", true, l,
        [&](tg::Tensor w) {
            return std::make_unique<optim::SGD>(std::vector<tg::Tensor>{w},
                                                optim::SGDOptions(momentum_lr)
                                                    .momentum(alpha)
                                                    .tolerance_grad(tol)
                                                    .max_iter(s.max_first_order));
        },
        first_order));
    results.push_back(run(
        "Nesterov", true, l,
        [&](tg::Tensor w) {
            return std::make_unique<optim::SGD>(std::vector<tg::Tensor>{w},
                                                optim::SGDOptions(momentum_lr)
                                                    .momentum(alpha)
                                                    .nesterov(true)
                                                    .tolerance_grad(tol)
                                                    .max_iter(s.max_first_order));
        },
        first_order));
    results.push_back(run(
        "conjugate gradient (PR+)", true, l,
        [&](tg::Tensor w) {
            return std::make_unique<optim::NonlinearCG>(
                std::vector<tg::Tensor>{w},
                optim::NonlinearCGOptions().tolerance_grad(tol).tolerance_step(0).max_iter(
                    s.max_second_order));
        },
        with_closure));
    results.push_back(run(
        "Newton", true, l,
        [&](tg::Tensor w) {
            return std::make_unique<optim::Newton>(
                std::vector<tg::Tensor>{w},
                optim::NewtonOptions().tolerance_grad(tol).tolerance_step(0).max_iter(
                    s.max_second_order));
        },
        with_loss));
    results.push_back(run(
        "L-BFGS", false, l,
        [&](tg::Tensor w) {
            return std::make_unique<optim::LBFGS>(
                std::vector<tg::Tensor>{w},
                optim::LBFGSOptions().tolerance_grad(tol).tolerance_step(0).max_iter(
                    s.max_second_order));
        },
        with_closure));
    results.push_back(run(
        "BFGS", false, l,
        [&](tg::Tensor w) {
            return std::make_unique<optim::BFGS>(
                std::vector<tg::Tensor>{w},
                optim::BFGSOptions().tolerance_grad(tol).tolerance_step(0).max_iter(
                    s.max_second_order));
        },
        with_closure));
    results.push_back(run(
        "Newton-CG (trust region)", false, l,
        [&](tg::Tensor w) {
            return std::make_unique<optim::NewtonCG>(
                std::vector<tg::Tensor>{w},
                optim::NewtonCGOptions()
                    .globalization(optim::NewtonCGGlobalization::trust_region)
                    .tolerance_grad(tol)
                    .tolerance_step(0)
                    .max_iter(s.max_second_order));
        },
        with_loss));
    results.push_back(run(
        "Adam", false, l,
        [&](tg::Tensor w) {
            return std::make_unique<optim::Adam>(
                std::vector<tg::Tensor>{w},
                optim::AdamOptions(0.05).tolerance_grad(tol).max_iter(s.max_first_order));
        },
        first_order));
    return results;
}

inline std::string file_name(const Landscape& l, const RunResult& r) {
    std::string m;
    for (char c : r.method) {
        if (std::isalnum(static_cast<unsigned char>(c)))
            m += static_cast<char>(std::tolower(c));
        else if (!m.empty() && m.back() != '_')
            m += '_';
    }
    while (!m.empty() && m.back() == '_') m.pop_back();
    return l.name + "_" + m + ".csv";
}

inline void write_csv(const fs::path& dir, const Landscape& l, const std::vector<RunResult>& runs) {
    for (const auto& r : runs) {
        std::ofstream out(dir / file_name(l, r));
        if (!out) throw tg::IOError("optimizers: cannot write " + (dir / file_name(l, r)).string());
        out << "iteration,x,y,loss\n";
        for (std::size_t k = 0; k < r.path.size(); ++k)
            out << fmt::format("{},{:.17g},{:.17g},{:.17g}\n", k, r.path[k].x, r.path[k].y,
                               r.path[k].loss);
    }
}

inline void print_table(const Landscape& l, const std::vector<RunResult>& runs, double tolerance) {
    std::printf("\n%s: stop at gradient norm <= %g\n", l.title.c_str(), tolerance);
    std::printf("%-26s %10s %10s %10s %8s %12s %10s %9s\n", "method", "iterations", "loss evals",
                "grad evals", "HVPs", "final loss", "|grad|", "time ms");
    for (const auto& r : runs) {
        std::printf("%-26s %10zu %10zu %10zu %8zu %12.3e %10.2e %9.1f\n", r.method.c_str(),
                    r.counters.iterations, r.counters.loss_evaluations,
                    r.counters.gradient_evaluations, r.counters.hessian_vector_products, r.loss,
                    r.grad_norm, r.milliseconds);
    }
    for (const auto& r : runs) std::printf("  %-24s %s\n", r.method.c_str(), r.reason.c_str());
}

// A gnuplot script drawing, for each landscape, the contours and the plotted methods' paths
// (optimizers.png), and every method's loss against iterations (optimizers_loss.png). The
// contours come from gnuplot itself (splot of the function in map view).
inline std::string gnuplot_script(const fs::path& dir, const std::vector<Landscape>& ls,
                                  const std::vector<std::vector<RunResult>>& runs) {
    const std::vector<std::string> colours{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
                                           "#8c564b", "#e377c2", "#17becf", "#7f7f7f"};
    std::string s = "set datafile separator comma\n";
    for (const auto& l : ls)
        s += fmt::format("$start_{} << EOD\n{},{}\nEOD\n", l.name, l.start[0], l.start[1]);
    s += fmt::format("set terminal pngcairo size 1500,700 font 'Sans,10'\nset output {}\n",
                     gnuplot_quote((dir / "optimizers.png").string()));
    s += fmt::format(
        "set multiplot layout 1,{}\nset view map\nset contour base\nunset clabel\n"
        "set isosamples 300,300\n"
        "set xlabel 'x'\nset ylabel 'y'\n",
        ls.size());
    for (std::size_t i = 0; i < ls.size(); ++i) {
        const auto& l = ls[i];
        s += fmt::format(
            "f(x,y) = {}\nset cntrparam levels discrete {}\nset title {}\n"
            "set xrange [{}:{}]\nset yrange [{}:{}]\nset key {} box opaque\n",
            l.gnuplot_f, l.contour_levels, gnuplot_quote(l.title), l.range[0], l.range[1],
            l.range[2], l.range[3], l.key);
        s += "splot f(x,y) nosurface lc rgb '#c8c8c8' notitle";
        std::size_t c = 0;
        for (const auto& r : runs[i]) {
            if (!r.plotted) continue;
            s += fmt::format(
                ", {} using 2:3:(0) skip 1 nocontours with linespoints lw 1.5 pt 7 ps 0.35 "
                "lc rgb '{}' title {}",
                gnuplot_quote((dir / file_name(l, r)).string()), colours[c++ % colours.size()],
                gnuplot_quote(fmt::format("{} ({} it.)", r.method, r.counters.iterations)));
        }
        s += fmt::format(
            ", $start_{} using 1:2:(0) nocontours with points pt 6 ps 2.5 lw 2 "
            "lc rgb 'black' title 'start'\n",
            l.name);
    }
    s += "unset multiplot\nunset contour\nunset view\n";
    s += fmt::format(
        "set output {}\nset multiplot layout 1,{}\nset logscale xy\nset format y '%.0e'\n"
        "set xlabel 'iteration + 1'\nset ylabel 'loss - minimum'\nset key top right\n"
        "set xrange [1:*]\nset yrange [1e-20:*]\n",
        gnuplot_quote((dir / "optimizers_loss.png").string()), ls.size());
    for (std::size_t i = 0; i < ls.size(); ++i) {
        const auto& l = ls[i];
        s += fmt::format("set title {}\nplot ", gnuplot_quote(l.title));
        std::size_t c = 0;
        for (const auto& r : runs[i]) {
            s += fmt::format("{}{} using ($1+1):4 skip 1 with lines lw 1.5 lc rgb '{}' title {}",
                             c == 0 ? "" : ", ", gnuplot_quote((dir / file_name(l, r)).string()),
                             colours[c % colours.size()], gnuplot_quote(r.method));
            ++c;
        }
        s += "\n";
    }
    s += "unset multiplot\n";
    return s;
}

// Writes the script next to the CSV files and runs gnuplot on it. Returns whether the PNGs
// were made.
inline PlotResult plot(const fs::path& dir, const std::string& script) {
    return run_gnuplot_file(dir / "optimizers.gp", script,
                            {dir / "optimizers.png", dir / "optimizers_loss.png"}, stderr);
}

}  // namespace example
