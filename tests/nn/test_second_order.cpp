// First and second derivatives of the layers against finite differences: gradcheck, and
// gradgradcheck through Conv2d, BatchNorm in training mode and MaxPool2d (where PyTorch users
// report missing or very slow double backward), all in double.

#include "nn_helpers.hpp"

using namespace tgtest;
using namespace tg;
namespace F = tg::nn::functional;

namespace {

GradcheckOptions strict() {
    GradcheckOptions o;
    o.eps = 1e-6;
    o.atol = 1e-7;
    o.rtol = 1e-6;
    return o;
}

void require_passes(const GradcheckReport& r) {
    INFO(r.to_string());
    INFO(r.table());
    CHECK(r.passed);
    CHECK(r.checked > 0);
}

void first_and_second(const TensorFunction& f, const std::vector<Tensor>& inputs) {
    require_passes(gradcheck(f, inputs, strict()));
    require_passes(gradgradcheck(f, inputs, strict()));
}

}  // namespace

TEST_CASE("conv2d: first and second derivatives in input, weight and bias", "[nn][gradgradcheck]") {
    Generator gen(21);
    struct Config {
        std::size_t k, stride, pad;
    };
    for (const Config c : {Config{3, 1, 1}, Config{3, 2, 0}, Config{2, 1, 0}, Config{3, 2, 1}}) {
        INFO("kernel " << c.k << " stride " << c.stride << " padding " << c.pad);
        const Tensor x = leaf({2, 2, 5, 4}, Domain::any, gen);
        const Tensor w = leaf({3, 2, c.k, c.k}, Domain::any, gen);
        const Tensor b = leaf({3}, Domain::any, gen);
        // tanh makes the map non-linear, so that every second-derivative block is non-zero.
        first_and_second(
            [&](const std::vector<Tensor>& in) {
                return tanh(F::conv2d(in[0], in[1], in[2], c.stride, c.pad));
            },
            {x, w, b});
    }
}

TEST_CASE("Conv2d module: second derivatives in its input", "[nn][gradgradcheck]") {
    Generator gen(22);
    nn::Conv2d conv(nn::Conv2dOptions(2, 3, 3).padding(nn::kSame).dtype(kFloat64), gen);
    const Tensor x = leaf({2, 2, 4, 4}, Domain::any, gen);
    first_and_second([&](const std::vector<Tensor>& in) { return sigmoid(conv(in[0])); }, {x});
}

TEST_CASE("batch norm in training mode: first and second derivatives", "[nn][gradgradcheck]") {
    Generator gen(23);
    for (const Shape& shape : {Shape{5, 3}, Shape{2, 3, 4}, Shape{3, 2, 3, 2}}) {
        INFO("input " << shape_str(shape));
        const Tensor x = leaf(shape, Domain::any, gen);
        const Tensor gamma = sample({shape[1]}, Domain::positive, gen).requires_grad_();
        const Tensor beta = leaf({shape[1]}, Domain::any, gen);
        first_and_second(
            [&](const std::vector<Tensor>& in) {
                return F::batch_norm(in[0], Tensor(), Tensor(), in[1], in[2], true);
            },
            {x, gamma, beta});
    }
}

TEST_CASE("BatchNorm2d module in training mode: second derivatives", "[nn][gradgradcheck]") {
    Generator gen(24);
    nn::BatchNorm2d bn(nn::BatchNormOptions(2).dtype(kFloat64));
    nn::init::uniform_(bn.weight, 0.5, 1.5, gen);
    const Tensor x = leaf({3, 2, 2, 3}, Domain::any, gen);
    bn.train();
    // The running statistics change on every call; the output must not depend on them.
    first_and_second([&](const std::vector<Tensor>& in) { return bn(in[0]); }, {x});
}

