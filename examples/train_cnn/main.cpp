// train_cnn: trains the `cnn` benchmark network on Fashion-MNIST (or any MNIST-format
// directory) and reports its test accuracy.
//
//     build/examples/train_cnn                       # Fashion-MNIST from the Debian package
//     build/examples/train_cnn --data DIR --epochs 3 --json
//     mpirun -np 2 build/examples/train_cnn --threads 1   # data-parallel, 2 processes
//
// conv 5x5 (1->c1), batch norm, ReLU, 2x2 max-pool, conv 5x5 (c1->c2), batch norm, ReLU,
// 2x2 max-pool, flatten, linear (c2*16)->10: the `cnn` benchmark network with its channels
// doubled by default (--channels 8,16 gives the workload's exactly), trained with cross-entropy
// (log-softmax + NLL) and Adam (or SGD with momentum: --optimizer sgd) from tg::optim under a
// cosine learning-rate schedule. It shows a progress bar while it trains, prints the test accuracy,
// saves the model as an .npz archive (docs/checkpoint-format.md) and plots the training curve with
// gnuplot.
//
// Under mpirun (and with tapegrad built with MPI), each of the N processes trains on its shard
// of every global batch of --batch examples (--batch / N each), the gradients are averaged over
// the processes after every backward pass, and only rank 0 shows the progress bar, saves the
// model and writes the plot (docs/distributed.md). Started without mpirun it is the usual single
// process.

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

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
#include "data_parallel.hpp"
#include "tapegrad.hpp"

