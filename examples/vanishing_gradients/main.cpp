// vanishing_gradients: the lecture's study of unstable gradients (Nielsen, "Neural Networks and
// Deep Learning", chapter 5), reproduced with tapegrad.
//
//     build/examples/vanishing_gradients --data ../shared/data/mnist --layers 784,30,30,30,10
//         --samples 1000 --seed 1 [--seeds 10] [--json]          (one command line)
//     build/examples/vanishing_gradients --data ../shared/data/mnist --run all --seeds 10
//
// The setup is Nielsen's: sigmoid activations everywhere, the output included; his
// cross-entropy cost for sigmoid outputs against one-hot labels (network2's CrossEntropyCost;
// not softmax + log-likelihood), averaged over the images,
//   C = -1/n sum_x sum_j [y_j ln a_j + (1 - y_j) ln(1 - a_j)],  a = s(z) the output layer,
// evaluated in the equal but stable form 1/n sum_x sum_j [softplus(z_j) - y_j z_j] (see
// networks.hpp); weights N(0, 1/n_in) and biases N(0, 1); pixels scaled to [0, 1]; the
// gradient of the mean cost over the first --samples images. The norm ||grad_b^l C|| of each
// hidden layer's bias gradient is read from tg::research::grad_stats. The 1-neuron chains
// (chain, exploding) apply the output sigmoid as a module and use tg::binary_cross_entropy on
// it, so that dC/da_L of equation (19) is there to print.
//
// Data: Nielsen used the first 1,000 MNIST *training* images. The MNIST directory the issue
// names holds only the test set (t10k, 10,000 images), so by default the first --samples t10k
// images are used (--split train uses the training images where a directory has them). The
// training experiments report accuracy on the images after the first --samples as held out.
//
// Experiments (--run, comma-separated, or all):
//   norms      ||grad_b^l C|| per hidden layer of the --layers network at initialisation, mean
//              and spread over --seeds initialisations; --json prints
//              {"layers": [...], "grad_b_norms": [...], "grad_b_norms_std": [...]}
//   depths     the same for [784,30,10] ... [784,30,30,30,30,10], next to the lecture's numbers
//   training   train [784,30,30,30,30,10] with SGD (mini-batches of --batch, eta --eta) on the
//              --samples images for --epochs epochs (default 100; the lecture's figure shows
//              500); ||grad_b^l C|| of the full-batch gradient per hidden layer at the start of
//              every epoch (and the mean over the epoch's mini-batches, recorded through
//              parameter hooks by tg::research::GradRecorder) as CSV, and as the lecture's
//              figure (training_speed.png); --lambda adds Nielsen's L2 regularisation
//   fixes      the same for ReLU + He initialisation and for batch norm after every hidden
//              linear layer, side by side with plain sigmoid (table, fixes.csv, fixes.png).
//              Also ||grad_W^l C||: with batch norm, the bias gradient of a layer whose
//              successor normalises is small by construction (the next batch norm removes the
//              batch mean of the gradient), so the weights tell more there
//   exploding  the lecture's construction, which needs one neuron per layer (b_j cancels the
//              single input w_j a_{j-1}): w_j = 100, b_j = -100 a_{j-1}, so s'(z_j) = 1/4 and
//              w_j s'(z_j) = 25; next to the same chain with N(0, 1) parameters
//              (unstable_chain.png)
//   chain      equation (19) for a 4-neuron chain, s'(z_1) w_2 s'(z_2) ... dC/da_4, next to
//              autodiff's dC/db_1
//   graph      the recorded graph of a small network and of the chain as Graphviz DOT,
//              rendered to PNG and SVG when `dot` is installed
// --stats prints tg::research::grad_stats's table (per parameter and layer: ||grad||, mean,
// max |grad|, ||w||, ||grad||/||w||) of every network measured. Outputs (CSV, PNG, DOT) go to
// --out (default vanishing_gradients_out). Long runs show a progress bar on stderr.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <limits>
#include <numeric>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "chain.hpp"
#include "common/cli_numbers.hpp"
#include "common/main_guard.hpp"
#include "common/memory_check.hpp"
#include "common/output_dir.hpp"
#include "common/progress_bar.hpp"
#include "common/stopwatch.hpp"
#include "networks.hpp"
#include "output.hpp"
#include "tapegrad.hpp"

