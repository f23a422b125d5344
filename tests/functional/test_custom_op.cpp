// User-defined ops, written here exactly as a user writes them in their own code (public
// headers only): they work in backward, grad of grad, both HVP modes, jvp, gradcheck,
// gradgradcheck and graph export, and mistakes in their rules give clear errors. Expected
// values are closed forms evaluated with plain loops in this file.

#include <cmath>
#include <cstdint>

#include <xtensor/xmath.hpp>
#include <xtensor/xreducer.hpp>

#include "../helpers.hpp"

using namespace tgtest;
using namespace tg;

namespace {

// ---- swish(x, beta) = x sigmoid(beta x), beta broadcast against x -----------------------------
// With s = sigmoid(beta x) and s' = s (1 - s): dy/dx = s + beta x s', dy/dbeta = x^2 s'.

int g_swish_dx = 0, g_swish_dbeta = 0;  // how often the vjp computed each gradient

Tensor swish_slope(const Tensor& x, const Tensor& b, Tensor* ds_out) {
    const Tensor s = sigmoid(b * x);
    const Tensor ds = s * (1.0 - s);
    *ds_out = ds;
    return s + b * x * ds;
}

void swish_vjp(const OpCall& c, const Tensor& g, Tensor* gi) {
    const Tensor& x = c.in(0);
    const Tensor& b = c.in(1);
    Tensor ds;
    const Tensor dx = swish_slope(x, b, &ds);
    if (c.needs_grad(0)) {
        ++g_swish_dx;
        gi[0] = sum_to(g * dx, x.shape());
    }
    if (c.needs_grad(1)) {
        ++g_swish_dbeta;
        gi[1] = sum_to(g * square(x) * ds, b.shape());
    }
}

Tensor swish_jvp(const OpCall& c, const Tensor* t) {
    const Tensor& x = c.in(0);
    const Tensor& b = c.in(1);
    Tensor ds;
    const Tensor dx = swish_slope(x, b, &ds);
    Tensor r;
    if (t[0].defined()) r = t[0] * dx;
    if (t[1].defined()) r = add_defined(r, t[1] * square(x) * ds);
    return r.defined() ? broadcast_to(r, c.out().shape()) : r;
}

const OpDef kSwish{"swish", swish_vjp, swish_jvp};

Tensor swish_values(const Tensor& x, const Tensor& beta) {
    return map_elements(
        "swish",
        [](auto v, auto b) {
            using T = decltype(v);
            return v / (T(1) + std::exp(-b * v));
        },
        x, beta);
}

Tensor swish(const Tensor& x, const Tensor& beta) {
    return record(kSwish, swish_values(x, beta), {x, beta});
}

// The closed forms, in doubles.
double sig(double u) {
    return 1 / (1 + std::exp(-u));
}
struct SwishDerivatives {
    double f, fx, fb, fxx, fxb, fbb;
};
SwishDerivatives swish_closed(double x, double b) {
    const double s = sig(b * x), s1 = s * (1 - s), s2 = s1 * (1 - 2 * s);
    return {x * s,
            s + b * x * s1,
            x * x * s1,
            2 * b * s1 + b * b * x * s2,
            2 * x * s1 + b * x * x * s2,
            x * x * x * s2};
}

// ---- rms_norm(x; axis, eps) = x / sqrt(mean(x^2 over axis) + eps): attributes -------------
// With r = (mean(x^2) + eps)^(-1/2): J = r I - r^3 x x^T / n (symmetric), so the vjp and the
// jvp have the same form: r u - x r^3 mean(x u).

Tensor rms_derivative(const OpCall& c, const Tensor& u) {
    const Tensor& x = c.in(0);
    const Dims axis{c.ints(0)};
    const Tensor r = pow(mean(square(x), axis, true) + c.scalar(), -0.5);
    return r * u - x * pow(r, 3.0) * mean(x * u, axis, true);
}

const OpDef kRmsNorm{
    "rms_norm", [](const OpCall& c, const Tensor& g, Tensor* gi) { gi[0] = rms_derivative(c, g); },
    [](const OpCall& c, const Tensor* t) { return rms_derivative(c, t[0]); }};

Tensor rms_norm(const Tensor& x, std::int64_t axis, double eps) {
    const auto ax = static_cast<std::size_t>(axis);
    Tensor y = map_arrays(
        "rms_norm",
        [&](const auto& a) {
            using T = typename std::decay_t<decltype(a)>::value_type;
            const xt::xarray<T> ms = xt::mean(a * a, {ax}, xt::keep_dims) + static_cast<T>(eps);
            return xt::xarray<T>(a / xt::sqrt(ms));  // evaluated here: ms is a local
        },
        x);
    return record(kRmsNorm, std::move(y), {x}, Attrs({axis}, eps));
}

// ---- floor: declared non-differentiable ----------------------------------------------------
const OpDef kFloor = non_differentiable("floor");

Tensor floor_op(const Tensor& x) {
    return record(kFloor,
                  map_elements(
                      "floor", [](auto v) { return std::floor(v); }, x),
                  {x});
}

// ---- ops with mistakes in their rules ------------------------------------------------------
// Forgets to sum the broadcast beta's gradient back to beta's shape.
const OpDef kSwishNoSumTo{"swish_without_sum_to",
                          [](const OpCall& c, const Tensor& g, Tensor* gi) {
                              Tensor ds;
                              const Tensor dx = swish_slope(c.in(0), c.in(1), &ds);
                              if (c.needs_grad(0)) gi[0] = g * dx;
                              if (c.needs_grad(1)) gi[1] = g * square(c.in(0)) * ds;
                          },
                          swish_jvp};

// Its jvp sums the tangent to a scalar.
const OpDef kSwishBadJvp{"swish_bad_jvp", swish_vjp,
                         [](const OpCall& c, const Tensor* t) { return sum(swish_jvp(c, t)); }};

// Its vjp forgets the beta x s' term of dy/dx: wrong, and only gradcheck can tell.
const OpDef kSwishWrongRule{"swish_wrong_rule",
                            [](const OpCall& c, const Tensor& g, Tensor* gi) {
                                const Tensor s = sigmoid(c.in(1) * c.in(0));
                                if (c.needs_grad(0)) gi[0] = sum_to(g * s, c.in(0).shape());
                                if (c.needs_grad(1))
                                    gi[1] = sum_to(g * square(c.in(0)) * s * (1.0 - s),
                                                   c.in(1).shape());
                            },
                            swish_jvp};

// A reverse-only op: a vjp, no jvp.
const OpDef kSwishReverseOnly{"swish_reverse_only", swish_vjp, nullptr};

Tensor swish_with(const OpDef& op, const Tensor& x, const Tensor& beta) {
    return record(op, swish_values(x, beta), {x, beta});
}

Tensor vec(std::vector<double> v, const Shape& shape) {
    return from_vector(v, shape, kFloat64);
}

}  // namespace