namespace {

namespace nn = tg::nn;
using example::seconds_since;

struct Options {
    std::string data = "/usr/share/datasets/fashion-mnist";
    int epochs = 1;
    int batch = 32;
    // Adam reaches 0.8895 to 0.8930 test accuracy in one epoch over three seeds, SGD with
    // momentum 0.8827 to 0.8854 (each with its default lr and the cosine schedule).
    std::string optimizer = "adam";
    double lr = 0.005;      // 0.05 with SGD, unless --lr is given
    double momentum = 0.9;  // SGD's momentum, or Adam's beta1
    std::uint64_t seed = 1;
    int threads = 1;
    std::string out = "train_cnn.npz";
    std::string plot = "train_cnn.png";
    bool json = false;
    std::size_t limit = 0;  // train on the first `limit` examples only (0: all)
    std::string schedule = "cosine";
    // The workload's network has 8 and 16 channels; twice as many reach 0.88 test accuracy on
    // Fashion-MNIST in one epoch (with 8 and 16 over three seeds: 0.873 to 0.878 with SGD and
    // momentum, 0.8745 to 0.8794 with Adam).
    std::vector<std::size_t> channels{16, 32};
    std::size_t hidden = 0;
};

// The learning rate after `done` of `total` steps: constant, or a cosine from lr down to 0.
double scheduled_lr(const Options& o, std::size_t done, std::size_t total) {
    if (o.schedule == "constant") return o.lr;
    const double pi = 3.14159265358979323846;
    return 0.5 * o.lr * (1 + std::cos(pi * static_cast<double>(done) / static_cast<double>(total)));
}

// The `cnn` workload's network with c1 and c2 channels (8 and 16 in the workload), and an
// optional hidden layer of `hidden` units before the output. Batch norm comes from dp:
// BatchNorm2d, or SyncBatchNorm with --sync-bn under mpirun.
std::shared_ptr<nn::Sequential> make_cnn(std::size_t c1, std::size_t c2, std::size_t hidden,
                                         tg::Generator& gen, const DataParallel& dp) {
    auto net = std::make_shared<nn::Sequential>(
        std::make_shared<nn::Conv2d>(nn::Conv2dOptions(1, c1, 5), gen), dp.batch_norm(c1),
        std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(nn::MaxPool2dOptions(2)),
        std::make_shared<nn::Conv2d>(nn::Conv2dOptions(c1, c2, 5), gen), dp.batch_norm(c2),
        std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(nn::MaxPool2dOptions(2)),
        std::make_shared<nn::Flatten>());
    std::size_t features = c2 * 4 * 4;
    if (hidden > 0) {
        net->push_back(std::make_shared<nn::Linear>(nn::LinearOptions(features, hidden), gen));
        net->push_back(std::make_shared<nn::ReLU>());
        features = hidden;
    }
    net->push_back(std::make_shared<nn::Linear>(nn::LinearOptions(features, 10), gen));
    return net;
}

// A tg::optim first-order optimizer, and how to set its learning rate (the schedule changes it
// before every step).
struct Optimizer {
    std::unique_ptr<tg::optim::FirstOrderOptimizer> method;
    std::function<void(double)> set_lr;
    void step() { method->step(); }
};

Optimizer make_optimizer(const Options& o, const nn::NamedTensors& params) {
    namespace optim = tg::optim;
    if (o.optimizer == "sgd") {
        // The lecture's momentum: v <- momentum v - lr grad, w <- w + v.
        auto sgd =
            std::make_unique<optim::SGD>(params, optim::SGDOptions(o.lr).momentum(o.momentum));
        optim::SGD* p = sgd.get();
        return {std::move(sgd), [p](double lr) { p->options().lr(lr); }};
    }
    auto adam =
        std::make_unique<optim::Adam>(params, optim::AdamOptions(o.lr).betas({o.momentum, 0.999}));
    optim::Adam* p = adam.get();
    return {std::move(adam), [p](double lr) { p->options().lr(lr); }};
}

// Test accuracy in eval mode (batch norm uses its running statistics), without recording.
// Distributed, each process evaluates its shard of the test set (every example once) and the
// counts are summed.
double evaluate(nn::Module& net, const nn::data::Dataset& test,
                const nn::data::DataLoaderOptions& options, const DataParallel& dp) {
    tg::NoGradGuard no_grad;
    net.eval();
    double correct = 0, seen = 0, unused = 0;
    dp.with_loader(test, options, true, [&](auto& loader) {
        for (const auto& batch : loader) {
            correct += static_cast<double>(nn::count_correct(net(batch.inputs), batch.labels));
            seen += static_cast<double>(batch.size());
        }
    });
    dp.all_reduce(unused, correct, seen);
    net.train();
    return correct / seen;
}

// The training curve as a PNG through gnuplot. Returns false if gnuplot failed.
bool plot_curve(const example::TrainingCurve& curve, const std::string& path, bool quiet) {
    if (path.empty() || curve.empty()) return true;
    const std::string script =
        "set terminal pngcairo size 900,500\nset output " + example::gnuplot_quote(path) + "\n" +
        curve.gnuplot_commands("train\\_cnn: running training loss and accuracy");
    const example::PlotResult result = example::run_gnuplot(script, {path}, stderr);
    if (result == example::PlotResult::drawn && !quiet)
        std::cerr << "training curve: " << path << "\n";
    return result != example::PlotResult::failed;
}

// What can be checked before a long run: that the model and the plot can be written where
// --out and --plot say, and that the sizes given fit in memory.
void check_before_training(const Options& o, const std::string& sizes) {
    if (!o.out.empty()) example::check_output_file("--out", o.out);
    if (!o.plot.empty()) example::check_output_file("--plot", o.plot);
    // Parameters (float32) of the network make_cnn builds, each with its gradient and Adam's
    // two moments (SGD keeps one).
    const double c1 = double(o.channels[0]), c2 = double(o.channels[1]), h = double(o.hidden);
    const double features = c2 * 16;
    const double parameters = c1 * 25 + c1 + 2 * c1 + c2 * c1 * 25 + c2 + 2 * c2 +
                              (h > 0 ? features * h + h + h * 10 + 10 : features * 10 + 10);
    // One batch's activations: the first convolution's output [batch, c1, 24, 24] and what the
    // layers after it keep for the backward pass, a few times that.
    const double activations = double(o.batch) * (4 * c1 * 24 * 24 + 4 * c2 * 8 * 8 + 2 * h);
    example::check_fits_in_memory("the run with " + sizes, 4 * (4 * parameters + activations));
}

// The distributed timings as JSON fields (empty for one process): the gradient all-reduce's time
// per step (hooks and synchronize()) and its share of the step (forward, backward, all-reduce and
// update), and with --barrier-timing the wait for the slowest process, measured apart.
std::string sync_json(const DataParallel& dp, std::size_t steps, double step_seconds) {
    if (!dp.distributed() || steps == 0) return "";
    const SyncTiming& t = dp.timing();
    const double n = static_cast<double>(steps);
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  ", \"allreduce_ms_per_step\": %.4f, \"allreduce_share\": %.4f, "
                  "\"barrier_ms_per_step\": %.4f, \"buckets\": %zu, \"overlap\": %s, "
                  "\"sync_bn\": %s",
                  1e3 * t.allreduce_seconds / n, t.allreduce_seconds / step_seconds,
                  1e3 * t.barrier_seconds / n, t.buckets, dp.options().overlap ? "true" : "false",
                  dp.options().sync_bn ? "true" : "false");
    return buf;
}