namespace {

using namespace vg;
namespace fs = std::filesystem;

const std::vector<std::size_t> kDeepest{784, 30, 30, 30, 30, 10};

struct Options {
    std::string data;
    std::string split = "test";
    std::vector<std::size_t> layers{784, 30, 30, 30, 10};
    std::size_t samples = 1000;
    std::size_t heldout = 9000;
    std::uint64_t seed = 1;
    std::size_t seeds = 1;
    bool json = false;
    bool stats = false;
    std::vector<std::string> run{"norms"};
    std::size_t epochs = 100;
    std::size_t batch = 10;
    double eta = 0.1;
    double lambda = 0.0;
    std::vector<std::size_t> train_layers = kDeepest;
    std::size_t chain_depth = 4;
    double chain_input = 0.3;
    std::string out = "vanishing_gradients_out";
};

// The lecture's (Nielsen's) numbers, at initialisation.
std::optional<std::vector<double>> lecture_norms(const std::vector<std::size_t>& sizes) {
    if (sizes == std::vector<std::size_t>{784, 30, 30, 10}) return std::vector<double>{0.07, 0.31};
    if (sizes == std::vector<std::size_t>{784, 30, 30, 30, 10})
        return std::vector<double>{0.012, 0.06, 0.283};
    if (sizes == kDeepest) return std::vector<double>{0.003, 0.017, 0.07, 0.285};
    return std::nullopt;
}

struct MeanStd {
    double mean = 0, std = 0, min = 0, max = 0;
};

// The mean and the sample standard deviation (0 for one value).
MeanStd summarize(const std::vector<double>& v) {
    MeanStd s;
    s.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
    double sq = 0;
    for (double x : v) sq += (x - s.mean) * (x - s.mean);
    s.std = v.size() > 1 ? std::sqrt(sq / static_cast<double>(v.size() - 1)) : 0.0;
    s.min = *std::min_element(v.begin(), v.end());
    s.max = *std::max_element(v.begin(), v.end());
    return s;
}

class Study {
  public:
    explicit Study(const Options& o) : o_(o), log_(o.json ? stderr : stdout) {}

    int run() {
        std::set<std::string> todo(o_.run.begin(), o_.run.end());
        if (todo.count("all"))
            todo = {"norms", "depths", "training", "fixes", "exploding", "chain", "graph"};
        if (o_.json) todo.insert("norms");
        int status = 0;
        // In a fixed order, whatever the order on the command line.
        if (todo.count("chain")) status |= chain();
        if (todo.count("exploding")) exploding();
        if (todo.count("graph")) graph();
        if (todo.count("norms")) norms();
        if (todo.count("depths")) depths();
        if (todo.count("training")) training();
        if (todo.count("fixes")) fixes();
        return status | (outputs_failed_ ? 1 : 0);
    }

  private:
    // ---- data ----------------------------------------------------------------------------

    void load() {
        if (loaded_) return;
        if (o_.data.empty()) {
            throw tg::ValueError(
                "--data DIR is needed: a directory with MNIST's "
                "t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz] (MNIST is not "
                "packaged by Debian; e.g. --data ../shared/data/mnist)");
        }
        const auto split = o_.split == "train" ? nn::data::Split::train : nn::data::Split::test;
        const nn::data::Dataset all = nn::data::load_mnist(o_.data, split);
        split_name_ = o_.split == "train" ? "training" : "t10k";
        if (o_.samples == 0 || o_.samples > all.size()) {
            throw tg::ValueError(fmt::format("--samples {} but the {} split of {} has {} images",
                                             o_.samples, split_name_, o_.data, all.size()));
        }
        train_ds_ = all.slice(0, o_.samples);
        const std::size_t held = std::min(o_.heldout, all.size() - o_.samples);
        train_ = to_tensors(train_ds_);
        if (held > 0) heldout_ = to_tensors(all.slice(o_.samples, o_.samples + held));
        heldout_size_ = held;
        loaded_ = true;
        std::fprintf(log_, "data: the first %zu %s images of %s (pixels in [0, 1])%s\n\n",
                     o_.samples, split_name_.c_str(), o_.data.c_str(),
                     held > 0 ? fmt::format("; the next {} are held out", held).c_str() : "");
    }

    void check_sizes(const std::vector<std::size_t>& sizes, const char* option) const {
        if (sizes.size() < 3) {
            throw tg::ValueError(
                fmt::format("{} {} has no hidden layer; give input, hidden..., output", option,
                            sizes_str(sizes)));
        }
        if (sizes.front() != train_ds_.example_numel() || sizes.back() != train_ds_.num_classes()) {
            throw tg::ValueError(fmt::format(
                "{} {} must start with {} (pixels) and end with {} "
                "(classes)",
                option, sizes_str(sizes), train_ds_.example_numel(), train_ds_.num_classes()));
        }
    }

    // ||grad_b^l C|| and ||grad_W^l C|| per hidden layer for seeds seed, seed+1, ...
    std::vector<HiddenNorms> norms_over_seeds(Variant v, const std::vector<std::size_t>& sizes,
                                              bool print_stats) {
        std::vector<HiddenNorms> per_seed;
        for (std::size_t k = 0; k < o_.seeds; ++k) {
            tg::Generator gen(o_.seed + k);
            Network n = make_network(v, sizes, gen);
            tg::research::GradReport report;
            per_seed.push_back(hidden_grad_norms(n, train_, &report));
            if (print_stats && k == 0) {
                std::fprintf(log_, "gradient statistics of %s %s, seed %llu:\n%s\n",
                             variant_name(v), sizes_str(sizes).c_str(),
                             static_cast<unsigned long long>(o_.seed), report.table().c_str());
            }
        }
        return per_seed;
    }

