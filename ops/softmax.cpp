#include "ops/softmax.hpp"

#include "autograd/grad_mode.hpp"
#include "ops/arithmetic.hpp"
#include "ops/math.hpp"
#include "ops/reduction.hpp"
#include "ops/shape.hpp"

namespace tg {

Tensor logsumexp(const Tensor& x, std::int64_t axis, bool keepdims) {
    // The shift m is a constant: d/dm [log(sum(exp(x - m))) + m] = -1 + 1 = 0 at every order,
    // so leaving it out of the graph changes no derivative.
    const Tensor m = max(x, axis, true).detach();
    Tensor r = add(log(sum(exp(sub(x, m)), {axis}, true)), m);
    return keepdims ? r : squeeze(r, axis);
}

Tensor log_softmax(const Tensor& x, std::int64_t axis) {
    return sub(x, logsumexp(x, axis, true));
}

Tensor softmax(const Tensor& x, std::int64_t axis) {
    return exp(log_softmax(x, axis));
}

}  // namespace tg
