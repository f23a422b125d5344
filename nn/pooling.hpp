#pragma once
// MaxPool2d and AvgPool2d over NCHW input, built from unfold and a max or mean over the window
// axis. Each channel is pooled on its own: the input is viewed as N*C one-channel images, each
// window becomes a column of unfold's output, and the reduction runs down the columns. max's
// gradient goes to the first maximal element of each window.

#include <optional>

#include "module.hpp"
#include "options.hpp"

namespace tg::nn {

// ValueError naming `who` unless the kernel and the stride (if given) are positive and the
// padding is not negative.
inline void check_pool_kernel(const char* who, Size2 kernel) {
    check_size2(who, "kernel_size", kernel, 1);
}
inline void check_pool_stride(const char* who, const std::optional<Size2>& stride) {
    if (stride) check_size2(who, "stride", *stride, 1);
}

// The setters (and constructors) refuse a kernel size or stride below 1 and a negative padding.
struct MaxPool2dOptions {
    MaxPool2dOptions(Size2 kernel_size) : kernel_size_(kernel_size) {  // NOLINT: implicit
        check_pool_kernel("MaxPool2dOptions", kernel_size);
    }
    TG_CHECKED_OPTION(Size2, kernel_size, check_pool_kernel("MaxPool2dOptions", new_kernel_size));
    // Defaults to the kernel size (non-overlapping windows), as in PyTorch.
    TG_CHECKED_OPTION(std::optional<Size2>, stride,
                      check_pool_stride("MaxPool2dOptions", new_stride));
    // Implicit padding; padded pixels never win the max. At most half the kernel.
    TG_CHECKED_OPTION(Size2, padding,
                      check_size2("MaxPool2dOptions", "padding", new_padding, 0)) = 0;
};

struct AvgPool2dOptions {
    AvgPool2dOptions(Size2 kernel_size) : kernel_size_(kernel_size) {  // NOLINT: implicit
        check_pool_kernel("AvgPool2dOptions", kernel_size);
    }
    TG_CHECKED_OPTION(Size2, kernel_size, check_pool_kernel("AvgPool2dOptions", new_kernel_size));
    TG_CHECKED_OPTION(std::optional<Size2>, stride,
                      check_pool_stride("AvgPool2dOptions", new_stride));
    // Implicit zero padding; padded zeros count in the average (PyTorch's count_include_pad).
    TG_CHECKED_OPTION(Size2, padding,
                      check_size2("AvgPool2dOptions", "padding", new_padding, 0)) = 0;
};

namespace functional {
Tensor max_pool2d(const Tensor& x, Size2 kernel_size, std::optional<Size2> stride = std::nullopt,
                  Size2 padding = 0);
Tensor avg_pool2d(const Tensor& x, Size2 kernel_size, std::optional<Size2> stride = std::nullopt,
                  Size2 padding = 0);
}  // namespace functional

class MaxPool2d : public Module {
  public:
    explicit MaxPool2d(const MaxPool2dOptions& options);
    Tensor forward(const Tensor& input) override;
    std::string repr() const override;
    const MaxPool2dOptions& options() const { return options_; }

  private:
    MaxPool2dOptions options_;
};

class AvgPool2d : public Module {
  public:
    explicit AvgPool2d(const AvgPool2dOptions& options);
    Tensor forward(const Tensor& input) override;
    std::string repr() const override;
    const AvgPool2dOptions& options() const { return options_; }

  private:
    AvgPool2dOptions options_;
};

}  // namespace tg::nn