    // [seed][layer] of the bias (or weight) gradient norms.
    static std::vector<std::vector<double>> bias_norms(const std::vector<HiddenNorms>& per_seed,
                                                       bool weights = false) {
        std::vector<std::vector<double>> out;
        for (const auto& n : per_seed) out.push_back(weights ? n.weight : n.bias);
        return out;
    }

    static std::vector<MeanStd> per_layer(const std::vector<std::vector<double>>& per_seed) {
        std::vector<MeanStd> out;
        for (std::size_t l = 0; l < per_seed.front().size(); ++l) {
            std::vector<double> column;
            for (const auto& row : per_seed) column.push_back(row[l]);
            out.push_back(summarize(column));
        }
        return out;
    }

    std::string seeds_str() const {
        return o_.seeds == 1
                   ? fmt::format("seed {}", o_.seed)
                   : fmt::format("{} seeds ({}..{})", o_.seeds, o_.seed, o_.seed + o_.seeds - 1);
    }

    // ---- norms: one network ----------------------------------------------------------------

    void norms() {
        load();
        check_sizes(o_.layers, "--layers");
        const auto per_seed = bias_norms(norms_over_seeds(Variant::sigmoid, o_.layers, o_.stats));
        const auto s = per_layer(per_seed);
        const auto lecture = lecture_norms(o_.layers);
        std::fprintf(log_,
                     "%s: ||grad_b^l C|| of each hidden layer at initialisation\n"
                     "(gradient of the mean cross-entropy over %zu %s images; %s)\n",
                     sizes_str(o_.layers).c_str(), o_.samples, split_name_.c_str(),
                     seeds_str().c_str());
        std::fprintf(log_, "  %-13s %10s %10s %10s %10s %9s\n", "hidden layer", "mean", "std",
                     "min", "max", "lecture");
        for (std::size_t l = 0; l < s.size(); ++l) {
            std::fprintf(log_, "  %-13zu %10.4g %10.4g %10.4g %10.4g %9s\n", l + 1, s[l].mean,
                         s[l].std, s[l].min, s[l].max,
                         lecture ? fmt::format("{}", (*lecture)[l]).c_str() : "-");
        }
        if (o_.seeds > 1) {
            std::fprintf(log_, "  per seed:\n");
            for (std::size_t k = 0; k < per_seed.size(); ++k) {
                std::string row;
                for (double v : per_seed[k]) row += fmt::format(" {:9.4g}", v);
                std::fprintf(log_, "    seed %-4llu%s\n",
                             static_cast<unsigned long long>(o_.seed + k), row.c_str());
            }
        }
        std::fprintf(log_, "\n");
        if (o_.json) {
            auto list = [](const std::vector<std::string>& items) {
                std::string s = "[";
                for (std::size_t i = 0; i < items.size(); ++i) s += (i ? ", " : "") + items[i];
                return s + "]";
            };
            std::vector<std::string> sizes, means, stds;
            for (auto n : o_.layers) sizes.push_back(std::to_string(n));
            for (const auto& m : s) {
                means.push_back(fmt::format("{:.10g}", m.mean));
                stds.push_back(fmt::format("{:.10g}", m.std));
            }
            std::printf("{\"layers\": %s, \"grad_b_norms\": %s, \"grad_b_norms_std\": %s}\n",
                        list(sizes).c_str(), list(means).c_str(), list(stds).c_str());
        }
    }

    // ---- depths: the four networks --------------------------------------------------------

    void depths() {
        load();
        const std::vector<std::vector<std::size_t>> nets{
            {784, 30, 10}, {784, 30, 30, 10}, {784, 30, 30, 30, 10}, {784, 30, 30, 30, 30, 10}};
        std::fprintf(log_,
                     "||grad_b^l C|| at initialisation, hidden layer 1 first: mean +- std over "
                     "%s\n(%zu %s images; lecture's values in brackets)\n",
                     seeds_str().c_str(), o_.samples, split_name_.c_str());
        std::string csv = "network,hidden_layer,mean,std,min,max,lecture\n";
        for (const auto& sizes : nets) {
            const auto s =
                per_layer(bias_norms(norms_over_seeds(Variant::sigmoid, sizes, o_.stats)));
            const auto lecture = lecture_norms(sizes);
            std::string row;
            for (std::size_t l = 0; l < s.size(); ++l) {
                row += fmt::format("  {:.3g} +- {:.2g}", s[l].mean, s[l].std);
                if (lecture) row += fmt::format(" [{}]", (*lecture)[l]);
                csv += fmt::format("\"{}\",{},{:.10g},{:.10g},{:.10g},{:.10g},{}\n",
                                   sizes_str(sizes), l + 1, s[l].mean, s[l].std, s[l].min, s[l].max,
                                   lecture ? fmt::format("{}", (*lecture)[l]) : "");
            }
            std::fprintf(log_, "  %-22s%s\n", sizes_str(sizes).c_str(), row.c_str());
        }
        write_text(fs::path(o_.out) / "depths.csv", csv);
        std::fprintf(log_, "  table: %s\n\n", (fs::path(o_.out) / "depths.csv").string().c_str());
    }

    // ---- training speed -------------------------------------------------------------------