int run(const Options& o, DataParallel& dp) {
    tg::set_num_threads(o.threads);
    const bool quiet = o.json || !dp.is_root();  // only rank 0 talks
    const auto processes = static_cast<std::size_t>(dp.size());
    if (static_cast<std::size_t>(o.batch) % processes != 0) {
        throw tg::ValueError("--batch " + std::to_string(o.batch) +
                             " is the global batch, split evenly over the " +
                             std::to_string(processes) + " processes: make it a multiple of " +
                             std::to_string(processes));
    }

    auto t_load = std::chrono::steady_clock::now();
    nn::data::Dataset train = nn::data::load_mnist(o.data, nn::data::Split::train);
    const nn::data::Dataset test = nn::data::load_mnist(o.data, nn::data::Split::test);
    if (o.limit > 0 && o.limit < train.size()) train = train.slice(0, o.limit);
    const auto [mean, stddev] = train.pixel_mean_std();
    const double load_seconds = seconds_since(t_load);
    if (!quiet) {
        std::cerr << "data: " << o.data << ": " << train.size() << " training and " << test.size()
                  << " test images, pixel mean " << mean << " std " << stddev << " (loaded in "
                  << load_seconds << " s)\n";
    }

    tg::Generator gen(o.seed);
    auto net = make_cnn(o.channels[0], o.channels[1], o.hidden, gen, dp);
    dp.prepare(*net);  // distributed: rank 0's parameters everywhere, gradient averaging
    if (!quiet) {
        std::cerr << *net << "\n" << net->num_parameters() << " parameters\n";
        if (dp.distributed()) {
            std::cerr << processes << " processes, " << o.batch << " examples per step ("
                      << static_cast<std::size_t>(o.batch) / processes << " per process), "
                      << dp.timing().buckets << " gradient bucket"
                      << (dp.timing().buckets == 1 ? "" : "s") << ", batch norm "
                      << (dp.options().sync_bn ? "synchronised" : "per process") << "\n";
        }
    }
    Optimizer optimizer = make_optimizer(o, net->named_parameters());

    const auto options = nn::data::DataLoaderOptions()
                             .batch_size(static_cast<std::size_t>(o.batch) / processes)
                             .seed(o.seed)
                             .normalize(mean, stddev);
    const auto test_options = nn::data::DataLoaderOptions(options).batch_size(1000).shuffle(false);

    example::TrainingCurve curve;
    const auto t_train = std::chrono::steady_clock::now();
    std::size_t seen = 0, step = 0;
    double last_loss = 0, step_seconds = 0;
    dp.with_loader(train, options, false, [&](auto& train_loader) {
        const std::size_t batches = train_loader.num_batches();
        const std::size_t total_steps = static_cast<std::size_t>(o.epochs) * batches;
        example::ProgressBarOptions bar;
        bar.quiet = quiet;
        example::ProgressBar progress(static_cast<double>(total_steps), bar);
        for (int epoch = 1; epoch <= o.epochs; ++epoch) {
            // Running loss and accuracy over recent batches, from the start of each epoch.
            example::RunningAverage running_loss, running_acc;
            std::size_t b = 0;
            for (const auto& batch : train_loader) {
                const auto t_step = std::chrono::steady_clock::now();
                optimizer.set_lr(scheduled_lr(o, step++, total_steps));
                net->zero_grad();
                const tg::Tensor logits = (*net)(batch.inputs);
                const tg::Tensor loss = tg::cross_entropy(logits, batch.labels);
                loss.backward();
                dp.synchronize();  // distributed: .grad() = the average over the processes
                optimizer.step();
                step_seconds += seconds_since(t_step);

                double l = loss.item(), acc = nn::accuracy(logits, batch.labels);
                std::size_t n = batch.size();
                if (dp.distributed()) {  // the global batch's loss and accuracy
                    double loss_sum = l * double(n), correct = acc * double(n), count = double(n);
                    dp.all_reduce(loss_sum, correct, count);
                    l = loss_sum / count;
                    acc = correct / count;
                    n = static_cast<std::size_t>(count);
                }
                running_loss.add(l);
                running_acc.add(acc);
                last_loss = running_loss.value();
                seen += n;
                ++b;
                if (b % 20 == 0 || b == batches)
                    curve.add(double(seen), last_loss, running_acc.value());
                progress.update(double(step), last_loss, running_acc.value(), double(seen),
                                seconds_since(t_train),
                                "epoch " + std::to_string(epoch) + "/" + std::to_string(o.epochs));
            }
        }
        progress.finish();
    });
    const double train_seconds = seconds_since(t_train);

    const auto t_eval = std::chrono::steady_clock::now();
    dp.average_buffers(*net);  // per-process batch-norm statistics: their average
    const double accuracy = evaluate(*net, test, test_options, dp);
    const double eval_seconds = seconds_since(t_eval);
    const double per_second = static_cast<double>(seen) / train_seconds;

    if (!dp.is_root()) return 0;  // rank 0 saves, plots and reports
    if (!o.out.empty()) nn::save(*net, o.out);
    const bool plotted = plot_curve(curve, o.plot, quiet);

    if (o.json) {
        std::printf(
            "{\"test_accuracy\": %.4f, \"epochs\": %d, \"seconds\": %.3f, "
            "\"examples_per_second\": %.1f, \"train_loss\": %.4f, \"batch\": %d, \"lr\": %g, "
            "\"momentum\": %g, \"seed\": %llu, \"threads\": %d, \"train_examples\": %zu, "
            "\"eval_seconds\": %.3f, \"load_seconds\": %.3f, \"model\": \"%s\", "
            "\"optimizer\": \"%s\", \"processes\": %zu, \"steps\": %zu, \"step_ms\": %.3f%s}\n",
            accuracy, o.epochs, train_seconds, per_second, last_loss, o.batch, o.lr, o.momentum,
            static_cast<unsigned long long>(o.seed), o.threads, train.size(), eval_seconds,
            load_seconds, o.out.c_str(), o.optimizer.c_str(), processes, step,
            1e3 * step_seconds / static_cast<double>(std::max<std::size_t>(step, 1)),
            sync_json(dp, step, step_seconds).c_str());
    } else {
        std::printf("test accuracy %.4f after %d epoch%s (%.1f s, %.0f examples/s)\n", accuracy,
                    o.epochs, o.epochs == 1 ? "" : "s", train_seconds, per_second);
        if (dp.distributed()) {
            const double per_step = 1e3 * dp.timing().allreduce_seconds / double(step);
            std::printf("%zu processes; gradient all-reduce %.3f ms per step, %.1f%% of the step\n",
                        processes, per_step,
                        100 * dp.timing().allreduce_seconds / std::max(step_seconds, 1e-12));
        }
        if (!o.out.empty()) std::printf("model saved to %s\n", o.out.c_str());
    }
    return plotted ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app{"Train the cnn network on Fashion-MNIST (or any MNIST-format directory)"};
    app.add_option("--data", o.data,
                   "Directory of {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]")
        ->capture_default_str();
    example::add_number(app, "--epochs", o.epochs, "Passes over the training set",
                        example::positive())
        ->capture_default_str();
    example::add_number(app, "--batch", o.batch, "Mini-batch size", example::positive())
        ->capture_default_str();
    app.add_option("--optimizer", o.optimizer, "adam, or sgd (with momentum)")
        ->capture_default_str()
        ->check(CLI::IsMember({"adam", "sgd"}));
    auto* lr = example::add_number(app, "--lr", o.lr,
                                   "Learning rate (default: 0.005 with adam, 0.05 with sgd)",
                                   example::above_up_to(0, 1e6));
    example::add_number(app, "--momentum", o.momentum, "SGD's momentum, or Adam's beta1",
                        example::between(0.0, 1.0))
        ->capture_default_str();
    example::add_number(app, "--seed", o.seed, "Seed for the parameters and the shuffling")
        ->capture_default_str();
    example::add_number(app, "--threads", o.threads, "Threads for BLAS", example::positive())
        ->capture_default_str();
    app.add_option("--out", o.out, "Where to save the trained model (.npz; empty: do not save)")
        ->capture_default_str();
    app.add_option("--plot", o.plot, "PNG of the training curve, through gnuplot (empty: none)")
        ->capture_default_str();
    example::add_number(app, "--limit", o.limit, "Train on the first N examples only (0: all)",
                        example::non_negative())
        ->capture_default_str();
    app.add_option("--schedule", o.schedule, "Learning-rate schedule: cosine (to 0) or constant")
        ->capture_default_str()
        ->check(CLI::IsMember({"cosine", "constant"}));
    example::add_number(app, "--channels", o.channels, "Channels of the two convolutions",
                        example::positive())
        ->delimiter(',')
        ->expected(2)
        ->capture_default_str();
    example::add_number(app, "--hidden", o.hidden,
                        "Units of a hidden layer before the output (0: none)",
                        example::non_negative())
        ->capture_default_str();
    app.add_flag("--json", o.json, "Print one JSON object with the results, and nothing else");
    ParallelOptions po;
#if TAPEGRAD_WITH_MPI
    app.add_flag("--sync-bn", po.sync_bn,
                 "Under mpirun: batch statistics over all processes (SyncBatchNorm) instead of "
                 "per process");
    example::add_number(app, "--bucket-mb", po.bucket_mb,
                        "Under mpirun: largest gradient bucket, in MiB",
                        example::between(1e-6, 1024.0))
        ->capture_default_str();
    app.add_flag(
        "--no-overlap", [&po](std::int64_t) { po.overlap = false; },
        "Under mpirun: all-reduce the gradients after backward, not from its hooks");
    app.add_flag("--barrier-timing", po.barrier_before_sync,
                 "Under mpirun: wait for all processes before each all-reduce, to time the "
                 "all-reduce apart from the wait for the slowest process");
#endif
    CLI11_PARSE(app, argc, argv);
    if (lr->count() == 0 && o.optimizer == "sgd") o.lr = 0.05;
    const std::string sizes = "--channels " + std::to_string(o.channels[0]) + "," +
                              std::to_string(o.channels[1]) + " --hidden " +
                              std::to_string(o.hidden) + " --batch " + std::to_string(o.batch);
    // Under mpirun, MPI starts here; one process's error then ends the whole job, with its rank.
    return example::guarded_main("train_cnn", sizes, [&] {
        check_before_training(o, sizes);
        DataParallel dp(po);
        if (dp.size() > 1) return dp.run([&] { return run(o, dp); }, "train_cnn");
        return run(o, dp);
    });
}
