#pragma once
// Part 2 of the optimizers example: training a network on MNIST-format data with SGD (with
// momentum), Adam, L-BFGS and Newton-CG (Hessian-free), and comparing the training loss against
// wall time and against the work done, counted in gradient-equivalents.
//
// The objective is the same for every method: the mean cross-entropy over a fixed subset of
// `train` training examples. L-BFGS and Newton-CG see all of it at every evaluation (full batch);
// SGD and Adam take mini-batches of it. Every method starts from the same parameters and gets
// the same budget of work.
//
// Work, in gradient-equivalents (one = a forward and a backward pass over the whole subset):
//   gradient (loss and gradient: a closure call)          1
//   gradient whose graph is kept for curvature products   1
//   loss alone (a forward pass: line-search trial points)  0.5
//   curvature-vector product (Hessian or Gauss-Newton)     2
// A mini-batch of B examples costs B / train of these. The counts come from the optimizers'
// counters (optim/optimizer.hpp). With --measured-costs the weights are replaced by the times
// measured at the start, relative to a gradient; the measured figures are printed either way.
// The training loss recorded along the way for SGD and Adam (their own losses are mini-batch
// losses) and the progress bar's accuracy are computed outside the timing and are not counted
// as work; neither is making SGD's and Adam's mini-batch tensors (the full-batch tensors are made
// once, beforehand).
//
// The data: the first `train` examples of the directory's training split and the first `test`
// of its test split. A directory with only a test split (such as the 10,000 images of the real
// MNIST test set) is split in two: its first `train` examples train, the next `test` are held
// out for the accuracy.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/gnuplot.hpp"
#include "common/memory_check.hpp"
#include "common/output_dir.hpp"
#include "common/progress_bar.hpp"
#include "tapegrad.hpp"

