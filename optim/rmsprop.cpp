#include "optim/rmsprop.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace tg::optim {

namespace {

template <class T>
double rmsprop_update(T* w, const T* grad, T* sq, T* avg, T* buf, std::size_t n,
                      const RMSpropOptions& o) {
    const T lr = static_cast<T>(o.lr()), alpha = static_cast<T>(o.alpha());
    const T eps = static_cast<T>(o.eps()), wd = static_cast<T>(o.weight_decay());
    const T mu = static_cast<T>(o.momentum());
    double step2 = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const T old = w[i];
        const T g = grad[i] + wd * old;
        sq[i] = alpha * sq[i] + (1 - alpha) * g * g;
        T den;
        if (avg != nullptr) {
            avg[i] = alpha * avg[i] + (1 - alpha) * g;
            den = std::sqrt(std::max(T(0), sq[i] - avg[i] * avg[i])) + eps;  // rounding
        } else {
            den = std::sqrt(sq[i]) + eps;
        }
        if (buf != nullptr) {
            buf[i] = mu * buf[i] + g / den;
            w[i] = old - lr * buf[i];
        } else {
            w[i] = old - lr * g / den;
        }
        const double d = double(w[i]) - double(old);
        step2 += d * d;
    }
    return step2;
}

template <class T>
T* data_or_null(bool on, Tensor& t) {
    return on ? t.mutable_array<T>().data() : nullptr;
}

}  // namespace

RMSprop::RMSprop(std::vector<Tensor> params, const RMSpropOptions& options)
    : FirstOrderOptimizer(std::move(params), "RMSprop"), options_(options) {
    validate();
}

RMSprop::RMSprop(const std::vector<std::pair<std::string, Tensor>>& named_params,
                 const RMSpropOptions& options)
    : FirstOrderOptimizer(named_params, "RMSprop"), options_(options) {
    validate();
}

void RMSprop::validate() const {
    const auto bad = [](const char* what, double v) {
        return ValueError(fmt::format("RMSprop: {} must be >= 0, got {}", what, v));
    };
    if (!(options_.lr() >= 0)) throw bad("lr", options_.lr());
    if (!(options_.eps() >= 0)) throw bad("eps", options_.eps());
    if (!(options_.weight_decay() >= 0)) throw bad("weight_decay", options_.weight_decay());
    if (!(options_.momentum() >= 0)) throw bad("momentum", options_.momentum());
    if (!(options_.alpha() >= 0 && options_.alpha() < 1)) {
        throw ValueError(
            fmt::format("RMSprop: alpha must lie in [0, 1), got {}", options_.alpha()));
    }
}

void RMSprop::reset() {
    FirstOrderOptimizer::reset();
    square_avg_.clear();
    grad_avg_.clear();
    momentum_buffer_.clear();
}

FirstOrderOptimizer::Settings RMSprop::settings() const {
    return {options_.max_iter(), options_.tolerance_grad(), options_.tolerance_step(),
            options_.lr()};
}

double RMSprop::update(std::size_t i, Tensor& param, const Tensor& grad) {
    const bool centered = options_.centered();
    const bool momentum = options_.momentum() > 0;
    const std::size_t n = param.numel();
    Tensor& sq = state(square_avg_, i);
    Tensor none;
    Tensor& avg = centered ? state(grad_avg_, i) : none;
    Tensor& buf = momentum ? state(momentum_buffer_, i) : none;
    if (param.dtype() == DType::f32) {
        return rmsprop_update(param.mutable_array<float>().data(), grad.array<float>().data(),
                              sq.mutable_array<float>().data(), data_or_null<float>(centered, avg),
                              data_or_null<float>(momentum, buf), n, options_);
    }
    return rmsprop_update(param.mutable_array<double>().data(), grad.array<double>().data(),
                          sq.mutable_array<double>().data(), data_or_null<double>(centered, avg),
                          data_or_null<double>(momentum, buf), n, options_);
}

}  // namespace tg::optim