TEST_CASE("a user op's forward runs in float and double from one generic lambda", "[custom_op]") {
    Generator gen(11);
    const Tensor x = sample({4, 3}, Domain::any, gen);
    const Tensor b3 = sample({3}, Domain::positive, gen);
    const Tensor b0 = scalar_tensor(1.7, kFloat64);
    for (DType dtype : {kFloat64, kFloat32}) {
        INFO(dtype_name(dtype));
        const Tensor xd = to_dtype(x, dtype);
        for (const Tensor& b : {b3, b0}) {
            const Tensor y = swish(xd, to_dtype(b, dtype));
            REQUIRE(y.dtype() == dtype);
            REQUIRE(y.shape() == Shape{4, 3});
            const auto xv = x.to_vector(), bv = b.to_vector();
            std::vector<double> expect;
            for (std::size_t i = 0; i < 12; ++i)
                expect.push_back(swish_closed(xv[i], bv.size() == 1 ? bv[0] : bv[i % 3]).f);
            require_close(y, expect, dtype == kFloat64 ? 1e-15 : 1e-6, 0, "swish");
        }
    }
}

TEST_CASE("backward through a user op gives the closed-form gradients", "[custom_op]") {
    Generator gen(12);
    const Tensor x = leaf({4, 3}, Domain::any, gen);
    const Tensor b = leaf({3}, Domain::positive, gen);
    const Tensor w = sample({4, 3}, Domain::any, gen);
    sum(w * swish(x, b)).backward();
    const auto xv = x.to_vector(), bv = b.to_vector(), wv = w.to_vector();
    std::vector<double> gx(12), gb(3, 0.0);
    for (std::size_t i = 0; i < 12; ++i) {
        const auto d = swish_closed(xv[i], bv[i % 3]);
        gx[i] = wv[i] * d.fx;
        gb[i % 3] += wv[i] * d.fb;  // beta was broadcast over the rows: summed back
    }
    require_close(x.grad(), gx, 1e-14, 1e-13, "dL/dx");
    require_close(b.grad(), gb, 1e-14, 1e-13, "dL/dbeta");
}

