// gradcheck_model: check your own model's gradients.
//
//     build/examples/gradcheck_model            # full Jacobians (about a second)
//     build/examples/gradcheck_model --fast     # one random projection per check
//
// A small custom model in the libtorch style (a convolution, batch norm, an MLP head), in
// double precision, is differentiated by tapegrad and compared against central finite
// differences: gradcheck for first derivatives (dLoss/dparameter) and gradgradcheck for second
// derivatives (Hessian-vector products of the loss). Both print one row per parameter, named by
// its path in the model ("conv.weight"), with the largest absolute and relative errors.
//
// To check your own model, copy this file and change SmallNet: build it from any tg::nn modules
// in double precision, list the members that hold its parameters in parameter_slots() (in
// named_parameters() order; the program checks that it is so), and write its loss in `loss`.
// gradcheck perturbs the tensors it is given in place (restoring them afterwards), so the model
// could read its own parameters; with_parameters() lets `loss` run it on whatever it is given.
//
// Keep the input small: the full check costs two forward passes per parameter element, and
// gradgradcheck one backward pass with create_graph per parameter element on top. --fast
// replaces the exact Jacobian by one random projection of it (one backward pass in total), which
// still catches any wrong derivative with probability 1.
//
// conv.bias reports errors near 0 and a relative error of 0: batch norm right after the
// convolution subtracts the per-channel mean, so the loss does not depend on that bias at all;
// its analytic gradient is ~1e-17 and so is the numeric one. That is correct, not a failure.
//
// Smooth activations (tanh) and average pooling keep finite differences away from kinks; ReLU
// and max pooling would work too, but a sample can land within eps of a kink and report an
// error that is not a bug.

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/cli_numbers.hpp"
#include "common/main_guard.hpp"
#include "tapegrad.hpp"

namespace {

namespace nn = tg::nn;
using tg::Tensor;

// conv 3x3 (1 -> 2 channels, same padding) -> batch norm -> tanh -> 2x2 average pool ->
// flatten -> linear 18 -> 8 -> tanh -> linear 8 -> 3 (logits).
class SmallNet : public nn::Module {
  public:
    explicit SmallNet(tg::Generator& gen) : Module("SmallNet") {
        conv = register_module(
            "conv", std::make_shared<nn::Conv2d>(
                        nn::Conv2dOptions(1, 2, 3).padding(nn::kSame).dtype(tg::kFloat64), gen));
        bn = register_module(
            "bn", std::make_shared<nn::BatchNorm2d>(nn::BatchNormOptions(2).dtype(tg::kFloat64)));
        fc1 = register_module(
            "fc1", std::make_shared<nn::Linear>(nn::LinearOptions(18, 8).dtype(tg::kFloat64), gen));
        fc2 = register_module(
            "fc2", std::make_shared<nn::Linear>(nn::LinearOptions(8, 3).dtype(tg::kFloat64), gen));
        // Batch norm starts at gamma 1, beta 0; move them off those special values so that the
        // check also covers a general point.
        nn::init::normal_(bn->weight, 1.0, 0.2, gen);
        nn::init::normal_(bn->bias, 0.0, 0.2, gen);
    }

    Tensor forward(const Tensor& x) override {
        Tensor h = tg::tanh((*bn)((*conv)(x)));
        h = tg::flatten(nn::functional::avg_pool2d(h, 2), 1);
        return (*fc2)(tg::tanh((*fc1)(h)));
    }

    // The members that hold the parameters, in named_parameters() order.
    std::vector<Tensor*> parameter_slots() {
        return {&conv->weight, &conv->bias, &bn->weight,  &bn->bias,
                &fc1->weight,  &fc1->bias,  &fc2->weight, &fc2->bias};
    }

