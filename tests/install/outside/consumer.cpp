// A program outside the source tree, built against the installed headers and library.
#include <tapegrad.hpp>

#include <cmath>
#include <cstdio>

int main() {
    const tg::Tensor x = tg::from_vector({0.5, -2.0}, {2}, tg::kFloat64).requires_grad_();
    tg::sum(tg::exp(x) * x).backward();  // d/dx x e^x = (1 + x) e^x
    const auto g = x.grad().to_vector();
    const double e0 = 1.5 * std::exp(0.5), e1 = -1.0 * std::exp(-2.0);
    if (std::abs(g[0] - e0) > 1e-12 || std::abs(g[1] - e1) > 1e-12) {
        std::printf("consumer: wrong gradient %g %g (expected %g %g)\n", g[0], g[1], e0, e1);
        return 1;
    }
    std::printf("consumer: built against the installed tapegrad, gradient ok\n");
    return 0;
}
