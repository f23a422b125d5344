#pragma once
// Linear: y = x W^T + b, with W of shape [out_features, in_features] as in torch::nn::Linear.

#include "../autograd/dtype.hpp"
#include "module.hpp"
#include "options.hpp"

namespace tg::nn {

struct LinearOptions {
    LinearOptions(std::size_t in_features, std::size_t out_features)
        : in_features_(in_features), out_features_(out_features) {}
    TG_OPTION(std::size_t, in_features);
    TG_OPTION(std::size_t, out_features);
    TG_OPTION(bool, bias) = true;
    TG_OPTION(DType, dtype) = kFloat32;
};

namespace functional {
// x [..., in] (rank 2 or 3), weight [out, in], bias [out] or undefined.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());
}  // namespace functional

class Linear : public Module {
  public:
    // Parameters are drawn from default_generator() or from gen, as PyTorch initialises them:
    // U(-1/sqrt(in), 1/sqrt(in)) for both.
    explicit Linear(const LinearOptions& options);
    Linear(const LinearOptions& options, Generator& gen);

    Tensor forward(const Tensor& input) override;
    std::string repr() const override;
    const LinearOptions& options() const { return options_; }

    Tensor weight;  // [out, in]
    Tensor bias;    // [out], undefined without bias

  protected:
    void reset_own_parameters(Generator& gen) override;

  private:
    LinearOptions options_;
};

}  // namespace tg::nn
