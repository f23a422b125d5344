#include "optim/adam.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace tg::optim {

namespace {

struct AdamStep {
    double lr, beta1, beta2, eps, weight_decay;
    bool decoupled, amsgrad;
    double bias1, bias2;  // 1 - beta^t
};

template <class T>
double adam_update(T* w, const T* grad, T* m, T* v, T* v_max, std::size_t n, const AdamStep& s) {
    const T b1 = static_cast<T>(s.beta1), b2 = static_cast<T>(s.beta2);
    const T wd = static_cast<T>(s.weight_decay);
    const T eps = static_cast<T>(s.eps);
    const T step = static_cast<T>(s.lr / s.bias1);
    const T sqrt_bias2 = static_cast<T>(std::sqrt(s.bias2));
    const T shrink = static_cast<T>(1 - s.lr * s.weight_decay);
    double step2 = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const T old = w[i];
        T g = grad[i];
        T wi = old;
        if (s.decoupled) {
            wi *= shrink;
        } else {
            g += wd * old;
        }
        m[i] = b1 * m[i] + (1 - b1) * g;
        v[i] = b2 * v[i] + (1 - b2) * g * g;
        T second = v[i];
        if (s.amsgrad) {
            v_max[i] = std::max(v_max[i], v[i]);
            second = v_max[i];
        }
        w[i] = wi - step * m[i] / (std::sqrt(second) / sqrt_bias2 + eps);
        const double d = double(w[i]) - double(old);
        step2 += d * d;
    }
    return step2;
}

AdamOptions as_adam(const AdamWOptions& o) {
    return AdamOptions(o.lr())
        .betas(o.betas())
        .eps(o.eps())
        .weight_decay(o.weight_decay())
        .amsgrad(o.amsgrad())
        .max_iter(o.max_iter())
        .tolerance_grad(o.tolerance_grad())
        .tolerance_step(o.tolerance_step());
}

}  // namespace

Adam::Adam(std::vector<Tensor> params, const AdamOptions& options)
    : Adam(std::move(params), options, false, "Adam") {}

Adam::Adam(const std::vector<std::pair<std::string, Tensor>>& named_params,
           const AdamOptions& options)
    : Adam(named_params, options, false, "Adam") {}

Adam::Adam(std::vector<Tensor> params, const AdamOptions& options, bool decoupled, const char* name)
    : FirstOrderOptimizer(std::move(params), name), options_(options), decoupled_(decoupled) {
    validate();
}

Adam::Adam(const std::vector<std::pair<std::string, Tensor>>& named_params,
           const AdamOptions& options, bool decoupled, const char* name)
    : FirstOrderOptimizer(named_params, name), options_(options), decoupled_(decoupled) {
    validate();
}

AdamW::AdamW(std::vector<Tensor> params, const AdamWOptions& options)
    : Adam(std::move(params), as_adam(options), true, "AdamW") {}

AdamW::AdamW(const std::vector<std::pair<std::string, Tensor>>& named_params,
             const AdamWOptions& options)
    : Adam(named_params, as_adam(options), true, "AdamW") {}

void Adam::validate() const {
    const auto [b1, b2] = options_.betas();
    if (!(options_.lr() >= 0))
        throw ValueError(fmt::format("{}: lr must be >= 0, got {}", name(), options_.lr()));
    if (!(b1 >= 0 && b1 < 1) || !(b2 >= 0 && b2 < 1)) {
        throw ValueError(fmt::format("{}: betas must lie in [0, 1), got ({}, {})", name(), b1, b2));
    }
    if (!(options_.eps() >= 0))
        throw ValueError(fmt::format("{}: eps must be >= 0, got {}", name(), options_.eps()));
    if (!(options_.weight_decay() >= 0)) {
        throw ValueError(
            fmt::format("{}: weight_decay must be >= 0, got {}", name(), options_.weight_decay()));
    }
}

void Adam::reset() {
    FirstOrderOptimizer::reset();
    m_.clear();
    v_.clear();
    v_max_.clear();
    steps_.clear();
}

FirstOrderOptimizer::Settings Adam::settings() const {
    return {options_.max_iter(), options_.tolerance_grad(), options_.tolerance_step(),
            options_.lr()};
}

double Adam::update(std::size_t i, Tensor& param, const Tensor& grad) {
    if (steps_.size() < parameters().size()) steps_.resize(parameters().size(), 0);
    const std::size_t t = ++steps_[i];
    const auto [b1, b2] = options_.betas();
    const AdamStep s{options_.lr(),
                     b1,
                     b2,
                     options_.eps(),
                     options_.weight_decay(),
                     decoupled_,
                     options_.amsgrad(),
                     1 - std::pow(b1, double(t)),
                     1 - std::pow(b2, double(t))};
    const std::size_t n = param.numel();
    if (param.dtype() == DType::f32) {
        float* vmax = s.amsgrad ? state(v_max_, i).mutable_array<float>().data() : nullptr;
        return adam_update(param.mutable_array<float>().data(), grad.array<float>().data(),
                           state(m_, i).mutable_array<float>().data(),
                           state(v_, i).mutable_array<float>().data(), vmax, n, s);
    }
    double* vmax = s.amsgrad ? state(v_max_, i).mutable_array<double>().data() : nullptr;
    return adam_update(param.mutable_array<double>().data(), grad.array<double>().data(),
                       state(m_, i).mutable_array<double>().data(),
                       state(v_, i).mutable_array<double>().data(), vmax, n, s);
}

}  // namespace tg::optim
