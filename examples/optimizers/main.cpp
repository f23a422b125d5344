// Optimizers side by side, as in the lecture.
//
// Part 1 (landscapes.hpp): gradient descent zig-zagging through a narrow valley against
// momentum, Nesterov, conjugate gradient and Newton (and, in the table, L-BFGS, BFGS, Newton-CG
// and Adam), on an ill-conditioned quadratic and on the Rosenbrock function. Trajectories go to
// CSV files, gnuplot draws them over the contours (optimizers.png) and the loss curves
// (optimizers_loss.png), and a table lists iterations, evaluations and final loss per method.
//
// Part 2, still to come: training the mlp workload's network on MNIST with SGD, Adam, L-BFGS
// and Newton-CG (Hessian-free, Gauss-Newton products), loss against wall time and against
// gradient-equivalents, plotted. It needs the MNIST IDX reader of the nn module; it will live in
// its own header (mnist_training.hpp) with a --data DIR option, next to part 1.
//
//   build/examples/optimizers [--out DIR] [--condition K] [--tolerance T] [--no-plot]

#include <CLI/CLI.hpp>

#include "landscapes.hpp"

namespace {

std::filesystem::path default_out() {
    // Next to the binary: build/examples/optimizers_out, wherever it is run from.
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::filesystem::path("optimizers_out") : exe.parent_path() / "optimizers_out";
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Optimizers on an ill-conditioned quadratic and on Rosenbrock"};
    std::string out = default_out().string();
    double condition = 50;
    bool no_plot = false;
    example::Settings settings;
    app.add_option("--out", out, "Output directory for CSV files and PNG plots")
        ->capture_default_str();
    app.add_option("--condition", condition, "Condition number of the quadratic")
        ->check(CLI::Range(1.0, 1e6))
        ->capture_default_str();
    app.add_option("--tolerance", settings.tolerance, "Stop at this gradient norm")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app.add_flag("--no-plot", no_plot, "Write the CSV files and the gnuplot script only");
    CLI11_PARSE(app, argc, argv);

    try {
        const std::filesystem::path dir(out);
        std::filesystem::create_directories(dir);
        tg::set_num_threads(1);

        const std::vector<example::Landscape> landscapes{
            example::ill_conditioned_quadratic(condition), example::rosenbrock()};
        // Quadratic: gradient descent with lr * lambda_max = 1.75 zig-zags; momentum and
        // Nesterov use lr * lambda_max = 1 with alpha = 0.7 (Nesterov's stable range is
        // lr * lambda_max < (2 + 2 alpha) / (1 + 2 alpha)). Rosenbrock: lr = 1e-3 (its largest
        // curvature near the path is about 1000), momentum 0.9.
        std::vector<std::vector<example::RunResult>> runs;
        runs.push_back(
            example::run_all(landscapes[0], 1.75 / condition, 1.0 / condition, 0.7, settings));
        runs.push_back(example::run_all(landscapes[1], 1e-3, 1e-3, 0.9, settings));

        for (std::size_t i = 0; i < landscapes.size(); ++i) {
            example::write_csv(dir, landscapes[i], runs[i]);
            example::print_table(landscapes[i], runs[i], settings.tolerance);
        }
        const std::string script = example::gnuplot_script(dir, landscapes, runs);
        std::printf("\nTrajectories (CSV: iteration,x,y,loss) and the gnuplot script are in %s\n",
                    dir.string().c_str());
        if (no_plot) {
            std::ofstream(dir / "optimizers.gp") << script;
        } else if (example::plot(dir, script)) {
            std::printf("Plots: %s and %s\n", (dir / "optimizers.png").string().c_str(),
                        (dir / "optimizers_loss.png").string().c_str());
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "optimizers: %s\n", e.what());
        return 1;
    }
    return 0;
}
