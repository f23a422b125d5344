#include "ops/norms.hpp"

#include <cmath>
#include <string>
#include <vector>

#include "autograd/errors.hpp"
#include "autograd/grad_mode.hpp"
#include "ops/arithmetic.hpp"
#include "ops/creation.hpp"
#include "ops/extrema.hpp"
#include "ops/kernels.hpp"
#include "ops/math.hpp"
#include "ops/reduction.hpp"
#include "ops/zero_safe_root.hpp"

namespace tg {

namespace {

// |x|^p for p > 0 with the derivative 0 where x = 0 (PyTorch's rule for p < 1, where the slope
// p |x|^(p-1) is infinite; for p > 1 it is 0 anyway). pow sees 1 where x = 0, so no infinity
// enters any order.
Tensor abs_pow(const Tensor& x, double p) {
    const Tensor at_zero = eq(x, zeros({}, x.dtype()));
    const Tensor safe = where(at_zero, ones({}, x.dtype()), x);
    return where(at_zero, zeros({}, x.dtype()), pow(abs(safe), p));
}

}  // namespace

Tensor vector_norm(const Tensor& x, double p) {
    return vector_norm(x, p, Dims(kernels::all_axes(x)), false);
}

Tensor vector_norm(const Tensor& x, double p, const Dims& axes, bool keepdims) {
    if (std::isnan(p)) throw ValueError("vector_norm: the order p is NaN");
    if (std::isinf(p)) {
        for (std::size_t i = 0; i < axes.size(); ++i) {
            const std::size_t a = kernels::normalize_axis("vector_norm", axes[i], x.dim());
            if (x.shape()[a] == 0) {
                throw ValueError("vector_norm: the inf-norm reduces the empty axis " +
                                 std::to_string(a) + " of " + shape_str(x.shape()));
            }
        }
        return p > 0 ? amax(abs(x), axes, keepdims) : amin(abs(x), axes, keepdims);
    }
    if (p == 0) {
        NoGradGuard constant;
        const Tensor nonzero = sub(ones({}, x.dtype()), eq(x.detach(), zeros({}, x.dtype())));
        return sum(nonzero, axes, keepdims);
    }
    if (p == 1) return sum(abs(x), axes, keepdims);
    if (p == 2) return detail::zero_safe_root(sum(square(x), axes, keepdims), 2);
    const Tensor powers = p > 0 ? abs_pow(x, p) : pow(abs(x), p);
    return detail::zero_safe_root(sum(powers, axes, keepdims), p);
}

Tensor frobenius_norm(const Tensor& x) {
    return vector_norm(x, 2);
}

Tensor frobenius_norm(const Tensor& x, const Dims& axes, bool keepdims) {
    return vector_norm(x, 2, axes, keepdims);
}

}  // namespace tg
