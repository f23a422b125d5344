#include "distributed/sync_batchnorm.hpp"

#include <string>

#include "autograd/errors.hpp"
#include "autograd/grad_mode.hpp"
#include "distributed/collectives.hpp"
#include "nn/batchnorm_parts.hpp"
#include "ops/arithmetic.hpp"
#include "ops/kernels.hpp"
#include "ops/reduction.hpp"
#include "ops/shape.hpp"

namespace tg::distributed {

namespace functional {

namespace {

using tg::nn::detail::blend_running;

// The checks of every per-channel tensor name this function.
void check_channel_tensor(const char* what, const Tensor& t, std::size_t C, const Tensor& x) {
    tg::nn::detail::check_channel_tensor("sync_batch_norm", what, t, C, x);
}

}  // namespace

Tensor sync_batch_norm(const Communicator& comm, const Tensor& x, Tensor running_mean,
                       Tensor running_var, const Tensor& weight, const Tensor& bias, bool training,
                       double momentum, double eps) {
    const bool use_batch_stats = training || !running_mean.defined();
    if (!use_batch_stats) {
        return nn::functional::batch_norm(x, running_mean, running_var, weight, bias, false,
                                          momentum, eps);
    }
    if (x.dim() < 2) {
        throw ShapeError("sync_batch_norm: needs an [N, C, ...] input, got " +
                         shape_str(x.shape()));
    }
    const std::size_t C = x.shape()[1];
    check_channel_tensor("weight", weight, C, x);
    check_channel_tensor("bias", bias, C, x);
    check_channel_tensor("running_mean", running_mean, C, x);
    check_channel_tensor("running_var", running_var, C, x);
    if (running_mean.defined() != running_var.defined()) {
        throw ValueError("sync_batch_norm: give both running_mean and running_var, or neither");
    }
    if (!(eps > 0)) {
        throw ValueError("sync_batch_norm: eps " + std::to_string(eps) + " must be > 0");
    }

    std::vector<std::int64_t> axes{0};
    std::vector<std::int64_t> channel_shape{1, static_cast<std::int64_t>(C)};
    for (std::size_t d = 2; d < x.dim(); ++d) {
        axes.push_back(static_cast<std::int64_t>(d));
        channel_shape.push_back(1);
    }
    // Values per channel on all processes together (no gradient flows through a count).
    const std::size_t local_count = x.numel() / std::max<std::size_t>(C, 1);
    const auto count =
        static_cast<std::size_t>(comm.all_reduce(static_cast<std::int64_t>(local_count)));
    if (count < 2) {
        throw ValueError("sync_batch_norm: " + std::to_string(count) +
                         " value per channel over all processes (input " + shape_str(x.shape()) +
                         " here); batch statistics need at least 2");
    }
    const double inv_count = 1.0 / static_cast<double>(count);

    // Two passes, as the single-process batch norm computes them: the global mean, then the
    // global mean of squared deviations from it (the biased variance).
    const Tensor mu = affine(all_reduce_sum(comm, sum(x, Dims(axes), true)), inv_count, 0);
    const Tensor centred = sub(x, mu);
    const Tensor var =
        affine(all_reduce_sum(comm, sum(square(centred), Dims(axes), true)), inv_count, 0);
    const Tensor inv_std = pow(affine(var, 1, eps), -0.5);
    if (training && running_mean.defined()) {
        NoGradGuard no_grad;
        const double unbias = static_cast<double>(count) / static_cast<double>(count - 1);
        blend_running(running_mean, mu, momentum, 1.0);
        blend_running(running_var, var, momentum, unbias);
    }
    const auto per_channel = [&](const Tensor& v) { return reshape(v, Dims(channel_shape)); };
    const Tensor scale = weight.defined() ? mul(inv_std, per_channel(weight)) : inv_std;
    Tensor y = mul(centred, scale);
    if (bias.defined()) y = add(y, per_channel(bias));
    return y;
}

}  // namespace functional

SyncBatchNorm::SyncBatchNorm(const Communicator& comm, const nn::BatchNormOptions& options)
    : nn::BatchNorm("SyncBatchNorm", options, 2, 4), comm_(comm) {}

Tensor SyncBatchNorm::forward(const Tensor& input) {
    const std::size_t C = options().num_features();
    if (input.dim() < 2 || input.dim() > 4 || input.shape()[1] != C) {
        throw ShapeError(repr() + ": expected input [N, " + std::to_string(C) + "], [N, " +
                         std::to_string(C) + ", L] or [N, " + std::to_string(C) + ", H, W], got " +
                         shape_str(input.shape()));
    }
    return functional::sync_batch_norm(comm_, input, running_mean, running_var, weight, bias,
                                       is_training(), options().momentum(), options().eps());
}

}  // namespace tg::distributed