TEST_CASE("a user vjp is asked only for the gradients that are needed", "[custom_op]") {
    Generator gen(13);
    const Tensor x = leaf({5}, Domain::any, gen);
    const Tensor b_const = sample({5}, Domain::positive, gen);  // does not require grad
    g_swish_dx = g_swish_dbeta = 0;
    sum(swish(x, b_const)).backward();
    CHECK(g_swish_dx == 1);
    CHECK(g_swish_dbeta == 0);

    const Tensor x_const = sample({5}, Domain::any, gen);
    const Tensor b = leaf({}, Domain::positive, gen);
    g_swish_dx = g_swish_dbeta = 0;
    const Tensor gb = grad({sum(swish(x_const, b))}, {b})[0];
    CHECK(g_swish_dx == 0);
    CHECK(g_swish_dbeta == 1);
    double expect = 0;
    for (double xi : x_const.to_vector()) expect += swish_closed(xi, b.item()).fb;
    require_close(gb, {expect}, 1e-14, 1e-13);
}

TEST_CASE("grad of grad through a user op gives the closed-form second derivatives",
          "[custom_op][higher-order]") {
    Generator gen(14);
    const Tensor x = leaf({6}, Domain::any, gen);
    const Tensor b = leaf({}, Domain::positive, gen);
    const auto opts = GradOptions().create_graph(true);
    const auto g = grad({sum(swish(x, b))}, {x, b}, {}, opts);
    // d/dx of sum(dL/dx) = f_xx (diagonal Hessian); d/dbeta of dL/dbeta = sum f_bb.
    const auto gxx = grad({sum(g[0])}, {x, b}, {}, opts);
    const Tensor gbb = grad({g[1]}, {b})[0];
    const auto xv = x.to_vector();
    std::vector<double> fxx, fxb(1, 0.0), fbb(1, 0.0);
    for (double xi : xv) {
        const auto d = swish_closed(xi, b.item());
        fxx.push_back(d.fxx);
        fxb[0] += d.fxb;
        fbb[0] += d.fbb;
    }
    require_close(gxx[0], fxx, 1e-13, 1e-12, "d2L/dx2");
    require_close(gxx[1], fxb, 1e-13, 1e-12, "d2L/dx dbeta");
    require_close(gbb, fbb, 1e-13, 1e-12, "d2L/dbeta2");
    // A third derivative exists too (the rules' own ops are differentiable): d/dbeta of
    // sum(d2L/dx2) agrees with central differences of the closed form.
    const Tensor gxx_again = grad({sum(swish(x, b))}, {x}, {}, opts)[0];
    const Tensor h_diag = grad({sum(gxx_again)}, {x}, {}, opts)[0];
    const Tensor third = grad({sum(h_diag)}, {b})[0];
    const double e = 1e-5;
    double fd = 0;
    for (double xi : xv)
        fd += (swish_closed(xi, b.item() + e).fxx - swish_closed(xi, b.item() - e).fxx) / (2 * e);
    require_close(third, {fd}, 1e-7, 1e-6, "d3L/dx2 dbeta");
}

TEST_CASE("Hessian-vector products through a user op, in both modes", "[custom_op][hvp]") {
    Generator gen(15);
    const std::size_t n = 5;
    const Tensor x = leaf({n}, Domain::any, gen);
    const Tensor b = leaf({}, Domain::positive, gen);
    const Tensor vx = sample({n}, Domain::any, gen);
    const Tensor vb = scalar_tensor(0.7, kFloat64);
    auto loss = [&] { return sum(swish(x, b)); };
    // H = [[diag(f_xx), f_xb], [f_xb^T, sum f_bb]].
    const auto xv = x.to_vector(), vxv = vx.to_vector();
    std::vector<double> hx(n), hb(1, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
        const auto d = swish_closed(xv[i], b.item());
        hx[i] = d.fxx * vxv[i] + d.fxb * 0.7;
        hb[0] += d.fxb * vxv[i] + d.fbb * 0.7;
    }
    for (auto mode : {HvpMode::reverse_over_reverse, HvpMode::forward_over_reverse}) {
        INFO("mode " << static_cast<int>(mode));
        const auto hv = hvp(loss, {x, b}, {vx, vb}, mode);
        require_close(hv[0], hx, 1e-13, 1e-12, "(Hv)_x");
        require_close(hv[1], hb, 1e-13, 1e-12, "(Hv)_beta");
    }
    HessianVectorProduct H(loss, {x, b});
    const auto hv = H({vx, vb});
    require_close(hv[0], hx, 1e-13, 1e-12, "HessianVectorProduct x");
    require_close(hv[1], hb, 1e-13, 1e-12, "HessianVectorProduct beta");
}

