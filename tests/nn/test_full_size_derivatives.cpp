// Derivatives at the sizes where tapegrad's threaded loops (from 2^14 elements per thread) and
// its deferred results (unfold's columns and products of them, large broadcasts: ops/deferred.hpp)
// switch on, which the small gradient tests never reach: the cnn benchmark network
// (bench/tapegrad/cnn.cpp) at batch 32 and batch norm on [32, 8, 24, 24], in float64, on 1 and 2
// threads. Gradients are checked against plain loops (conv_reference.hpp,
// batchnorm_reference.hpp and the loops below), Hessian-vector products against central
// differences of those plain-loop gradients.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "batchnorm_reference.hpp"
#include "conv_reference.hpp"
#include "nn_helpers.hpp"
#include "ops/deferred.hpp"

using namespace tgtest;
using namespace tg;

namespace {

using Values = std::vector<std::vector<double>>;

// The network's shape: conv 5x5 (1 -> 8), batch norm, ReLU, 2x2 max-pool, conv 5x5 (8 -> 16),
// batch norm, ReLU, 2x2 max-pool, flatten, linear 256 -> 10, log-softmax, NLL.
constexpr std::size_t kBatch = 32, kClasses = 10, kFeatures = 16 * 4 * 4;
const ConvGeometry kConv1{kBatch, 1, 28, 28, 8, 5, 1, 0};   // -> [32, 8, 24, 24]
const ConvGeometry kConv2{kBatch, 8, 12, 12, 16, 5, 1, 0};  // -> [32, 16, 8, 8]
const double kEps = nn::BatchNormOptions(8).eps();

std::shared_ptr<nn::Sequential> make_cnn(Generator& gen) {
    using namespace tg::nn;
    auto net = std::make_shared<Sequential>(
        std::make_shared<Conv2d>(Conv2dOptions(1, 8, 5).dtype(kFloat64), gen),
        std::make_shared<BatchNorm2d>(BatchNormOptions(8).dtype(kFloat64)),
        std::make_shared<ReLU>(), std::make_shared<MaxPool2d>(MaxPool2dOptions(2)),
        std::make_shared<Conv2d>(Conv2dOptions(8, 16, 5).dtype(kFloat64), gen),
        std::make_shared<BatchNorm2d>(BatchNormOptions(16).dtype(kFloat64)),
        std::make_shared<ReLU>(), std::make_shared<MaxPool2d>(MaxPool2dOptions(2)),
        std::make_shared<Flatten>(),
        std::make_shared<Linear>(LinearOptions(kFeatures, kClasses).dtype(kFloat64), gen));
    // Batch norm's gamma and beta away from their initial ones and zeros.
    for (const auto& [name, p] : net->named_parameters()) {
        if (name == "1.weight" || name == "5.weight") nn::init::uniform_(p, 0.5, 2.0, gen);
        if (name == "1.bias" || name == "5.bias") nn::init::uniform_(p, -1.0, 1.0, gen);
    }
    return net;
}

// The parameters in the order of net->named_parameters(), then the input.
enum Leaf { kW1, kB1, kGamma1, kBeta1, kW2, kB2, kGamma2, kBeta2, kLinW, kLinB, kInput, kLeaves };
const char* const kLeafNames[kLeaves] = {"0.weight", "0.bias", "1.weight", "1.bias",
                                         "4.weight", "4.bias", "5.weight", "5.bias",
                                         "9.weight", "9.bias", "input"};

// Which side of each kink the network is on: ReLU's masks (y > 0) and the index into ReLU's
// output of every max-pool window's first maximal element.
struct Branches {
    std::vector<char> relu1, relu2;
    std::vector<std::size_t> pool1, pool2;
};

// ReLU then a 2x2 max-pool of y [N, C, H, W]. With frozen = false the branches are found (and
// stored), otherwise the ones given are taken: the network is then the smooth function it is
// near the point where they were found.
std::vector<double> relu_pool(const std::vector<double>& y, std::size_t N, std::size_t C,
                              std::size_t H, std::size_t W, bool frozen, std::vector<char>& mask,
                              std::vector<std::size_t>& winner) {
    if (!frozen) {
        mask.resize(y.size());
        for (std::size_t i = 0; i < y.size(); ++i) mask[i] = y[i] > 0;
        winner.clear();
    }
    const auto relu = [&](std::size_t i) { return mask[i] ? y[i] : 0.0; };
    std::vector<double> out;
    for (std::size_t nc = 0; nc < N * C; ++nc)
        for (std::size_t ph = 0; ph < H / 2; ++ph)
            for (std::size_t pw = 0; pw < W / 2; ++pw) {
                if (!frozen) {
                    std::size_t best = (nc * H + 2 * ph) * W + 2 * pw;
                    for (std::size_t i = 0; i < 2; ++i)
                        for (std::size_t j = 0; j < 2; ++j) {
                            const std::size_t at = (nc * H + 2 * ph + i) * W + 2 * pw + j;
                            if (relu(at) > relu(best)) best = at;
                        }
                    winner.push_back(best);
                }
                out.push_back(relu(winner[out.size()]));
            }
    return out;
}

// The gradient through the pool and ReLU: each window's delta goes to its winner, if positive.
std::vector<double> relu_pool_backward(const std::vector<double>& d_out, std::size_t size,
                                       const std::vector<char>& mask,
                                       const std::vector<std::size_t>& winner) {
    std::vector<double> d(size, 0.0);
    for (std::size_t i = 0; i < d_out.size(); ++i) d[winner[i]] += d_out[i];
    for (std::size_t i = 0; i < size; ++i)
        if (!mask[i]) d[i] = 0;
    return d;
}

struct CnnReference {
    double loss = 0;
    Values grads;  // by Leaf
    Branches branches;
};

// The loss and its gradient with respect to every leaf, with plain loops. frozen: take these
// branches instead of finding them.
CnnReference cnn_reference(const Values& v, const std::vector<std::int64_t>& labels,
                           const Branches* frozen = nullptr) {
    CnnReference r;
    if (frozen) r.branches = *frozen;
    Branches& br = r.branches;
    const std::size_t N = kBatch;
    const std::vector<double> none1(N * 8 * 24 * 24, 0.0), none2(N * 16 * 8 * 8, 0.0);
    // Forward.
    const auto z1 = conv_forward(v[kInput], v[kW1], v[kB1], kConv1);
    const auto y1 = batchnorm_closed_form(z1, none1, v[kGamma1], v[kBeta1], N, 8, 24 * 24, kEps).y;
    const auto m1 = relu_pool(y1, N, 8, 24, 24, frozen != nullptr, br.relu1, br.pool1);
    const auto z2 = conv_forward(m1, v[kW2], v[kB2], kConv2);
    const auto y2 = batchnorm_closed_form(z2, none2, v[kGamma2], v[kBeta2], N, 16, 8 * 8, kEps).y;
    const auto flat = relu_pool(y2, N, 16, 8, 8, frozen != nullptr, br.relu2, br.pool2);
    // Linear, log-softmax and NLL averaged over the batch; dC/dlogits = (softmax - onehot) / N.
    std::vector<double> dlogits(N * kClasses);
    for (std::size_t n = 0; n < N; ++n) {
        std::vector<double> z(kClasses);
        for (std::size_t j = 0; j < kClasses; ++j) {
            z[j] = v[kLinB][j];
            for (std::size_t i = 0; i < kFeatures; ++i)
                z[j] += v[kLinW][j * kFeatures + i] * flat[n * kFeatures + i];
        }
        const double top = *std::max_element(z.begin(), z.end());
        double total = 0;
        for (double zj : z) total += std::exp(zj - top);
        const double log_total = top + std::log(total);
        const auto label = static_cast<std::size_t>(labels[n]);
        r.loss -= (z[label] - log_total) / double(N);
        for (std::size_t j = 0; j < kClasses; ++j)
            dlogits[n * kClasses + j] = (std::exp(z[j] - log_total) - (j == label)) / double(N);
    }
    // Backward.
    r.grads.resize(kLeaves);
    r.grads[kLinW].assign(kClasses * kFeatures, 0.0);
    r.grads[kLinB].assign(kClasses, 0.0);
    std::vector<double> dflat(N * kFeatures, 0.0);
    for (std::size_t n = 0; n < N; ++n)
        for (std::size_t j = 0; j < kClasses; ++j) {
            const double d = dlogits[n * kClasses + j];
            r.grads[kLinB][j] += d;
            for (std::size_t i = 0; i < kFeatures; ++i) {
                r.grads[kLinW][j * kFeatures + i] += d * flat[n * kFeatures + i];
                dflat[n * kFeatures + i] += d * v[kLinW][j * kFeatures + i];
            }
        }
    const auto dy2 = relu_pool_backward(dflat, y2.size(), br.relu2, br.pool2);
    auto bn2 = batchnorm_closed_form(z2, dy2, v[kGamma2], v[kBeta2], N, 16, 8 * 8, kEps);
    r.grads[kGamma2] = bn2.dgamma;
    r.grads[kBeta2] = bn2.dbeta;
    conv_filter_gradients(bn2.dx, m1, kConv2, r.grads[kW2], r.grads[kB2]);
    const auto dm1 = conv_input_delta(bn2.dx, v[kW2], kConv2);
    const auto dy1 = relu_pool_backward(dm1, y1.size(), br.relu1, br.pool1);
    auto bn1 = batchnorm_closed_form(z1, dy1, v[kGamma1], v[kBeta1], N, 8, 24 * 24, kEps);
    r.grads[kGamma1] = bn1.dgamma;
    r.grads[kBeta1] = bn1.dbeta;
    conv_filter_gradients(bn1.dx, v[kInput], kConv1, r.grads[kW1], r.grads[kB1]);
    r.grads[kInput] = conv_input_delta(bn1.dx, v[kW1], kConv1);
    return r;
}

Values values_of(const std::vector<Tensor>& ts) {
    Values out;
    for (const auto& t : ts) out.push_back(t.to_vector());
    return out;
}

Values random_like(const Values& like, Generator& gen) {
    Values out = like;
    for (auto& xs : out)
        for (auto& x : xs) x = gen.normal();
    return out;
}

// a + h b, element by element.
Values axpy(const Values& a, double h, const Values& b) {
    Values out = a;
    for (std::size_t i = 0; i < a.size(); ++i)
        for (std::size_t j = 0; j < a[i].size(); ++j) out[i][j] += h * b[i][j];
    return out;
}

double dot(const Values& a, const Values& b) {
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        for (std::size_t j = 0; j < a[i].size(); ++j) s += a[i][j] * b[i][j];
    return s;
}

double largest_magnitude(const Values& a) {
    double m = 0;
    for (const auto& xs : a)
        for (double x : xs) m = std::max(m, std::abs(x));
    return m;
}

// (g(+h) - g(-h)) / 2h, leaf by leaf.
Values central_difference(const Values& plus, const Values& minus, double h) {
    Values out = plus;
    for (std::size_t i = 0; i < plus.size(); ++i)
        for (std::size_t j = 0; j < plus[i].size(); ++j)
            out[i][j] = (plus[i][j] - minus[i][j]) / (2 * h);
    return out;
}

// Every leaf of `got` within atol + rtol |expected| of `expected`.
void require_leaves_close(const std::vector<Tensor>& got, const Values& expected, double atol,
                          double rtol, const std::vector<std::string>& names,
                          const std::string& what) {
    REQUIRE(got.size() == expected.size());
    for (std::size_t i = 0; i < got.size(); ++i)
        require_all_close(got[i], expected[i], atol, rtol, what + " of " + names[i]);
}

const HvpMode kModes[] = {HvpMode::reverse_over_reverse, HvpMode::forward_over_reverse};

// Both HVP modes of `loss` along v against the expected H v, element by element and as v.Hv.
template <class Loss>
void require_hvps_close(const Loss& loss, const std::vector<Tensor>& leaves, const Values& v,
                        const Values& hv, double hv_scale, const std::vector<std::string>& names) {
    for (HvpMode mode : kModes) {
        INFO("mode " << int(mode));
        std::vector<Tensor> vt;
        for (std::size_t i = 0; i < leaves.size(); ++i)
            vt.push_back(from_vector(v[i], leaves[i].shape(), kFloat64));
        const auto got = hvp(loss, leaves, vt, mode);
        require_leaves_close(got, hv, 1e-8 * hv_scale, 1e-7, names, "H v");
        REQUIRE(dot(values_of(got), v) == Approx(dot(hv, v)).epsilon(1e-7));
    }
}

}  // namespace

