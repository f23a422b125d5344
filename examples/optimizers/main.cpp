// Optimizers side by side, as in the lecture.
//
// Part 1 (landscapes.hpp): gradient descent zig-zagging through a narrow valley against
// momentum, Nesterov, conjugate gradient and Newton (and, in the table, L-BFGS, BFGS, Newton-CG
// and Adam), on an ill-conditioned quadratic and on the Rosenbrock function. Trajectories go to
// CSV files, gnuplot draws them over the contours (optimizers.png) and the loss curves
// (optimizers_loss.png), and a table lists iterations, evaluations and final loss per method.
//
// Part 2 (mnist_training.hpp): training the mlp workload's network (784-30-30-30-30-10, sigmoid
// hidden layers) on a subset of MNIST-format data with SGD (momentum), Adam, L-BFGS and
// Newton-CG (Hessian-free; by default Gauss-Newton products and a line search), each with the
// same budget of work. It prints tables and plots the training loss against wall time and
// against gradient-equivalents (optimizers_mnist.png); mnist_training.hpp defines the units.
// The data directory defaults to Fashion-MNIST from the Debian package dataset-fashion-mnist;
// --data DIR takes any MNIST-format directory, also one with only a test split (such as the
// 10,000 images of the MNIST test set), which is then split into training and held-out
// examples. The default run takes well under a minute; --budget, --train and --hidden make it
// longer or shorter.
//
//   build/examples/optimizers [--out DIR] [--condition K] [--tolerance T] [--no-plot]
//                             [--part all|landscapes|mnist] [--data DIR] [--budget G] ...

#include <CLI/CLI.hpp>

#include "common/cli_numbers.hpp"
#include "common/main_guard.hpp"
#include "common/output_dir.hpp"
#include "landscapes.hpp"
#include "mnist_training.hpp"

