// custom_op: a new activation written as a user-defined op, in user code, with nothing but
// tapegrad's public headers (docs/custom_ops.md explains each piece).
//
// Swish (Ramachandran, Zoph & Le, 2017), y = x sigmoid(beta x), with a learnable beta per
// feature:
//   1. the forward pass from arrays: tg::map_elements runs one generic lambda in float or double
//      and broadcasts beta [D] against x [N, D];
//   2. the reverse (vjp) and forward (jvp) rules written with tapegrad ops, so that the op can be
//      differentiated twice (JAX's custom_vjp cannot: jax#16049);
//   3. gradcheck and gradgradcheck against finite differences, and a graph export (DOT);
//   4. a small MLP, 784 -> hidden -> Swish -> 10, trained with tg::optim::Adam on MNIST-format
//      data, with a progress bar, a gnuplot PNG of the training curve and of the learned betas.
//
//   build/examples/custom_op [--data DIR] [--epochs N] [--out DIR]

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "common/cli_numbers.hpp"
#include "common/gnuplot.hpp"
#include "common/main_guard.hpp"
#include "common/memory_check.hpp"
#include "common/output_dir.hpp"
#include "common/progress_bar.hpp"
#include "common/running_average.hpp"
#include "common/stopwatch.hpp"
#include "common/training_curve.hpp"
#include "tapegrad.hpp"

