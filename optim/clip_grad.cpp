#include "optim/clip_grad.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "autograd/errors.hpp"
#include "autograd/grad_mode.hpp"

namespace tg::optim {

namespace {

template <class F>
void for_each_grad(const std::vector<Tensor>& parameters, F f) {
    for (const Tensor& p : parameters) {
        if (!p.defined() || !p.grad().defined()) continue;
        const Tensor& g = p.grad();
        if (g.dtype() == kFloat32)
            f(g.mutable_array<float>());
        else
            f(g.mutable_array<double>());
    }
}

}  // namespace

double clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm, double norm_type,
                       bool error_if_nonfinite) {
    if (!(max_norm >= 0)) throw ValueError(fmt::format("clip_grad_norm_: max_norm {}", max_norm));
    if (!(norm_type >= 1))
        throw ValueError(fmt::format("clip_grad_norm_: norm_type {} (need >= 1)", norm_type));
    NoGradGuard no_grad;
    const bool inf_norm = std::isinf(norm_type);
    double acc = 0;
    for_each_grad(parameters, [&](auto& a) {
        for (const auto v : a) {
            const double m = std::abs(static_cast<double>(v));
            if (std::isnan(m))
                acc = m;
            else if (inf_norm)
                acc = std::max(acc, m);
            else
                acc += norm_type == 2 ? m * m : std::pow(m, norm_type);
        }
    });
    const double total = inf_norm         ? acc
                         : norm_type == 2 ? std::sqrt(acc)
                                          : std::pow(acc, 1 / norm_type);
    if (!std::isfinite(total)) {
        if (error_if_nonfinite)
            throw NumericError(
                fmt::format("clip_grad_norm_: the total gradient norm is {}", total));
        return total;
    }
    const double coef = max_norm / (total + 1e-6);  // PyTorch's guard against a zero norm
    if (coef < 1) {
        for_each_grad(parameters, [&](auto& a) {
            using T = typename std::decay_t<decltype(a)>::value_type;
            for (auto& v : a) v = static_cast<T>(v * coef);
        });
    }
    return total;
}

void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value) {
    if (!(clip_value >= 0))
        throw ValueError(fmt::format("clip_grad_value_: clip_value {}", clip_value));
    NoGradGuard no_grad;
    for_each_grad(parameters, [&](auto& a) {
        using T = typename std::decay_t<decltype(a)>::value_type;
        const T hi = static_cast<T>(clip_value), lo = -hi;
        for (auto& v : a) {
            if (v > hi)
                v = hi;
            else if (v < lo)
                v = lo;
        }
    });
}

}  // namespace tg::optim