TEST_CASE(
    "the cnn benchmark network at batch 32: gradients and Hessian-vector products against "
    "plain loops, on 1 and 2 threads",
    "[nn][full-size][threads]") {
    Generator gen(2025);
    auto net = make_cnn(gen);
    const Tensor x = rand({kBatch, 1, 28, 28}, gen, kFloat64).requires_grad_();
    std::vector<std::int64_t> labels;
    for (std::size_t n = 0; n < kBatch; ++n) labels.push_back(std::int64_t(gen.below(kClasses)));
    std::vector<Tensor> leaves;
    std::vector<std::string> names;
    for (const auto& [name, p] : net->named_parameters()) {
        leaves.push_back(p);
        names.push_back(name);
    }
    leaves.push_back(x);
    names.push_back("input");
    REQUIRE(names == std::vector<std::string>(kLeafNames, kLeafNames + kLeaves));

    // These sizes take the paths under test: unfold's columns and batch norm's broadcasts are
    // left pending, and [32, 8, 24, 24] is 73,728 elements per thread on 2 threads.
    CHECK(pending_batch(unfold(x, Window{5, 5, 1, 1, 0, 0})) != nullptr);
    CHECK(pending_broadcast_source(
              broadcast_to(zeros({1, 8, 1, 1}, kFloat64), {kBatch, 8, 24, 24})) != nullptr);

    const auto loss_of_net = [&] { return nll_loss(log_softmax(net->forward(x), 1), labels); };
    const Values point = values_of(leaves);
    const CnnReference ref = cnn_reference(point, labels);
    const double g_scale = largest_magnitude(ref.grads);

    // Central differences of the plain-loop gradient along v, on the branches taken at the
    // point (so that no ReLU or max-pool switches in between): the Hessian times v.
    const Values v = random_like(point, gen);
    const double h = 1e-6;
    const CnnReference plus = cnn_reference(axpy(point, h, v), labels, &ref.branches);
    const CnnReference minus = cnn_reference(axpy(point, -h, v), labels, &ref.branches);
    const Values hv = central_difference(plus.grads, minus.grads, h);
    const double hv_scale = largest_magnitude(hv);
    // The references check each other: the loss's slope along v is the gradient times v.
    REQUIRE((plus.loss - minus.loss) / (2 * h) == Approx(dot(ref.grads, v)).epsilon(1e-6));

    for (int threads : {1, 2}) {
        INFO(threads << " thread(s)");
        const ScopedNumThreads scoped(threads);
        const Tensor loss = loss_of_net();
        REQUIRE(loss.item() == Approx(ref.loss).epsilon(1e-12));
        require_leaves_close(grad({loss}, leaves), ref.grads, 1e-12 * g_scale, 1e-9, names,
                             "the gradient");
        require_hvps_close(loss_of_net, leaves, v, hv, hv_scale, names);
    }
}