    struct Curve {
        Variant variant;
        std::vector<std::vector<double>> norms;            // [epoch 0..E][hidden layer]
        std::vector<std::vector<double>> weight_norms;     // ||grad_W^l C||, the same
        std::vector<std::vector<double>> minibatch_norms;  // [epoch 1..E][hidden layer]: mean
        std::vector<double> cost, accuracy, heldout_accuracy;
        double seconds = 0;
    };

    double heldout_accuracy(nn::Module& net) {
        if (heldout_size_ == 0) return std::nan("");
        tg::NoGradGuard no_grad;
        net.eval();  // batch norm: running statistics
        const double acc = nn::accuracy(net(heldout_.x), heldout_.labels);
        net.train();
        return acc;
    }

    const Curve& train(Variant v) {
        for (const auto& c : curves_)
            if (c.variant == v) return c;
        check_sizes(o_.train_layers, "--train-layers");
        tg::Generator gen(o_.seed);
        Network n = make_network(v, o_.train_layers, gen);
        const std::size_t hidden = n.hidden_bias_names.size();

        // Nielsen's L2 regularisation shrinks weights only, by (1 - eta lambda / n) per step:
        // SGD's weight decay lambda / n on the linear layers' weights.
        std::vector<tg::Tensor> weights, others;
        for (const auto& [path, m] : n.net->named_modules()) {
            auto* lin = dynamic_cast<nn::Linear*>(m);
            for (const auto& [name, p] : m->named_parameters(false))
                (lin && name == "weight" ? weights : others).push_back(p);
        }
        tg::optim::SGD sgd_weights(weights, tg::optim::SGDOptions(o_.eta).weight_decay(
                                                o_.lambda / static_cast<double>(o_.samples)));
        tg::optim::SGD sgd_others(others, tg::optim::SGDOptions(o_.eta));

        // Mini-batch gradients, recorded through the parameters' hooks while training.
        tg::research::GradRecorder recorder(*n.net);
        nn::data::DataLoader loader(
            train_ds_,
            nn::data::DataLoaderOptions().batch_size(o_.batch).seed(o_.seed).dtype(tg::kFloat64));
        Curve c{v, {}, {}, {}, {}, {}, {}, 0};
        std::fflush(log_);  // before the progress bar starts on stderr
        example::ProgressBarOptions bar;
        bar.label = variant_name(v);
        bar.quiet = o_.json;
        example::ProgressBar progress(static_cast<double>(o_.epochs * loader.num_batches()), bar);
        const auto t0 = std::chrono::steady_clock::now();
        std::size_t examples = 0, steps = 0;
        for (std::size_t epoch = 0;; ++epoch) {
            // The full-batch gradient at the start of each epoch (and after the last).
            recorder.pause();
            const HiddenNorms norms = hidden_grad_norms(n, train_);
            c.norms.push_back(norms.bias);
            c.weight_norms.push_back(norms.weight);
            {
                tg::NoGradGuard no_grad;
                const tg::Tensor z = (*n.net)(train_.x);
                c.cost.push_back(nielsen_cost(z, train_.y).item());
                c.accuracy.push_back(nn::accuracy(z, train_.labels));  // argmax z = argmax s(z)
            }
            c.heldout_accuracy.push_back(heldout_accuracy(*n.net));
            recorder.resume();
            if (epoch == o_.epochs) break;

            recorder.clear();
            for (const auto& batch : loader) {
                const auto rows = static_cast<std::int64_t>(batch.size());
                sgd_weights.zero_grad();
                sgd_others.zero_grad();
                nielsen_cost((*n.net)(tg::reshape(batch.inputs, {rows, -1})),
                             tg::one_hot(batch.labels, 10, tg::kFloat64))
                    .backward();
                sgd_weights.step();
                sgd_others.step();
                examples += batch.size();
                progress.update(double(++steps), c.cost.back(), c.accuracy.back(), double(examples),
                                example::seconds_since(t0),
                                fmt::format("epoch {}/{}", epoch + 1, o_.epochs));
            }
            std::vector<double> mb;
            for (const auto& name : n.hidden_bias_names) {
                double sum = 0;
                const auto& h = recorder.history(name);
                for (const auto& s : h) sum += s.grad_norm;
                mb.push_back(sum / static_cast<double>(h.size()));
            }
            c.minibatch_norms.push_back(mb);
        }
        progress.finish();
        c.seconds = example::seconds_since(t0);

        std::string csv = "epoch,cost,train_accuracy,heldout_accuracy";
        for (std::size_t l = 1; l <= hidden; ++l) csv += fmt::format(",grad_b_norm_{}", l);
        for (std::size_t l = 1; l <= hidden; ++l)
            csv += fmt::format(",minibatch_grad_b_norm_{}", l);
        for (std::size_t l = 1; l <= hidden; ++l) csv += fmt::format(",grad_W_norm_{}", l);
        csv += "\n";
        for (std::size_t e = 0; e < c.norms.size(); ++e) {
            csv += fmt::format("{},{:.10g},{:.6g},{:.6g}", e, c.cost[e], c.accuracy[e],
                               c.heldout_accuracy[e]);
            for (double x : c.norms[e]) csv += fmt::format(",{:.10g}", x);
            for (std::size_t l = 0; l < hidden; ++l) {
                // The mini-batch norms of epoch e's training, written on the row of its start.
                csv += e < c.minibatch_norms.size()
                           ? fmt::format(",{:.10g}", c.minibatch_norms[e][l])
                           : std::string(",");
            }
            for (double x : c.weight_norms[e]) csv += fmt::format(",{:.10g}", x);
            csv += "\n";
        }
        const fs::path path = fs::path(o_.out) / fmt::format("training_{}.csv", variant_name(v));
        write_text(path, csv);
        std::fprintf(log_, "  %s: %zu epochs in %.1f s; per-epoch CSV: %s\n", variant_name(v),
                     o_.epochs, c.seconds, path.string().c_str());
        curves_.push_back(std::move(c));
        return curves_.back();
    }

