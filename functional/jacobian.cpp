#include "functional/jacobian.hpp"

#include "autograd/engine.hpp"
#include "autograd/grad_mode.hpp"
#include "functional/hvp.hpp"
#include "functional/jvp.hpp"
#include "ops/creation.hpp"
#include "ops/kernels.hpp"
#include "ops/shape.hpp"

namespace tg {

namespace {

Tensor unit(const Tensor& like, std::size_t index) {
    Tensor e = zeros_like(like);
    kernels::dispatch(e.dtype(), [&](auto tag) {
        using T = decltype(tag);
        e.mutable_array<T>().data()[index] = T(1);
    });
    return e;
}

Shape joined(const Shape& a, const Shape& b) {
    Shape s = a;
    for (auto d : b) s.push_back(d);
    return s;
}

// Write `part` (flattened) into row or column `k` of the (rows x cols) matrix in `out`.
void place(Tensor& out, const Tensor& part, std::size_t k, std::size_t rows, std::size_t cols,
           bool as_row) {
    kernels::dispatch(out.dtype(), [&](auto tag) {
        using T = decltype(tag);
        T* o = out.mutable_array<T>().data();
        const T* p = part.array<T>().data();
        if (as_row) {
            std::copy(p, p + cols, o + k * cols);
        } else {
            for (std::size_t i = 0; i < rows; ++i) o[i * cols + k] = p[i];
        }
    });
}

}  // namespace

Tensor jacobian(const std::function<Tensor(const Tensor&)>& f, const Tensor& x_in,
                JacobianMode mode) {
    const Tensor x = x_in.detach().requires_grad_(true);
    Tensor y;
    {
        EnableGradGuard recording;
        y = f(x);
    }
    const std::size_t rows = y.numel();
    const std::size_t cols = x.numel();
    Tensor J = zeros(joined(y.shape(), x.shape()), y.dtype());
    if (mode == JacobianMode::automatic)
        mode = cols < rows ? JacobianMode::forward : JacobianMode::reverse;
    if (mode == JacobianMode::reverse) {
        if (!y.requires_grad()) return J;  // f does not depend on x
        for (std::size_t i = 0; i < rows; ++i) {
            const Tensor row = grad({y}, {x}, {unit(y, i)},
                                    GradOptions().retain_graph(true).allow_unused(true))[0];
            if (row.defined()) place(J, row, i, rows, cols, true);
        }
    } else {
        for (std::size_t j = 0; j < cols; ++j) {
            const JvpResult r =
                jvp([&](const std::vector<Tensor>& in) { return f(in[0]); }, {x}, {unit(x, j)});
            place(J, r.tangent, j, rows, cols, false);
        }
    }
    return J;
}

Tensor hessian(const std::function<Tensor(const Tensor&)>& f, const Tensor& x_in) {
    const Tensor x = x_in.detach().requires_grad_(true);
    HessianVectorProduct hv([&] { return f(x); }, {x}, "hessian");
    const std::size_t n = x.numel();
    Tensor H = zeros(joined(x.shape(), x.shape()), x.dtype());
    for (std::size_t j = 0; j < n; ++j) place(H, hv({unit(x, j)})[0], j, n, n, true);
    return H;
}

}  // namespace tg
