#pragma once
// The networks of the study, built from tg::nn modules in double precision, and the data they
// see.
//
//   sigmoid    Nielsen's setup: Linear + sigmoid everywhere (the output too), weights
//              N(0, 1/n_in) and biases N(0, 1) (nn::init::nielsen_).
//   relu_he    the first fix: ReLU in the hidden layers with He initialisation (weights
//              N(0, 2/n_in), biases 0); the output layer as in `sigmoid`.
//   batchnorm  the second fix: Linear (N(0, 1/n_in) weights, no bias) + BatchNorm1d + sigmoid in
//              the hidden layers; the output layer as in `sigmoid`. Batch norm subtracts the
//              batch mean right after the linear layer, so a bias there would get a zero
//              gradient; batch norm's shift beta takes its place, and its gradient is the one
//              reported as the layer's bias gradient.
//
// The cost is Nielsen's cross-entropy for sigmoid outputs a = s(z) (his network2's
// CrossEntropyCost, averaged over the images):
//   C = -1/n sum_x sum_j [y_j ln a_j + (1 - y_j) ln(1 - a_j)]
//     =  1/n sum_x sum_j [softplus(z_j) - y_j z_j].
// It is computed in the second form, from the output layer's z: the Sequential ends with the
// output Linear, and the output sigmoid is applied inside the cost (outputs() applies it for
// predictions). Both forms are the same function with the same gradient, dC/dz_j = a_j - y_j
// (Nielsen's delta), but the first takes ln(1 - a) of an output that has rounded to 1 once
// training saturates it, and turns the cost and the gradient into NaN.
// tests/research checks the identity against tg::binary_cross_entropy of the sigmoid outputs.

#include <memory>
#include <string>
#include <vector>

#include "tapegrad.hpp"

namespace vg {

namespace nn = tg::nn;

enum class Variant { sigmoid, relu_he, batchnorm };

inline const char* variant_name(Variant v) {
    switch (v) {
        case Variant::sigmoid:
            return "sigmoid";
        case Variant::relu_he:
            return "relu_he";
        case Variant::batchnorm:
            return "batchnorm";
    }
    return "?";
}

inline const char* variant_title(Variant v) {
    switch (v) {
        case Variant::sigmoid:
            return "sigmoid, N(0,1/n_in) weights, N(0,1) biases";
        case Variant::relu_he:
            return "ReLU hidden layers, He initialisation";
        case Variant::batchnorm:
            return "sigmoid with batch norm after each hidden linear layer";
    }
    return "?";
}

// A network (its output is the last layer's z) and, per hidden layer, first hidden layer first,
// the names of the parameters that act as its bias and as its weight.
struct Network {
    std::shared_ptr<nn::Sequential> net;
    std::vector<std::string> hidden_bias_names;
    std::vector<std::string> hidden_weight_names;
};

inline std::string sizes_str(const std::vector<std::size_t>& sizes) {
    std::string s = "[";
    for (std::size_t i = 0; i < sizes.size(); ++i) s += (i ? "," : "") + std::to_string(sizes[i]);
    return s + "]";
}

inline Network make_network(Variant variant, const std::vector<std::size_t>& sizes,
                            tg::Generator& gen) {
    Network n{std::make_shared<nn::Sequential>(), {}, {}};
    const std::size_t layers = sizes.size() - 1;
    for (std::size_t l = 0; l < layers; ++l) {
        const bool output = l + 1 == layers;
        const bool bn = variant == Variant::batchnorm && !output;
        auto lin = std::make_shared<nn::Linear>(
            nn::LinearOptions(sizes[l], sizes[l + 1]).dtype(tg::kFloat64).bias(!bn), gen);
        if (variant == Variant::relu_he && !output) {
            nn::init::kaiming_normal_(lin->weight, gen, 0, nn::init::FanMode::fan_in,
                                      nn::init::Nonlinearity::relu);
            nn::init::zeros_(lin->bias);
        } else {
            nn::init::nielsen_(lin->weight, lin->bias, gen);  // bias undefined under bn: skipped
        }
        const std::string index = std::to_string(n.net->size());
        n.net->push_back(lin);
        if (!output) n.hidden_weight_names.push_back(index + ".weight");
        if (bn) {
            const std::string bn_index = std::to_string(n.net->size());
            n.net->push_back(std::make_shared<nn::BatchNorm1d>(
                nn::BatchNormOptions(sizes[l + 1]).dtype(tg::kFloat64)));
            n.hidden_bias_names.push_back(bn_index + ".bias");
        } else if (!output) {
            n.hidden_bias_names.push_back(index + ".bias");
        }
        if (output) break;  // the output's sigmoid is in the cost
        if (variant == Variant::relu_he)
            n.net->push_back(std::make_shared<nn::ReLU>());
        else
            n.net->push_back(std::make_shared<nn::Sigmoid>());
    }
    return n;
}

// Images as rows of pixels in [0, 1] (no normalisation, as in Nielsen's data), labels one-hot.
struct Data {
    tg::Tensor x;  // [n, 784] float64
    tg::Tensor y;  // [n, 10] float64
    std::vector<std::int64_t> labels;
};

inline Data to_tensors(const nn::data::Dataset& ds) {
    nn::data::DataLoader loader(
        ds, nn::data::DataLoaderOptions().batch_size(ds.size()).shuffle(false).dtype(tg::kFloat64));
    const nn::data::Batch b = loader.make_batch(loader.order(0), 0);
    const auto n = static_cast<std::int64_t>(b.size());
    return {tg::reshape(b.inputs, {n, -1}), tg::one_hot(b.labels, ds.num_classes(), tg::kFloat64),
            b.labels};
}

// Nielsen's cross-entropy cost of sigmoid outputs a = s(z), from z [n, classes]: the mean over
// rows of sum_j softplus(z_j) - y_j z_j. binary_cross_entropy_with_logits averages over all
// n * classes elements, hence the factor.
inline tg::Tensor nielsen_cost(const tg::Tensor& z, const tg::Tensor& y) {
    return static_cast<double>(z.shape()[1]) * tg::binary_cross_entropy_with_logits(z, y);
}

inline tg::Tensor cost(nn::Module& net, const Data& d) {
    return nielsen_cost(net(d.x), d.y);
}

// The network's sigmoid outputs.
inline tg::Tensor outputs(nn::Module& net, const tg::Tensor& x) {
    return tg::sigmoid(net(x));
}

// Per hidden layer, first hidden layer first: ||grad_b^l C|| and ||grad_W^l C||.
struct HiddenNorms {
    std::vector<double> bias, weight;
};

// The norms for the gradient of the mean cost over the data, read from the research tools'
// statistics (returned in *report if asked). Leaves the gradients in the parameters' .grad().
inline HiddenNorms hidden_grad_norms(Network& n, const Data& d,
                                     tg::research::GradReport* report = nullptr) {
    n.net->zero_grad(true);
    cost(*n.net, d).backward();
    const auto stats = tg::research::grad_stats(*n.net);
    HiddenNorms norms;
    for (const auto& name : n.hidden_bias_names)
        norms.bias.push_back(stats.parameter(name).grad_norm);
    for (const auto& name : n.hidden_weight_names)
        norms.weight.push_back(stats.parameter(name).grad_norm);
    if (report) *report = stats;
    return norms;
}

}  // namespace vg