TEST_CASE("max_pool2d: first and second derivatives", "[nn][gradgradcheck]") {
    Generator gen(25);
    // Distinct values, far apart compared with the finite-difference step, so that no window's
    // maximum changes place under a perturbation.
    std::vector<double> v(2 * 2 * 5 * 6);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = 0.01 * static_cast<double>(i);
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[gen.below(i)]);
    const Tensor x = from_vector(v, {2, 2, 5, 6}, kFloat64).requires_grad_();
    struct Config {
        std::size_t k, stride, pad;
    };
    for (const Config c : {Config{2, 2, 0}, Config{3, 1, 0}, Config{3, 2, 1}}) {
        INFO("kernel " << c.k << " stride " << c.stride << " padding " << c.pad);
        // Squaring after the pool gives the map a non-zero second derivative.
        first_and_second(
            [&](const std::vector<Tensor>& in) {
                return square(F::max_pool2d(in[0], c.k, nn::Size2(c.stride), c.pad));
            },
            {x});
    }
    nn::MaxPool2d pool(nn::MaxPool2dOptions(2));
    first_and_second([&](const std::vector<Tensor>& in) { return square(pool(in[0])); }, {x});
}

TEST_CASE("avg_pool2d, linear and a small network: first and second derivatives",
          "[nn][gradgradcheck]") {
    Generator gen(26);
    const Tensor x = leaf({2, 2, 5, 5}, Domain::any, gen);
    first_and_second(
        [&](const std::vector<Tensor>& in) {
            return square(F::avg_pool2d(in[0], 3, nn::Size2(2), 1));
        },
        {x});

    const Tensor xl = leaf({4, 3}, Domain::any, gen);
    const Tensor w = leaf({2, 3}, Domain::any, gen);
    const Tensor b = leaf({2}, Domain::any, gen);
    first_and_second(
        [&](const std::vector<Tensor>& in) { return tanh(F::linear(in[0], in[1], in[2])); },
        {xl, w, b});

    // conv -> batch norm -> tanh -> avg pool -> flatten -> linear -> cross-entropy, in the
    // input: the whole stack composes to any order.
    auto net = std::make_shared<nn::Sequential>(
        std::make_shared<nn::Conv2d>(nn::Conv2dOptions(1, 2, 3).dtype(kFloat64), gen),
        std::make_shared<nn::BatchNorm2d>(nn::BatchNormOptions(2).dtype(kFloat64)),
        std::make_shared<nn::Tanh>(), std::make_shared<nn::AvgPool2d>(nn::AvgPool2dOptions(2)),
        std::make_shared<nn::Flatten>(),
        std::make_shared<nn::Linear>(nn::LinearOptions(8, 3).dtype(kFloat64), gen));
    const Tensor img = leaf({3, 1, 6, 6}, Domain::any, gen);
    first_and_second(
        [&](const std::vector<Tensor>& in) {
            return cross_entropy((*net)(in[0]), {0, 2, 1});
        },
        {img});
}

TEST_CASE("grad() still returns inputs listed after one that got no gradient",
          "[nn][gradgradcheck][regression]") {
    // Batch norm's gradgradcheck found this: the gradient of x^2 + b with respect to x does not
    // depend on b, so asking for it with respect to (x, b) must give 2 u for x and nothing for b.
    const Tensor x = from_vector({1, 2, 3, 4, 5, 6}, {2, 3}, kFloat64).requires_grad_();
    const Tensor b = from_vector({1, 1, 1}, {3}, kFloat64).requires_grad_();
    const Tensor u = from_vector({1, -1, 2, 0.5, 3, 1}, {2, 3}, kFloat64).requires_grad_();
    const auto g = grad({add(square(x), b)}, {x, b}, {u}, GradOptions().create_graph(true));
    const auto h = grad({sum(g[0])}, {x, b, u}, {}, GradOptions().allow_unused(true));
    REQUIRE(h[0].defined());
    require_close(h[0], {2, -2, 4, 1, 6, 2}, 0);
    REQUIRE_FALSE(h[1].defined());
    require_close(h[2], {2, 4, 6, 8, 10, 12}, 0);
}
