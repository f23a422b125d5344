#include "functional/gradcheck.hpp"

#include <cmath>
#include <ostream>
#include <sstream>

#include <fmt/format.h>

#include "autograd/engine.hpp"
#include "autograd/grad_mode.hpp"
#include "ops/arithmetic.hpp"
#include "ops/creation.hpp"
#include "ops/random.hpp"
#include "ops/reduction.hpp"
#include "ops/shape.hpp"
#include "ops/slicing.hpp"

namespace tg {

namespace {

void check_inputs(const char* who, const std::vector<Tensor>& inputs) {
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (!inputs[i].defined())
            throw ValueError(std::string(who) + ": input " + std::to_string(i) + " is undefined");
        if (inputs[i].dtype() != kFloat64) {
            throw DTypeError(std::string(who) + ": input " + std::to_string(i) +
                             " is float32; finite differences need float64 inputs");
        }
    }
}

std::vector<double> values_of(const Tensor& t) {
    return t.to_vector();
}

// f at the inputs with element j of input i shifted by delta, as a flat vector.
std::vector<double> evaluate_shifted(const TensorFunction& f, const std::vector<Tensor>& base,
                                     std::size_t i, std::size_t j, double delta) {
    std::vector<Tensor> xs = base;
    Tensor moved = base[i].detach();
    moved.mutable_array<double>().data()[j] += delta;
    xs[i] = moved;
    return values_of(f(xs));
}

struct Entry {
    std::size_t input, element, output;
    double analytic, numeric;
};

// The worst entry is the one furthest outside the tolerance; while all pass, the one with the
// largest absolute error.
using Badness = std::pair<int, double>;  // (outside the tolerance?, by how much / abs error)

void score(GradcheckReport& r, const GradcheckOptions& o, const Entry& e, Badness& worst) {
    const double abs_err = std::abs(e.analytic - e.numeric);
    const double scale = std::max(std::abs(e.numeric), std::abs(e.analytic));
    // Relative errors of entries that are zero up to atol say nothing; leave them out.
    const double rel_err = scale > o.atol ? abs_err / scale : 0.0;
    const double excess = abs_err - (o.atol + o.rtol * std::abs(e.numeric));
    auto& in = r.inputs[e.input];
    ++r.checked;
    in.max_abs_error = std::max(in.max_abs_error, abs_err);
    in.max_rel_error = std::max(in.max_rel_error, rel_err);
    r.max_abs_error = std::max(r.max_abs_error, abs_err);
    r.max_rel_error = std::max(r.max_rel_error, rel_err);
    if (excess > 0) {
        in.passed = false;
        r.passed = false;
    }
    const Badness badness = excess > 0 ? Badness{1, excess} : Badness{0, abs_err};
    if (badness > worst) {
        worst = badness;
        r.worst_input = e.input;
        r.worst_element = e.element;
        r.worst_output = e.output;
        r.worst_analytic = e.analytic;
        r.worst_numeric = e.numeric;
    }
}

}  // namespace

GradcheckReport gradcheck(const TensorFunction& f, const std::vector<Tensor>& inputs_in,
                          const GradcheckOptions& o) {
    check_inputs("gradcheck", inputs_in);
    // Fresh leaves, so that the check neither reads nor writes the caller's gradients.
    std::vector<Tensor> inputs;
    std::vector<std::size_t> checked;
    for (std::size_t i = 0; i < inputs_in.size(); ++i) {
        const bool wants = inputs_in[i].requires_grad();
        inputs.push_back(inputs_in[i].detach().requires_grad_(wants));
        if (wants) checked.push_back(i);
    }
    GradcheckReport r;
    r.inputs.resize(inputs.size());
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        r.inputs[i].name = i < o.names.size() ? o.names[i] : "input " + std::to_string(i);
        r.inputs[i].elements = inputs[i].requires_grad() ? inputs[i].numel() : 0;
    }
    if (checked.empty())
        throw ValueError("gradcheck: no input requires grad, so there is nothing to check");

    EnableGradGuard recording;
    const Tensor y = f(inputs);
    const std::size_t n_out = y.numel();
    std::vector<Tensor> wrt;
    for (std::size_t i : checked) wrt.push_back(inputs[i]);

    // Analytic: rows of J (or J^T u in fast mode), one backward each.
    auto vjp = [&](const Tensor& u) {
        if (!y.requires_grad()) return std::vector<Tensor>(wrt.size());
        return grad({y}, wrt, {u}, GradOptions().retain_graph(true).allow_unused(true));
    };
    auto flat = [](const Tensor& t, std::size_t n) {
        return t.defined() ? t.to_vector() : std::vector<double>(n, 0.0);
    };

    std::vector<Tensor> base;
    for (const Tensor& x : inputs) base.push_back(x.detach());
    NoGradGuard numeric_mode;  // the numeric side records nothing
    Badness worst_excess{-1, 0.0};

    if (o.fast) {
        Generator gen(o.seed);
        const Tensor u = randn(y.shape(), gen, kFloat64);
        std::vector<Tensor> a;
        {
            EnableGradGuard again;
            a = vjp(u);
        }
        const std::vector<double> uv = u.to_vector();
        for (std::size_t c = 0; c < checked.size(); ++c) {
            const std::size_t i = checked[c];
            const std::vector<double> av = flat(a[c], inputs[i].numel());
            for (std::size_t j = 0; j < inputs[i].numel(); ++j) {
                const auto plus = evaluate_shifted(f, base, i, j, o.eps);
                const auto minus = evaluate_shifted(f, base, i, j, -o.eps);
                double num = 0;
                for (std::size_t k = 0; k < n_out; ++k) num += uv[k] * (plus[k] - minus[k]);
                score(r, o, {i, j, 0, av[j], num / (2 * o.eps)}, worst_excess);
            }
        }
        return r;
    }

    // Whole Jacobian: analytic rows, then numeric columns.
    std::vector<std::vector<std::vector<double>>> rows(checked.size());  // [input][output][element]
    for (std::size_t k = 0; k < n_out; ++k) {
        Tensor e = zeros_like(y);
        e.mutable_array<double>().data()[k] = 1;
        std::vector<Tensor> a;
        {
            EnableGradGuard again;
            a = vjp(e);
        }
        for (std::size_t c = 0; c < checked.size(); ++c)
            rows[c].push_back(flat(a[c], inputs[checked[c]].numel()));
    }
    for (std::size_t c = 0; c < checked.size(); ++c) {
        const std::size_t i = checked[c];
        for (std::size_t j = 0; j < inputs[i].numel(); ++j) {
            const auto plus = evaluate_shifted(f, base, i, j, o.eps);
            const auto minus = evaluate_shifted(f, base, i, j, -o.eps);
            for (std::size_t k = 0; k < n_out; ++k) {
                const double num = (plus[k] - minus[k]) / (2 * o.eps);
                score(r, o, {i, j, k, rows[c][k][j], num}, worst_excess);
            }
        }
    }
    return r;
}

