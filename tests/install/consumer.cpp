// A program outside tapegrad's source tree, built against an installed tapegrad (tests/install
// builds it three ways: pkg-config, meson, CMake). The README shows it, without this comment.
#include <tapegrad/tapegrad.hpp>

#include <cmath>
#include <cstdio>

int main() {
    std::printf("tapegrad %s\n", TAPEGRAD_VERSION_STRING);
    // d/dx sum(x e^x) = (1 + x) e^x, and its derivative (2 + x) e^x.
    const tg::Tensor x = tg::from_vector({0.5, -1.5}, {2}, tg::kFloat64).requires_grad_();
    const tg::Tensor y = tg::sum(x * tg::exp(x));
    const tg::Tensor dy = tg::grad({y}, {x}, {}, tg::GradOptions().create_graph(true))[0];
    const tg::Tensor d2y = tg::grad({tg::sum(dy)}, {x})[0];
    const auto xs = x.to_vector(), got1 = dy.to_vector(), got2 = d2y.to_vector();
    bool ok = true;
    for (std::size_t i = 0; i < xs.size(); ++i) {
        const double want1 = (1 + xs[i]) * std::exp(xs[i]), want2 = (2 + xs[i]) * std::exp(xs[i]);
        std::printf("x = %4.1f  dy/dx = %.12f (want %.12f)  d2y/dx2 = %.12f (want %.12f)\n", xs[i],
                    got1[i], want1, got2[i], want2);
        ok = ok && std::abs(got1[i] - want1) <= 1e-12 * (1 + std::abs(want1)) &&
             std::abs(got2[i] - want2) <= 1e-12 * (1 + std::abs(want2));
    }
    std::puts(ok ? "gradients ok" : "WRONG gradients");
    return ok ? 0 : 1;
}