TEST_CASE(
    "batch norm on [32, 8, 24, 24]: gradients and Hessian-vector products against the "
    "closed form, on 1 and 2 threads",
    "[nn][batchnorm][full-size][threads]") {
    const std::size_t N = 32, C = 8, S = 24 * 24;
    Generator gen(2026);
    nn::BatchNorm2d bn(nn::BatchNormOptions(C).dtype(kFloat64));
    nn::init::uniform_(bn.weight, 0.5, 2.0, gen);
    nn::init::uniform_(bn.bias, -1.0, 1.0, gen);
    // Inputs with a per-channel offset and scale.
    std::vector<double> xv(N * C * S);
    for (std::size_t i = 0; i < xv.size(); ++i) {
        const double c = double((i / S) % C);
        xv[i] = 3.0 * c - 1.0 + (1.0 + c) * gen.normal();
    }
    const Tensor x = from_vector(xv, {N, C, 24, 24}, kFloat64).requires_grad_();
    const Tensor dy = sample({N, C, 24, 24}, Domain::any, gen);
    const auto dyv = dy.to_vector();
    const std::vector<Tensor> leaves{x, bn.weight, bn.bias};
    const std::vector<std::string> names{"x", "gamma", "beta"};
    const double eps = bn.options().eps();
    // The loss sum(dy * y): its gradient is the closed form's backward pass of dy.
    const auto loss_of_bn = [&] { return sum(dy * bn.forward(x)); };
    const auto gradient_at = [&](const Values& p) {
        const auto r = batchnorm_closed_form(p[0], dyv, p[1], p[2], N, C, S, eps);
        return Values{r.dx, r.dgamma, r.dbeta};
    };

    const Values point = values_of(leaves);
    const BatchNormReference ref = batchnorm_closed_form(xv, dyv, point[1], point[2], N, C, S, eps);
    const Values gradient{ref.dx, ref.dgamma, ref.dbeta};
    const double g_scale = largest_magnitude(gradient);
    const Values v = random_like(point, gen);
    const double h = 1e-4;
    const Values hv =
        central_difference(gradient_at(axpy(point, h, v)), gradient_at(axpy(point, -h, v)), h);
    const double hv_scale = largest_magnitude(hv);

    for (int threads : {1, 2}) {
        INFO(threads << " thread(s)");
        const ScopedNumThreads scoped(threads);
        const Tensor y = bn.forward(x);
        require_all_close(y, ref.y, 1e-12, 1e-12, "y");
        require_leaves_close(grad({sum(dy * y)}, leaves), gradient, 1e-12 * g_scale, 1e-9, names,
                             "the gradient");
        require_hvps_close(loss_of_bn, leaves, v, hv, hv_scale, names);
    }
}
