#pragma once
// Every primitive and composite op, applied over the shape families the tests cover: scalar,
// vector, matrix, 4-D, broadcasting on either side, and size-1 axes. Inputs are seeded and kept
// inside each op's domain. Shared by the gradcheck, jvp and float-agreement tests.

#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "helpers.hpp"

namespace tgtest {

struct OpCase {
    std::string name;
    tg::TensorFunction f;
    std::vector<Tensor> inputs;  // float64; those that require grad are differentiated
};

inline std::string shapes_str(const std::vector<Shape>& shapes) {
    std::string s;
    for (const auto& sh : shapes) s += (s.empty() ? "" : " ") + tg::shape_str(sh);
    return s;
}

inline std::vector<OpCase> all_op_cases() {
    using namespace tg;
    Generator gen(20261127);
    std::vector<OpCase> cases;
    auto add_case = [&](const std::string& name, const std::vector<Shape>& shapes,
                        const std::vector<Domain>& domains, TensorFunction f) {
        std::vector<Tensor> in;
        for (std::size_t i = 0; i < shapes.size(); ++i)
            in.push_back(leaf(shapes[i], domains[i], gen));
        cases.push_back({name + " " + shapes_str(shapes), std::move(f), std::move(in)});
    };

    // ---- unary elementwise, over every unary shape family ----
    const std::vector<Shape> unary_shapes{{}, {5}, {3, 4}, {2, 3, 2, 2}, {1, 3, 1}};
    struct Unary {
        const char* name;
        Domain domain;
        std::function<Tensor(const Tensor&)> f;
    };
    const std::vector<Unary> unaries{
        {"neg", Domain::any, [](const Tensor& x) { return -x; }},
        {"exp", Domain::any, [](const Tensor& x) { return exp(x); }},
        {"log", Domain::positive, [](const Tensor& x) { return log(x); }},
        {"sqrt", Domain::positive, [](const Tensor& x) { return sqrt(x); }},
        {"abs", Domain::away_from_zero, [](const Tensor& x) { return abs(x); }},
        {"sin", Domain::any, [](const Tensor& x) { return sin(x); }},
        {"cos", Domain::any, [](const Tensor& x) { return cos(x); }},
        {"tanh", Domain::any, [](const Tensor& x) { return tanh(x); }},
        {"sigmoid", Domain::any, [](const Tensor& x) { return sigmoid(x); }},
        {"relu", Domain::away_from_zero, [](const Tensor& x) { return relu(x); }},
        {"leaky_relu", Domain::away_from_zero, [](const Tensor& x) { return leaky_relu(x, 0.1); }},
        {"softplus", Domain::any, [](const Tensor& x) { return softplus(x); }},
        {"square", Domain::any, [](const Tensor& x) { return square(x); }},
        {"pow 1.5", Domain::positive, [](const Tensor& x) { return pow(x, 1.5); }},
        {"pow 3", Domain::any, [](const Tensor& x) { return pow(x, 3.0); }},
        {"pow -1", Domain::away_from_zero, [](const Tensor& x) { return pow(x, -1.0); }},
        {"affine", Domain::any, [](const Tensor& x) { return affine(x, -1.5, 0.25); }},
        {"x / 3", Domain::any, [](const Tensor& x) { return x / 3.0; }},
        {"2 - x", Domain::any, [](const Tensor& x) { return 2.0 - x; }},
        {"2 / x", Domain::away_from_zero, [](const Tensor& x) { return 2.0 / x; }},
        {"clamp", Domain::away_from_zero, [](const Tensor& x) { return clamp(x, -0.9, 0.8); }},
        // ops/trig.hpp; inputs mapped into each op's domain: 2u - 1 lies in (-0.8, 0.8)
        {"tan", Domain::unit, [](const Tensor& x) { return tan(affine(x, 2, -1)); }},
        {"asin", Domain::unit, [](const Tensor& x) { return asin(affine(x, 2, -1)); }},
        {"acos", Domain::unit, [](const Tensor& x) { return acos(affine(x, 2, -1)); }},
        {"atan", Domain::any, [](const Tensor& x) { return atan(x); }},
        {"sinh", Domain::any, [](const Tensor& x) { return sinh(x); }},
        {"cosh", Domain::any, [](const Tensor& x) { return cosh(x); }},
        {"asinh", Domain::any, [](const Tensor& x) { return asinh(x); }},
        {"acosh", Domain::positive, [](const Tensor& x) { return acosh(x + 1.0); }},
        {"atanh", Domain::unit, [](const Tensor& x) { return atanh(affine(x, 2, -1)); }},
        // ops/special.hpp
        {"erf", Domain::any, [](const Tensor& x) { return erf(x); }},
        {"erfc", Domain::any, [](const Tensor& x) { return erfc(x); }},
        {"erfinv", Domain::unit, [](const Tensor& x) { return erfinv(affine(x, 2, -1)); }},
        {"log1p", Domain::unit, [](const Tensor& x) { return log1p(affine(x, 2, -1)); }},
        {"expm1", Domain::any, [](const Tensor& x) { return expm1(x); }},
        {"log2", Domain::positive, [](const Tensor& x) { return log2(x); }},
        {"log10", Domain::positive, [](const Tensor& x) { return log10(x); }},
        {"exp2", Domain::any, [](const Tensor& x) { return exp2(x); }},
        {"reciprocal", Domain::away_from_zero, [](const Tensor& x) { return reciprocal(x); }},
        {"rsqrt", Domain::positive, [](const Tensor& x) { return rsqrt(x); }},
        {"lgamma", Domain::positive, [](const Tensor& x) { return lgamma(x); }},
        {"lgamma of x in (-2.7, -2.3)", Domain::unit,
         [](const Tensor& x) { return lgamma(affine(x, 0.5, -2.75)); }},
        {"digamma", Domain::positive, [](const Tensor& x) { return digamma(x); }},
        {"digamma of x in (-2.7, -2.3)", Domain::unit,
         [](const Tensor& x) { return digamma(affine(x, 0.5, -2.75)); }},
        {"polygamma 1", Domain::positive, [](const Tensor& x) { return polygamma(1, x); }},
        {"polygamma 3", Domain::positive, [](const Tensor& x) { return polygamma(3, x); }},
        // ops/activations.hpp
        {"gelu", Domain::any, [](const Tensor& x) { return gelu(x); }},
        {"gelu tanh", Domain::any,
         [](const Tensor& x) { return gelu(x, GeluApproximation::tanh); }},
        {"silu", Domain::any, [](const Tensor& x) { return silu(x); }},
        {"mish", Domain::any, [](const Tensor& x) { return mish(x); }},
        {"elu 1.3", Domain::away_from_zero, [](const Tensor& x) { return elu(x, 1.3); }},
        {"selu", Domain::away_from_zero, [](const Tensor& x) { return selu(x); }},
        {"logsigmoid", Domain::any, [](const Tensor& x) { return logsigmoid(x); }},
        {"hardtanh", Domain::away_from_zero,
         [](const Tensor& x) { return hardtanh(x, -0.9, 0.8); }},
        {"softsign", Domain::away_from_zero, [](const Tensor& x) { return softsign(x); }},
        // ops/rounding.hpp: the rounded factor is a constant (no gradient flows through it)
        {"x round(3x)", Domain::any, [](const Tensor& x) { return x * round(x * 3.0); }},
        {"x floor(3x)", Domain::any, [](const Tensor& x) { return x * floor(x * 3.0); }},
        {"x ceil(3x)", Domain::any, [](const Tensor& x) { return x * ceil(x * 3.0); }},
        {"x trunc(3x)", Domain::any, [](const Tensor& x) { return x * trunc(x * 3.0); }},
        // ops/nonfinite.hpp, on finite inputs
        {"nan_to_num", Domain::any, [](const Tensor& x) { return nan_to_num(x); }},
    };
    for (const auto& u : unaries) {
        for (const auto& s : unary_shapes) {
            auto f = u.f;
            add_case(u.name, {s}, {u.domain},
                     [f](const std::vector<Tensor>& in) { return f(in[0]); });
        }
    }

    // ---- binary elementwise, over every broadcasting family ----
    const std::vector<std::pair<Shape, Shape>> binary_shapes{
        {{}, {}},           {{5}, {5}},    {{3, 4}, {3, 4}}, {{2, 3, 2, 2}, {2, 3, 2, 2}},
        {{3, 4}, {4}},      {{4}, {3, 4}}, {{3, 1}, {1, 4}}, {{1, 3, 1}, {2, 1, 4}},
        {{2, 3, 2, 2}, {}}, {{}, {3, 2}},
    };
    struct Binary {
        const char* name;
        Domain a, b;
        std::function<Tensor(const Tensor&, const Tensor&)> f;
    };
    const std::vector<Binary> binaries{
        {"add", Domain::any, Domain::any, [](const Tensor& a, const Tensor& b) { return a + b; }},
        {"sub", Domain::any, Domain::any, [](const Tensor& a, const Tensor& b) { return a - b; }},
        {"mul", Domain::any, Domain::any, [](const Tensor& a, const Tensor& b) { return a * b; }},
        {"div", Domain::any, Domain::away_from_zero,
         [](const Tensor& a, const Tensor& b) { return a / b; }},
        {"pow", Domain::positive, Domain::any,
         [](const Tensor& a, const Tensor& b) { return pow(a, b); }},
        {"maximum", Domain::any, Domain::any,
         [](const Tensor& a, const Tensor& b) { return maximum(a, b); }},
        {"minimum", Domain::any, Domain::any,
         [](const Tensor& a, const Tensor& b) { return minimum(a, b); }},
        {"sigmoid_backward", Domain::unit, Domain::any,
         [](const Tensor& s, const Tensor& g) { return sigmoid_backward(s, g); }},
        {"tanh_backward", Domain::any, Domain::any,
         [](const Tensor& t, const Tensor& g) { return tanh_backward(t, g); }},
        {"relu_backward", Domain::away_from_zero, Domain::any,
         [](const Tensor& x, const Tensor& g) { return relu_backward(x, g); }},
        {"where", Domain::any, Domain::any,
         [](const Tensor& a, const Tensor& b) { return where(gt(a, b), mul(a, b), sub(a, b)); }},
        {"atan2", Domain::any, Domain::any,
         [](const Tensor& y, const Tensor& x) { return atan2(y, x); }},
        {"fmod", Domain::any, Domain::away_from_zero,
         [](const Tensor& a, const Tensor& b) { return fmod(a * 3.0, b); }},
        {"remainder", Domain::any, Domain::away_from_zero,
         [](const Tensor& a, const Tensor& b) { return remainder(a * 3.0, b); }},
    };
    for (const auto& b : binaries) {
        for (const auto& [sa, sb] : binary_shapes) {
            auto f = b.f;
            add_case(b.name, {sa, sb}, {b.a, b.b},
                     [f](const std::vector<Tensor>& in) { return f(in[0], in[1]); });
            // relu_backward(x, g) reads x only through the step x > 0: no gradient flows to
            // x, and gradcheck would have nothing to compare for it but zeros.
            if (std::string(b.name) == "relu_backward")
                cases.back().inputs[0].requires_grad_(false);
        }
    }

    // ---- reductions ----
    auto one = [](std::function<Tensor(const Tensor&)> f) {
        return [f](const std::vector<Tensor>& in) { return f(in[0]); };
    };
    add_case("sum all", {{2, 3, 4}}, {Domain::any}, one([](const Tensor& x) { return sum(x); }));
    add_case("sum all", {{}}, {Domain::any}, one([](const Tensor& x) { return sum(x); }));
    add_case("sum axis 1", {{2, 3, 4}}, {Domain::any},
             one([](const Tensor& x) { return sum(x, {1}); }));
    add_case("sum axes 0,2 keepdims", {{2, 3, 4}}, {Domain::any}, one([](const Tensor& x) {
                 return sum(x, {0, -1}, true);
             }));
    add_case("sum axis size-1", {{1, 3, 1}}, {Domain::any}, one([](const Tensor& x) {
                 return sum(x, {0, 2});
             }));
    add_case("mean all", {{3, 4}}, {Domain::any}, one([](const Tensor& x) { return mean(x); }));
    add_case("mean axis 0", {{2, 3, 2, 2}}, {Domain::any}, one([](const Tensor& x) {
                 return mean(x, {0, 3});
             }));
    add_case("max axis 0", {{4, 3}}, {Domain::any}, one([](const Tensor& x) { return max(x, 0); }));
    add_case("max axis -1 keepdims", {{2, 3, 5}}, {Domain::any},
             one([](const Tensor& x) { return max(x, -1, true); }));
    add_case("max axis 1 of 4-D", {{2, 3, 2, 2}}, {Domain::any},
             one([](const Tensor& x) { return max(x, 1); }));
    add_case("min axis 1", {{3, 4}}, {Domain::any}, one([](const Tensor& x) { return min(x, 1); }));

    // ---- matrix products ----
    auto two = [](std::function<Tensor(const Tensor&, const Tensor&)> f) {
        return [f](const std::vector<Tensor>& in) { return f(in[0], in[1]); };
    };
    auto mm = [&](const char* name, Shape a, Shape b, bool ta, bool tb) {
        add_case(name, {a, b}, {Domain::any, Domain::any},
                 two([ta, tb](const Tensor& x, const Tensor& y) { return matmul(x, y, ta, tb); }));
    };
    mm("matmul", {3, 4}, {4, 2}, false, false);
    mm("matmul a^T", {4, 3}, {4, 2}, true, false);
    mm("matmul b^T", {3, 4}, {2, 4}, false, true);
    mm("matmul a^T b^T", {4, 3}, {2, 4}, true, true);
    mm("matmul batched", {2, 3, 4}, {2, 4, 5}, false, false);
    mm("matmul batched a^T", {2, 4, 3}, {2, 4, 5}, true, false);
    mm("matmul 2-D @ batch", {3, 4}, {2, 4, 5}, false, false);
    mm("matmul batch @ 2-D", {2, 3, 4}, {4, 5}, false, false);
    mm("matmul batch @ 2-D b^T", {2, 3, 4}, {5, 4}, false, true);
    mm("matmul batch 1 @ batch", {1, 3, 4}, {2, 4, 5}, false, false);
    mm("matmul 1x1", {1, 1}, {1, 1}, false, false);

    // ---- shape ops ----
    add_case("reshape", {{2, 3, 4}}, {Domain::any}, one([](const Tensor& x) {
                 return reshape(x, {4, -1});
             }));
    add_case("reshape to scalar", {{1, 1}}, {Domain::any},
             one([](const Tensor& x) { return reshape(x, Dims(std::vector<std::int64_t>{})); }));
    add_case("permute", {{2, 3, 4}}, {Domain::any}, one([](const Tensor& x) {
                 return permute(x, {2, 0, 1});
             }));
    add_case("permute 4-D", {{2, 3, 2, 2}}, {Domain::any}, one([](const Tensor& x) {
                 return permute(x, {0, 2, 3, 1});
             }));
    add_case("transpose", {{3, 4}}, {Domain::any},
             one([](const Tensor& x) { return transpose(x); }));
    add_case("flatten", {{2, 3, 2, 2}}, {Domain::any},
             one([](const Tensor& x) { return flatten(x); }));
    add_case("unsqueeze", {{3, 4}}, {Domain::any},
             one([](const Tensor& x) { return unsqueeze(x, 1); }));
    add_case("squeeze", {{3, 1, 4}}, {Domain::any},
             one([](const Tensor& x) { return squeeze(x, 1); }));
    add_case("broadcast_to", {{3, 1}}, {Domain::any}, one([](const Tensor& x) {
                 return broadcast_to(x, {2, 3, 4});
             }));
    add_case("broadcast_to from scalar", {{}}, {Domain::any}, one([](const Tensor& x) {
                 return broadcast_to(x, {2, 3});
             }));
    add_case("sum_to", {{2, 3, 4}}, {Domain::any}, one([](const Tensor& x) {
                 return sum_to(x, {3, 1});
             }));
    add_case("sum_to scalar", {{2, 3}}, {Domain::any},
             one([](const Tensor& x) { return sum_to(x, {}); }));
    add_case("slice step 2", {{3, 7}}, {Domain::any},
             one([](const Tensor& x) { return slice(x, 1, 1, 6, 2); }));
    add_case("slice negative", {{5, 2}}, {Domain::any},
             one([](const Tensor& x) { return slice(x, 0, -3, -1); }));
    add_case("slice every axis", {{4, 5, 3}}, {Domain::any}, one([](const Tensor& x) {
                 return slice(x, {1, 0, 2}, {3, 5, 3}, {1, 3, 1});
             }));
    add_case("unslice", {{2, 2}}, {Domain::any}, one([](const Tensor& x) {
                 return unslice(x, {5, 4}, {1, 0}, {2, 3});
             }));
    add_case("pad", {{2, 3, 2, 2}}, {Domain::any}, one([](const Tensor& x) {
                 return pad(x, {{0, 0}, {0, 0}, {1, 2}, {2, 1}});
             }));
    add_case("concat", {{2, 3}, {2, 1}, {2, 2}}, {Domain::any, Domain::any, Domain::any},
             [](const std::vector<Tensor>& in) { return concat(in, 1); });
    add_case("concat axis 0", {{1, 3}, {2, 3}}, {Domain::any, Domain::any},
             [](const std::vector<Tensor>& in) { return concat(in, 0); });
    add_case("stack", {{3}, {3}}, {Domain::any, Domain::any},
             [](const std::vector<Tensor>& in) { return stack(in, 1); });
    add_case("index_select", {{4, 3}}, {Domain::any}, one([](const Tensor& x) {
                 return index_select(x, 0, {3, 0, 3, 1});
             }));
    add_case("index_select axis 1", {{2, 3, 2}}, {Domain::any}, one([](const Tensor& x) {
                 return index_select(x, 1, {2, 2, 0});
             }));
    add_case("index_add", {{3, 2}}, {Domain::any}, one([](const Tensor& x) {
                 return index_add(x, 0, {1, 4, 1}, 5);
             }));

    // ---- convolution building blocks ----
    add_case("unfold 3x3", {{2, 2, 5, 5}}, {Domain::any}, one([](const Tensor& x) {
                 return unfold(x, Window{3, 3});
             }));
    add_case("unfold 3x3 stride 2 pad 1", {{1, 2, 5, 4}}, {Domain::any}, one([](const Tensor& x) {
                 return unfold(x, Window{3, 3, 2, 2, 1, 1});
             }));
    add_case("unfold 2x1", {{2, 1, 3, 3}}, {Domain::any}, one([](const Tensor& x) {
                 return unfold(x, Window{2, 1, 1, 2, 0, 0});
             }));
    add_case("fold 3x3", {{2, 18, 9}}, {Domain::any}, one([](const Tensor& x) {
                 return fold(x, 5, 5, Window{3, 3});
             }));
    add_case("fold 3x3 stride 2 pad 1", {{1, 9, 6}}, {Domain::any}, one([](const Tensor& x) {
                 return fold(x, 5, 4, Window{3, 3, 2, 2, 1, 1});
             }));

    // ---- composites ----
    add_case("logsumexp", {{3, 4}}, {Domain::any},
             one([](const Tensor& x) { return logsumexp(x, 1); }));
    add_case("log_softmax", {{3, 4}}, {Domain::any},
             one([](const Tensor& x) { return log_softmax(x, 1); }));
    add_case("softmax axis 0", {{3, 4}}, {Domain::any},
             one([](const Tensor& x) { return softmax(x, 0); }));
    add_case("mse_loss", {{3, 4}, {3, 4}}, {Domain::any, Domain::any},
             two([](const Tensor& a, const Tensor& b) { return mse_loss(a, b); }));
    add_case("quadratic_cost", {{3, 4}, {3, 4}}, {Domain::any, Domain::any},
             two([](const Tensor& a, const Tensor& b) { return quadratic_cost(a, b); }));
    add_case("cross_entropy", {{4, 5}}, {Domain::any}, one([](const Tensor& x) {
                 return cross_entropy(x, {1, 0, 4, 1});
             }));
    add_case("binary_cross_entropy_with_logits", {{3, 2}}, {Domain::any}, one([](const Tensor& x) {
                 return binary_cross_entropy_with_logits(
                     x, from_vector({1, 0, 0, 1, 1, 0}, {3, 2}, x.dtype()));
             }));
    add_case("binary_cross_entropy", {{3, 2}}, {Domain::unit}, one([](const Tensor& a) {
                 return binary_cross_entropy(a, from_vector({1, 0, 0, 1, 1, 0}, {3, 2}, a.dtype()));
             }));
    // ---- more reductions: ops/moments.hpp, ops/norms.hpp, ops/extrema.hpp, ops/scans.hpp ----
    add_case("var axes 0,2", {{3, 2, 4}}, {Domain::any}, one([](const Tensor& x) {
                 return var(x, {0, 2});
             }));
    add_case("var correction 0 keepdims", {{3, 4}}, {Domain::any},
             one([](const Tensor& x) { return var(x, {-1}, 0, true); }));
    add_case("var all", {{2, 3, 2, 2}}, {Domain::any}, one([](const Tensor& x) { return var(x); }));
    add_case("stddev axis 1", {{3, 4}}, {Domain::any},
             one([](const Tensor& x) { return stddev(x, {1}); }));
    add_case("stddev all correction 0", {{2, 3}}, {Domain::any}, one([](const Tensor& x) {
                 return stddev(x, {0, 1}, 0);
             }));
    add_case("mean axes 0,2 keepdims", {{2, 3, 4}}, {Domain::any}, one([](const Tensor& x) {
                 return mean(x, {2, 0}, true);
             }));
    add_case("vector_norm 2", {{3, 4}}, {Domain::any},
             one([](const Tensor& x) { return vector_norm(x); }));
    add_case("vector_norm 2 axis 1 keepdims", {{2, 3, 4}}, {Domain::any},
             one([](const Tensor& x) { return vector_norm(x, 2, {1}, true); }));
    add_case("vector_norm 1 axis 0", {{3, 4}}, {Domain::away_from_zero},
             one([](const Tensor& x) { return vector_norm(x, 1, {0}); }));
    add_case("vector_norm 3 axes 0,2", {{2, 3, 2, 2}}, {Domain::away_from_zero},
             one([](const Tensor& x) {
                 return vector_norm(x, 3, {0, 2});
             }));
    add_case("vector_norm 0.5", {{3, 4}}, {Domain::away_from_zero},
             one([](const Tensor& x) { return vector_norm(x, 0.5, {1}); }));
    add_case("vector_norm inf", {{3, 4}}, {Domain::away_from_zero}, one([](const Tensor& x) {
                 return vector_norm(x, std::numeric_limits<double>::infinity(), {1});
             }));
    add_case("vector_norm -inf", {{3, 4}}, {Domain::away_from_zero}, one([](const Tensor& x) {
                 return vector_norm(x, -std::numeric_limits<double>::infinity());
             }));
    add_case("frobenius_norm axes 1,2", {{2, 3, 4}}, {Domain::any}, one([](const Tensor& x) {
                 return frobenius_norm(x, {1, 2});
             }));
    add_case("amax axes 0,2", {{3, 2, 4}}, {Domain::any}, one([](const Tensor& x) {
                 return amax(x, {0, 2});
             }));
    add_case("amin axis -1 keepdims", {{3, 4}}, {Domain::any},
             one([](const Tensor& x) { return amin(x, {-1}, true); }));
    add_case("cumsum axis 0", {{4, 3}}, {Domain::any},
             one([](const Tensor& x) { return cumsum(x, 0); }));
    add_case("cumsum axis 1 of 4-D", {{2, 3, 2, 2}}, {Domain::any},
             one([](const Tensor& x) { return cumsum(x, 1); }));
    add_case("cumprod axis 1", {{3, 5}}, {Domain::any},
             one([](const Tensor& x) { return cumprod(x, 1); }));
    add_case("cumprod axis 0 of 3-D", {{4, 2, 3}}, {Domain::any},
             one([](const Tensor& x) { return cumprod(x, 0); }));
    add_case("logcumsumexp axis -1", {{3, 5}}, {Domain::any},
             one([](const Tensor& x) { return logcumsumexp(x, -1); }));
    add_case("logcumsumexp axis 0", {{4, 3}}, {Domain::any},
             one([](const Tensor& x) { return logcumsumexp(x, 0); }));
    add_case("prod axis 1", {{3, 4}}, {Domain::any},
             one([](const Tensor& x) { return prod(x, 1); }));
    add_case("prod axis 0 keepdims", {{3, 2, 2}}, {Domain::any},
             one([](const Tensor& x) { return prod(x, 0, true); }));
    add_case("prod all", {{2, 3}}, {Domain::any}, one([](const Tensor& x) { return prod(x); }));

    // ---- linear algebra (ops/linalg_decompositions.hpp) ----
    // Inputs are made well conditioned: M + 4I for a general matrix, M M^T + 3I for a positive
    // definite one, and sym(M) / 2 + diag(0, 2, 4) for a symmetric one with well separated
    // eigenvalues. Only symmetric matrices go into cholesky and the eigen-decomposition (they
    // read one triangle and their gradients are symmetric).
    {
        auto general = [](const Tensor& m) {
            return add(m, mul(eye(3, m.dtype()), full({}, 4.0, m.dtype())));
        };
        auto spd = [](const Tensor& m) {
            return add(matmul(m, m, false, true), mul(eye(3, m.dtype()), full({}, 3.0, m.dtype())));
        };
        auto separated = [](const Tensor& m) {
            return add(mul(add(m, transpose(m)), full({}, 0.25, m.dtype())),
                       from_vector({0, 0, 0, 0, 2, 0, 0, 0, 4}, {3, 3}, m.dtype()));
        };
        add_case("solve", {{3, 3}, {3, 2}}, {Domain::any, Domain::any},
                 two([general](const Tensor& a, const Tensor& b) { return solve(general(a), b); }));
        add_case("solve vector", {{3, 3}, {3}}, {Domain::any, Domain::any},
                 two([general](const Tensor& a, const Tensor& b) { return solve(general(a), b); }));
        add_case("inverse", {{3, 3}}, {Domain::any},
                 one([general](const Tensor& a) { return inverse(general(a)); }));
        add_case("det", {{3, 3}}, {Domain::any},
                 one([general](const Tensor& a) { return det(general(a)); }));
        add_case("det negative", {{3, 3}}, {Domain::any},
                 one([general](const Tensor& a) { return det(neg(general(a))); }));
        add_case("slogdet logabsdet", {{3, 3}}, {Domain::any},
                 one([general](const Tensor& a) { return slogdet(neg(general(a))).logabsdet; }));
        add_case("logdet", {{3, 3}}, {Domain::any},
                 one([spd](const Tensor& a) { return logdet(spd(a)); }));
        add_case("cholesky", {{3, 3}}, {Domain::any},
                 one([spd](const Tensor& a) { return cholesky(spd(a)); }));
        for (const bool upper : {false, true}) {
            for (const bool tr : {false, true}) {
                add_case(std::string("triangular_solve") + (upper ? " upper" : " lower") +
                             (tr ? " transposed" : ""),
                         {{3, 3}, {3, 2}}, {Domain::any, Domain::any},
                         two([general, upper, tr](const Tensor& a, const Tensor& b) {
                             return triangular_solve(general(a), b, upper, tr);
                         }));
            }
        }
        add_case("triangular_solve vector", {{3, 3}, {3}}, {Domain::any, Domain::any},
                 two([general](const Tensor& a, const Tensor& b) {
                     return triangular_solve(general(a), b, false);
                 }));
        add_case("cholesky_solve", {{3, 2}, {3, 3}}, {Domain::any, Domain::any},
                 two([general](const Tensor& b, const Tensor& l) {
                     return cholesky_solve(b, general(l));
                 }));
        add_case("eigvalsh", {{3, 3}}, {Domain::any},
                 one([separated](const Tensor& a) { return eigvalsh(separated(a)); }));
        add_case("eigh_vectors", {{3, 3}}, {Domain::any},
                 one([separated](const Tensor& a) { return eigh_vectors(separated(a)); }));
        // QR of a tall [4, 3] and a square matrix, kept well conditioned: M + 4 [I; 0].
        auto tall = [](const Tensor& m) {
            return add(m, from_vector({4, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0}, {4, 3}, m.dtype()));
        };
        add_case("qr_q", {{4, 3}}, {Domain::any},
                 one([tall](const Tensor& a) { return qr_q(tall(a)); }));
        add_case("qr_r", {{4, 3}}, {Domain::any},
                 one([tall](const Tensor& a) { return qr_r(tall(a)); }));
        add_case("qr_q square", {{3, 3}}, {Domain::any},
                 one([general](const Tensor& a) { return qr_q(general(a)); }));
        add_case("qr_r square", {{3, 3}}, {Domain::any},
                 one([general](const Tensor& a) { return qr_r(general(a)); }));
        // Singular values kept apart and away from 0: M / 2 + [diag(2, 4, 6); 0].
        auto spread = [](const Tensor& m) {
            return add(mul(m, full({}, 0.5, m.dtype())),
                       from_vector({2, 0, 0, 0, 4, 0, 0, 0, 6, 0, 0, 0}, {4, 3}, m.dtype()));
        };
        add_case("svdvals tall", {{4, 3}}, {Domain::any},
                 one([spread](const Tensor& a) { return svdvals(spread(a)); }));
        add_case("svdvals wide", {{4, 3}}, {Domain::any},
                 one([spread](const Tensor& a) { return svdvals(transpose(spread(a))); }));
        add_case("svdvals square", {{4, 3}}, {Domain::any},
                 one([spread](const Tensor& a) { return svdvals(slice(spread(a), 0, 0, 3)); }));
        // Batches [..., n, n]: the ops applied item by item.
        add_case("solve batched", {{2, 3, 3}, {2, 3, 2}}, {Domain::any, Domain::any},
                 two([general](const Tensor& a, const Tensor& b) { return solve(general(a), b); }));
        add_case("solve batched vectors", {{2, 3, 3}, {2, 3}}, {Domain::any, Domain::any},
                 two([general](const Tensor& a, const Tensor& b) { return solve(general(a), b); }));
        add_case("det batched", {{2, 3, 3}}, {Domain::any},
                 one([general](const Tensor& a) { return det(general(a)); }));
        add_case("slogdet batched", {{2, 3, 3}}, {Domain::any},
                 one([general](const Tensor& a) { return slogdet(general(a)).logabsdet; }));
        add_case("cholesky batched", {{2, 3, 3}}, {Domain::any},
                 one([spd](const Tensor& a) { return cholesky(spd(a)); }));
        add_case("triangular_solve batched", {{2, 3, 3}, {2, 3, 2}}, {Domain::any, Domain::any},
                 two([general](const Tensor& a, const Tensor& b) {
                     return triangular_solve(general(a), b, true, true);
                 }));
        add_case("cholesky_solve batched", {{2, 3}, {2, 3, 3}}, {Domain::any, Domain::any},
                 two([general](const Tensor& b, const Tensor& l) {
                     return cholesky_solve(b, general(l));
                 }));
        add_case("eigvalsh batched", {{2, 3, 3}}, {Domain::any},
                 one([separated](const Tensor& a) { return eigvalsh(separated(a)); }));
        add_case("eigh_vectors batched", {{2, 3, 3}}, {Domain::any},
                 one([separated](const Tensor& a) { return eigh_vectors(separated(a)); }));
        add_case("qr_q batched", {{2, 4, 3}}, {Domain::any},
                 one([tall](const Tensor& a) { return qr_q(tall(a)); }));
        add_case("svdvals batched", {{2, 4, 3}}, {Domain::any},
                 one([spread](const Tensor& a) { return svdvals(spread(a)); }));
    }

    // ---- indexing, rearranging and products (ops/gather_scatter.hpp, ...) ----
    add_case("gather axis 1", {{3, 4, 2}}, {Domain::any}, one([](const Tensor& x) {
                 return gather(x, 1, {3, 0, 1, 1, 2, 3, 0, 0, 3, 2, 1, 0}, {2, 3, 2});
             }));
    add_case("take_along_axis axis 0 repeats", {{3, 2}}, {Domain::any}, one([](const Tensor& x) {
                 return take_along_axis(x, {2, 2, 0, 2}, {2, 2}, 0);
             }));
    add_case("scatter_add", {{3, 4}, {2, 4}}, {Domain::any, Domain::any},
             two([](const Tensor& x, const Tensor& s) {
                 return scatter_add(x, 0, {2, 0, 2, 1, 2, 1, 0, 0}, {2, 4}, s);
             }));
    add_case("scatter", {{3, 4}, {3, 2}}, {Domain::any, Domain::any},
             two([](const Tensor& x, const Tensor& s) {
                 return scatter(x, 1, {3, 0, 1, 2, 0, 3}, {3, 2}, s);
             }));
    add_case("masked_fill", {{3, 4}}, {Domain::any},
             one([](const Tensor& x) { return masked_fill(x, gt(x, 0.2), -1.5); }));
    add_case("masked_select", {{3, 4}}, {Domain::any}, one([](const Tensor& x) {
                 return masked_select(x, from_vector({1, 0, 0, 1}, {4}, x.dtype()));
             }));
    add_case("flip", {{3, 4, 2}}, {Domain::any}, one([](const Tensor& x) {
                 return flip(x, {0, 2});
             }));
    add_case("roll", {{3, 4}}, {Domain::any}, one([](const Tensor& x) {
                 return roll(x, {1, -5}, {0, 1});
             }));
    add_case("tile", {{2, 3}}, {Domain::any}, one([](const Tensor& x) {
                 return tile(x, {2, 1, 2});
             }));
    add_case("expand", {{3, 1}}, {Domain::any}, one([](const Tensor& x) {
                 return expand(x, {2, -1, 4});
             }));
    add_case("tril -1", {{2, 3, 4}}, {Domain::any},
             one([](const Tensor& x) { return tril(x, -1); }));
    add_case("triu 1", {{4, 3}}, {Domain::any}, one([](const Tensor& x) { return triu(x, 1); }));
    add_case("diagonal 1 of axes 1, 2", {{2, 3, 4}}, {Domain::any},
             one([](const Tensor& x) { return diagonal(x, 1, 1, 2); }));
    add_case("diagonal -1 of axes 2, 0", {{3, 2, 4}}, {Domain::any},
             one([](const Tensor& x) { return diagonal(x, -1, 2, 0); }));
    add_case("diag_embed -1", {{2, 3}}, {Domain::any},
             one([](const Tensor& x) { return diag_embed(x, -1); }));
    add_case("diag of a vector", {{3}}, {Domain::any},
             one([](const Tensor& x) { return diag(x, 2); }));
    add_case("split and recombine", {{2, 7}}, {Domain::any}, one([](const Tensor& x) {
                 const auto p = split(x, 3, 1);
                 return concat({p[2] * 2.0, p[0] * p[0], p[1]}, 1);
             }));
    add_case("chunk", {{5, 2}}, {Domain::any}, one([](const Tensor& x) {
                 const auto p = chunk(x, 2, 0);
                 return p[0] * 3.0 + sum(p[1]);
             }));
    for (auto mode : {PadMode::reflect, PadMode::replicate, PadMode::circular}) {
        add_case("pad mode " + std::to_string(static_cast<int>(mode)), {{2, 3, 4}}, {Domain::any},
                 one([mode](const Tensor& x) {
                     return pad(x, {{0, 0}, {2, 1}, {3, 2}}, mode);
                 }));
    }
    add_case("pad constant 2.5", {{2, 3}}, {Domain::any}, one([](const Tensor& x) {
                 return pad(x, {{1, 0}, {0, 2}}, PadMode::constant, 2.5);
             }));
    add_case("outer", {{3}, {4}}, {Domain::any, Domain::any},
             two([](const Tensor& a, const Tensor& b) { return outer(a, b); }));
    add_case("kron", {{2, 3}, {2, 2}}, {Domain::any, Domain::any},
             two([](const Tensor& a, const Tensor& b) { return kron(a, b); }));
    add_case("tensordot", {{2, 3, 4}, {4, 3, 2}}, {Domain::any, Domain::any},
             two([](const Tensor& a, const Tensor& b) {
                 return tensordot(a, b, {1, 2}, {1, 0});
             }));
    add_case("batched_matmul broadcast", {{2, 1, 3, 4}, {3, 4, 2}}, {Domain::any, Domain::any},
             two([](const Tensor& a, const Tensor& b) { return batched_matmul(a, b); }));
    add_case("einsum bhqd,bhkd->bhqk", {{2, 2, 3, 4}, {2, 2, 2, 4}}, {Domain::any, Domain::any},
             two([](const Tensor& a, const Tensor& b) {
                 return einsum("bhqd,bhkd->bhqk", {a, b});
             }));
    add_case("einsum ij,jk->ki", {{3, 4}, {4, 2}}, {Domain::any, Domain::any},
             two([](const Tensor& a, const Tensor& b) {
                 return einsum("ij,jk->ki", {a, b});
             }));
    add_case("einsum bi,ij,bj->b", {{2, 3}, {3, 4}, {2, 4}},
             {Domain::any, Domain::any, Domain::any},
             [](const std::vector<Tensor>& in) { return einsum("bi,ij,bj->b", in); });
    add_case("sort axis 1", {{3, 5, 2}}, {Domain::any},
             one([](const Tensor& x) { return sort(x, 1).values; }));
    add_case("topk 2 smallest", {{3, 4}}, {Domain::any},
             one([](const Tensor& x) { return topk(x, 2, -1, false).values; }));
    return cases;
}

}  // namespace tgtest