TEST_CASE("forward mode through a user op, with and without every tangent", "[custom_op][jvp]") {
    Generator gen(16);
    const Tensor x = sample({2, 3}, Domain::any, gen);
    const Tensor b = sample({3}, Domain::positive, gen);
    const Tensor tx = sample({2, 3}, Domain::any, gen);
    const Tensor tb = sample({3}, Domain::any, gen);
    const auto xv = x.to_vector(), bv = b.to_vector(), txv = tx.to_vector(), tbv = tb.to_vector();
    auto expected = [&](bool with_x, bool with_b) {
        std::vector<double> e(6);
        for (std::size_t i = 0; i < 6; ++i) {
            const auto d = swish_closed(xv[i], bv[i % 3]);
            e[i] = (with_x ? d.fx * txv[i] : 0) + (with_b ? d.fb * tbv[i % 3] : 0);
        }
        return e;
    };
    const JvpResult both =
        jvp([](const std::vector<Tensor>& in) { return swish(in[0], in[1]); }, {x, b}, {tx, tb});
    require_close(both.tangent, expected(true, true), 1e-14, 1e-13, "both tangents");
    {
        DualGuard only_x({x}, {tx});  // beta has no tangent: the rule sees an undefined one
        require_close(swish(x, b).tangent(), expected(true, false), 1e-14, 1e-13, "x only");
    }
    {
        DualGuard only_b({b}, {tb});  // the tangent from beta [3] must broadcast to [2, 3]
        const Tensor t = swish(x, b).tangent();
        REQUIRE(t.shape() == Shape{2, 3});
        require_close(t, expected(false, true), 1e-14, 1e-13, "beta only");
    }
    CHECK_FALSE(swish(x, b).tangent().defined());  // no tangents anywhere: none out
}

TEST_CASE("gradcheck and gradgradcheck pass for user ops", "[custom_op][gradcheck]") {
    Generator gen(17);
    const Tensor x = leaf({3, 4}, Domain::any, gen);
    const Tensor b4 = leaf({4}, Domain::positive, gen);
    const Tensor b0 = leaf({}, Domain::positive, gen);
    const Tensor w = sample({4, 2}, Domain::any, gen);
    // Each case gets only the inputs it uses: an unused one would fail the check.
    struct Case {
        std::string name;
        TensorFunction f;
        std::vector<Tensor> inputs;
    };
    const std::vector<Case> cases = {
        {"swish, beta per column",
         [](const std::vector<Tensor>& in) { return swish(in[0], in[1]); },
         {x, b4}},
        {"swish, scalar beta",
         [](const std::vector<Tensor>& in) { return swish(in[0], in[1]); },
         {x, b0}},
        {"rms_norm axis 1",
         [](const std::vector<Tensor>& in) { return rms_norm(in[0], 1, 1e-3); },
         {x}},
        {"rms_norm axis 0",
         [](const std::vector<Tensor>& in) { return rms_norm(in[0], 0, 0.5); },
         {x}},
        {"composite",
         [&](const std::vector<Tensor>& in) {
             return log_softmax(matmul(rms_norm(swish(in[0], in[1]), 1, 1e-2), w) * in[2], 1);
         },
         {x, b4, b0}}};
    for (const auto& [name, f, inputs] : cases) {
        INFO(name);
        const GradcheckReport first = gradcheck(f, inputs);
        INFO(first.to_string());
        CHECK(first.passed);
        CHECK(first.checked > 0);
        const GradcheckReport second = gradgradcheck(f, inputs);
        INFO(second.to_string());
        CHECK(second.passed);
        CHECK(second.checked > 0);
    }
}

