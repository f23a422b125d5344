#include "nn/batchnorm.hpp"

#include <fmt/format.h>

#include "autograd/errors.hpp"
#include "autograd/grad_mode.hpp"
#include "nn/batchnorm_parts.hpp"
#include "nn/init.hpp"
#include "ops/arithmetic.hpp"
#include "ops/creation.hpp"
#include "ops/kernels.hpp"
#include "ops/reduction.hpp"
#include "ops/shape.hpp"

namespace tg::nn {

namespace functional {

namespace {

using tg::nn::detail::blend_running;

// The checks of every per-channel tensor name this function.
void check_channel_tensor(const char* what, const Tensor& t, std::size_t C, const Tensor& x) {
    tg::nn::detail::check_channel_tensor("batch_norm", what, t, C, x);
}

}  // namespace

Tensor batch_norm(const Tensor& x, Tensor running_mean, Tensor running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum, double eps) {
    if (x.dim() < 2) {
        throw ShapeError("batch_norm: needs an [N, C, ...] input, got " + shape_str(x.shape()));
    }
    const std::size_t C = x.shape()[1];
    check_channel_tensor("weight", weight, C, x);
    check_channel_tensor("bias", bias, C, x);
    check_channel_tensor("running_mean", running_mean, C, x);
    check_channel_tensor("running_var", running_var, C, x);
    if (running_mean.defined() != running_var.defined()) {
        throw ValueError("batch_norm: give both running_mean and running_var, or neither");
    }
    if (!(eps > 0)) throw ValueError("batch_norm: eps " + std::to_string(eps) + " must be > 0");

    // Statistics per channel: reduce over every axis but 1; [C] vectors are viewed as
    // [1, C, 1, ...] to broadcast against x.
    std::vector<std::int64_t> axes{0};
    std::vector<std::int64_t> channel_shape{1, static_cast<std::int64_t>(C)};
    for (std::size_t d = 2; d < x.dim(); ++d) {
        axes.push_back(static_cast<std::int64_t>(d));
        channel_shape.push_back(1);
    }
    const std::size_t count = x.numel() / std::max<std::size_t>(C, 1);
    auto per_channel = [&](const Tensor& v) { return reshape(v, Dims(channel_shape)); };

    // y = (x - mean) * scale + beta with scale = gamma / sqrt(var + eps): the per-channel
    // factors are combined on [1, C, 1, ...] tensors first, so that only two passes (the
    // product and the sum) run over the whole input.
    const bool use_batch_stats = training || !running_mean.defined();
    Tensor centred, inv_std;
    if (use_batch_stats) {
        if (count < 2) {
            throw ValueError("batch_norm: " + std::to_string(count) +
                             " value per channel in input " + shape_str(x.shape()) +
                             "; batch statistics need at least 2");
        }
        const Tensor mu = mean(x, Dims(axes), true);
        centred = sub(x, mu);
        const Tensor var = mean(square(centred), Dims(axes), true);  // biased
        inv_std = pow(affine(var, 1, eps), -0.5);
        if (training && running_mean.defined()) {
            NoGradGuard no_grad;
            const double unbias = static_cast<double>(count) / static_cast<double>(count - 1);
            blend_running(running_mean, mu, momentum, 1.0);
            blend_running(running_var, var, momentum, unbias);
        }
    } else {
        // The running statistics are constants here (copies, so that later updates of the
        // buffers cannot invalidate this graph).
        centred = sub(x, per_channel(running_mean.detach()));
        inv_std = per_channel(pow(affine(running_var.detach(), 1, eps), -0.5));
    }
    const Tensor scale = weight.defined() ? mul(inv_std, per_channel(weight)) : inv_std;
    Tensor y = mul(centred, scale);
    if (bias.defined()) y = add(y, per_channel(bias));
    return y;
}

}  // namespace functional

BatchNorm::BatchNorm(const char* type_name, const BatchNormOptions& options, std::size_t min_rank,
                     std::size_t max_rank)
    : Module(type_name), options_(options), min_rank_(min_rank), max_rank_(max_rank) {
    const std::size_t C = options.num_features();
    if (C == 0) throw ValueError(std::string(type_name) + ": num_features must be positive");
    if (!(options.momentum() >= 0 && options.momentum() <= 1)) {
        throw ValueError(std::string(type_name) + ": momentum " +
                         std::to_string(options.momentum()) + " is outside [0, 1]");
    }
    if (!(options.eps() > 0)) {
        throw ValueError(std::string(type_name) + ": eps " + std::to_string(options.eps()) +
                         " must be > 0");
    }
    if (options.affine()) {
        weight = register_parameter("weight", ones({C}, options.dtype()));
        bias = register_parameter("bias", zeros({C}, options.dtype()));
    }
    if (options.track_running_stats()) {
        running_mean = register_buffer("running_mean", zeros({C}, options.dtype()));
        running_var = register_buffer("running_var", ones({C}, options.dtype()));
    }
}

void BatchNorm::reset_own_parameters(Generator& /*gen*/) {
    if (weight.defined()) init::ones_(weight);
    if (bias.defined()) init::zeros_(bias);
    if (running_mean.defined()) init::zeros_(running_mean);
    if (running_var.defined()) init::ones_(running_var);
}

Tensor BatchNorm::forward(const Tensor& input) {
    if (input.dim() < min_rank_ || input.dim() > max_rank_ ||
        input.shape()[1] != options_.num_features()) {
        const std::string C = std::to_string(options_.num_features());
        throw ShapeError(
            repr() + ": expected input " +
            (max_rank_ == 4 ? "[N, " + C + ", H, W]" : "[N, " + C + "] or [N, " + C + ", L]") +
            ", got " + shape_str(input.shape()));
    }
    return functional::batch_norm(input, running_mean, running_var, weight, bias, is_training(),
                                  options_.momentum(), options_.eps());
}

std::string BatchNorm::repr() const {
    return fmt::format("{}({}, eps={:g}, momentum={:g}, affine={}, track_running_stats={})",
                       type_name(), options_.num_features(), options_.eps(), options_.momentum(),
                       options_.affine(), options_.track_running_stats());
}

BatchNorm1d::BatchNorm1d(const BatchNormOptions& options)
    : BatchNorm("BatchNorm1d", options, 2, 3) {}

BatchNorm2d::BatchNorm2d(const BatchNormOptions& options)
    : BatchNorm("BatchNorm2d", options, 4, 4) {}

}  // namespace tg::nn
