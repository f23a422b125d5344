#pragma once
// The building blocks of convolution: unfold (im2col) and its adjoint fold (col2im). Both are
// linear, and each is the other's derivative.

#include <cstddef>

#include "../autograd/tensor.hpp"

namespace tg {

struct Window {
    std::size_t kh, kw;          // kernel size
    std::size_t sh = 1, sw = 1;  // stride
    std::size_t ph = 0, pw = 0;  // implicit zero padding
};

// x: [N, C, H, W] -> [N, C*kh*kw, OH*OW]. Row c*kh*kw + i*kw + j, column oh*OW + ow holds
// x[n, c, oh*sh + i - ph, ow*sw + j - pw] (zero outside the image).
Tensor unfold(const Tensor& x, const Window& w);
// cols: [N, C*kh*kw, OH*OW] -> [N, C, H, W], summing every column entry back to its pixel.
Tensor fold(const Tensor& cols, std::size_t height, std::size_t width, const Window& w);

// size + 2 * padding; ValueError naming the op if that exceeds INT64_MAX.
std::size_t padded_size(const char* op, std::size_t size, std::size_t padding);
// The output size of a window sliding over `size` pixels; ShapeError if the kernel does not fit.
std::size_t window_count(const char* op, std::size_t size, std::size_t kernel, std::size_t stride,
                         std::size_t padding);

}  // namespace tg
