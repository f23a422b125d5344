#include "research/grad_stats.hpp"

#include <cmath>
#include <limits>
#include <map>

#include <fmt/format.h>

#include "autograd/errors.hpp"

namespace tg::research {

namespace {

// Sums that pool the elements of several tensors.
struct Sums {
    std::size_t elements = 0;
    bool has_grad = false;
    double grad_sq = 0, grad_sum = 0, grad_max_abs = 0, weight_sq = 0;
    bool finite = true;

    void add_values(const Tensor& param) {
        for (double w : param.to_vector()) weight_sq += w * w;
        elements += param.numel();
    }
    void add_grad(const Tensor& grad) {
        has_grad = true;
        for (double g : grad.to_vector()) {
            if (!std::isfinite(g)) finite = false;
            grad_sq += g * g;
            grad_sum += g;
            // std::max would drop a NaN; keep it visible.
            const double a = std::abs(g);
            if (std::isnan(a) || a > grad_max_abs) grad_max_abs = a;
        }
    }
    GradStats stats(std::string name, std::string kind) const {
        GradStats s;
        s.name = std::move(name);
        s.kind = std::move(kind);
        s.elements = elements;
        s.has_grad = has_grad;
        s.finite = finite;
        s.grad_norm = std::sqrt(grad_sq);
        s.grad_mean = elements > 0 ? grad_sum / static_cast<double>(elements) : 0.0;
        s.grad_max_abs = grad_max_abs;
        s.weight_norm = std::sqrt(weight_sq);
        if (s.weight_norm > 0)
            s.ratio = s.grad_norm / s.weight_norm;
        else
            s.ratio = s.grad_norm == 0 ? 0.0 : std::numeric_limits<double>::infinity();
        return s;
    }
};

std::string layer_of(const std::string& name) {
    const auto dot = name.rfind('.');
    return dot == std::string::npos ? "(root)" : name.substr(0, dot);
}

void check_grad(const std::string& name, const Tensor& param, const Tensor& grad) {
    if (!param.defined())
        throw ValueError("research::grad_stats: parameter '" + name + "' is undefined");
    if (grad.defined() && grad.shape() != param.shape()) {
        throw ShapeError("research::grad_stats: the gradient of '" + name + "' is " +
                         shape_str(grad.shape()) + " but the parameter is " +
                         shape_str(param.shape()));
    }
}

// layer types: layer name -> module type, when known.
GradReport build(const nn::NamedTensors& params, const std::vector<Tensor>* grads,
                 const std::map<std::string, std::string>& layer_types) {
    if (grads && grads->size() != params.size()) {
        throw ValueError("research::grad_stats: " + std::to_string(grads->size()) +
                         " gradients for " + std::to_string(params.size()) + " parameters");
    }
    GradReport report;
    std::vector<std::string> layer_order;
    std::map<std::string, Sums> layer_sums;
    for (std::size_t i = 0; i < params.size(); ++i) {
        const auto& [name, p] = params[i];
        const Tensor& g = grads ? (*grads)[i] : p.grad();
        check_grad(name, p, g);
        Sums own;
        own.add_values(p);
        if (g.defined()) own.add_grad(g);
        report.parameters.push_back(own.stats(name, shape_str(p.shape())));

        const std::string layer = layer_of(name);
        auto [it, fresh] = layer_sums.try_emplace(layer);
        if (fresh) layer_order.push_back(layer);
        Sums& ls = it->second;
        ls.add_values(p);
        if (g.defined()) ls.add_grad(g);
    }
    for (const auto& layer : layer_order) {
        auto type = layer_types.find(layer);
        report.layers.push_back(
            layer_sums[layer].stats(layer, type == layer_types.end() ? "-" : type->second));
    }
    return report;
}

std::map<std::string, std::string> module_types(nn::Module& module) {
    std::map<std::string, std::string> types;
    for (const auto& [path, m] : module.named_modules())
        types.emplace(path.empty() ? "(root)" : path, m->type_name());
    return types;
}

const GradStats& find(const std::vector<GradStats>& rows, const std::string& name,
                      const char* what) {
    for (const auto& r : rows)
        if (r.name == name) return r;
    std::string known;
    for (const auto& r : rows) known += (known.empty() ? "" : ", ") + r.name;
    throw ValueError(std::string("GradReport::") + what + ": no " + what + " named '" + name +
                     "' (there are: " + known + ")");
}

std::string format_row(const GradStats& s) {
    if (!s.has_grad) {
        return fmt::format("{:<26} {:<14} {:>9}  {:>10} {:>11} {:>10} {:>10.4g} {:>10}\n", s.name,
                           s.kind, s.elements, "-", "-", "-", s.weight_norm, "-");
    }
    return fmt::format("{:<26} {:<14} {:>9}  {:>10.4g} {:>11.3e} {:>10.4g} {:>10.4g} {:>10.4g}{}\n",
                       s.name, s.kind, s.elements, s.grad_norm, s.grad_mean, s.grad_max_abs,
                       s.weight_norm, s.ratio, s.finite ? "" : "  NOT FINITE");
}

}  // namespace

const GradStats& GradReport::parameter(const std::string& name) const {
    return find(parameters, name, "parameter");
}

const GradStats& GradReport::layer(const std::string& name) const {
    return find(layers, name, "layer");
}

std::string GradReport::table() const {
    auto header = [](const char* first) {
        return fmt::format("{:<26} {:<14} {:>9}  {:>10} {:>11} {:>10} {:>10} {:>10}\n", first, "",
                           "elements", "||grad||", "mean grad", "max|grad|", "||w||", "ratio");
    };
    std::string s = header("parameter");
    for (const auto& p : parameters) s += format_row(p);
    s += "\n" + header("layer");
    for (const auto& l : layers) s += format_row(l);
    return s;
}

std::string GradReport::csv() const {
    std::string s =
        "scope,name,kind,elements,has_grad,grad_norm,grad_mean,grad_max_abs,weight_norm,ratio\n";
    auto rows = [&](const std::vector<GradStats>& list, const char* scope) {
        for (const auto& r : list) {
            s += fmt::format("{},{},\"{}\",{},{},{:.17g},{:.17g},{:.17g},{:.17g},{:.17g}\n", scope,
                             r.name, r.kind, r.elements, r.has_grad ? 1 : 0, r.grad_norm,
                             r.grad_mean, r.grad_max_abs, r.weight_norm, r.ratio);
        }
    };
    rows(parameters, "parameter");
    rows(layers, "layer");
    return s;
}

GradStats tensor_grad_stats(const std::string& name, const Tensor& param, const Tensor& grad) {
    check_grad(name, param, grad);
    Sums s;
    s.add_values(param);
    if (grad.defined()) s.add_grad(grad);
    return s.stats(name, shape_str(param.shape()));
}

GradReport grad_stats(nn::Module& module) {
    return build(module.named_parameters(), nullptr, module_types(module));
}

GradReport grad_stats(nn::Module& module, const std::vector<Tensor>& grads) {
    return build(module.named_parameters(), &grads, module_types(module));
}

GradReport grad_stats(const nn::NamedTensors& parameters) {
    return build(parameters, nullptr, {});
}

GradReport grad_stats(const nn::NamedTensors& parameters, const std::vector<Tensor>& grads) {
    return build(parameters, &grads, {});
}

}  // namespace tg::research
