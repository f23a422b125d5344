#include "ops/losses.hpp"

#include <iomanip>
#include <sstream>
#include <string>

#include "ops/arithmetic.hpp"
#include "ops/creation.hpp"
#include "ops/kernels.hpp"
#include "ops/math.hpp"
#include "ops/reduction.hpp"
#include "ops/softmax.hpp"

namespace tg {

namespace {
void check_same_shape(const char* op, const Tensor& a, const Tensor& b) {
    if (a.shape() != b.shape()) {
        throw ShapeError(std::string(op) + ": prediction " + shape_str(a.shape()) + " and target " +
                         shape_str(b.shape()) + " differ");
    }
}

std::size_t rows_of(const Tensor& t) {
    return t.dim() == 0 ? 1 : t.shape()[0];
}
}  // namespace

Tensor mse_loss(const Tensor& prediction, const Tensor& target) {
    check_same_shape("mse_loss", prediction, target);
    return mean(square(sub(prediction, target)));
}

Tensor quadratic_cost(const Tensor& prediction, const Tensor& target) {
    check_same_shape("quadratic_cost", prediction, target);
    const double n = static_cast<double>(rows_of(prediction));
    return affine(sum(square(sub(target, prediction))), 0.5 / n, 0);
}

Tensor nll_loss(const Tensor& log_probs, const std::vector<std::int64_t>& labels) {
    if (log_probs.dim() != 2 || log_probs.shape()[0] != labels.size()) {
        throw ShapeError("nll_loss: log-probabilities " + shape_str(log_probs.shape()) + " for " +
                         std::to_string(labels.size()) + " labels; expected [" +
                         std::to_string(labels.size()) + ", classes]");
    }
    if (labels.empty()) throw ValueError("nll_loss: empty batch");
    const std::size_t classes = log_probs.shape()[1];
    for (std::size_t i = 0; i < labels.size(); ++i) {
        if (labels[i] < 0 || static_cast<std::size_t>(labels[i]) >= classes) {
            throw ValueError("nll_loss: label " + std::to_string(labels[i]) + " at position " +
                             std::to_string(i) + " is outside [0, " + std::to_string(classes) +
                             ") for log-probabilities " + shape_str(log_probs.shape()));
        }
    }
    const Tensor picks = one_hot(labels, log_probs.shape()[1], log_probs.dtype());
    return affine(sum(mul(log_probs, picks)), -1.0 / static_cast<double>(labels.size()), 0);
}

Tensor cross_entropy(const Tensor& logits, const std::vector<std::int64_t>& labels) {
    if (logits.dim() != 2) {
        throw ShapeError("cross_entropy: logits must be [N, classes], got " +
                         shape_str(logits.shape()));
    }
    return nll_loss(log_softmax(logits, 1), labels);
}

Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& targets) {
    check_same_shape("binary_cross_entropy_with_logits", logits, targets);
    return mean(sub(softplus(logits), mul(targets, logits)));
}

Tensor binary_cross_entropy(const Tensor& a, const Tensor& y) {
    check_same_shape("binary_cross_entropy", a, y);
    // Probabilities outside [0, 1] give a finite but meaningless loss (or the log of a negative
    // number); PyTorch refuses them too. NaN is let through, to propagate.
    kernels::dispatch(a.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const auto& v = a.array<T>();
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (v.data()[i] < T(0) || v.data()[i] > T(1)) {
                std::ostringstream msg;
                msg << "binary_cross_entropy: probability " << std::setprecision(9) << v.data()[i]
                    << " at flat index " << i << " of " << shape_str(a.shape())
                    << " is outside [0, 1]";
                throw ValueError(msg.str());
            }
        }
    });
    const double n = static_cast<double>(rows_of(a));
    Tensor terms = add(mul(y, log(a)), mul(affine(y, -1, 1), log(affine(a, -1, 1))));
    return affine(sum(terms), -1.0 / n, 0);
}

}  // namespace tg
