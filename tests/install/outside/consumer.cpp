// A program outside the source tree, built against the installed headers and library.
#include <tapegrad.hpp>

#include <cmath>
#include <cstdio>

namespace {

// A user-defined op, as in docs/custom_ops.md: cube(x) = x^3, its rules written with tapegrad
// ops so that it can be differentiated twice.
tg::Tensor cube_slope(const tg::Tensor& x) {
    return 3.0 * tg::square(x);
}
const tg::OpDef kCube{
    "cube",
    [](const tg::OpCall& c, const tg::Tensor& g, tg::Tensor* gi) {
        gi[0] = g * cube_slope(c.in(0));
    },
    [](const tg::OpCall& c, const tg::Tensor* t) { return t[0] * cube_slope(c.in(0)); }};

tg::Tensor cube(const tg::Tensor& x) {
    return tg::record(kCube,
                      tg::map_elements(
                          "cube", [](auto v) { return v * v * v; }, x),
                      {x});
}

bool near(double a, double b) {
    return std::abs(a - b) <= 1e-12 * (1 + std::abs(b));
}

}  // namespace

int main() {
    const tg::Tensor x = tg::from_vector({0.5, -2.0}, {2}, tg::kFloat64).requires_grad_();
    tg::sum(tg::exp(x) * x).backward();  // d/dx x e^x = (1 + x) e^x
    const auto g = x.grad().to_vector();
    const double e0 = 1.5 * std::exp(0.5), e1 = -1.0 * std::exp(-2.0);
    if (!near(g[0], e0) || !near(g[1], e1)) {
        std::printf("consumer: wrong gradient %g %g (expected %g %g)\n", g[0], g[1], e0, e1);
        return 1;
    }
    // The user op: d/dx sum(x^3) = 3 x^2, and d/dx of that summed = 6 x.
    const auto opts = tg::GradOptions().create_graph(true);
    const tg::Tensor d1 = tg::grad({tg::sum(cube(x))}, {x}, {}, opts)[0];
    const tg::Tensor d2 = tg::grad({tg::sum(d1)}, {x})[0];
    const auto a = d1.to_vector(), b = d2.to_vector();
    if (!near(a[0], 0.75) || !near(a[1], 12.0) || !near(b[0], 3.0) || !near(b[1], -12.0)) {
        std::printf("consumer: wrong derivatives of the user op %g %g %g %g\n", a[0], a[1], b[0],
                    b[1]);
        return 1;
    }
    std::printf("consumer: built against the installed tapegrad, gradients ok (user op too)\n");
    return 0;
}