    // The gnuplot commands that draw one curve's norms against epochs, log scale.
    std::string plot_norms(const Curve& c, const fs::path& csv) const {
        std::string plot = "plot ";
        const std::size_t hidden = c.norms.front().size();
        for (std::size_t l = 0; l < hidden; ++l) {
            plot += fmt::format("{}{} using 1:{} with lines lw 2 title 'hidden layer {}'",
                                l ? ", " : "", example::gnuplot_quote(csv.string()), 5 + l, l + 1);
        }
        return plot + "\n";
    }

    std::string training_header() const {
        return fmt::format("SGD, mini-batches of {}, eta {}{}, on {} {} images; seed {}", o_.batch,
                           o_.eta,
                           o_.lambda > 0 ? fmt::format(", L2 lambda {}", o_.lambda) : std::string(),
                           o_.samples, split_name_, o_.seed);
    }

    void training() {
        load();
        std::fprintf(log_, "training speed of %s (%s):\n", sizes_str(o_.train_layers).c_str(),
                     training_header().c_str());
        const Curve& c = train(Variant::sigmoid);
        print_curve(c);
        const fs::path png = fs::path(o_.out) / "training_speed.png";
        const std::string script = fmt::format(
            "set terminal pngcairo size 900,560 font ',11'\nset output {}\n"
            "set datafile separator ','\nset key autotitle columnhead\n"
            "set title 'Training speed in {}-NN on MNIST'\n"
            "set xlabel 'Number of epochs of training'\n"
            "set ylabel 'norm of the bias gradient ||{{/Symbol \\321}}_b^l C||'\n"
            "set logscale y\nset format y '10^{{%L}}'\nset grid\nset key top right\n{}",
            example::gnuplot_quote(png.string()), sizes_str(o_.train_layers),
            plot_norms(c, fs::path(o_.out) / "training_sigmoid.csv"));
        plotted(run_gnuplot(script, png, log_));
        std::fprintf(log_, "\n");
    }

    void print_curve(const Curve& c) const {
        const std::size_t hidden = c.norms.front().size();
        std::string head =
            fmt::format("  {:>6} {:>8} {:>7} {:>9}", "epoch", "cost", "acc", "held-out");
        for (std::size_t l = 1; l <= hidden; ++l)
            head += fmt::format(" {:>9}", fmt::format("b{}", l));
        head += fmt::format(" {:>10}", "b1/b" + std::to_string(hidden));
        std::fprintf(log_, "%s\n", head.c_str());
        std::vector<std::size_t> rows;
        const std::size_t E = c.norms.size() - 1;
        for (std::size_t e : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{5},
                              std::size_t{10}, std::size_t{20}, std::size_t{50}, std::size_t{100},
                              std::size_t{200}, std::size_t{300}, std::size_t{400}, E})
            if (e <= E && (rows.empty() || e > rows.back())) rows.push_back(e);
        for (std::size_t e : rows) {
            std::string row = fmt::format("  {:>6} {:>8.4f} {:>7.3f} {:>9.3f}", e, c.cost[e],
                                          c.accuracy[e], c.heldout_accuracy[e]);
            for (double x : c.norms[e]) row += fmt::format(" {:>9.3g}", x);
            row += fmt::format(" {:>10.3g}", c.norms[e].front() / c.norms[e].back());
            std::fprintf(log_, "%s\n", row.c_str());
        }
    }

    // ---- the fixes --------------------------------------------------------------------------

