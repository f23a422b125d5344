#include "nn/conv.hpp"

#include "autograd/errors.hpp"
#include "nn/init.hpp"
#include "ops/arithmetic.hpp"
#include "ops/creation.hpp"
#include "ops/im2col.hpp"
#include "ops/kernels.hpp"
#include "ops/linalg.hpp"
#include "ops/shape.hpp"

namespace tg::nn {

namespace {
// A size already checked not to be negative.
std::size_t u(std::int64_t v) {
    return static_cast<std::size_t>(v);
}
}  // namespace

Size2 Padding2d::resolve(const char* who, Size2 kernel) const {
    if (!same) return size;
    if (kernel.h % 2 == 0 || kernel.w % 2 == 0) {
        throw ValueError(std::string(who) + ": 'same' padding needs an odd kernel, got " +
                         kernel.str());
    }
    return Size2((kernel.h - 1) / 2, (kernel.w - 1) / 2);
}

namespace functional {

namespace {
auto i64(std::size_t v) {
    return static_cast<std::int64_t>(v);
}
}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Size2 stride,
              Size2 padding) {
    if (weight.dim() != 4) {
        throw ShapeError("conv2d: weight must be [out_channels, in_channels, kh, kw], got " +
                         shape_str(weight.shape()));
    }
    const std::size_t O = weight.shape()[0], C = weight.shape()[1];
    const std::size_t kh = weight.shape()[2], kw = weight.shape()[3];
    if (x.dim() != 4 || x.shape()[1] != C) {
        throw ShapeError("conv2d: input " + shape_str(x.shape()) + " does not fit weight " +
                         shape_str(weight.shape()) + "; expected [N, " + std::to_string(C) +
                         ", H, W]");
    }
    if (bias.defined() && (bias.dim() != 1 || bias.shape()[0] != O)) {
        throw ShapeError("conv2d: bias " + shape_str(bias.shape()) + " for " + std::to_string(O) +
                         " output channels; expected [" + std::to_string(O) + "]");
    }
    if (x.dtype() != weight.dtype() || (bias.defined() && bias.dtype() != weight.dtype())) {
        throw DTypeError(std::string("conv2d: input is ") + dtype_name(x.dtype()) +
                         " but the weight is " + dtype_name(weight.dtype()));
    }
    check_size2("conv2d", "stride", stride, 1);
    check_size2("conv2d", "padding", padding, 0);
    const std::size_t sh = u(stride.h), sw = u(stride.w), ph = u(padding.h), pw = u(padding.w);
    const std::size_t N = x.shape()[0], H = x.shape()[2], W = x.shape()[3];
    const std::size_t PH = padded_size("conv2d", H, ph), PW = padded_size("conv2d", W, pw);
    if (kh > PH || kw > PW) {
        throw ShapeError("conv2d: kernel " + std::to_string(kh) + "x" + std::to_string(kw) +
                         " is larger than the padded input " + std::to_string(PH) + "x" +
                         std::to_string(PW) + " (input " + shape_str(x.shape()) + ", padding " +
                         padding.str() + ")");
    }
    const Window window{kh, kw, sh, sw, ph, pw};
    const std::size_t OH = (PH - kh) / sh + 1;
    const std::size_t OW = (PW - kw) / sw + 1;
    // An absurd padding makes an output too large to count.
    kernels::checked_numel("conv2d", Shape{N, O, OH, OW}, x.dtype());

    const Tensor columns = unfold(x, window);                            // [N, C*kh*kw, OH*OW]
    const Tensor filters = reshape(weight, {i64(O), i64(C * kh * kw)});  // [O, C*kh*kw]
    // [N, O, OH*OW] regrouped as [N, O, OH, OW] while the product is still pending, so that the
    // reshape copies nothing.
    Tensor y = reshape(matmul(filters, columns), {i64(N), i64(O), i64(OH), i64(OW)});
    if (bias.defined()) y = add(y, reshape(bias, {1, i64(O), 1, 1}));
    return y;
}

}  // namespace functional

Conv2d::Conv2d(const Conv2dOptions& options) : Conv2d(options, default_generator()) {}

Conv2d::Conv2d(const Conv2dOptions& options, Generator& gen)
    : Module("Conv2d"),
      options_(options),
      padding_(options.padding().resolve("Conv2d", options.kernel_size())) {
    const Size2 k = options.kernel_size();
    // The options refuse kernel sizes and strides below 1 when they are set.
    if (options.in_channels() == 0 || options.out_channels() == 0) {
        throw ValueError("Conv2d: channels, kernel size and stride must be positive, got " +
                         repr());
    }
    weight = register_parameter(
        "weight",
        zeros({options.out_channels(), options.in_channels(), u(k.h), u(k.w)}, options.dtype()));
    if (options.bias())
        bias = register_parameter("bias", zeros({options.out_channels()}, options.dtype()));
    reset_own_parameters(gen);
}

void Conv2d::reset_own_parameters(Generator& gen) {
    init::default_linear_(weight, bias, gen);
}

Tensor Conv2d::forward(const Tensor& input) {
    try {
        return functional::conv2d(input, weight, bias, options_.stride(), padding_);
    } catch (const ShapeError& e) {
        throw ShapeError(repr() + ": " + e.what());
    } catch (const DTypeError& e) {
        throw DTypeError(repr() + ": " + e.what());
    }
}

std::string Conv2d::repr() const {
    return "Conv2d(" + std::to_string(options_.in_channels()) + ", " +
           std::to_string(options_.out_channels()) +
           ", kernel_size=" + options_.kernel_size().str() + ", stride=" + options_.stride().str() +
           ", padding=" + options_.padding().str() + (options_.bias() ? "" : ", bias=false") + ")";
}

}  // namespace tg::nn
