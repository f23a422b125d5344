// Batch norm in training mode against Ioffe & Szegedy (2015): the forward transform and the
// closed-form backward pass of their section 3 (batchnorm_reference.hpp, plain loops per
// channel), compared with the autodiff gradients of BatchNorm1d and BatchNorm2d.

#include "batchnorm_reference.hpp"
#include "nn_helpers.hpp"

using namespace tgtest;
using namespace tg;

namespace {

void check(nn::BatchNorm& bn, const Shape& shape, std::uint64_t seed) {
    INFO(bn.repr() << " on " << shape_str(shape));
    Generator gen(seed);
    const std::size_t N = shape[0], C = shape[1];
    std::size_t S = 1;
    for (std::size_t d = 2; d < shape.size(); ++d) S *= shape[d];
    // Non-trivial gamma and beta, and inputs with a per-channel offset and scale.
    nn::init::uniform_(bn.weight, 0.5, 2.0, gen);
    nn::init::uniform_(bn.bias, -1.0, 1.0, gen);
    std::vector<double> xv(N * C * S);
    for (std::size_t i = 0; i < xv.size(); ++i) {
        const std::size_t c = (i / S) % C;
        xv[i] = 3.0 * static_cast<double>(c) - 1.0 + (1.0 + static_cast<double>(c)) * gen.normal();
    }
    const Tensor x = from_vector(xv, shape, kFloat64).requires_grad_();
    const Tensor dy = sample(shape, Domain::any, gen);
    bn.train();
    const Tensor y = bn.forward(x);
    const auto g = grad({y}, {x, bn.weight, bn.bias}, {dy});

    const BatchNormReference r =
        batchnorm_closed_form(xv, dy.to_vector(), bn.weight.to_vector(), bn.bias.to_vector(), N, C,
                              S, bn.options().eps());
    require_close(y, r.y, 1e-13, 0, "y");
    require_close(g[0], r.dx, 1e-12, 1e-10, "dx");
    require_close(g[1], r.dgamma, 1e-12, 1e-10, "dgamma");
    require_close(g[2], r.dbeta, 1e-12, 1e-10, "dbeta");

    // One step of the running statistics from (0, 1): momentum times the batch's, with the
    // unbiased variance m / (m - 1) var.
    const double mom = bn.options().momentum(), m = static_cast<double>(N * S);
    std::vector<double> rm, rv;
    for (std::size_t c = 0; c < C; ++c) {
        rm.push_back(mom * r.mean[c]);
        rv.push_back((1 - mom) * 1.0 + mom * r.biased_var[c] * m / (m - 1));
    }
    require_close(bn.running_mean, rm, 1e-14, 1e-12, "running_mean");
    require_close(bn.running_var, rv, 1e-14, 1e-12, "running_var");
}

}  // namespace

TEST_CASE("BatchNorm1d backward matches Ioffe & Szegedy's closed form", "[nn][batchnorm]") {
    nn::BatchNorm1d bn(nn::BatchNormOptions(3).dtype(kFloat64));
    check(bn, {6, 3}, 11);
    nn::BatchNorm1d bn_seq(nn::BatchNormOptions(4).dtype(kFloat64).momentum(0.3).eps(1e-3));
    check(bn_seq, {3, 4, 5}, 12);  // [N, C, L]: statistics over N and L
}

TEST_CASE("BatchNorm2d backward matches Ioffe & Szegedy's closed form", "[nn][batchnorm]") {
    nn::BatchNorm2d bn(nn::BatchNormOptions(2).dtype(kFloat64));
    check(bn, {3, 2, 4, 5}, 13);
    nn::BatchNorm2d bn_one(nn::BatchNormOptions(5).dtype(kFloat64).momentum(0.5));
    check(bn_one, {2, 5, 3, 1}, 14);
}
