#pragma once
// Batch normalisation (Ioffe & Szegedy, 2015), built from differentiable primitives:
//
//   training:  mu = mean of x over the batch (and the spatial axes), var = the biased variance,
//              y = gamma (x - mu) / sqrt(var + eps) + beta,
//              and the running statistics move towards the batch's:
//              running = (1 - momentum) running + momentum batch, with the unbiased variance
//              n / (n - 1) var for running_var, as PyTorch does;
//   evaluation: y = gamma (x - running_mean) / sqrt(running_var + eps) + beta.
//
// BatchNorm1d takes [N, C] or [N, C, L]; BatchNorm2d takes [N, C, H, W]. Statistics are per
// channel C. The running statistics are buffers: saved and loaded with the parameters.

#include "../autograd/dtype.hpp"
#include "module.hpp"
#include "options.hpp"

namespace tg::nn {

struct BatchNormOptions {
    BatchNormOptions(std::size_t num_features)  // NOLINT: implicit, as BatchNorm2d(8)
        : num_features_(num_features) {}
    TG_OPTION(std::size_t, num_features);
    TG_OPTION(double, eps) = 1e-5;
    TG_OPTION(double, momentum) = 0.1;
    // Learnable gamma ("weight", ones) and beta ("bias", zeros).
    TG_OPTION(bool, affine) = true;
    // Keep running statistics and use them in eval mode; without them, batch statistics are
    // used in both modes.
    TG_OPTION(bool, track_running_stats) = true;
    TG_OPTION(DType, dtype) = kFloat32;
};

namespace functional {
// running_mean/running_var may be undefined (then batch statistics are always used); weight
// and bias may be undefined (no affine transform). In training mode with defined running
// statistics, they are updated in place.
Tensor batch_norm(const Tensor& x, Tensor running_mean, Tensor running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum = 0.1, double eps = 1e-5);
}  // namespace functional

class BatchNorm : public Module {
  public:
    Tensor forward(const Tensor& input) override;
    std::string repr() const override;
    const BatchNormOptions& options() const { return options_; }

    Tensor weight;        // gamma [C], undefined unless affine
    Tensor bias;          // beta [C], undefined unless affine
    Tensor running_mean;  // [C], undefined unless track_running_stats
    Tensor running_var;   // [C]

  protected:
    BatchNorm(const char* type_name, const BatchNormOptions& options, std::size_t min_rank,
              std::size_t max_rank);
    void reset_own_parameters(Generator& gen) override;

  private:
    BatchNormOptions options_;
    std::size_t min_rank_, max_rank_;
};

class BatchNorm1d : public BatchNorm {
  public:
    explicit BatchNorm1d(const BatchNormOptions& options);
};

class BatchNorm2d : public BatchNorm {
  public:
    explicit BatchNorm2d(const BatchNormOptions& options);
};

}  // namespace tg::nn