    void fixes() {
        load();
        check_sizes(o_.train_layers, "--train-layers");
        const std::vector<Variant> variants{Variant::sigmoid, Variant::relu_he, Variant::batchnorm};
        std::fprintf(log_,
                     "the fixes, side by side on %s (for batch norm the bias is its shift beta)\n"
                     "at initialisation, ||grad_b^l C|| mean +- std over %s:\n",
                     sizes_str(o_.train_layers).c_str(), seeds_str().c_str());
        std::vector<std::vector<MeanStd>> weight_rows;
        for (Variant v : variants) {
            const auto per_seed = norms_over_seeds(v, o_.train_layers, o_.stats);
            const auto s = per_layer(bias_norms(per_seed));
            weight_rows.push_back(per_layer(bias_norms(per_seed, true)));
            std::string row;
            for (const auto& m : s) row += fmt::format("  {:.3g} +- {:.2g}", m.mean, m.std);
            std::fprintf(log_, "  %-10s%s   first/last %.3g\n", variant_name(v), row.c_str(),
                         s.front().mean / s.back().mean);
        }
        std::fprintf(log_, "and ||grad_W^l C|| of the hidden layers' weights:\n");
        for (std::size_t i = 0; i < variants.size(); ++i) {
            const auto& s = weight_rows[i];
            std::string row;
            for (const auto& m : s) row += fmt::format("  {:.3g} +- {:.2g}", m.mean, m.std);
            std::fprintf(log_, "  %-10s%s   first/last %.3g\n", variant_name(variants[i]),
                         row.c_str(), s.front().mean / s.back().mean);
        }
        std::fprintf(log_, "\ntraining (%s):\n", training_header().c_str());
        std::string csv =
            "variant,epoch,cost,train_accuracy,heldout_accuracy,hidden_layer,grad_b_norm\n";
        for (Variant v : variants) {
            const Curve& c = train(v);
            for (std::size_t e = 0; e < c.norms.size(); ++e)
                for (std::size_t l = 0; l < c.norms[e].size(); ++l)
                    csv += fmt::format("{},{},{:.10g},{:.6g},{:.6g},{},{:.10g}\n", variant_name(v),
                                       e, c.cost[e], c.accuracy[e], c.heldout_accuracy[e], l + 1,
                                       c.norms[e][l]);
        }
        for (Variant v : variants) {
            for (const auto& c : curves_) {
                if (c.variant != v) continue;
                std::fprintf(log_, "%s (%s):\n", variant_name(v), variant_title(v));
                print_curve(c);
            }
        }
        write_text(fs::path(o_.out) / "fixes.csv", csv);
        std::fprintf(log_, "  table: %s\n", (fs::path(o_.out) / "fixes.csv").string().c_str());

        // Three panels with the same axes.
        double lo = 1e300, hi = 0;
        for (const auto& c : curves_)
            for (const auto& row : c.norms)
                for (double x : row)
                    if (x > 0) lo = std::min(lo, x), hi = std::max(hi, x);
        const fs::path png = fs::path(o_.out) / "fixes.png";
        std::string script = fmt::format(
            "set terminal pngcairo size 1500,520 font ',10'\nset output {}\n"
            "set datafile separator ','\nset logscale y\nset format y '10^{{%L}}'\nset grid\n"
            "set yrange [{:g}:{:g}]\nset key below\n"
            "set multiplot layout 1,3 title 'Bias gradient norms per hidden layer against epochs "
            "of "
            "training {} on MNIST'\n",
            example::gnuplot_quote(png.string()), lo / 2, hi * 2, sizes_str(o_.train_layers));
        for (Variant v : variants) {
            for (const auto& c : curves_) {
                if (c.variant != v) continue;
                std::string title = variant_title(v);
                const auto at = title.find("n_in");  // a subscript in gnuplot's enhanced text
                if (at != std::string::npos) title.replace(at, 4, "n_{in}");
                script += fmt::format("set title {}\n", example::gnuplot_quote(title));
                script += plot_norms(
                    c, fs::path(o_.out) / fmt::format("training_{}.csv", variant_name(v)));
            }
        }
        script += "unset multiplot\n";
        plotted(run_gnuplot(script, png, log_));
        std::fprintf(log_, "\n");
    }

    // ---- the 1-neuron chain ---------------------------------------------------------------

    int chain() {
        tg::Generator gen(o_.seed);
        Chain c = make_chain(o_.chain_depth, gen);
        const double a0 = o_.chain_input, y = 1.0;
        const ChainByHand h = chain_by_hand(c, a0, y);
        chain_backward(c, a0, y);
        const double autodiff = c.neurons.front()->bias.grad().item();
        const std::size_t L = o_.chain_depth;
        std::fprintf(log_,
                     "equation (19) on a chain of %zu sigmoid neurons (w_j, b_j ~ N(0, 1), seed "
                     "%llu; input a_0 = %g, target y = 1, cross-entropy cost):\n",
                     L, static_cast<unsigned long long>(o_.seed), a0);
        std::string formula = "  dC/db_1 = s'(z_1)";
        std::string numbers = fmt::format("          = {:.6g}", h.sigma_prime[0]);
        for (std::size_t j = 1; j < L; ++j) {
            formula += fmt::format(" * w_{0} * s'(z_{0})", j + 1);
            numbers += fmt::format(" * {:.6g} * {:.6g}", h.w[j], h.sigma_prime[j]);
        }
        formula += fmt::format(" * dC/da_{}", L);
        numbers += fmt::format(" * {:.6g}", h.dC_da_last);
        const double rel = std::abs(autodiff - h.dC_db[0]) /
                           std::max(std::abs(h.dC_db[0]), std::numeric_limits<double>::min());
        const bool agree = rel <= 1e-12;
        std::fprintf(log_, "%s\n%s\n", formula.c_str(), numbers.c_str());
        std::fprintf(log_,
                     "  product of eq. (19):  %.17g\n  autodiff dC/db_1:     %.17g\n"
                     "  relative difference:  %.3g  -> %s\n",
                     h.dC_db[0], autodiff, rel, agree ? "they agree" : "THEY DISAGREE");
        std::string factors;
        for (std::size_t j = 1; j < L; ++j)
            factors += fmt::format(" {:.3g}", h.w[j] * h.sigma_prime[j]);
        std::fprintf(log_, "  the factors w_j s'(z_j), j = 2..%zu:%s\n\n", L, factors.c_str());
        return agree ? 0 : 1;
    }

