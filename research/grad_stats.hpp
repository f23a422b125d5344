#pragma once
// Gradient statistics per parameter and per layer, for any module: the numbers to look at when
// gradients vanish or explode.
//
//     net->zero_grad();
//     loss.backward();
//     auto stats = tg::research::grad_stats(*net);
//     std::cout << stats.table();                         // one row per parameter and per layer
//     double g = stats.parameter("2.bias").grad_norm;     // ||dC/db|| of layer "2"
//
// For a parameter w with gradient g of n elements:
//   grad_norm     ||g||_2
//   grad_mean     (g_1 + ... + g_n) / n
//   grad_max_abs  max_i |g_i|
//   weight_norm   ||w||_2
//   ratio         ||g||_2 / ||w||_2: how far one step of SGD moves w, relative to w, per unit
//                 of learning rate. When ||w||_2 is 0 it is +inf if g is not 0, and 0 if g is 0.
// A layer is the module that owns parameters directly ("features.0"; the root module is
// "(root)"). Its row pools all its parameters' elements: the norms are over all of them
// together, the mean and the max over all of them.
// A parameter without a gradient (no backward reached it) has has_grad false and zero
// statistics, and counts as zeros in its layer. Statistics are computed in double; a NaN or Inf
// in a gradient shows up as NaN or Inf (finite is false), never as a number that looks fine.

#include <string>
#include <vector>

#include "../autograd/tensor.hpp"
#include "../nn/module.hpp"

namespace tg::research {

struct GradStats {
    std::string name;  // "features.0.weight", or for a layer "features.0"
    std::string kind;  // a parameter's shape "[30, 784]"; a layer's type "Linear"
    std::size_t elements = 0;
    bool has_grad = false;  // a layer: any of its parameters has one
    bool finite = true;     // no NaN or Inf in the gradient
    double grad_norm = 0;
    double grad_mean = 0;
    double grad_max_abs = 0;
    double weight_norm = 0;
    double ratio = 0;  // grad_norm / weight_norm (see above for weight_norm 0)
};

struct GradReport {
    std::vector<GradStats> parameters;  // in named_parameters() order
    std::vector<GradStats> layers;      // in the order their first parameter appears

    // The row of a parameter or a layer by name; ValueError listing the names if there is none.
    const GradStats& parameter(const std::string& name) const;
    const GradStats& layer(const std::string& name) const;

    // Aligned text: the parameters, then the layers.
    std::string table() const;
    // One line per parameter, then per layer, with a header:
    // scope,name,kind,elements,has_grad,grad_norm,grad_mean,grad_max_abs,weight_norm,ratio
    std::string csv() const;
};

// The statistics of one tensor and its gradient (undefined: no gradient). ShapeError if the
// gradient's shape differs from the tensor's.
GradStats tensor_grad_stats(const std::string& name, const Tensor& param, const Tensor& grad);

// From each parameter's .grad(), after backward().
GradReport grad_stats(nn::Module& module);
// From the gradients given, in the order of named_parameters() (e.g. the result of tg::grad());
// ValueError if the counts differ.
GradReport grad_stats(nn::Module& module, const std::vector<Tensor>& grads);
// A list of named tensors, from their .grad() or from the gradients given. Layers are the name
// up to its last '.' ("encoder.fc.weight" -> "encoder.fc"), with kind "-".
GradReport grad_stats(const nn::NamedTensors& parameters);
GradReport grad_stats(const nn::NamedTensors& parameters, const std::vector<Tensor>& grads);

}  // namespace tg::research
