#pragma once
// Conv2d: 2-D convolution (cross-correlation, as in every deep-learning library) over NCHW
// input, any number of input and output channels, with stride and zero padding.
//
// It is built from differentiable primitives only: unfold (im2col) lays every receptive field
// out as a column, one matrix product with the weight [out, in*kh*kw] computes all outputs,
// and a broadcast add applies the bias. Zero padding is unfold's implicit padding, whose
// adjoint (fold) drops the gradient of the padded border, so no padded copy of the input is
// made. Derivatives of every order come from those ops' own rules.

#include <string>
#include <type_traits>

#include "../autograd/dtype.hpp"
#include "module.hpp"
#include "options.hpp"

namespace tg::nn {

// "same" padding: (k - 1) / 2 on each side for an odd kernel k, which keeps the size at stride
// 1 and gives ceil(size / stride) at stride s (PyTorch refuses 'same' with stride > 1; here it
// means this symmetric padding). Even kernels cannot be padded symmetrically: ValueError.
struct SamePadding {};
constexpr SamePadding kSame{};

struct Padding2d {
    template <class I, std::enable_if_t<std::is_integral_v<I>, int> = 0>
    Padding2d(I both) : size(both) {}  // NOLINT: implicit, as in .padding(2)
    template <class I, class J,
              std::enable_if_t<std::is_integral_v<I> && std::is_integral_v<J>, int> = 0>
    Padding2d(I height, J width) : size(height, width) {}
    Padding2d(Size2 s) : size(s) {}                  // NOLINT: implicit
    Padding2d(SamePadding) : size(0), same(true) {}  // NOLINT: implicit, as in .padding(kSame)
    // The padding for a kernel: `size`, or (k - 1) / 2 per axis for kSame.
    Size2 resolve(const char* who, Size2 kernel) const;
    // ValueError naming `who` if the padding is negative.
    void check(const std::string& who) const {
        if (!same) check_size2(who, "padding", size, 0);
    }
    std::string str() const { return same ? "same" : size.str(); }

    Size2 size;
    bool same = false;
};

// Kernel sizes and strides must be positive and paddings not negative: the setters (and the
// constructor) refuse anything else with a ValueError.
struct Conv2dOptions {
    Conv2dOptions(std::size_t in_channels, std::size_t out_channels, Size2 kernel_size)
        : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {
        check_size2("Conv2dOptions", "kernel_size", kernel_size, 1);
    }
    TG_OPTION(std::size_t, in_channels);
    TG_OPTION(std::size_t, out_channels);
    TG_CHECKED_OPTION(Size2, kernel_size,
                      check_size2("Conv2dOptions", "kernel_size", new_kernel_size, 1));
    TG_CHECKED_OPTION(Size2, stride, check_size2("Conv2dOptions", "stride", new_stride, 1)) = 1;
    TG_CHECKED_OPTION(Padding2d, padding, new_padding.check("Conv2dOptions")) = 0;
    TG_OPTION(bool, bias) = true;
    TG_OPTION(DType, dtype) = kFloat32;
};

namespace functional {
// x [N, C, H, W], weight [O, C, kh, kw], bias [O] or undefined -> [N, O, OH, OW] with
// OH = (H + 2 ph - kh) / sh + 1 (and the same for OW). ShapeError if the kernel is larger than
// the padded input, the channels do not match or the output's size overflows; ValueError for a
// stride below 1, a negative padding, or a padding so large that H + 2 ph overflows.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Size2 stride = 1,
              Size2 padding = 0);
}  // namespace functional

class Conv2d : public Module {
  public:
    // Parameters are drawn from default_generator() or from gen, as PyTorch initialises them:
    // U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in_channels * kh * kw.
    explicit Conv2d(const Conv2dOptions& options);
    Conv2d(const Conv2dOptions& options, Generator& gen);

    Tensor forward(const Tensor& input) override;
    std::string repr() const override;
    const Conv2dOptions& options() const { return options_; }
    Size2 padding() const { return padding_; }  // resolved: kSame becomes numbers

    Tensor weight;  // [out_channels, in_channels, kh, kw]
    Tensor bias;    // [out_channels], undefined without bias

  protected:
    void reset_own_parameters(Generator& gen) override;

  private:
    Conv2dOptions options_;
    Size2 padding_;
};

}  // namespace tg::nn
