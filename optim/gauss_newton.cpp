#include "optim/gauss_newton.hpp"

#include <string>

#include "autograd/engine.hpp"
#include "autograd/grad_mode.hpp"
#include "ops/arithmetic.hpp"
#include "ops/creation.hpp"
#include "ops/reduction.hpp"

namespace tg::optim {

namespace {

std::vector<Tensor> zeros_where_undefined(std::vector<Tensor> g, const std::vector<Tensor>& like) {
    for (std::size_t i = 0; i < g.size(); ++i) {
        if (!g[i].defined()) g[i] = zeros_like(like[i]);
    }
    return g;
}

}  // namespace

GaussNewtonVectorProduct::GaussNewtonVectorProduct(
    const std::function<Tensor()>& model,
    const std::function<Tensor(const Tensor&)>& loss_of_output, std::vector<Tensor> params)
    : params_(std::move(params)) {
    EnableGradGuard recording;
    outputs_ = model();
    if (!outputs_.defined() || !outputs_.requires_grad()) {
        throw GraphError(
            "GaussNewtonVectorProduct: the model's outputs do not depend on the "
            "parameters (or were computed under NoGradGuard)");
    }
    detached_outputs_ = outputs_.detach().requires_grad_(true);
    const Tensor loss = loss_of_output(detached_outputs_);
    if (!loss.defined() || loss.numel() != 1) {
        throw ValueError("GaussNewtonVectorProduct: loss_of_output must return a scalar");
    }
    loss_value_ = loss.item();
    loss_gradient_ = grad({loss}, {detached_outputs_}, {},
                          GradOptions().create_graph(true).allow_unused(true))[0];
    if (!loss_gradient_.defined()) loss_gradient_ = zeros_like(outputs_);
    gradient_ = zeros_where_undefined(grad({outputs_}, params_, {loss_gradient_.detach()},
                                           GradOptions().retain_graph(true).allow_unused(true)),
                                      params_);
    probe_ = zeros_like(outputs_).requires_grad_(true);
    jtu_ = grad({outputs_}, params_, {probe_}, GradOptions().create_graph(true).allow_unused(true));
}

GaussNewtonVectorProduct::~GaussNewtonVectorProduct() = default;

std::vector<Tensor> GaussNewtonVectorProduct::operator()(const std::vector<Tensor>& v) {
    if (v.size() != params_.size()) {
        throw ValueError("GaussNewtonVectorProduct: " + std::to_string(v.size()) + " vectors for " +
                         std::to_string(params_.size()) + " parameters");
    }
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i].shape() != params_[i].shape() || v[i].dtype() != params_[i].dtype()) {
            throw ShapeError("GaussNewtonVectorProduct: vector " + std::to_string(i) + " is " +
                             dtype_name(v[i].dtype()) + shape_str(v[i].shape()) +
                             " for a parameter " + dtype_name(params_[i].dtype()) +
                             shape_str(params_[i].shape()));
        }
    }
    EnableGradGuard recording;
    ++products_;
    const GradOptions keep = GradOptions().retain_graph(true).allow_unused(true);
    // J v = d/du [(J^T u) . v]
    Tensor dot;
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (!jtu_[i].defined() || !jtu_[i].requires_grad()) continue;
        const Tensor term = sum(mul(jtu_[i], v[i]));
        dot = dot.defined() ? add(dot, term) : term;
    }
    if (!dot.defined()) return zeros_where_undefined(std::vector<Tensor>(params_.size()), params_);
    Tensor jv = grad({dot}, {probe_}, {}, keep)[0];
    if (!jv.defined()) jv = zeros_like(outputs_);
    // H_L (J v)
    Tensor hjv;
    if (loss_gradient_.requires_grad()) {
        hjv = grad({sum(mul(loss_gradient_, jv))}, {detached_outputs_}, {}, keep)[0];
    }
    if (!hjv.defined()) hjv = zeros_like(outputs_);
    // J^T (H_L J v)
    return zeros_where_undefined(grad({outputs_}, params_, {hjv}, keep), params_);
}

}  // namespace tg::optim