TEST_CASE("gradcheck finds a wrong rule in a user op", "[custom_op][gradcheck]") {
    Generator gen(18);
    const Tensor x = leaf({5}, Domain::any, gen);
    const Tensor b = leaf({}, Domain::positive, gen);
    const GradcheckReport r = gradcheck(
        [](const std::vector<Tensor>& in) { return swish_with(kSwishWrongRule, in[0], in[1]); },
        {x, b});
    CHECK_FALSE(r.passed);
    CHECK(r.worst_input == 0);  // the x rule is the wrong one
    CHECK_FALSE(r.inputs.at(0).passed);
    CHECK(r.inputs.at(1).passed);
}

TEST_CASE("rms_norm: attributes reach the forward and both rules", "[custom_op]") {
    Generator gen(19);
    const Tensor x = leaf({2, 3}, Domain::any, gen);
    const Tensor u = sample({2, 3}, Domain::any, gen);
    const double eps = 0.25;
    const auto xv = x.to_vector(), uv = u.to_vector();
    for (std::int64_t axis : {0, 1}) {
        INFO("axis " << axis);
        // Plain loops: groups are the rows (axis 1) or the columns (axis 0).
        std::vector<double> y(6), vjp(6);
        for (std::size_t grp = 0; grp < (axis == 1 ? 2u : 3u); ++grp) {
            std::vector<std::size_t> idx;
            for (std::size_t k = 0; k < (axis == 1 ? 3u : 2u); ++k)
                idx.push_back(axis == 1 ? grp * 3 + k : k * 3 + grp);
            double ms = 0, xu = 0;
            for (auto i : idx) {
                ms += xv[i] * xv[i] / idx.size();
                xu += xv[i] * uv[i] / idx.size();
            }
            const double r = 1 / std::sqrt(ms + eps);
            for (auto i : idx) {
                y[i] = xv[i] * r;
                vjp[i] = r * uv[i] - xv[i] * r * r * r * xu;
            }
        }
        const Tensor out = rms_norm(x, axis, eps);
        require_close(out, y, 1e-15, 1e-14, "forward");
        require_close(grad({out}, {x}, {u})[0], vjp, 1e-15, 1e-13, "vjp");
        const Tensor xc = x.detach();
        DualGuard dual({xc}, {u});
        require_close(rms_norm(xc, axis, eps).tangent(), vjp, 1e-15, 1e-13, "jvp (J symmetric)");
    }
}

TEST_CASE("the graph export shows a user op by its name", "[custom_op][graph]") {
    Generator gen(20);
    const Tensor x = leaf({4, 3}, Domain::any, gen);
    Tensor b = leaf({3}, Domain::positive, gen);
    b.set_name("act.beta");
    const Tensor y = sum(rms_norm(swish(x, b), 1, 1e-3));
    const std::string dot = to_dot({y});
    CHECK(dot.find("swish\\nfloat64 [4, 3]") != std::string::npos);
    CHECK(dot.find("rms_norm\\nfloat64 [4, 3]") != std::string::npos);
    CHECK(dot.find("act.beta") != std::string::npos);
    // A non-differentiable op records nothing: its result enters as a constant.
    const Tensor z = sum(x * floor_op(x));
    const std::string dot2 = to_dot({z});
    CHECK(dot2.find("floor") == std::string::npos);
    CHECK(dot2.find("const\\nfloat64 [4, 3]") != std::string::npos);
}

TEST_CASE("a vjp that returns a gradient of the wrong shape: GraphError naming op and shapes",
          "[custom_op][errors]") {
    const Tensor x = vec({0.5, -1.0, 2.0, 0.1, 0.2, 0.3}, {2, 3}).requires_grad_();
    const Tensor b = scalar_tensor(1.5, kFloat64).requires_grad_();
    const Tensor y = sum(swish_with(kSwishNoSumTo, x, b));
    require_throws<GraphError>([&] { y.backward(); },
                               {"swish_without_sum_to", "input 1", "float64[2, 3]", "float64[]"});
    // With a beta of x's shape, nothing needs summing and the same rule is right.
    const Tensor b_full = full({2, 3}, 1.5, kFloat64).requires_grad_();
    sum(swish_with(kSwishNoSumTo, x, b_full)).backward();
    CHECK(b_full.grad().shape() == Shape{2, 3});
}

TEST_CASE("a jvp that returns a tangent of the wrong shape: GraphError naming op and shapes",
          "[custom_op][errors]") {
    const Tensor x = vec({0.5, -1.0, 2.0}, {3});
    const Tensor b = scalar_tensor(1.5, kFloat64);
    DualGuard dual({x}, {ones({3}, kFloat64)});
    require_throws<GraphError>([&] { swish_with(kSwishBadJvp, x, b); },
                               {"swish_bad_jvp", "float64[]", "float64[3]"});
}

