// hessian_spectrum: the curvature questions of the lecture, asked of real networks with
// Hessian-vector products only (functional/hessian_spectrum.hpp, after PyHessian).
//
// A small MLP (784 -> h -> h -> 10, ReLU) is trained four times from the same initial weights:
// plain, with L2 weight decay, with batch norm after each hidden layer, and with both. For each
// trained model, on a few fixed training batches (their Hessians averaged), it reports
//   - the top eigenvalues, by Lanczos and by power iteration with deflation,
//   - the smallest eigenvalue lambda_min (Lanczos from the other end),
//   - the condition estimate kappa = lambda_max / |lambda_min|: how much stronger the sharpest
//     curvature is than the most negative one (or, at a minimum, where lambda_min > 0, than the
//     flattest direction; that is the classic condition number, which L2 weight decay mu bounds
//     by lambda_max / mu),
//   - the trace by Hutchinson's estimator, with its standard error,
//   - the eigenvalue density by stochastic Lanczos quadrature (density.png),
//   - the loss surface along the top two eigenvectors (surface.png, contours),
// and the cost of every tool: Hessian-vector products, wall time, products per second.
//
// The Hessian is that of the training objective: cross-entropy, plus (mu/2) ||theta||^2 for the
// weight-decay models (all parameters decay, as with SGD's weight_decay), so it is the data
// Hessian plus mu I there. Batch norm is evaluated in eval mode (running statistics), as
// PyHessian does, so the loss is a fixed function of the parameters.
//
//   build/examples/hessian_spectrum [--data DIR] [--out DIR] [--epochs N] [--hidden H] ...

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "common/cli_numbers.hpp"
#include "common/main_guard.hpp"
#include "common/memory_check.hpp"
#include "common/output_dir.hpp"
#include "common/progress_bar.hpp"
#include "common/running_average.hpp"
#include "common/stopwatch.hpp"
#include "plots.hpp"
#include "tapegrad.hpp"

