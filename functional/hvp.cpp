#include "functional/hvp.hpp"

#include <string>

#include "autograd/engine.hpp"
#include "autograd/grad_mode.hpp"
#include "functional/dual.hpp"
#include "ops/arithmetic.hpp"
#include "ops/creation.hpp"
#include "ops/reduction.hpp"

namespace tg {

namespace {

void check_vectors(const char* who, const std::vector<Tensor>& params,
                   const std::vector<Tensor>& v) {
    if (v.size() != params.size()) {
        throw ValueError(std::string(who) + ": " + std::to_string(v.size()) + " vectors for " +
                         std::to_string(params.size()) + " parameters");
    }
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i].shape() != params[i].shape() || v[i].dtype() != params[i].dtype()) {
            throw ShapeError(std::string(who) + ": vector " + std::to_string(i) + " is " +
                             dtype_name(v[i].dtype()) + shape_str(v[i].shape()) +
                             " for a parameter " + dtype_name(params[i].dtype()) +
                             shape_str(params[i].shape()));
        }
    }
}

// grad . v, summed over all parameters.
Tensor dot_all(const std::vector<Tensor>& g, const std::vector<Tensor>& v) {
    Tensor total;
    for (std::size_t i = 0; i < g.size(); ++i) {
        if (!g[i].defined() || !g[i].requires_grad()) continue;  // constant: no curvature here
        Tensor term = sum(mul(g[i], v[i]));
        total = total.defined() ? add(total, term) : term;
    }
    return total;
}

std::vector<Tensor> second_backward(const Tensor& dot, const std::vector<Tensor>& params,
                                    bool retain) {
    std::vector<Tensor> hv(params.size());
    if (dot.defined()) {
        hv = grad({dot}, params, {}, GradOptions().allow_unused(true).retain_graph(retain));
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
        if (!hv[i].defined()) hv[i] = zeros_like(params[i]);
    }
    return hv;
}

}  // namespace

namespace {

// The loss a Hessian belongs to is a scalar: anything else is the caller's mistake, named as
// the function they called.
Tensor scalar_loss(const Tensor& y, const char* who) {
    if (!y.defined() || y.numel() != 1) {
        throw ShapeError(std::string(who) + ": the function must return a scalar (one element), " +
                         "but it returned " +
                         (y.defined() ? "shape " + shape_str(y.shape()) : "an undefined tensor"));
    }
    return y;
}

}  // namespace

std::vector<Tensor> hvp(const std::function<Tensor()>& loss, const std::vector<Tensor>& params,
                        const std::vector<Tensor>& v, HvpMode mode) {
    check_vectors("hvp", params, v);
    EnableGradGuard recording;
    if (mode == HvpMode::forward_over_reverse) {
        DualGuard dual(params, v);
        const Tensor y = scalar_loss(loss(), "hvp");
        std::vector<Tensor> g = grad({y}, params, {}, GradOptions().allow_unused(true));
        std::vector<Tensor> hv(params.size());
        for (std::size_t i = 0; i < params.size(); ++i) {
            hv[i] = g[i].defined() && g[i].tangent().defined() ? g[i].tangent().detach()
                                                               : zeros_like(params[i]);
        }
        return hv;
    }
    const Tensor y = scalar_loss(loss(), "hvp");
    const std::vector<Tensor> g =
        grad({y}, params, {}, GradOptions().create_graph(true).allow_unused(true));
    return second_backward(dot_all(g, v), params, false);
}

HessianVectorProduct::HessianVectorProduct(const std::function<Tensor()>& loss,
                                           std::vector<Tensor> params, const char* who)
    : params_(std::move(params)) {
    EnableGradGuard recording;
    const Tensor y = scalar_loss(loss(), who);
    loss_value_ = y.item();
    recorded_gradient_ =
        grad({y}, params_, {}, GradOptions().create_graph(true).allow_unused(true));
    for (std::size_t i = 0; i < params_.size(); ++i) {
        gradient_.push_back(recorded_gradient_[i].defined() ? recorded_gradient_[i].detach()
                                                            : zeros_like(params_[i]));
    }
}

HessianVectorProduct::~HessianVectorProduct() = default;

std::vector<Tensor> HessianVectorProduct::operator()(const std::vector<Tensor>& v) {
    check_vectors("HessianVectorProduct", params_, v);
    EnableGradGuard recording;
    ++products_;
    // The dot product's own nodes die with it; the recorded gradient's graph is retained.
    return second_backward(dot_all(recorded_gradient_, v), params_, true);
}

}  // namespace tg
