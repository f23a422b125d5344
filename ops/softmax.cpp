#include "ops/softmax.hpp"

#include "autograd/grad_mode.hpp"
#include "ops/arithmetic.hpp"
#include "ops/kernels.hpp"
#include "ops/math.hpp"
#include "ops/reduction.hpp"
#include "ops/shape.hpp"

namespace tg {

Tensor logsumexp(const Tensor& x, std::int64_t axis, bool keepdims) {
    const std::size_t a = kernels::normalize_axis("logsumexp", axis, x.dim());
    if (x.shape()[a] == 0) {
        throw ValueError("logsumexp: axis " + std::to_string(a) + " of " + shape_str(x.shape()) +
                         " is empty (the log of an empty sum is -inf)");
    }
    // The shift m is a constant: d/dm [log(sum(exp(x - m))) + m] = -1 + 1 = 0 at every order,
    // so leaving it out of the graph changes no derivative.
    const Tensor m = max(x, axis, true).detach();
    Tensor r = add(log(sum(exp(sub(x, m)), {axis}, true)), m);
    return keepdims ? r : squeeze(r, axis);
}

Tensor log_softmax(const Tensor& x, std::int64_t axis) {
    // Along an empty axis there is nothing to normalise, and nothing in the result.
    if (x.shape()[kernels::normalize_axis("log_softmax", axis, x.dim())] == 0)
        return affine(x, 1, 0);
    return sub(x, logsumexp(x, axis, true));
}

Tensor softmax(const Tensor& x, std::int64_t axis) {
    return exp(log_softmax(x, axis));
}

}  // namespace tg
