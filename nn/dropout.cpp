#include "nn/dropout.hpp"

#include <fmt/format.h>

#include "autograd/errors.hpp"
#include "ops/arithmetic.hpp"
#include "ops/kernels.hpp"

namespace tg::nn {

namespace {
void check_p(const char* who, double p) {
    if (!(p >= 0 && p <= 1)) {
        throw ValueError(std::string(who) + ": probability " + std::to_string(p) +
                         " is outside [0, 1]");
    }
}
}  // namespace

namespace functional {

Tensor dropout(const Tensor& x, double p, bool training, Generator& gen) {
    check_p("dropout", p);
    if (!training || p == 0) return x;
    // The mask is a constant: 0 where dropped, 1 / (1 - p) where kept (all 0 when p = 1).
    const double keep = p < 1 ? 1.0 / (1.0 - p) : 0.0;
    Tensor mask = kernels::dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        auto m = kernels::uninitialized<T>(x.shape());
        for (std::size_t i = 0; i < m.size(); ++i)
            m.data()[i] = gen.uniform() < p ? T(0) : static_cast<T>(keep);
        return Tensor(std::move(m));
    });
    return mul(x, mask);
}

}  // namespace functional

Dropout::Dropout(const DropoutOptions& options)
    : Module("Dropout"), options_(options), gen_(options.seed()) {
    check_p("Dropout", options.p());
}

void Dropout::reset_own_parameters(Generator& gen) {
    gen_.manual_seed(gen.next_u64());
}

Tensor Dropout::forward(const Tensor& input) {
    return functional::dropout(input, options_.p(), is_training(), gen_);
}

std::string Dropout::repr() const {
    return fmt::format("Dropout(p={:g})", options_.p());
}

}  // namespace tg::nn