namespace {

namespace fs = std::filesystem;
namespace nn = tg::nn;
using example::seconds_since;
using tg::Tensor;

struct Options {
    std::string data = "/usr/share/datasets/fashion-mnist";
    std::string out;
    int epochs = 5;
    std::size_t batch = 64;
    double lr = 0.05;
    double momentum = 0.9;
    double weight_decay = 1e-2;
    std::size_t hidden = 64;
    std::size_t train_size = 8000;
    std::size_t hessian_batches = 2;
    std::size_t hessian_batch_size = 1000;
    std::size_t top_k = 3;
    double tolerance = 1e-4;
    std::size_t lanczos_iter = 100;
    std::size_t power_iter = 100;
    std::size_t trace_samples = 100;
    std::size_t slq_vectors = 2;
    std::size_t slq_steps = 60;
    double sigma = 0.005;  // density broadening, as a fraction of the spectrum's width
    std::size_t grid = 21;
    double radius = 0;  // 0: 2 / sqrt(lambda_max) per model
    std::uint64_t seed = 1;
};

struct Config {
    std::string tag, title;
    bool batch_norm;
    double weight_decay;
};

struct ToolCost {
    std::string name;
    std::size_t products;
    double seconds;
};

struct Report {
    std::string title;
    double test_accuracy = 0, loss = 0;
    std::vector<double> lanczos_top, power_top;
    bool lanczos_converged = false, power_converged = false;
    double lambda_min = 0, kappa = 0, weight_decay = 0;
    bool lambda_min_converged = false;
    double trace = 0, trace_se = 0, slq_trace = 0;
    std::size_t trace_samples = 0;
    double hvp_per_second = 0, fwd_hvp_per_second = 0, setup_seconds = 0;
    std::size_t parameters = 0;
    std::vector<ToolCost> costs;
};

// Training images and held-out test images: the train split (its first train_size examples)
// and t10k, or, in a directory with t10k only (the MNIST test set), t10k cut into 8000 and 2000.
std::pair<nn::data::Dataset, nn::data::Dataset> load(const Options& o) {
    using nn::data::Split;
    if (nn::data::has_mnist_split(o.data, Split::train)) {
        nn::data::Dataset train = nn::data::load_mnist(o.data, Split::train);
        if (o.train_size < train.size()) train = train.slice(0, o.train_size);
        return {train, nn::data::load_mnist(o.data, Split::test)};
    }
    const nn::data::Dataset all = nn::data::load_mnist(o.data, Split::test);
    const std::size_t cut = all.size() - std::min<std::size_t>(2000, all.size() / 5);
    return {all.slice(0, std::min(cut, o.train_size)), all.slice(cut, all.size())};
}

std::shared_ptr<nn::Sequential> make_mlp(std::size_t h, bool batch_norm, std::uint64_t seed) {
    tg::Generator gen(seed);  // the same initial weights for every configuration
    auto net = std::make_shared<nn::Sequential>();
    net->push_back(std::make_shared<nn::Flatten>());
    std::size_t in = 28 * 28;
    for (int layer = 0; layer < 2; ++layer) {
        net->push_back(std::make_shared<nn::Linear>(nn::LinearOptions(in, h), gen));
        if (batch_norm) net->push_back(std::make_shared<nn::BatchNorm1d>(nn::BatchNormOptions(h)));
        net->push_back(std::make_shared<nn::ReLU>());
        in = h;
    }
    net->push_back(std::make_shared<nn::Linear>(nn::LinearOptions(in, 10), gen));
    return net;
}

void train(nn::Module& net, const nn::data::Dataset& data, double mean, double stddev,
           const Config& c, const Options& o) {
    tg::optim::SGD sgd(
        net.named_parameters(),
        tg::optim::SGDOptions(o.lr).momentum(o.momentum).weight_decay(c.weight_decay));
    nn::data::DataLoader loader(
        data,
        nn::data::DataLoaderOptions().batch_size(o.batch).seed(o.seed).normalize(mean, stddev));
    const std::size_t batches = loader.num_batches();
    example::ProgressBar progress(static_cast<double>(o.epochs) * static_cast<double>(batches));
    const auto t0 = std::chrono::steady_clock::now();
    example::RunningAverage loss_avg, acc_avg;
    std::size_t seen = 0, steps = 0;
    net.train();
    for (int epoch = 1; epoch <= o.epochs; ++epoch) {
        for (const auto& batch : loader) {
            sgd.zero_grad();
            const Tensor logits = net(batch.inputs);
            const Tensor loss = tg::cross_entropy(logits, batch.labels);
            loss.backward();
            sgd.step();
            loss_avg.add(loss.item());
            acc_avg.add(nn::accuracy(logits, batch.labels));
            seen += batch.size();
            progress.update(double(++steps), loss_avg.value(), acc_avg.value(), double(seen),
                            seconds_since(t0), fmt::format("epoch {}/{}", epoch, o.epochs));
        }
    }
    progress.finish();
}

// Test accuracy in eval mode (batch norm with its running statistics).
double evaluate(nn::Module& net, const nn::data::Dataset& test, double mean, double stddev) {
    tg::NoGradGuard no_grad;
    net.eval();
    nn::data::DataLoader loader(
        test,
        nn::data::DataLoaderOptions().batch_size(1000).shuffle(false).normalize(mean, stddev));
    std::size_t correct = 0;
    for (const auto& b : loader) correct += nn::count_correct(net(b.inputs), b.labels);
    net.train();
    return static_cast<double>(correct) / static_cast<double>(test.size());
}

Report analyse(nn::Module& net, const std::vector<nn::data::Batch>& batches, const Config& c,
               const Options& o, const fs::path& dir, example::Panel& panel) {
    Report r;
    r.title = c.title;
    r.weight_decay = c.weight_decay;
    net.eval();
    const std::vector<Tensor> params = net.parameters();
    r.parameters = net.num_parameters();
    // The training objective on batch b: cross-entropy, plus the L2 penalty if any.
    auto objective = [&](std::size_t b) {
        Tensor loss = tg::cross_entropy(net(batches[b].inputs), batches[b].labels);
        if (c.weight_decay > 0) {
            Tensor squares;
            for (const Tensor& p : params)
                squares = tg::add_defined(squares, tg::sum(tg::square(p)));
            loss = loss + 0.5 * c.weight_decay * squares;
        }
        return loss;
    };

    std::vector<double> v1, v2;
    {
        tg::HessianOperator H(objective, batches.size(), params);
        r.loss = H.loss();
        r.setup_seconds = H.setup_seconds();

        tg::LanczosOptions lo;
        lo.max_iter = o.lanczos_iter;
        lo.tolerance = o.tolerance;
        lo.seed = o.seed;
        const tg::EigenResult top = tg::hessian_eigenpairs_lanczos(H, o.top_k, lo);
        r.lanczos_top = top.eigenvalues;
        r.lanczos_converged = top.converged;
        r.costs.push_back({"Lanczos, top " + std::to_string(o.top_k), top.products, top.seconds});
        v1 = top.eigenvectors.at(0);
        v2 = top.eigenvectors.at(std::min<std::size_t>(1, o.top_k - 1));

        lo.which = tg::EigenOrder::smallest;
        const tg::EigenResult bottom = tg::hessian_eigenpairs_lanczos(H, 1, lo);
        r.lambda_min = bottom.eigenvalues[0];
        r.lambda_min_converged = bottom.converged;
        r.kappa = r.lanczos_top[0] / std::abs(r.lambda_min);
        r.costs.push_back({"Lanczos, lambda_min", bottom.products, bottom.seconds});

        tg::PowerIterationOptions po;
        po.max_iter = o.power_iter;
        po.tolerance = o.tolerance;
        po.seed = o.seed;
        const tg::EigenResult power = tg::hessian_eigenpairs_power(H, o.top_k, po);
        r.power_top = power.eigenvalues;
        r.power_converged = power.converged;
        r.costs.push_back(
            {"power iteration, top " + std::to_string(o.top_k), power.products, power.seconds});

        tg::HutchinsonOptions ho;
        ho.max_samples = o.trace_samples;
        ho.seed = o.seed;
        const tg::TraceEstimate trace = tg::hessian_trace(H, ho);
        r.trace = trace.estimate;
        r.trace_se = trace.standard_error;
        r.trace_samples = trace.samples;
        r.costs.push_back({"Hutchinson trace", trace.products, trace.seconds});

        tg::SlqOptions so;
        so.num_vectors = o.slq_vectors;
        so.lanczos_steps = o.slq_steps;
        so.seed = o.seed;
        const tg::SpectralDensity rho = tg::hessian_spectral_density(H, so);
        r.slq_trace = rho.moment(1) * static_cast<double>(rho.dimension);
        r.costs.push_back({"SLQ density", rho.products, rho.seconds});
        r.hvp_per_second = static_cast<double>(H.products()) / H.product_seconds();

        const double width = std::max(rho.max_node() - rho.min_node(), 1e-12);
        panel.sigma = o.sigma * width;
        const double lo_t = rho.min_node() - 0.05 * width, hi_t = rho.max_node() + 0.05 * width;
        const std::size_t points = 1500;
        std::vector<double> t(points);
        for (std::size_t i = 0; i < points; ++i)
            t[i] = lo_t + (hi_t - lo_t) * static_cast<double>(i) / (points - 1);
        example::write_density_csv(dir, c.tag, t, rho.density(lo_t, hi_t, points, panel.sigma));
    }
    {
        // Forward-over-reverse for comparison: every product reruns the forward pass.
        tg::HessianOperatorOptions fo;
        fo.mode = tg::HvpMode::forward_over_reverse;
        tg::HessianOperator F(objective, batches.size(), params, fo);
        tg::Generator gen(o.seed);
        std::vector<double> x(F.size());
        for (double& v : x) v = gen.normal();
        for (int i = 0; i < 5; ++i) F(x);
        r.fwd_hvp_per_second = static_cast<double>(F.products()) / F.product_seconds();
    }

    // The loss surface L(theta + alpha v1 + beta v2), without recording.
    const auto t0 = std::chrono::steady_clock::now();
    const double radius = o.radius > 0 ? o.radius : 2 / std::sqrt(std::abs(r.lanczos_top[0]));
    std::vector<double> coords(o.grid);
    for (std::size_t i = 0; i < o.grid; ++i)
        coords[i] = -radius + 2 * radius * static_cast<double>(i) / (o.grid - 1);
    const tg::optim::FlatVector theta0 = tg::optim::gather_values(params);
    std::vector<std::vector<double>> surface(o.grid, std::vector<double>(o.grid));
    {
        tg::NoGradGuard no_grad;
        tg::optim::FlatVector theta(theta0.size());
        for (std::size_t i = 0; i < o.grid; ++i) {
            for (std::size_t j = 0; j < o.grid; ++j) {
                for (std::size_t k = 0; k < theta.size(); ++k)
                    theta[k] = theta0[k] + coords[i] * v1[k] + coords[j] * v2[k];
                tg::optim::scatter_values(theta, params);
                double loss = 0;
                for (std::size_t b = 0; b < batches.size(); ++b)
                    loss += objective(b).item() / static_cast<double>(batches.size());
                surface[i][j] = loss;
            }
        }
        tg::optim::scatter_values(theta0, params);
    }
    r.costs.push_back({"loss surface, " + std::to_string(o.grid) + "x" + std::to_string(o.grid) +
                           " (forward passes only)",
                       0, seconds_since(t0)});
    example::write_surface_csv(dir, c.tag, coords, surface);
    panel.tag = c.tag;
    panel.title = c.title;
    panel.top_eigenvalues = r.lanczos_top;
    panel.radius = radius;
    panel.center_loss = r.loss;
    net.train();
    return r;
}

std::string join(const std::vector<double>& v, const char* fmt) {
    std::string s;
    char buf[64];
    for (std::size_t i = 0; i < v.size(); ++i) {
        std::snprintf(buf, sizeof buf, fmt, v[i]);
        s += (i ? " " : "") + std::string(buf);
    }
    return s;
}

void print_report(const Report& r) {
    std::printf(
        "\n== %s: %zu parameters, test accuracy %.4f, objective %.4f on the Hessian "
        "batches\n",
        r.title.c_str(), r.parameters, r.test_accuracy, r.loss);
    std::printf("  top eigenvalues, Lanczos:         %s%s\n", join(r.lanczos_top, "%10.4f").c_str(),
                r.lanczos_converged ? "" : "  (not converged)");
    std::printf("  top eigenvalues, power iteration: %s%s\n", join(r.power_top, "%10.4f").c_str(),
                r.power_converged ? "" : "  (not converged)");
    std::printf(
        "  lambda_min %.5f%s   condition estimate kappa = lambda_max / |lambda_min| = "
        "%.1f\n",
        r.lambda_min, r.lambda_min_converged ? "" : " (not converged)", r.kappa);
    std::printf("  trace: Hutchinson %.3f +- %.3f (%zu samples), SLQ %.3f\n", r.trace, r.trace_se,
                r.trace_samples, r.slq_trace);
    if (r.weight_decay > 0) {
        // The objective's Hessian is the data Hessian plus mu I.
        const double mu = r.weight_decay, n = static_cast<double>(r.parameters);
        std::printf(
            "  without the L2 term mu I, the data Hessian: lambda_max %.4f, lambda_min %.5f, "
            "trace %.3f (%.3f - mu n)\n",
            r.lanczos_top[0] - mu, r.lambda_min - mu, r.trace - mu * n, r.trace);
    }
    std::printf("  %-40s %9s %9s %9s\n", "tool", "HVPs", "seconds", "HVP/s");
    for (const ToolCost& c : r.costs) {
        if (c.products > 0) {
            std::printf("  %-40s %9zu %9.2f %9.1f\n", c.name.c_str(), c.products, c.seconds,
                        static_cast<double>(c.products) / c.seconds);
        } else {
            std::printf("  %-40s %9s %9.2f\n", c.name.c_str(), "-", c.seconds);
        }
    }
    std::printf(
        "  graphs built once: %.2f s; HVPs/s: %.1f reverse-over-reverse (cached graph), "
        "%.1f forward-over-reverse (recomputed)\n",
        r.setup_seconds, r.hvp_per_second, r.fwd_hvp_per_second);
}

void write_summary(const fs::path& dir, const std::vector<Report>& reports) {
    std::ofstream f(dir / "summary.csv");
    f << "model,test_accuracy,objective,lambda_1,lambda_2,lambda_3,lambda_min,kappa,trace,trace_se,"
         "slq_trace,hvp_per_second\n";
    for (const Report& r : reports) {
        f << '"' << r.title << '"' << "," << r.test_accuracy << "," << r.loss;
        for (std::size_t i = 0; i < 3; ++i)
            f << "," << (i < r.lanczos_top.size() ? r.lanczos_top[i] : NAN);
        f << "," << r.lambda_min << "," << r.kappa << "," << r.trace << "," << r.trace_se << ","
          << r.slq_trace << "," << r.hvp_per_second << "\n";
    }
}

// Refuses sizes that cannot fit in memory, before any work: the float32 parameters of the MLP
// with their gradients, momentum and the Lanczos vectors, and the activations of the Hessian
// batches kept for the Hessian-vector products.
void check_memory(const Options& o, const std::string& sizes) {
    const double h = double(o.hidden);
    const double parameters = 784 * h + h + h * h + h + h * 10 + 10 + 4 * h;
    const double vectors = double(o.lanczos_iter) + double(o.top_k) + 4;
    const double examples = double(o.hessian_batches) * double(o.hessian_batch_size);
    example::check_fits_in_memory(
        "the model with " + sizes,
        4 * (parameters * (3 + vectors) + examples * (784 + 8 * h) + double(o.train_size) * 784));
}

int run(const Options& o) {
    const fs::path dir(o.out);
    const auto [train_set, test_set] = load(o);
    const auto [mean, stddev] = train_set.pixel_mean_std();
    const std::size_t hessian_examples = o.hessian_batches * o.hessian_batch_size;
    if (hessian_examples > train_set.size()) {
        throw tg::ValueError("the Hessian batches need " + std::to_string(hessian_examples) +
                             " training examples, there are " + std::to_string(train_set.size()));
    }
    std::printf(
        "data: %s: %zu training and %zu test images; Hessians over %zu batches of %zu "
        "training images\n",
        o.data.c_str(), train_set.size(), test_set.size(), o.hessian_batches, o.hessian_batch_size);
    // Fixed batches for every Hessian: the first training examples, in order.
    std::vector<nn::data::Batch> batches;
    nn::data::DataLoader fixed(train_set.slice(0, hessian_examples),
                               nn::data::DataLoaderOptions()
                                   .batch_size(o.hessian_batch_size)
                                   .shuffle(false)
                                   .normalize(mean, stddev));
    for (const auto& b : fixed) batches.push_back(b);

    char l2[64];
    std::snprintf(l2, sizeof l2, "L2 %g", o.weight_decay);
    const std::vector<Config> configs = {
        {"plain", "MLP", false, 0.0},
        {"l2", "MLP, " + std::string(l2), false, o.weight_decay},
        {"bn", "MLP + batch norm", true, 0.0},
        {"bn_l2", "MLP + batch norm, " + std::string(l2), true, o.weight_decay}};
    std::vector<Report> reports;
    std::vector<example::Panel> panels;
    for (const Config& c : configs) {
        std::printf("\ntraining: %s\n", c.title.c_str());
        std::fflush(stdout);
        auto net = make_mlp(o.hidden, c.batch_norm, o.seed);
        train(*net, train_set, mean, stddev, c, o);
        std::printf("analysing the Hessian: eigenpairs, trace, density, loss surface...\n");
        std::fflush(stdout);
        example::Panel panel;
        Report r = analyse(*net, batches, c, o, dir, panel);
        r.test_accuracy = evaluate(*net, test_set, mean, stddev);
        print_report(r);
        reports.push_back(r);
        panels.push_back(panel);
    }
    write_summary(dir, reports);
    std::printf("\nCSV files (densities, surfaces, summary.csv) are in %s\n", dir.string().c_str());
    const example::PlotResult plotted = example::plot(dir, example::gnuplot_script(dir, panels));
    if (plotted == example::PlotResult::drawn) {
        std::printf("plots: %s and %s\n", (dir / "density.png").string().c_str(),
                    (dir / "surface.png").string().c_str());
    }
    return plotted == example::PlotResult::failed ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    o.out = example::default_output_dir("hessian_spectrum_out").string();
    CLI::App app{"Hessian spectra of an MLP with and without L2 weight decay and batch norm"};
    app.add_option("--data", o.data,
                   "MNIST-format directory ({train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]; "
                   "t10k alone will do)")
        ->capture_default_str();
    app.add_option("--out", o.out, "Directory for the CSV files and the PNG plots")
        ->capture_default_str();
    auto number = [&](const std::string& name, auto& value, const std::string& description,
                      const example::Bounds& bounds) {
        example::add_number(app, name, value, description, bounds)->capture_default_str();
    };
    number("--epochs", o.epochs, "Training epochs per model", example::positive());
    number("--batch", o.batch, "Training mini-batch size", example::positive());
    number("--lr", o.lr, "SGD learning rate", example::positive());
    number("--momentum", o.momentum, "SGD momentum", example::between(0.0, 1.0));
    number("--weight-decay", o.weight_decay, "L2 weight decay mu of the L2 models",
           example::positive());
    number("--hidden", o.hidden, "Units per hidden layer", example::positive());
    number("--train-size", o.train_size, "Training examples at most", example::positive());
    number("--hessian-batches", o.hessian_batches, "Batches the Hessian averages over",
           example::positive());
    number("--hessian-batch-size", o.hessian_batch_size, "Examples per Hessian batch",
           example::positive());
    number("--top-k", o.top_k, "Top eigenpairs to find", example::between(2, 50));
    number("--tolerance", o.tolerance, "Relative tolerance of the eigen-solvers",
           example::positive());
    number("--lanczos-iter", o.lanczos_iter, "Lanczos steps at most", example::positive());
    number("--power-iter", o.power_iter, "Power iterations per eigenpair at most",
           example::positive());
    number("--trace-samples", o.trace_samples, "Hutchinson samples at most",
           example::between(10, 100000));
    number("--slq-vectors", o.slq_vectors, "SLQ starting vectors", example::positive());
    number("--slq-steps", o.slq_steps, "Lanczos steps per SLQ vector", example::positive());
    number("--sigma", o.sigma, "Density broadening, as a fraction of the spectrum's width",
           example::positive());
    number("--grid", o.grid, "Loss-surface grid points per axis", example::between(3, 201));
    number("--radius", o.radius,
           "Loss surface over [-r, r]^2 in parameter space (0: 2 / sqrt(lambda_max))",
           example::non_negative());
    number("--seed", o.seed, "Seed of the weights, the shuffling and the random vectors",
           example::any_number());
    CLI11_PARSE(app, argc, argv);
    const std::string sizes =
        "--hidden " + std::to_string(o.hidden) + " --train-size " + std::to_string(o.train_size) +
        " --hessian-batches " + std::to_string(o.hessian_batches) + " --hessian-batch-size " +
        std::to_string(o.hessian_batch_size) + " --lanczos-iter " + std::to_string(o.lanczos_iter);
    return example::guarded_main("hessian_spectrum", sizes, [&] {
        tg::set_num_threads(1);
        check_memory(o, sizes);
        example::prepare_output_dir("--out", o.out);
        return run(o);
    });
}