    void exploding() {
        const std::size_t L = o_.chain_depth;
        const double a0 = o_.chain_input, y = 1.0;
        tg::Generator gen(o_.seed);
        Chain vanishing = make_chain(L, gen);
        chain_backward(vanishing, a0, y);
        Chain exploding = make_chain(L, gen);
        make_exploding(exploding, a0);
        const ChainByHand he = chain_by_hand(exploding, a0, y);
        chain_backward(exploding, a0, y);
        const auto stats = tg::research::grad_stats(*exploding.net);

        std::fprintf(log_,
                     "the exploding gradient on a chain of %zu neurons: w_j = 100, b_j = -100 "
                     "a_{j-1} (a_0 = %g, target 1)\n",
                     L, a0);
        std::fprintf(log_, "  %-6s %6s %8s %9s %12s %12s %8s   %s\n", "layer", "z_j", "s'(z_j)",
                     "w_j s'", "|dC/db_j|", "by hand", "x prev", "N(0,1) chain |dC/db_j|");
        std::string csv = "layer,exploding_dC_db,exploding_by_hand,random_init_dC_db\n";
        for (std::size_t j = 0; j < L; ++j) {
            const double g = stats.parameter(std::to_string(2 * j) + ".bias").grad_norm;
            const double next =
                j + 1 < L ? stats.parameter(std::to_string(2 * j + 2) + ".bias").grad_norm : 0.0;
            const double gv = std::abs(vanishing.neurons[j]->bias.grad().item());
            std::fprintf(log_, "  %-6zu %6.3g %8.4g %9.4g %12.6g %12.6g %8s   %.3g\n", j + 1,
                         he.z[j], he.sigma_prime[j], he.w[j] * he.sigma_prime[j], g,
                         std::abs(he.dC_db[j]),
                         next > 0 ? fmt::format("{:.4g}", g / next).c_str() : "-", gv);
            csv += fmt::format("{},{:.17g},{:.17g},{:.17g}\n", j + 1, g, std::abs(he.dC_db[j]), gv);
        }
        std::fprintf(log_,
                     "  (\"x prev\": |dC/db_j| / |dC/db_{j+1}|, the factor w_{j+1} s'(z_{j+1}))\n");
        std::fprintf(log_, "gradient statistics of the exploding chain:\n%s",
                     stats.table().c_str());
        const fs::path csv_path = fs::path(o_.out) / "exploding.csv";
        write_text(csv_path, csv);
        std::fprintf(log_, "  table: %s\n", csv_path.string().c_str());
        const fs::path png = fs::path(o_.out) / "unstable_chain.png";
        const std::string script = fmt::format(
            "set terminal pngcairo size 800,500 font ',11'\nset output {}\n"
            "set datafile separator ','\nset logscale y\nset format y '10^{{%L}}'\nset grid\n"
            "set xtics 1\nset key below\nset xlabel 'layer j (1 = first)'\nset ylabel '|dC/db_j|'\n"
            "set title 'Unstable gradients in a chain of {} sigmoid neurons'\n"
            "plot {} using 1:2 every ::1 with linespoints lw 2 pt 7 title 'w_j = 100, b_j = "
            "-100 a_{{j-1}}: exploding', '' using 1:4 every ::1 with linespoints lw 2 pt 5 "
            "title 'w_j, b_j drawn from N(0,1): vanishing'\n",
            example::gnuplot_quote(png.string()), L, example::gnuplot_quote(csv_path.string()));
        plotted(run_gnuplot(script, png, log_));
        std::fprintf(log_, "\n");
    }

    // ---- graph export -----------------------------------------------------------------------

    void graph() {
        std::fprintf(log_, "graph export:\n");
        tg::Generator gen(o_.seed);
        Network n = make_network(Variant::sigmoid, {784, 30, 30, 10}, gen);
        // Two images of random pixels suffice to record the graph.
        const tg::Tensor x = tg::rand({2, 784}, gen, tg::kFloat64);
        const tg::Tensor y = tg::one_hot({3, 7}, 10, tg::kFloat64);
        const tg::Tensor C = nielsen_cost((*n.net)(x), y);
        plotted(export_graph({C},
                             "cross-entropy cost of a [784,30,30,10] sigmoid network on 2 images",
                             fs::path(o_.out) / "network_graph.dot", log_));
        Chain c = make_chain(o_.chain_depth, gen);
        const tg::Tensor Cc = tg::binary_cross_entropy(
            (*c.net)(tg::from_vector({o_.chain_input}, {1, 1}, tg::kFloat64)),
            tg::ones({1, 1}, tg::kFloat64));
        plotted(export_graph({Cc}, fmt::format("a chain of {} sigmoid neurons", o_.chain_depth),
                             fs::path(o_.out) / "chain_graph.dot", log_));
        std::fprintf(log_, "\n");
    }

