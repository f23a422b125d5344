#pragma once
// Dropout: in training mode, zeroes each element with probability p and scales the others by
// 1 / (1 - p) (inverted dropout, as in PyTorch); in eval mode, the identity.
//
// The module draws its masks from its own generator, seeded by the options and reseeded by
// Module::reset_parameters(gen), so a run is reproducible.

#include <cstdint>

#include "../ops/random.hpp"
#include "module.hpp"
#include "options.hpp"

namespace tg::nn {

struct DropoutOptions {
    DropoutOptions(double p = 0.5) : p_(p) {}  // NOLINT: implicit, as Dropout(0.2)
    TG_OPTION(double, p);
    TG_OPTION(std::uint64_t, seed) = 0;
};

namespace functional {
Tensor dropout(const Tensor& x, double p, bool training, Generator& gen);
}  // namespace functional

class Dropout : public Module {
  public:
    explicit Dropout(const DropoutOptions& options = {});
    Tensor forward(const Tensor& input) override;
    std::string repr() const override;
    const DropoutOptions& options() const { return options_; }

  protected:
    void reset_own_parameters(Generator& gen) override;

  private:
    DropoutOptions options_;
    Generator gen_;
};

}  // namespace tg::nn