TEST_CASE("a reverse-only user op: reverse mode works, forward mode refuses clearly",
          "[custom_op][errors]") {
    Generator gen(21);
    const Tensor x = leaf({4}, Domain::any, gen);
    const Tensor b = leaf({}, Domain::positive, gen);
    auto loss = [&] { return sum(swish_with(kSwishReverseOnly, x, b)); };
    const Tensor v = ones({4}, kFloat64), vb = scalar_tensor(0.0, kFloat64);
    const auto reverse = hvp(loss, {x, b}, {v, vb}, HvpMode::reverse_over_reverse);
    std::vector<double> expect;
    for (double xi : x.to_vector()) expect.push_back(swish_closed(xi, b.item()).fxx);
    require_close(reverse[0], expect, 1e-13, 1e-12, "reverse-over-reverse");
    require_throws<GraphError>(
        [&] {
            hvp(loss, {x, b}, {v, vb}, HvpMode::forward_over_reverse);
        },
        {"swish_reverse_only", "no jvp rule"});
    require_throws<GraphError>(
        [&] {
            jvp(
                [](const std::vector<Tensor>& in) {
                    return swish_with(kSwishReverseOnly, in[0], in[1]);
                },
                {x.detach(), b.detach()}, {v, vb});
        },
        {"swish_reverse_only", "no jvp rule"});
}

TEST_CASE("a non-differentiable user op gives a constant", "[custom_op]") {
    CHECK_FALSE(is_differentiable(kFloor));
    CHECK(is_differentiable(kSwish));
    const Tensor x = vec({0.5, -1.25, 2.75}, {3}).requires_grad_();
    const Tensor f = floor_op(x);
    CHECK_FALSE(f.requires_grad());
    require_close(f, {0.0, -2.0, 2.0}, 0);
    // x - floor(x): the gradient flows through x only.
    sum(x - floor_op(x)).backward();
    require_close(x.grad(), {1.0, 1.0, 1.0}, 0);
    require_throws<GraphError>([&] { sum(floor_op(x)).backward(); }, {"does not require grad"});
    // Forward mode: no tangent comes out of it, and none is needed.
    const JvpResult r = jvp([](const std::vector<Tensor>& in) { return in[0] - floor_op(in[0]); },
                            {x.detach()}, {vec({1, 2, 3}, {3})});
    require_close(r.tangent, {1, 2, 3}, 0);
}

TEST_CASE("the array helpers name the op in their errors", "[custom_op][errors]") {
    const Tensor a = zeros({2, 3}, kFloat64);
    require_throws<DTypeError>([&] { swish_values(a, zeros({3}, kFloat32)); },
                               {"swish", "float64", "float32"});
    require_throws<ShapeError>([&] { swish_values(a, zeros({2}, kFloat64)); },
                               {"swish", "[2, 3]", "[2]", "broadcast"});
    require_throws<ValueError>([&] { swish_values(a, Tensor()); }, {"swish", "input 1"});
    // Three inputs with broadcasting, and shapes of rank 0.
    const Tensor r = map_elements(
        "fma", [](auto p, auto q, auto s) { return p * q + s; }, vec({1, 2}, {2, 1}),
        vec({10, 20, 30}, {3}), scalar_tensor(0.5, kFloat64));
    REQUIRE(r.shape() == Shape{2, 3});
    require_close(r, {10.5, 20.5, 30.5, 20.5, 40.5, 60.5}, 0);
    CHECK(broadcast_shape("op", {Shape{}, Shape{}}) == Shape{});
    CHECK(broadcast_shape("op", {Shape{4, 1, 3}, Shape{5, 1}}) == Shape{4, 5, 3});
    CHECK(dispatch_dtype(kFloat32, [](auto t) { return sizeof(t); }) == sizeof(float));
    CHECK(dispatch_dtype(kFloat64, [](auto t) { return sizeof(t); }) == sizeof(double));
    CHECK_FALSE(add_defined(Tensor(), Tensor()).defined());
    require_close(add_defined(Tensor(), vec({2}, {1})), {2}, 0);
    require_close(add_defined(vec({1}, {1}), vec({2}, {1})), {3}, 0);
}