    std::shared_ptr<nn::Conv2d> conv;
    std::shared_ptr<nn::BatchNorm2d> bn;
    std::shared_ptr<nn::Linear> fc1, fc2;
};

// Runs fn with the model's parameter members pointing at `values`, then puts the parameters
// back (also if fn throws).
template <class F>
Tensor with_parameters(const std::vector<Tensor*>& slots, const std::vector<Tensor>& values,
                       F&& fn) {
    struct Restore {
        const std::vector<Tensor*>& slots;
        std::vector<Tensor> saved;
        ~Restore() {
            for (std::size_t i = 0; i < slots.size(); ++i) *slots[i] = saved[i];
        }
    } restore{slots, {}};
    for (std::size_t i = 0; i < slots.size(); ++i) {
        restore.saved.push_back(*slots[i]);
        *slots[i] = values[i];
    }
    return fn();
}

// The slots must be the parameters, in order: otherwise the report's names would be wrong.
void check_slots(SmallNet& net) {
    const auto named = net.named_parameters();
    const auto slots = net.parameter_slots();
    bool ok = named.size() == slots.size();
    for (std::size_t i = 0; ok && i < slots.size(); ++i) ok = slots[i]->same(named[i].second);
    if (!ok) {
        throw tg::ValueError(
            "gradcheck_model: parameter_slots() does not list the model's parameters in "
            "named_parameters() order");
    }
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int run(bool fast, std::uint64_t seed, std::size_t batch, bool with_input) {
    tg::Generator gen(seed);
    auto net = std::make_shared<SmallNet>(gen);
    check_slots(*net);
    std::cout << *net << "\n" << net->num_parameters() << " parameters, float64\n\n";

    // A small batch: [batch, 1, 6, 6] images and labels in 0..2.
    const Tensor images = tg::randn({batch, 1, 6, 6}, gen, tg::kFloat64);
    std::vector<std::int64_t> labels;
    for (std::size_t i = 0; i < batch; ++i) labels.push_back(static_cast<std::int64_t>(i % 3));

    // The function to check: the loss as a function of the parameters (and the input images).
    const auto slots = net->parameter_slots();
    std::vector<Tensor> inputs;
    tg::GradcheckOptions options;
    for (const auto& [name, p] : net->named_parameters()) {
        inputs.push_back(p);
        options.names.push_back(name);
    }
    if (with_input) {
        inputs.push_back(images.detach().requires_grad_(true));
        options.names.push_back("input images");
    }
    const std::size_t num_params = slots.size();
    tg::TensorFunction loss = [&](const std::vector<Tensor>& xs) {
        const std::vector<Tensor> params(xs.begin(),
                                         xs.begin() + static_cast<std::ptrdiff_t>(num_params));
        const Tensor& x = with_input ? xs[num_params] : images;
        return with_parameters(slots, params, [&] { return tg::cross_entropy((*net)(x), labels); });
    };
    options.fast = fast;
    options.seed = seed;

    std::printf("%s mode: %s\n\n", fast ? "fast" : "full",
                fast ? "one random projection u of each Jacobian, J^T u against finite "
                       "differences"
                     : "every Jacobian entry against finite differences");
    auto t0 = std::chrono::steady_clock::now();
    const tg::GradcheckReport first = tg::gradcheck(loss, inputs, options);
    std::printf("gradcheck (first derivatives), %.2f s:\n%s%s\n\n", seconds_since(t0),
                first.table().c_str(), first.to_string().c_str());

    t0 = std::chrono::steady_clock::now();
    const tg::GradcheckReport second = tg::gradgradcheck(loss, inputs, options);
    std::printf("gradgradcheck (second derivatives), %.2f s:\n%s%s\n", seconds_since(t0),
                second.table().c_str(), second.to_string().c_str());

    const bool ok = first.passed && second.passed;
    std::printf("\n%s\n", ok ? "all gradients agree with finite differences"
                             : "SOME GRADIENTS DISAGREE WITH FINITE DIFFERENCES");
    return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    bool fast = false, no_input = false;
    std::uint64_t seed = 1;
    std::size_t batch = 4;
    CLI::App app{"gradcheck and gradgradcheck over the parameters of a small custom model"};
    app.add_flag("--fast", fast, "Check one random projection of each Jacobian");
    example::add_number(app, "--seed", seed, "Seed of the parameters, the data and the projections")
        ->capture_default_str();
    example::add_number(app, "--batch", batch, "Images in the batch", example::between(2, 64))
        ->capture_default_str();
    app.add_flag("--no-input", no_input, "Check the parameters only, not the input images");
    CLI11_PARSE(app, argc, argv);
    return example::guarded_main("gradcheck_model", "--batch " + std::to_string(batch),
                                 [&] { return run(fast, seed, batch, !no_input); });
}
