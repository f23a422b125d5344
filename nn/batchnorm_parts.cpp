#include "nn/batchnorm_parts.hpp"

#include <string>

#include "autograd/errors.hpp"
#include "ops/kernels.hpp"

namespace tg::nn::detail {

void check_channel_tensor(const char* op, const char* what, const Tensor& t, std::size_t C,
                          const Tensor& x) {
    if (!t.defined()) return;
    if (t.dim() != 1 || t.shape()[0] != C) {
        throw ShapeError(std::string(op) + ": " + what + " " + shape_str(t.shape()) +
                         " for input " + shape_str(x.shape()) + " with " + std::to_string(C) +
                         " channels");
    }
    if (t.dtype() != x.dtype()) {
        throw DTypeError(std::string(op) + ": " + what + " is " + dtype_name(t.dtype()) +
                         " but the input is " + dtype_name(x.dtype()));
    }
}

void blend_running(Tensor running, const Tensor& batch, double momentum, double scale) {
    kernels::dispatch(running.dtype(), [&](auto tag) {
        using T = decltype(tag);
        auto& r = running.mutable_array<T>();
        const T* b = batch.array<T>().data();
        for (std::size_t c = 0; c < r.size(); ++c) {
            r.data()[c] = static_cast<T>((1 - momentum) * r.data()[c] + momentum * scale * b[c]);
        }
    });
}

}  // namespace tg::nn::detail