    // Notes a plot or a rendering that failed: the run then ends with status 1.
    void plotted(bool ok) { outputs_failed_ = outputs_failed_ || !ok; }

    const Options& o_;
    std::FILE* log_;
    bool outputs_failed_ = false;
    bool loaded_ = false;
    std::string split_name_;
    nn::data::Dataset train_ds_;
    Data train_, heldout_;
    std::size_t heldout_size_ = 0;
    std::vector<Curve> curves_;
};

// Refuses layer sizes that cannot fit in memory, before any work: the float64 parameters of the
// largest network (with gradients and SGD's state), and its activations over all --samples
// images at once (the full-batch gradient).
void check_memory(const Options& o, const std::string& sizes) {
    double bytes = 0;
    for (const auto* layers : {&o.layers, &o.train_layers}) {
        double parameters = 0, units = 0;
        for (std::size_t i = 1; i < layers->size(); ++i) {
            parameters += double((*layers)[i - 1]) * double((*layers)[i]) + double((*layers)[i]);
            units += double((*layers)[i]);
        }
        bytes = std::max(bytes, 8 * (3 * parameters + 4 * double(o.samples) * units));
    }
    example::check_fits_in_memory("the networks with " + sizes, bytes);
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app{"The vanishing and exploding gradient study of the lecture (Nielsen, ch. 5)"};
    app.add_option("--data", o.data,
                   "MNIST directory with t10k-{images-idx3,labels-idx1}-ubyte[.gz] (needed by "
                   "norms, depths, training, fixes)");
    app.add_option("--split", o.split, "Which images: test (t10k) or train")
        ->capture_default_str()
        ->check(CLI::IsMember({"test", "train"}));
    example::add_number(app, "--layers", o.layers, "Layer sizes of the network for `norms`",
                        example::positive())
        ->delimiter(',')
        ->capture_default_str();
    example::add_number(app, "--samples", o.samples,
                        "Images the cost is averaged over (and trained on)", example::positive())
        ->capture_default_str();
    example::add_number(app, "--heldout", o.heldout,
                        "Images after those held out for accuracy (0: none)",
                        example::non_negative())
        ->capture_default_str();
    example::add_number(app, "--seed", o.seed,
                        "Seed of the (first) initialisation and of the shuffling")
        ->capture_default_str();
    example::add_number(app, "--seeds", o.seeds,
                        "Initialisations to average over: seed, seed+1, ...", example::positive())
        ->capture_default_str();
    app.add_flag("--json", o.json,
                 "Print {\"layers\", \"grad_b_norms\", \"grad_b_norms_std\"} of `norms` as the "
                 "only output on stdout (the rest goes to stderr)");
    app.add_flag("--stats", o.stats,
                 "Also print the gradient statistics table (per parameter and layer) of each "
                 "network at initialisation");
    app.add_option("--run", o.run,
                   "Experiments: norms, depths, training, fixes, exploding, chain, graph, all")
        ->delimiter(',')
        ->capture_default_str()
        ->check(CLI::IsMember(
            {"norms", "depths", "training", "fixes", "exploding", "chain", "graph", "all"}));
    example::add_number(app, "--epochs", o.epochs, "Epochs of `training` and `fixes`",
                        example::non_negative())
        ->capture_default_str();
    example::add_number(app, "--batch", o.batch, "Mini-batch size", example::positive())
        ->capture_default_str();
    example::add_number(app, "--eta", o.eta, "Learning rate", example::positive())
        ->capture_default_str();
    example::add_number(app, "--lambda", o.lambda,
                        "L2 regularisation of the weights, as in Nielsen's network2 (his figure "
                        "used 5.0)",
                        example::non_negative())
        ->capture_default_str();
    example::add_number(app, "--train-layers", o.train_layers,
                        "Layer sizes for `training` and `fixes`", example::positive())
        ->delimiter(',')
        ->capture_default_str();
    example::add_number(app, "--chain-depth", o.chain_depth,
                        "Neurons in the chain of `chain`, `exploding`", example::between(2, 60))
        ->capture_default_str();
    example::add_number(app, "--chain-input", o.chain_input, "The chain's input a_0")
        ->capture_default_str();
    app.add_option("--out", o.out, "Directory for the CSV, PNG and DOT files")
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    const std::string sizes = "--layers " + sizes_str(o.layers) + " --train-layers " +
                              sizes_str(o.train_layers) + " --samples " +
                              std::to_string(o.samples) + " --seeds " + std::to_string(o.seeds);
    return example::guarded_main("vanishing_gradients", sizes, [&] {
        check_memory(o, sizes);
        example::prepare_output_dir("--out", o.out);
        Study study(o);
        return study.run();
    });
}