namespace {

namespace fs = std::filesystem;
namespace nn = tg::nn;
using example::seconds_since;
using tg::Tensor;

// ---- the op ----------------------------------------------------------------------------------
// y = x s with s = sigmoid(beta x):
//   dy/dx    = s + beta x s (1 - s)
//   dy/dbeta = x^2 s (1 - s)

// Both partial derivatives, as tapegrad ops (so that they are recorded under create_graph).
struct SwishSlopes {
    Tensor dx, dbeta;
};
SwishSlopes swish_slopes(const Tensor& x, const Tensor& beta) {
    const Tensor s = tg::sigmoid(beta * x);
    const Tensor ds = s * (1.0 - s);
    return {s + beta * x * ds, tg::square(x) * ds};
}

// Reverse rule: the gradient of each input that needs one, summed back to its shape (beta was
// broadcast over the batch).
void swish_vjp(const tg::OpCall& call, const Tensor& grad_out, Tensor* grad_in) {
    const Tensor& x = call.in(0);
    const Tensor& beta = call.in(1);
    const SwishSlopes d = swish_slopes(x, beta);
    if (call.needs_grad(0)) grad_in[0] = tg::sum_to(grad_out * d.dx, x.shape());
    if (call.needs_grad(1)) grad_in[1] = tg::sum_to(grad_out * d.dbeta, beta.shape());
}

// Forward rule: the tangent of y from the tangents of x and beta (either may be undefined).
Tensor swish_jvp(const tg::OpCall& call, const Tensor* tangents) {
    const SwishSlopes d = swish_slopes(call.in(0), call.in(1));
    Tensor t;
    if (tangents[0].defined()) t = tangents[0] * d.dx;
    if (tangents[1].defined()) t = tg::add_defined(t, tangents[1] * d.dbeta);
    return t.defined() ? tg::broadcast_to(t, call.out().shape()) : t;
}

// Static storage: the tape keeps a pointer to it.
const tg::OpDef kSwish{"swish", swish_vjp, swish_jvp};

Tensor swish(const Tensor& x, const Tensor& beta) {
    Tensor y = tg::map_elements(
        "swish",
        [](auto v, auto b) {
            using T = decltype(v);
            const T u = b * v;  // x sigmoid(u), never exponentiating a large positive number
            if (u >= T(0)) return v / (T(1) + std::exp(-u));
            const T e = std::exp(u);
            return v * e / (T(1) + e);
        },
        x, beta);
    return tg::record(kSwish, std::move(y), {x, beta});
}

// ---- the op as a layer -------------------------------------------------------------------------
class Swish : public nn::Module {
  public:
    Swish(std::size_t features, tg::DType dtype) : Module("Swish") {
        beta = register_parameter("beta", tg::ones({features}, dtype));
    }
    Tensor forward(const Tensor& input) override { return swish(input, beta); }
    std::string repr() const override {
        return "Swish(features=" + std::to_string(beta.numel()) + ", learnable beta)";
    }
    Tensor beta;
};

// ---- checks ------------------------------------------------------------------------------------
bool check_gradients(const fs::path& out) {
    tg::Generator gen(7);
    const Tensor x = tg::randn({4, 5}, gen, tg::kFloat64).requires_grad_();
    const Tensor beta = tg::uniform({5}, 0.5, 2.0, gen, tg::kFloat64).requires_grad_();
    const Tensor w = tg::randn({5, 3}, gen, tg::kFloat64);
    tg::GradcheckOptions opts;
    opts.names = {"x", "beta"};
    bool ok = true;
    auto run = [&](const char* what, const tg::TensorFunction& f) {
        const tg::GradcheckReport first = tg::gradcheck(f, {x, beta}, opts);
        const tg::GradcheckReport second = tg::gradgradcheck(f, {x, beta}, opts);
        std::printf("%s\n  first order:  %s\n%s  second order: %s\n%s", what,
                    first.to_string().c_str(), first.table().c_str(), second.to_string().c_str(),
                    second.table().c_str());
        ok = ok && first.passed && second.passed;
    };
    run("swish(x, beta)", [](const std::vector<Tensor>& in) { return swish(in[0], in[1]); });
    run("log_softmax(swish(x, beta) W)", [&](const std::vector<Tensor>& in) {
        return tg::log_softmax(tg::matmul(swish(in[0], in[1]), w), 1);
    });

    // The user op against the same function composed from built-in ops.
    const Tensor y_op = swish(x, beta);
    const Tensor y_ref = x * tg::sigmoid(beta * x);
    const auto g_op = tg::grad({tg::sum(tg::square(y_op))}, {x, beta});
    const auto g_ref = tg::grad({tg::sum(tg::square(y_ref))}, {x, beta});
    double diff = 0;
    auto track = [&](const Tensor& a, const Tensor& b) {
        const auto u = a.to_vector(), v = b.to_vector();
        for (std::size_t i = 0; i < u.size(); ++i) diff = std::max(diff, std::abs(u[i] - v[i]));
    };
    track(y_op, y_ref);
    track(g_op[0], g_ref[0]);
    track(g_op[1], g_ref[1]);
    std::printf(
        "user op vs x * sigmoid(beta * x) from built-in ops: max |difference| %.2e "
        "(values and gradients)\n",
        diff);
    ok = ok && diff < 1e-12;

    // The graph of a small network through the op, as Graphviz DOT (the op shows by its name).
    nn::Linear lin(nn::LinearOptions(5, 3).dtype(tg::kFloat64), gen);
    Swish act(3, tg::kFloat64);
    act.beta.set_name("act.beta");
    const Tensor loss = tg::sum(act(lin(x.detach())));
    const fs::path dot = out / "swish_graph.dot";
    tg::write_dot(dot.string(), {loss}, {"Linear, then the user-defined swish op", true});
    std::printf("graph: %s", dot.string().c_str());
    if (example::have_program("dot")) {
        const fs::path png = out / "swish_graph.png";
        if (example::run_program({"dot", "-Tpng", dot.string(), "-o", png.string()}) == 0) {
            std::printf(" and %s", png.string().c_str());
        } else {
            std::printf("\n");
            std::fprintf(stderr, "custom_op: dot failed to render %s\n", dot.string().c_str());
            ok = false;
        }
    } else {
        std::printf(" (apt-get install graphviz to render it)");
    }
    std::printf("\n");
    return ok;
}

// ---- training ----------------------------------------------------------------------------------
struct Options {
    std::string data = "/usr/share/datasets/fashion-mnist";
    std::string out;
    int epochs = 3;
    std::size_t batch = 64;
    double lr = 2e-3;
    std::size_t hidden = 128;
    std::size_t train_size = 20000;
    std::uint64_t seed = 1;
};

// The training set and a held-out test set. With a train split in `dir`, its first train_size
// examples and the t10k split; with only t10k (as in a directory holding the MNIST test set),
// its first 8000 examples for training and the last 2000 for testing.
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

// Returns false if gnuplot failed.
bool plot(const fs::path& out, const example::TrainingCurve& curve,
          const std::vector<double>& betas) {
    const fs::path png = out / "custom_op.png";
    std::string script = "set terminal pngcairo size 1200,450\nset output " +
                         example::gnuplot_quote(png.string()) + "\nset multiplot layout 1,2\n";
    script += curve.gnuplot_commands(
        "MLP with the user-defined Swish: running training loss and accuracy");
    script += "$b << EOD\n";
    for (double b : betas) script += fmt::format("{:g}\n", b);
    const auto [lo, hi] = std::minmax_element(betas.begin(), betas.end());
    script += fmt::format("EOD\nbw = {:g}\n", std::max(1e-3, (*hi - *lo) / 25));
    script +=
        "unset y2tics\nunset y2label\nset ytics mirror\n"
        "set title 'learned beta per hidden unit (all start at 1)'\nset xlabel 'beta'\n"
        "set ylabel 'hidden units'\nbin(x) = bw * floor(x / bw) + bw / 2\n"
        "set boxwidth bw\nset style fill solid 0.6\n"
        "plot $b using (bin($1)):(1.0) smooth frequency with boxes notitle\n"
        "unset multiplot\n";
    const example::PlotResult result = example::run_gnuplot(script, {png}, stderr);
    if (result == example::PlotResult::drawn) std::printf("plot: %s\n", png.string().c_str());
    return result != example::PlotResult::failed;
}

int train(const Options& o, const fs::path& out) {
    const auto [train_set, test_set] = load(o);
    const auto [mean, stddev] = train_set.pixel_mean_std();
    std::printf("\ndata: %s: %zu training and %zu test images\n", o.data.c_str(), train_set.size(),
                test_set.size());

    tg::Generator gen(o.seed);
    auto act = std::make_shared<Swish>(o.hidden, tg::kFloat32);
    auto net = std::make_shared<nn::Sequential>(
        std::make_shared<nn::Flatten>(),
        std::make_shared<nn::Linear>(nn::LinearOptions(28 * 28, o.hidden), gen), act,
        std::make_shared<nn::Linear>(nn::LinearOptions(o.hidden, 10), gen));
    std::cout << *net << "\n" << net->num_parameters() << " parameters\n";
    tg::optim::Adam adam(net->named_parameters(), tg::optim::AdamOptions(o.lr));

    nn::data::DataLoader loader(
        train_set,
        nn::data::DataLoaderOptions().batch_size(o.batch).seed(o.seed).normalize(mean, stddev));
    const std::size_t batches = loader.num_batches();
    example::ProgressBar progress(static_cast<double>(o.epochs) * static_cast<double>(batches));
    example::TrainingCurve curve;
    const auto t0 = std::chrono::steady_clock::now();
    std::size_t seen = 0, steps = 0;
    example::RunningAverage avg_loss, avg_acc;
    for (int epoch = 1; epoch <= o.epochs; ++epoch) {
        std::size_t b = 0;
        for (const auto& batch : loader) {
            adam.zero_grad();
            const Tensor logits = (*net)(batch.inputs);
            const Tensor loss = tg::cross_entropy(logits, batch.labels);
            loss.backward();
            adam.step();
            avg_loss.add(loss.item());
            avg_acc.add(nn::accuracy(logits, batch.labels));
            seen += batch.size();
            if (++b % 20 == 0 || b == batches)
                curve.add(double(seen), avg_loss.value(), avg_acc.value());
            progress.update(double(++steps), avg_loss.value(), avg_acc.value(), double(seen),
                            seconds_since(t0), fmt::format("epoch {}/{}", epoch, o.epochs));
        }
    }
    progress.finish();
    const double seconds = seconds_since(t0);
    const double accuracy = evaluate(*net, test_set, mean, stddev);

    const std::vector<double> betas = act->beta.to_vector();
    double bmean = 0;
    for (double b : betas) bmean += b / static_cast<double>(betas.size());
    std::printf("test accuracy %.4f after %d epochs (%.1f s, %.0f examples/s)\n", accuracy,
                o.epochs, seconds, static_cast<double>(seen) / seconds);
    std::printf("learned beta: mean %.3f, min %.3f, max %.3f (all started at 1)\n", bmean,
                *std::min_element(betas.begin(), betas.end()),
                *std::max_element(betas.begin(), betas.end()));
    return plot(out, curve, betas) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    o.out = example::default_output_dir("custom_op_out").string();
    CLI::App app{"Swish with a learnable beta as a user-defined op: checks, graph, training"};
    app.add_option("--data", o.data,
                   "MNIST-format directory ({train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]; "
                   "t10k alone will do)")
        ->capture_default_str();
    app.add_option("--out", o.out, "Directory for the graph and the plot")->capture_default_str();
    example::add_number(app, "--epochs", o.epochs, "Passes over the training set",
                        example::positive())
        ->capture_default_str();
    example::add_number(app, "--batch", o.batch, "Mini-batch size", example::positive())
        ->capture_default_str();
    example::add_number(app, "--lr", o.lr, "Adam's learning rate", example::positive())
        ->capture_default_str();
    example::add_number(app, "--hidden", o.hidden, "Hidden units", example::positive())
        ->capture_default_str();
    example::add_number(app, "--train-size", o.train_size, "Training examples at most",
                        example::positive())
        ->capture_default_str();
    example::add_number(app, "--seed", o.seed, "Seed of the parameters and the shuffling")
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    const std::string sizes = "--hidden " + std::to_string(o.hidden) + " --batch " +
                              std::to_string(o.batch) + " --train-size " +
                              std::to_string(o.train_size);
    return example::guarded_main("custom_op", sizes, [&] {
        tg::set_num_threads(1);
        // The MLP's float32 parameters with their gradients and Adam's two moments, and the
        // training images held in memory.
        const double h = double(o.hidden);
        const double parameters = 784 * h + h + h + h * 10 + 10;
        example::check_fits_in_memory(
            "the model with " + sizes,
            4 * (4 * parameters + double(o.train_size) * 784 + 3 * double(o.batch) * h));
        const fs::path out(o.out);
        example::prepare_output_dir("--out", out);
        if (!check_gradients(out)) {
            std::fprintf(stderr, "custom_op: a gradient check failed\n");
            return 1;
        }
        return train(o, out);
    });
}