GradcheckReport gradgradcheck(const TensorFunction& f, const std::vector<Tensor>& inputs,
                              const GradcheckOptions& o) {
    check_inputs("gradgradcheck", inputs);
    std::vector<std::size_t> checked;
    for (std::size_t i = 0; i < inputs.size(); ++i)
        if (inputs[i].requires_grad()) checked.push_back(i);
    if (checked.empty())
        throw ValueError("gradgradcheck: no input requires grad, so there is nothing to check");

    Tensor y0;
    {
        NoGradGuard shape_only;
        std::vector<Tensor> plain;
        for (const Tensor& x : inputs) plain.push_back(x.detach());
        y0 = f(plain);
    }
    Generator gen(o.seed);
    const Tensor u = randn(y0.shape(), gen, kFloat64).requires_grad_(true);

    // G(inputs..., u) = J(inputs)^T u, flattened and concatenated over the checked inputs.
    const std::size_t n = inputs.size();
    TensorFunction vjp_of_f = [f, n, checked](const std::vector<Tensor>& xs) {
        std::vector<Tensor> args(xs.begin(), xs.begin() + static_cast<std::ptrdiff_t>(n));
        EnableGradGuard recording;
        // The outer gradcheck evaluates G under no-grad for finite differences, but G itself
        // needs a tape: give every argument a gradient-requiring alias if it lacks one.
        std::vector<Tensor> wrt;
        for (std::size_t i : checked) {
            if (!args[i].requires_grad()) args[i] = args[i].detach().requires_grad_(true);
            wrt.push_back(args[i]);
        }
        const Tensor y = f(args);
        std::vector<Tensor> parts;
        if (y.requires_grad()) {
            const auto g =
                grad({y}, wrt, {xs[n]}, GradOptions().create_graph(true).allow_unused(true));
            for (std::size_t c = 0; c < wrt.size(); ++c)
                parts.push_back(reshape(g[c].defined() ? g[c] : zeros_like(wrt[c]), {-1}));
        } else {
            for (const Tensor& w : wrt) parts.push_back(reshape(zeros_like(w), {-1}));
        }
        return concat(parts, 0);
    };
    std::vector<Tensor> all(inputs.begin(), inputs.end());
    all.push_back(u);
    GradcheckOptions inner = o;
    if (!inner.names.empty()) inner.names.resize(n), inner.names.push_back("grad_output");
    GradcheckReport r = gradcheck(vjp_of_f, all, inner);
    r.what = "gradgradcheck";
    return r;
}

std::string GradcheckReport::to_string() const {
    std::string s = fmt::format(
        "{} {}: {} Jacobian entries checked; max abs error {:.3g}, max rel error {:.3g}", what,
        passed ? "passed" : "FAILED", checked, max_abs_error, max_rel_error);
    const std::string& name = worst_input < inputs.size() ? inputs[worst_input].name : "?";
    s += fmt::format("\n  worst: {} element {} (output {}): analytic {:.10g}, numeric {:.10g}",
                     name, worst_element, worst_output, worst_analytic, worst_numeric);
    return s;
}

std::string GradcheckReport::table() const {
    std::string s = fmt::format("{:<28} {:>9} {:>12} {:>12}  {}\n", "input", "elements",
                                "max abs err", "max rel err", "result");
    for (const auto& in : inputs) {
        if (in.elements == 0) continue;
        s += fmt::format("{:<28} {:>9} {:>12.3g} {:>12.3g}  {}\n", in.name, in.elements,
                         in.max_abs_error, in.max_rel_error, in.passed ? "ok" : "FAILED");
    }
    return s;
}

std::ostream& operator<<(std::ostream& os, const GradcheckReport& r) {
    return os << r.to_string();
}

}  // namespace tg
