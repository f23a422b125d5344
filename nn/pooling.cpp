#include "nn/pooling.hpp"

#include <limits>

#include "autograd/errors.hpp"
#include "ops/creation.hpp"
#include "ops/im2col.hpp"
#include "ops/kernels.hpp"
#include "ops/math.hpp"
#include "ops/reduction.hpp"
#include "ops/shape.hpp"

namespace tg::nn {

namespace functional {

namespace {

auto i64(std::size_t v) {
    return static_cast<std::int64_t>(v);
}

struct PoolGeometry {
    std::size_t N, C, H, W, OH, OW;
    Window window;
};

std::size_t u(std::int64_t v) {  // a size already checked not to be negative
    return static_cast<std::size_t>(v);
}

PoolGeometry check_pool(const char* who, const Tensor& x, Size2 k, std::optional<Size2> stride,
                        Size2 padding) {
    const Size2 s = stride.value_or(k);
    if (k.h <= 0 || k.w <= 0 || s.h <= 0 || s.w <= 0) {
        throw ValueError(std::string(who) + ": kernel " + k.str() + " and stride " + s.str() +
                         " must be positive");
    }
    check_size2(who, "padding", padding, 0);
    // padding <= kernel / 2, written so that it cannot overflow.
    if (padding.h > k.h / 2 || padding.w > k.w / 2) {
        throw ValueError(std::string(who) + ": padding " + padding.str() +
                         " is more than half the kernel " + k.str());
    }
    if (x.dim() != 4) {
        throw ShapeError(std::string(who) + ": needs an [N, C, H, W] input, got " +
                         shape_str(x.shape()));
    }
    const std::size_t H = x.shape()[2], W = x.shape()[3];
    const std::size_t PH = padded_size(who, H, u(padding.h)),
                      PW = padded_size(who, W, u(padding.w));
    if (u(k.h) > PH || u(k.w) > PW) {
        throw ShapeError(std::string(who) + ": kernel " + k.str() +
                         " is larger than the padded input " + std::to_string(PH) + "x" +
                         std::to_string(PW) + " (input " + shape_str(x.shape()) + ", padding " +
                         padding.str() + ")");
    }
    const std::size_t OH = (PH - u(k.h)) / u(s.h) + 1, OW = (PW - u(k.w)) / u(s.w) + 1;
    // Every window's pixels are laid out at once: an absurd kernel or padding overflows that.
    kernels::checked_numel(who, Shape{x.shape()[0], x.shape()[1], u(k.h), u(k.w), OH, OW},
                           x.dtype());
    return {x.shape()[0],
            x.shape()[1],
            H,
            W,
            OH,
            OW,
            Window{u(k.h), u(k.w), u(s.h), u(s.w), u(padding.h), u(padding.w)}};
}

// Every window of every channel as a column: [N, C, kh*kw, OH*OW]. Unfold's columns are not
// written out: the max (or mean) over axis 2 reads them image by image.
Tensor windows(const Tensor& x, const PoolGeometry& g) {
    const auto k = i64(g.window.kh * g.window.kw);
    return reshape(unfold(x, g.window), {i64(g.N), i64(g.C), k, i64(g.OH * g.OW)});
}

}  // namespace

Tensor max_pool2d(const Tensor& x, Size2 kernel_size, std::optional<Size2> stride, Size2 padding) {
    const PoolGeometry g = check_pool("max_pool2d", x, kernel_size, stride, padding);
    Tensor cols = windows(x, g);
    if (padding.h > 0 || padding.w > 0) {
        // Padded taps must never win: replace them by the lowest finite value. The mask is a
        // constant, so gradients reach real pixels only.
        const Tensor inside = reshape(unfold(ones({1, 1, g.H, g.W}, x.dtype()), g.window),
                                      {1, 1, i64(g.window.kh * g.window.kw), i64(g.OH * g.OW)});
        const double lowest = x.dtype() == kFloat32 ? std::numeric_limits<float>::lowest()
                                                    : std::numeric_limits<double>::lowest();
        cols = where(inside, cols, full({1}, lowest, x.dtype()));
    }
    return reshape(max(cols, 2), {i64(g.N), i64(g.C), i64(g.OH), i64(g.OW)});
}

Tensor avg_pool2d(const Tensor& x, Size2 kernel_size, std::optional<Size2> stride, Size2 padding) {
    const PoolGeometry g = check_pool("avg_pool2d", x, kernel_size, stride, padding);
    return reshape(mean(windows(x, g), {2}), {i64(g.N), i64(g.C), i64(g.OH), i64(g.OW)});
}

}  // namespace functional

namespace {
std::string pool_repr(const char* name, Size2 k, std::optional<Size2> s, Size2 p) {
    return std::string(name) + "(kernel_size=" + k.str() + ", stride=" + s.value_or(k).str() +
           ", padding=" + p.str() + ")";
}
}  // namespace

MaxPool2d::MaxPool2d(const MaxPool2dOptions& options) : Module("MaxPool2d"), options_(options) {}

Tensor MaxPool2d::forward(const Tensor& input) {
    return functional::max_pool2d(input, options_.kernel_size(), options_.stride(),
                                  options_.padding());
}

std::string MaxPool2d::repr() const {
    return pool_repr("MaxPool2d", options_.kernel_size(), options_.stride(), options_.padding());
}

AvgPool2d::AvgPool2d(const AvgPool2dOptions& options) : Module("AvgPool2d"), options_(options) {}

Tensor AvgPool2d::forward(const Tensor& input) {
    return functional::avg_pool2d(input, options_.kernel_size(), options_.stride(),
                                  options_.padding());
}

std::string AvgPool2d::repr() const {
    return pool_repr("AvgPool2d", options_.kernel_size(), options_.stride(), options_.padding());
}

}  // namespace tg::nn