int main(int argc, char** argv) {
    CLI::App app{"Optimizers on an ill-conditioned quadratic and on Rosenbrock"};
    std::string out = example::default_output_dir("optimizers_out").string();
    double condition = 50;
    bool no_plot = false;
    example::Settings settings;
    app.add_option("--out", out, "Output directory for CSV files and PNG plots")
        ->capture_default_str();
    example::add_number(app, "--condition", condition, "Condition number of the quadratic",
                        example::between(1.0, 1e6))
        ->capture_default_str();
    example::add_number(app, "--tolerance", settings.tolerance, "Stop at this gradient norm",
                        example::positive())
        ->capture_default_str();
    app.add_flag("--no-plot", no_plot, "Write the CSV files and the gnuplot script only");
    std::string part = "all";
    app.add_option("--part", part, "Which part to run: the lecture's landscapes, MNIST, or both")
        ->check(CLI::IsMember({"all", "landscapes", "mnist"}))
        ->capture_default_str();
    example::mnist::Settings mnist;
    std::string dtype = "f64", curvature = "gauss-newton", globalization = "line-search";
    int threads = 1;
    auto* g = app.add_option_group("MNIST training (part 2)");
    g->add_option("--data", mnist.data,
                  "MNIST-format directory ({train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]); "
                  "the default is the Debian package dataset-fashion-mnist")
        ->capture_default_str();
    example::add_number(*g, "--train", mnist.train,
                        "Training examples (the objective is the mean loss)", example::positive())
        ->capture_default_str();
    example::add_number(*g, "--test", mnist.test, "Held-out examples for the test accuracy",
                        example::positive())
        ->capture_default_str();
    example::add_number(*g, "--budget", mnist.budget, "Work per method, in gradient-equivalents",
                        example::positive())
        ->capture_default_str();
    example::add_number(*g, "--hidden", mnist.hidden, "Hidden layer sizes (sigmoid)",
                        example::positive())
        ->delimiter(',')
        ->capture_default_str();
    g->add_option("--dtype", dtype, "Element type")
        ->check(CLI::IsMember({"f32", "f64"}))
        ->capture_default_str();
    example::add_number(*g, "--batch", mnist.batch, "Mini-batch size of SGD and Adam",
                        example::positive())
        ->capture_default_str();
    example::add_number(*g, "--sgd-lr", mnist.sgd_lr, "SGD's learning rate", example::positive())
        ->capture_default_str();
    example::add_number(*g, "--momentum", mnist.momentum, "SGD's momentum",
                        example::between(0.0, 0.999))
        ->capture_default_str();
    example::add_number(*g, "--adam-lr", mnist.adam_lr, "Adam's learning rate", example::positive())
        ->capture_default_str();
    example::add_number(*g, "--history", mnist.history, "L-BFGS's history", example::positive())
        ->capture_default_str();
    g->add_option("--curvature", curvature, "Newton-CG's products")
        ->check(CLI::IsMember({"gauss-newton", "hessian"}))
        ->capture_default_str();
    g->add_option("--globalization", globalization, "Newton-CG's globalization")
        ->check(CLI::IsMember({"damping", "trust-region", "line-search"}))
        ->capture_default_str();
    example::add_number(*g, "--cg-iter", mnist.cg_iter, "Newton-CG's inner CG iterations, at most",
                        example::positive())
        ->capture_default_str();
    example::add_number(*g, "--damping", mnist.damping,
                        "Newton-CG's first Levenberg-Marquardt damping", example::positive())
        ->capture_default_str();
    example::add_number(
        *g, "--forcing", mnist.forcing,
        "Newton-CG's inner CG stops at this relative residual (0: min(0.5, sqrt |g|))",
        example::between(0.0, 0.999))
        ->capture_default_str();
    g->add_option("--methods", mnist.methods, "Which methods to run, in order")
        ->delimiter(',')
        ->check(CLI::IsMember({"sgd", "adam", "lbfgs", "newton-cg"}))
        ->capture_default_str();
    example::add_number(*g, "--max-iter-per-call", mnist.max_iter_per_call,
                        "Iterations per step() call of L-BFGS and Newton-CG, at most",
                        example::positive())
        ->capture_default_str();
    g->add_flag("--measured-costs", mnist.measured_costs,
                "Count work with the measured costs instead of the fixed definition");
    example::add_number(*g, "--seed", mnist.seed,
                        "Seed of the initial parameters and the mini-batches")
        ->capture_default_str();
    example::add_number(*g, "--threads", threads, "Threads for BLAS", example::positive())
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    mnist.dtype = dtype == "f32" ? tg::kFloat32 : tg::kFloat64;
    mnist.gauss_newton = curvature == "gauss-newton";
    mnist.globalization = globalization == "damping" ? tg::optim::NewtonCGGlobalization::damping
                          : globalization == "trust-region"
                              ? tg::optim::NewtonCGGlobalization::trust_region
                              : tg::optim::NewtonCGGlobalization::line_search;

    std::string hidden;
    for (std::size_t h : mnist.hidden) hidden += (hidden.empty() ? "" : ",") + std::to_string(h);
    const std::string sizes = "--hidden " + hidden + " --train " + std::to_string(mnist.train) +
                              " --test " + std::to_string(mnist.test) + " --history " +
                              std::to_string(mnist.history);
    return example::guarded_main("optimizers", sizes, [&] {
        const std::filesystem::path dir(out);
        if (part != "landscapes") example::mnist::check_fits_in_memory(mnist, sizes);
        example::prepare_output_dir("--out", dir);
        tg::set_num_threads(1);
        int status = 0;

        if (part != "mnist") {
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
            std::printf(
                "\nTrajectories (CSV: iteration,x,y,loss) and the gnuplot script are in %s\n",
                dir.string().c_str());
            if (no_plot) {
                example::write_text(dir / "optimizers.gp", script);
            } else {
                const example::PlotResult plotted = example::plot(dir, script);
                if (plotted == example::PlotResult::drawn)
                    std::printf("Plots: %s and %s\n", (dir / "optimizers.png").string().c_str(),
                                (dir / "optimizers_loss.png").string().c_str());
                if (plotted == example::PlotResult::failed) status = 1;
            }
        }
        if (part != "landscapes") {
            tg::set_num_threads(threads);
            if (!example::mnist::run(mnist, dir, !no_plot)) status = 1;
        }
        return status;
    });
}