namespace example::mnist {

namespace fs = std::filesystem;
namespace nn = tg::nn;
namespace optim = tg::optim;

struct Settings {
    std::string data = "/usr/share/datasets/fashion-mnist";
    std::size_t train = 2000;  // training examples: the objective is the mean loss over them
    std::size_t test = 2000;   // held-out examples for the test accuracy
    std::vector<std::size_t> hidden{30, 30, 30, 30};  // the mlp workload's network
    tg::DType dtype = tg::kFloat64;
    double budget = 300;  // gradient-equivalents per method
    std::uint64_t seed = 1;
    std::vector<std::string> methods{"sgd", "adam", "lbfgs", "newton-cg"};
    // SGD and Adam
    std::size_t batch = 50;
    double sgd_lr = 0.05;
    double momentum = 0.9;
    double adam_lr = 1e-3;
    // L-BFGS
    std::size_t history = 10;
    // Newton-CG. Gauss-Newton products with a backtracking line search are the default because
    // they behaved best here: with budget 300 on 2000 Fashion-MNIST examples they reached a
    // training loss of 0.34 to 0.39 over seeds 1-3, against 0.67 to 0.92 with a trust region,
    // 0.62 to 1.12 with Levenberg-Marquardt damping (lambda0 = 0.1; lambda0 = 1 crawls along the
    // plateau at ln 10), and 0.67 to 2.29 with Hessian-vector products under any of the three
    // (seeds 1-2; the Hessian is indefinite on that plateau, so the inner CG stops early on
    // negative curvature). The Gauss-Newton matrix is positive semi-definite for cross-entropy,
    // so every inner solve gives a descent direction.
    bool gauss_newton = true;  // Gauss-Newton products, else Hessian-vector products
    optim::NewtonCGGlobalization globalization = optim::NewtonCGGlobalization::line_search;
    std::size_t cg_iter = 50;
    double damping = 1;  // the first lambda of Levenberg-Marquardt damping
    double forcing = 0;  // inner CG's relative residual; 0: min(0.5, sqrt ||g||)
    // L-BFGS and Newton-CG run in step() calls of at most this many iterations, fewer as the
    // budget runs out; each call starts with one evaluation (counted as work).
    std::size_t max_iter_per_call = 10;
    bool measured_costs = false;
};

// The weights that turn an optimizer's counters into gradient-equivalents.
struct Costs {
    double gradient = 1;
    // A gradient whose graph is kept for curvature products: for Hessian-vector products, and
    // for Gauss-Newton products (which also record the loss's gradient in the outputs and J^T u).
    double hessian_gradient = 1;
    double gauss_newton_gradient = 1;
    double loss = 0.5;
    double hessian_product = 2;
    double gauss_newton_product = 2;
};

// The training subset and the held-out examples as whole tensors, and where they came from.
struct Problem {
    tg::Tensor train_inputs, test_inputs;  // [n, 1, 28, 28], normalised
    std::vector<std::int64_t> train_labels, test_labels;
    std::shared_ptr<const nn::data::Dataset> train_set;  // for SGD's and Adam's mini-batches
    double mean = 0, stddev = 1;
    std::string description;
};

namespace detail {

using Clock = std::chrono::steady_clock;

inline double seconds(Clock::duration d) {
    return std::chrono::duration<double>(d).count();
}

// All examples of a dataset as one normalised tensor.
inline nn::data::Batch whole(const nn::data::Dataset& d, const Settings& s, double mean,
                             double stddev) {
    nn::data::DataLoader loader(
        d,
        nn::data::DataLoaderOptions().batch_size(d.size()).shuffle(false).dtype(s.dtype).normalize(
            mean, stddev));
    return *loader.begin();
}

}  // namespace detail

inline Problem load_problem(const Settings& s) {
    using nn::data::Split;
    if (s.train == 0 || s.test == 0) throw tg::ValueError("--train and --test must be > 0");
    if (!fs::is_directory(s.data)) {
        throw tg::IOError("data directory " + s.data +
                          " does not exist (apt-get install dataset-fashion-mnist, or give "
                          "--data DIR with MNIST-format IDX files)");
    }
    if (!nn::data::has_mnist_split(s.data, Split::train) &&
        !nn::data::has_mnist_split(s.data, Split::test)) {
        throw tg::IOError(
            "no MNIST-format images and labels in " + s.data +
            " (neither train-images-idx3-ubyte[.gz] with train-labels-idx1-ubyte[.gz] "
            "nor t10k-...)");
    }
    nn::data::Dataset train, test;
    Problem p;
    if (nn::data::has_mnist_split(s.data, Split::train)) {
        const nn::data::Dataset all_train = nn::data::load_mnist(s.data, Split::train);
        const nn::data::Dataset all_test = nn::data::load_mnist(s.data, Split::test);
        train = all_train.slice(0, std::min(s.train, all_train.size()));
        test = all_test.slice(0, std::min(s.test, all_test.size()));
        p.description = fmt::format(
            "{}: the first {} of {} training examples; accuracy on the first {} of {} test "
            "examples",
            s.data, train.size(), all_train.size(), test.size(), all_test.size());
    } else {
        // Only a test split (e.g. the MNIST test set alone): split it into two disjoint parts.
        const nn::data::Dataset all = nn::data::load_mnist(s.data, Split::test);
        if (s.train >= all.size()) {
            throw tg::ValueError(fmt::format(
                "{} holds only a test split of {} examples; --train {} leaves none to test on",
                s.data, all.size(), s.train));
        }
        train = all.slice(0, s.train);
        test = all.slice(s.train, std::min(all.size(), s.train + s.test));
        p.description = fmt::format(
            "{} (a test split only, {} examples): examples 0-{} train, {}-{} are held out for "
            "the accuracy",
            s.data, all.size(), s.train - 1, s.train, s.train + test.size() - 1);
    }
    std::tie(p.mean, p.stddev) = train.pixel_mean_std();
    const nn::data::Batch tr = detail::whole(train, s, p.mean, p.stddev);
    const nn::data::Batch te = detail::whole(test, s, p.mean, p.stddev);
    p.train_inputs = tr.inputs;
    p.train_labels = tr.labels;
    p.test_inputs = te.inputs;
    p.test_labels = te.labels;
    p.train_set = std::make_shared<const nn::data::Dataset>(std::move(train));
    return p;
}

// 784 - hidden... - 10 with sigmoid hidden layers and a linear output (the mlp workload's network
// with the default hidden sizes), initialised as PyTorch does from Generator(seed).
inline std::shared_ptr<nn::Sequential> make_mlp(const Settings& s) {
    tg::Generator gen(s.seed);
    auto net = std::make_shared<nn::Sequential>();
    net->push_back(std::make_shared<nn::Flatten>());
    std::size_t in = 28 * 28;
    for (std::size_t h : s.hidden) {
        net->push_back(std::make_shared<nn::Linear>(nn::LinearOptions(in, h).dtype(s.dtype), gen));
        net->push_back(std::make_shared<nn::Sigmoid>());
        in = h;
    }
    net->push_back(std::make_shared<nn::Linear>(nn::LinearOptions(in, 10).dtype(s.dtype), gen));
    return net;
}

inline std::string layer_sizes(const Settings& s) {
    std::string out = "784";
    for (std::size_t h : s.hidden) out += fmt::format("-{}", h);
    return out + "-10";
}

struct TracePoint {
    double seconds, work, loss;
};

struct MethodResult {
    std::string name, detail;
    std::vector<TracePoint> trace;
    optim::Counters counters;
    optim::Status status = optim::Status::not_started;
    double work = 0, seconds = 0, train_loss = 0, test_accuracy = 0;
    std::string reason;
};

namespace detail {

inline double full_loss(nn::Module& net, const Problem& p) {
    tg::NoGradGuard no_grad;
    return tg::cross_entropy(net(p.train_inputs), p.train_labels).item();
}

// The training loss and accuracy over the whole subset.
inline std::pair<double, double> train_loss_accuracy(nn::Module& net, const Problem& p) {
    tg::NoGradGuard no_grad;
    const tg::Tensor logits = net(p.train_inputs);
    return {tg::cross_entropy(logits, p.train_labels).item(), nn::accuracy(logits, p.train_labels)};
}

// The progress bar of one method (on a terminal only), redrawn at most four times a second: it
// costs an evaluation over the training subset, outside the timing.
inline ProgressBar progress_bar(const std::string& name, double budget) {
    ProgressBarOptions o;
    o.label = name;
    o.speed_unit = "grad-eq.";
    o.interval = std::chrono::milliseconds(250);
    o.quiet = isatty(STDERR_FILENO) == 0;
    o.erase_when_done = true;
    return ProgressBar(budget, o);
}

inline double test_accuracy(nn::Module& net, const Problem& p) {
    tg::NoGradGuard no_grad;
    return nn::accuracy(net(p.test_inputs), p.test_labels);
}

// Gradient-equivalents of a full-batch optimizer's counters: every gradient evaluation includes
// its forward pass (counted among the loss evaluations too), the other loss evaluations are
// forward passes alone.
inline double work_of(const optim::Counters& c, double gradient_cost, double loss_cost,
                      double product_cost) {
    const double loss_only = static_cast<double>(c.loss_evaluations - c.gradient_evaluations);
    return gradient_cost * static_cast<double>(c.gradient_evaluations) + loss_cost * loss_only +
           product_cost * static_cast<double>(c.hessian_vector_products);
}

inline void finish(MethodResult& r, nn::Module& net, const Problem& p,
                   const optim::Optimizer& opt) {
    r.counters = opt.counters();
    r.status = opt.status();
    r.train_loss = full_loss(net, p);
    r.test_accuracy = test_accuracy(net, p);
    if (r.reason.empty()) r.reason = opt.stop_reason();
}

inline std::vector<double> flat_randn(const std::vector<tg::Tensor>& like, tg::Generator& gen) {
    std::vector<double> v(optim::flat_size(like));
    for (double& x : v) x = gen.normal();
    return v;
}

template <class F>
double median_seconds(F f, int reps) {
    f();  // warm-up
    std::vector<double> t;
    for (int i = 0; i < reps; ++i) {
        const auto t0 = Clock::now();
        f();
        t.push_back(seconds(Clock::now() - t0));
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

}  // namespace detail

// Times the kinds of work on the whole training subset and returns them relative to a gradient.
inline Costs measure_costs(const Problem& p, const Settings& s, int reps = 5) {
    using detail::median_seconds;
    auto net = make_mlp(s);
    const auto params = net->parameters();
    const auto loss_fn = [&] { return tg::cross_entropy((*net)(p.train_inputs), p.train_labels); };
    const auto model = [&] { return (*net)(p.train_inputs); };
    const auto loss_of_output = [&](const tg::Tensor& z) {
        return tg::cross_entropy(z, p.train_labels);
    };
    tg::Generator gen(s.seed + 1);
    const auto v = optim::unflatten(detail::flat_randn(params, gen), params);

    const double gradient = median_seconds(
        [&] {
            net->zero_grad();
            loss_fn().backward();
        },
        reps);
    const double loss = median_seconds([&] { detail::full_loss(*net, p); }, reps);
    // Kept until the end, so that the timings do not include freeing the previous graph.
    std::vector<std::unique_ptr<tg::HessianVectorProduct>> hessians;
    const double hessian_gradient = median_seconds(
        [&] { hessians.push_back(std::make_unique<tg::HessianVectorProduct>(loss_fn, params)); },
        reps);
    const double hessian_product = median_seconds([&] { (*hessians.back())(v); }, reps);
    hessians.clear();
    std::vector<std::unique_ptr<optim::GaussNewtonVectorProduct>> gauss_newtons;
    const double gauss_newton_gradient = median_seconds(
        [&] {
            gauss_newtons.push_back(
                std::make_unique<optim::GaussNewtonVectorProduct>(model, loss_of_output, params));
        },
        reps);
    const double gauss_newton_product = median_seconds([&] { (*gauss_newtons.back())(v); }, reps);
    Costs c;
    c.gradient = 1;
    c.hessian_gradient = hessian_gradient / gradient;
    c.gauss_newton_gradient = gauss_newton_gradient / gradient;
    c.loss = loss / gradient;
    c.hessian_product = hessian_product / gradient;
    c.gauss_newton_product = gauss_newton_product / gradient;
    std::printf(
        "Measured on the %zu training examples (median of %d, relative to a gradient of %.1f "
        "ms):\n  loss alone %.2f; gradient with its graph kept for Hessian-vector products "
        "%.2f, for Gauss-Newton products %.2f; Hessian-vector product %.2f, Gauss-Newton "
        "product %.2f\n",
        p.train_labels.size(), reps, 1e3 * gradient, c.loss, c.hessian_gradient,
        c.gauss_newton_gradient, c.hessian_product, c.gauss_newton_product);
    return c;
}

// SGD with momentum or Adam on mini-batches until the budget is spent.
inline MethodResult run_first_order(
    const std::string& name, const std::string& detail_text, const Problem& p, const Settings& s,
    const Costs& costs,
    const std::function<std::unique_ptr<optim::FirstOrderOptimizer>(const nn::NamedTensors&)>&
        make) {
    using detail::Clock;
    MethodResult r;
    r.name = name;
    r.detail = detail_text;
    auto net = make_mlp(s);
    auto opt = make(net->named_parameters());
    const double n = static_cast<double>(p.train_labels.size());
    nn::data::DataLoader loader(
        p.train_set,
        nn::data::DataLoaderOptions().batch_size(s.batch).seed(s.seed).dtype(s.dtype).normalize(
            p.mean, p.stddev));
    // About 100 points on the curve.
    const double steps_estimate = s.budget * n / (static_cast<double>(s.batch) * costs.gradient);
    const std::size_t record_every =
        std::max<std::size_t>(1, static_cast<std::size_t>(steps_estimate / 100));
    r.trace.push_back({0, 0, detail::full_loss(*net, p)});
    ProgressBar progress = detail::progress_bar(name, s.budget);
    double examples = 0, elapsed = 0;
    std::size_t steps = 0;
    const auto work = [&] { return costs.gradient * examples / n; };
    while (work() < s.budget && !opt->stopped()) {
        for (const auto& batch : loader) {
            const auto t0 = Clock::now();
            opt->step([&] {
                opt->zero_grad();
                tg::Tensor loss = tg::cross_entropy((*net)(batch.inputs), batch.labels);
                loss.backward();
                return loss;
            });
            elapsed += detail::seconds(Clock::now() - t0);
            examples += static_cast<double>(batch.size());
            ++steps;
            const bool done = work() >= s.budget || opt->stopped();
            const bool record = steps % record_every == 0 || done;
            if (record || progress.due()) {
                const auto [loss, accuracy] = detail::train_loss_accuracy(*net, p);
                if (record) r.trace.push_back({elapsed, work(), loss});
                if (progress.due()) progress.update(work(), loss, accuracy, work(), elapsed);
            }
            if (done) break;
        }
    }
    progress.finish();
    r.work = work();
    r.seconds = elapsed;
    detail::finish(r, *net, p, *opt);
    if (opt->status() == optim::Status::running)
        r.reason = fmt::format("budget spent: {} steps of {} examples", steps, s.batch);
    return r;
}

// L-BFGS or Newton-CG: full-batch step() calls until the budget is spent. `call` runs one
// step() call, `work` reads the work done from the counters, and `limit` (if given) is told
// before every call how much of the budget is left, to fit the call's iterations into it.
template <class Opt>
MethodResult run_full_batch(const std::string& name, const std::string& detail_text,
                            const Problem& p, const Settings& s, nn::Module& net, Opt& opt,
                            const std::function<void()>& call,
                            const std::function<double(const optim::Counters&)>& work,
                            const std::function<void(double)>& limit) {
    using detail::Clock;
    MethodResult r;
    r.name = name;
    r.detail = detail_text;
    r.trace.push_back({0, 0, detail::full_loss(net, p)});
    ProgressBar progress = detail::progress_bar(name, s.budget);
    const auto t0 = Clock::now();
    Clock::duration excluded{};  // the progress bar's evaluations
    const auto elapsed = [&] { return detail::seconds(Clock::now() - t0 - excluded); };
    opt.on_iteration([&](const optim::IterationInfo& info) {
        r.trace.push_back({elapsed(), work(opt.counters()), info.loss});
        if (progress.due()) {
            const auto t1 = Clock::now();
            const double accuracy = detail::train_loss_accuracy(net, p).second;
            excluded += Clock::now() - t1;
            progress.update(r.trace.back().work, info.loss, accuracy, r.trace.back().work,
                            r.trace.back().seconds);
        }
    });
    // Every call starts with an evaluation at the current point (a gradient, counted as work),
    // even where the previous call ended with one there.
    std::size_t calls = 0;
    for (;;) {
        const double done = work(opt.counters());
        if (done >= s.budget) break;
        if (limit) limit(s.budget - done);
        call();
        ++calls;
        if (opt.status() != optim::Status::max_iterations) break;  // converged or failed
    }
    r.seconds = elapsed();
    progress.finish();
    opt.on_iteration(nullptr);
    r.work = work(opt.counters());
    detail::finish(r, net, p, opt);
    if (opt.status() == optim::Status::max_iterations)
        r.reason = fmt::format("budget spent after {} iterations in {} step() calls",
                               opt.counters().iterations, calls);
    return r;
}

inline MethodResult run_lbfgs(const Problem& p, const Settings& s, const Costs& costs) {
    auto net = make_mlp(s);
    // LBFGS's options are fixed once it is made, so every call runs max_iter_per_call
    // iterations and the last one may overrun the budget by that much.
    optim::LBFGS opt(net->named_parameters(), optim::LBFGSOptions()
                                                  .history_size(s.history)
                                                  .max_iter(s.max_iter_per_call)
                                                  .tolerance_grad(1e-10)
                                                  .tolerance_step(1e-12));
    const optim::Closure closure = [&] {
        opt.zero_grad();
        tg::Tensor loss = tg::cross_entropy((*net)(p.train_inputs), p.train_labels);
        loss.backward();
        return loss;
    };
    return run_full_batch(
        "L-BFGS",
        fmt::format("history {}, strong Wolfe, {} iterations per step()", s.history,
                    s.max_iter_per_call),
        p, s, *net, opt, [&] { opt.step(closure); },
        [&](const optim::Counters& c) { return detail::work_of(c, costs.gradient, costs.loss, 0); },
        nullptr);
}

inline const char* globalization_name(optim::NewtonCGGlobalization g) {
    switch (g) {
        case optim::NewtonCGGlobalization::line_search:
            return "line search";
        case optim::NewtonCGGlobalization::trust_region:
            return "trust region";
        case optim::NewtonCGGlobalization::damping:
            return "Levenberg-Marquardt damping";
    }
    return "?";
}

inline MethodResult run_newton_cg(const Problem& p, const Settings& s, const Costs& costs) {
    auto net = make_mlp(s);
    optim::NewtonCG opt(net->named_parameters(),
                        optim::NewtonCGOptions()
                            .globalization(s.globalization)
                            .max_cg_iter(s.cg_iter)
                            .initial_damping(s.damping)
                            .forcing(s.forcing > 0 ? optim::ForcingSequence::constant
                                                   : optim::ForcingSequence::superlinear)
                            .forcing_constant(s.forcing > 0 ? s.forcing : 0.5)
                            .tolerance_grad(1e-10)
                            .tolerance_step(1e-12));
    const auto loss_fn = [&] { return tg::cross_entropy((*net)(p.train_inputs), p.train_labels); };
    const auto model = [&] { return (*net)(p.train_inputs); };
    const auto loss_of_output = [&](const tg::Tensor& z) {
        return tg::cross_entropy(z, p.train_labels);
    };
    const double product_cost = s.gauss_newton ? costs.gauss_newton_product : costs.hessian_product;
    const double gradient_cost =
        s.gauss_newton ? costs.gauss_newton_gradient : costs.hessian_gradient;
    return run_full_batch(
        "Newton-CG",
        fmt::format("{} products, {}, at most {} CG iterations",
                    s.gauss_newton ? "Gauss-Newton" : "Hessian-vector",
                    globalization_name(s.globalization), s.cg_iter),
        p, s, *net, opt,
        [&] {
            if (s.gauss_newton)
                opt.step(model, loss_of_output);
            else
                opt.step(loss_fn);
        },
        [&](const optim::Counters& c) {
            return detail::work_of(c, gradient_cost, costs.loss, product_cost);
        },
        [&](double left) {
            // As many iterations as the rest of the budget pays for at their most expensive
            // (a gradient with its graph, max_cg_iter products, a line-search trial), at least
            // one; their inner CG gets no more products than its share of the rest.
            const double per_iteration =
                gradient_cost + costs.loss + product_cost * static_cast<double>(s.cg_iter);
            const auto iterations = std::clamp<std::size_t>(
                static_cast<std::size_t>(left / per_iteration), 1, s.max_iter_per_call);
            const double share = left / static_cast<double>(iterations);
            const auto products = static_cast<std::size_t>(
                std::max(0.0, share - gradient_cost - costs.loss) / product_cost);
            opt.options()
                .max_iter(iterations)
                .max_cg_iter(std::clamp<std::size_t>(products, 1, s.cg_iter));
        });
}

inline MethodResult run_sgd(const Problem& p, const Settings& s, const Costs& costs) {
    return run_first_order(
        "SGD", fmt::format("momentum {}, lr {}, batch {}", s.momentum, s.sgd_lr, s.batch), p, s,
        costs, [&](const nn::NamedTensors& params) {
            return std::make_unique<optim::SGD>(params,
                                                optim::SGDOptions(s.sgd_lr).momentum(s.momentum));
        });
}

inline MethodResult run_adam(const Problem& p, const Settings& s, const Costs& costs) {
    return run_first_order("Adam", fmt::format("lr {}, batch {}", s.adam_lr, s.batch), p, s, costs,
                           [&](const nn::NamedTensors& params) {
                               return std::make_unique<optim::Adam>(params,
                                                                    optim::AdamOptions(s.adam_lr));
                           });
}

// The loss a run had reached when its work (or time) first reached x: the last point at or
// before x. NaN if the run never got that far.
inline double loss_at(const MethodResult& r, double x, bool by_time) {
    double loss = std::nan("");
    for (const auto& t : r.trace) {
        if ((by_time ? t.seconds : t.work) > x * (1 + 1e-12)) break;
        loss = t.loss;
    }
    const double end = by_time ? r.seconds : r.work;
    return x <= end * (1 + 1e-12) ? loss : std::nan("");
}

inline void print_tables(const std::vector<MethodResult>& runs, const Settings& s,
                         const Costs& costs) {
    std::printf(
        "\nWork in gradient-equivalents (one: a forward and a backward pass over the %zu training "
        "examples):\n  gradient 1, loss alone %.3g, gradient kept for curvature products %.3g "
        "(Hessian) or %.3g (Gauss-Newton), Hessian-vector product %.3g, Gauss-Newton product "
        "%.3g%s;\n  a mini-batch of B examples costs B/%zu of these\n",
        s.train, costs.loss, costs.hessian_gradient, costs.gauss_newton_gradient,
        costs.hessian_product, costs.gauss_newton_product,
        s.measured_costs ? " (measured)" : " (fixed definition)", s.train);
    std::printf("\n%-10s %6s %6s %6s %7s %9s %8s %11s %9s\n", "method", "iters", "loss", "grad",
                "curv.", "grad-eq.", "seconds", "train loss", "test acc.");
    std::printf("%-10s %6s %6s %6s %7s\n", "", "", "evals", "evals", "prods");
    for (const auto& r : runs) {
        std::printf("%-10s %6zu %6zu %6zu %7zu %9.1f %8.2f %11.4g %9.4f\n", r.name.c_str(),
                    r.counters.iterations, r.counters.loss_evaluations,
                    r.counters.gradient_evaluations, r.counters.hessian_vector_products, r.work,
                    r.seconds, r.train_loss, r.test_accuracy);
    }
    std::printf("(SGD's and Adam's evaluations are mini-batches of %zu.)\n", s.batch);
    for (const auto& r : runs)
        std::printf("  %-9s %s; %s\n", r.name.c_str(), r.detail.c_str(), r.reason.c_str());

    const std::vector<double> fractions{0.1, 0.25, 0.5, 1.0};
    std::printf("\nTraining loss after a share of the budget of %g gradient-equivalents:\n",
                s.budget);
    std::printf("%-10s", "method");
    for (double f : fractions) std::printf(" %10s", fmt::format("{:g}", f * s.budget).c_str());
    std::printf("\n");
    for (const auto& r : runs) {
        std::printf("%-10s", r.name.c_str());
        for (double f : fractions) std::printf(" %10.4g", loss_at(r, f * s.budget, false));
        std::printf("\n");
    }
    double shortest = runs.empty() ? 0 : runs.front().seconds;
    for (const auto& r : runs) shortest = std::min(shortest, r.seconds);
    std::printf("\nTraining loss after a share of the shortest run's wall time (%.2f s):\n",
                shortest);
    std::printf("%-10s", "method");
    for (double f : fractions) std::printf(" %9.2fs", f * shortest);
    std::printf("\n");
    for (const auto& r : runs) {
        std::printf("%-10s", r.name.c_str());
        for (double f : fractions) std::printf(" %10.4g", loss_at(r, f * shortest, true));
        std::printf("\n");
    }
}

inline std::string csv_name(const MethodResult& r) {
    std::string m;
    for (char c : r.name)
        if (std::isalnum(static_cast<unsigned char>(c)))
            m += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return "mnist_" + m + ".csv";
}

inline void write_csv(const fs::path& dir, const std::vector<MethodResult>& runs) {
    for (const auto& r : runs) {
        std::ofstream out(dir / csv_name(r));
        if (!out) throw tg::IOError("cannot write " + (dir / csv_name(r)).string());
        out << "seconds,gradient_equivalents,loss\n";
        for (const auto& t : r.trace)
            out << fmt::format("{:.6g},{:.6g},{:.10g}\n", t.seconds, t.work, t.loss);
    }
}

// Loss against wall time and against gradient-equivalents, side by side (optimizers_mnist.png).
inline std::string gnuplot_script(const fs::path& dir, const std::vector<MethodResult>& runs,
                                  const Settings& s, const std::string& data_name) {
    const std::vector<std::string> colours{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"};
    std::string g = "set datafile separator comma\n";
    g += fmt::format(
        "set terminal pngcairo size 1500,600 font 'Sans,10'\nset output {}\n"
        "set multiplot layout 1,2 title {}\n"
        "set logscale y\nset ylabel 'training loss (cross-entropy)'\nset grid\nset key top right\n",
        gnuplot_quote((dir / "optimizers_mnist.png").string()),
        gnuplot_quote(fmt::format("{} network on {} training examples of {}", layer_sizes(s),
                                  s.train, data_name)));
    for (int panel = 0; panel < 2; ++panel) {
        g += panel == 0 ? "set xlabel 'wall time (s)'\nset title 'loss against wall time'\nplot "
                        : "set xlabel 'gradient-equivalents'\n"
                          "set title 'loss against work (1 = forward + backward over the "
                          "training subset)'\nplot ";
        for (std::size_t i = 0; i < runs.size(); ++i) {
            g += fmt::format(
                "{}{} using {}:3 skip 1 with linespoints lw 1.5 pt 7 ps 0.4 lc rgb "
                "'{}' title {}",
                i == 0 ? "" : ", ", gnuplot_quote((dir / csv_name(runs[i])).string()),
                panel == 0 ? 1 : 2, colours[i % colours.size()], gnuplot_quote(runs[i].name));
        }
        g += "\n";
    }
    g += "unset multiplot\n";
    return g;
}

// Writes the script next to the CSV files and runs gnuplot on it. Returns whether the PNG was
// made.
inline PlotResult plot(const fs::path& dir, const std::string& script) {
    return run_gnuplot_file(dir / "optimizers_mnist.gp", script, {dir / "optimizers_mnist.png"},
                            stderr);
}

// Refuses sizes that cannot fit in memory, before any work: the data as whole tensors, the
// parameters with their gradients, optimizer states and L-BFGS's history, and the activations of
// a full-batch pass. `sizes` names the flags in the message.
inline void check_fits_in_memory(const Settings& s, const std::string& sizes) {
    double parameters = 0, in = 28 * 28, units = 0;
    for (std::size_t h : s.hidden) {
        parameters += in * double(h) + double(h);
        units += double(h);
        in = double(h);
    }
    parameters += in * 10 + 10;
    const double element = s.dtype == tg::kFloat32 ? 4 : 8;
    const double examples = double(s.train) + double(s.test);
    example::check_fits_in_memory(
        "the model and data with " + sizes,
        element * (parameters * (4 + 2 * double(s.history)) + examples * (28 * 28 + 10) +
                   double(s.train) * 3 * (units + 10)));
}

// The whole of part 2. Returns false if a method met a NaN or Inf, or gnuplot failed.
inline bool run(const Settings& s, const fs::path& dir, bool draw) {
    std::string names;
    for (const auto& m : s.methods) names += (names.empty() ? "" : ", ") + m;
    std::printf("\nTraining a %s network (sigmoid hidden layers, %s) with %s\n",
                layer_sizes(s).c_str(), tg::dtype_name(s.dtype), names.c_str());
    const Problem p = load_problem(s);
    std::printf("data: %s\n", p.description.c_str());
    Costs costs = measure_costs(p, s);
    if (!s.measured_costs) costs = Costs();

    std::vector<MethodResult> runs;
    for (const auto& m : s.methods) {
        if (m == "sgd") runs.push_back(run_sgd(p, s, costs));
        if (m == "adam") runs.push_back(run_adam(p, s, costs));
        if (m == "lbfgs") runs.push_back(run_lbfgs(p, s, costs));
        if (m == "newton-cg") runs.push_back(run_newton_cg(p, s, costs));
        const auto& r = runs.back();
        std::printf(
            "  %-9s %8.1f gradient-equivalents in %6.2f s: training loss %.4f -> %.4g, "
            "test accuracy %.4f\n",
            r.name.c_str(), r.work, r.seconds, r.trace.front().loss, r.train_loss, r.test_accuracy);
        std::fflush(stdout);
    }
    print_tables(runs, s, costs);
    write_csv(dir, runs);
    fs::path data_dir(s.data);
    if (data_dir.filename().empty()) data_dir = data_dir.parent_path();  // "DIR/"
    const std::string script = gnuplot_script(dir, runs, s, data_dir.filename().string());
    std::printf("\nLoss curves (CSV: seconds,gradient_equivalents,loss) are in %s\n",
                dir.string().c_str());
    bool ok = true;
    if (!draw) {
        write_text(dir / "optimizers_mnist.gp", script);
    } else {
        const PlotResult plotted = plot(dir, script);
        if (plotted == PlotResult::drawn)
            std::printf("Plot: %s\n", (dir / "optimizers_mnist.png").string().c_str());
        ok = plotted != PlotResult::failed;
    }
    for (const auto& r : runs)
        ok = ok && r.status != optim::Status::non_finite && std::isfinite(r.train_loss);
    return ok;
}

}  // namespace example::mnist
