#include "optim/sgd.hpp"

#include <string>

namespace tg::optim {

namespace {

template <class T>
double sgd_update(T* w, const T* g, T* v, std::size_t n, const SGDOptions& o) {
    const T lr = static_cast<T>(o.lr());
    const T alpha = static_cast<T>(o.momentum());
    const T wd = static_cast<T>(o.weight_decay());
    double step2 = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const T gi = g[i] + wd * w[i];
        const T old = w[i];
        if (v == nullptr) {
            w[i] = old - lr * gi;
        } else {
            v[i] = alpha * v[i] - lr * gi;
            w[i] = o.nesterov() ? old + alpha * v[i] - lr * gi : old + v[i];
        }
        const double d = double(w[i]) - double(old);
        step2 += d * d;
    }
    return step2;
}

}  // namespace

SGD::SGD(std::vector<Tensor> params, const SGDOptions& options)
    : FirstOrderOptimizer(std::move(params), "SGD"), options_(options) {
    validate();
}

SGD::SGD(const std::vector<std::pair<std::string, Tensor>>& named_params, const SGDOptions& options)
    : FirstOrderOptimizer(named_params, "SGD"), options_(options) {
    validate();
}

void SGD::validate() const {
    if (!(options_.lr() >= 0)) {
        throw ValueError("SGD: lr must be >= 0, got " + std::to_string(options_.lr()));
    }
    if (!(options_.momentum() >= 0)) {
        throw ValueError("SGD: momentum must be >= 0, got " + std::to_string(options_.momentum()));
    }
    if (!(options_.weight_decay() >= 0)) {
        throw ValueError("SGD: weight_decay must be >= 0, got " +
                         std::to_string(options_.weight_decay()));
    }
    if (options_.nesterov() && options_.momentum() <= 0) {
        throw ValueError("SGD: Nesterov momentum needs momentum > 0");
    }
}

void SGD::reset() {
    FirstOrderOptimizer::reset();
    velocity_.clear();
}

FirstOrderOptimizer::Settings SGD::settings() const {
    return {options_.max_iter(), options_.tolerance_grad(), options_.tolerance_step(),
            options_.lr()};
}

double SGD::update(std::size_t i, Tensor& param, const Tensor& grad) {
    const std::size_t n = param.numel();
    if (param.dtype() == DType::f32) {
        float* v =
            options_.momentum() > 0 ? state(velocity_, i).mutable_array<float>().data() : nullptr;
        return sgd_update(param.mutable_array<float>().data(), grad.array<float>().data(), v, n,
                          options_);
    }
    double* v =
        options_.momentum() > 0 ? state(velocity_, i).mutable_array<double>().data() : nullptr;
    return sgd_update(param.mutable_array<double>().data(), grad.array<double>().data(), v, n,
                      options_);
}

}  // namespace tg::optim
