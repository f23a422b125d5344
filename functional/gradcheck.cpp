#include "functional/gradcheck.hpp"

#include <cmath>
#include <ostream>
#include <sstream>

#include <fmt/format.h>

#include "autograd/engine.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/tape.hpp"
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

// Shifts one element of an input in place for as long as it lives, then puts the exact old
// value back (also on an exception). The version counter is left alone: the values after are
// bit for bit those before, so a graph that saved the input stays valid.
class ShiftedElement {
  public:
    ShiftedElement(const Tensor& x, std::size_t j, double delta)
        : p_(const_cast<double*>(x.array<double>().data()) + j), old_(*p_) {
        *p_ = old_ + delta;
    }
    ~ShiftedElement() { *p_ = old_; }
    ShiftedElement(const ShiftedElement&) = delete;
    ShiftedElement& operator=(const ShiftedElement&) = delete;

  private:
    double* p_;
    double old_;
};

// f with element j of input i shifted by delta, as a flat vector.
std::vector<double> evaluate_shifted(const TensorFunction& f, const std::vector<Tensor>& xs,
                                     std::size_t i, std::size_t j, double delta) {
    ShiftedElement shift(xs[i], j, delta);
    return values_of(f(xs));
}

// d f / d xs[i][j] for every output element, by central differences (fourth order with
// o.richardson).
std::vector<double> numeric_derivative(const TensorFunction& f, const std::vector<Tensor>& xs,
                                       std::size_t i, std::size_t j, const GradcheckOptions& o) {
    const auto central = [&](double h) {
        const auto plus = evaluate_shifted(f, xs, i, j, h);
        const auto minus = evaluate_shifted(f, xs, i, j, -h);
        std::vector<double> d(plus.size());
        for (std::size_t k = 0; k < d.size(); ++k) d[k] = (plus[k] - minus[k]) / (2 * h);
        return d;
    };
    std::vector<double> d = central(o.eps);
    if (o.richardson) {
        const std::vector<double> wide = central(2 * o.eps);
        for (std::size_t k = 0; k < d.size(); ++k) d[k] = (4 * d[k] - wide[k]) / 3;
    }
    return d;
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

// The inputs f is called with: the caller's tensors themselves, so that a function reading them
// directly (a module's parameters) sees the perturbations. A non-leaf whose graph is gone (its
// tape was reset, or it came from another thread) cannot be recorded on; only its values count,
// so it is replaced by a leaf copy.
std::vector<Tensor> arguments(const std::vector<Tensor>& inputs) {
    std::vector<Tensor> xs = inputs;
    for (Tensor& x : xs) {
        if (x.requires_grad() && !x.is_leaf() && !Tape::current().links(x.impl()))
            x = x.detach().requires_grad_(true);
    }
    return xs;
}

}  // namespace

GradcheckReport gradcheck(const TensorFunction& f, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& o) {
    check_inputs("gradcheck", inputs);
    const std::vector<Tensor> xs = arguments(inputs);
    std::vector<std::size_t> checked;
    for (std::size_t i = 0; i < xs.size(); ++i)
        if (xs[i].requires_grad()) checked.push_back(i);
    GradcheckReport r;
    r.inputs.resize(xs.size());
    for (std::size_t i = 0; i < xs.size(); ++i) {
        r.inputs[i].name = i < o.names.size() ? o.names[i] : "input " + std::to_string(i);
        r.inputs[i].elements = xs[i].requires_grad() ? xs[i].numel() : 0;
    }
    if (checked.empty())
        throw ValueError("gradcheck: no input requires grad, so there is nothing to check");

    EnableGradGuard recording;
    const Tensor y = f(xs);
    const std::size_t n_out = y.numel();
    std::vector<Tensor> wrt;
    for (std::size_t i : checked) wrt.push_back(xs[i]);

    // Analytic: rows of J (or J^T u in fast mode), one backward each. grad() leaves the
    // inputs' .grad() alone. An input no gradient ever reaches, and whose finite differences
    // are all exactly zero, is one f does not depend on.
    std::vector<char> reached(checked.size(), 0), moved(checked.size(), 0);
    auto vjp = [&](const Tensor& u) {
        if (!y.requires_grad()) return std::vector<Tensor>(wrt.size());
        auto g = grad({y}, wrt, {u}, GradOptions().retain_graph(true).allow_unused(true));
        for (std::size_t c = 0; c < g.size(); ++c) reached[c] |= g[c].defined() ? 1 : 0;
        return g;
    };
    auto flat = [](const Tensor& t, std::size_t n) {
        return t.defined() ? t.to_vector() : std::vector<double>(n, 0.0);
    };
    auto compare = [&](std::size_t c, std::size_t j, std::size_t k, double analytic, double numeric,
                       Badness& worst) {
        moved[c] |= numeric != 0 ? 1 : 0;
        score(r, o, {checked[c], j, k, analytic, numeric}, worst);
    };

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
            const std::vector<double> av = flat(a[c], xs[i].numel());
            for (std::size_t j = 0; j < xs[i].numel(); ++j) {
                const auto d = numeric_derivative(f, xs, i, j, o);
                double num = 0;
                for (std::size_t k = 0; k < n_out; ++k) num += uv[k] * d[k];
                compare(c, j, 0, av[j], num, worst_excess);
            }
        }
    } else {
        // Whole Jacobian: analytic rows, then numeric columns.
        std::vector<std::vector<std::vector<double>>> rows(checked.size());  // [in][out][elem]
        for (std::size_t k = 0; k < n_out; ++k) {
            Tensor e = zeros_like(y);
            e.mutable_array<double>().data()[k] = 1;
            std::vector<Tensor> a;
            {
                EnableGradGuard again;
                a = vjp(e);
            }
            for (std::size_t c = 0; c < checked.size(); ++c)
                rows[c].push_back(flat(a[c], xs[checked[c]].numel()));
        }
        for (std::size_t c = 0; c < checked.size(); ++c) {
            const std::size_t i = checked[c];
            for (std::size_t j = 0; j < xs[i].numel(); ++j) {
                const auto d = numeric_derivative(f, xs, i, j, o);
                for (std::size_t k = 0; k < n_out; ++k)
                    compare(c, j, k, rows[c][k][j], d[k], worst_excess);
            }
        }
    }
    for (std::size_t c = 0; c < checked.size(); ++c) {
        GradcheckInputReport& in = r.inputs[checked[c]];
        in.unused = !reached[c] && !moved[c];
        if (in.unused && !o.allow_unused) in.passed = r.passed = false;
    }
    return r;
}

GradcheckReport gradgradcheck(const TensorFunction& f, const std::vector<Tensor>& inputs,
                              const GradcheckOptions& o) {
    check_inputs("gradgradcheck", inputs);
    const std::vector<Tensor> xs = arguments(inputs);
    std::vector<std::size_t> checked;
    for (std::size_t i = 0; i < xs.size(); ++i)
        if (xs[i].requires_grad()) checked.push_back(i);
    if (checked.empty())
        throw ValueError("gradgradcheck: no input requires grad, so there is nothing to check");
    std::vector<Tensor> wrt;
    for (std::size_t i : checked) wrt.push_back(xs[i]);

    // One first-order pass: the shape of f, and which inputs f's gradient reaches at all.
    EnableGradGuard recording;
    const Tensor y0 = f(xs);
    Generator gen(o.seed);
    const Tensor u = randn(y0.shape(), gen, kFloat64).requires_grad_(true);
    std::vector<Tensor> first(wrt.size());
    if (y0.requires_grad()) first = grad({y0}, wrt, {u.detach()}, GradOptions().allow_unused(true));

    // G(inputs..., u) = J(inputs)^T u, flattened and concatenated over the checked inputs. The
    // outer gradcheck runs it on the caller's tensors (perturbed in place), which require grad.
    const std::size_t n = xs.size();
    TensorFunction vjp_of_f = [f, n, checked](const std::vector<Tensor>& all) {
        const std::vector<Tensor> args(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n));
        EnableGradGuard recording_g;  // the outer check evaluates G under no-grad
        std::vector<Tensor> wrt_g;
        for (std::size_t i : checked) wrt_g.push_back(args[i]);
        const Tensor y = f(args);
        std::vector<Tensor> parts;
        if (y.requires_grad()) {
            const auto g =
                grad({y}, wrt_g, {all[n]}, GradOptions().create_graph(true).allow_unused(true));
            for (std::size_t c = 0; c < wrt_g.size(); ++c)
                parts.push_back(reshape(g[c].defined() ? g[c] : zeros_like(wrt_g[c]), {-1}));
        } else {
            for (const Tensor& w : wrt_g) parts.push_back(reshape(zeros_like(w), {-1}));
        }
        return concat(parts, 0);
    };
    std::vector<Tensor> all = xs;
    all.push_back(u);
    GradcheckOptions inner = o;
    if (!inner.names.empty()) inner.names.resize(n), inner.names.push_back("grad_output");
    // G is constant in an input that f is linear in: that is a zero second derivative, not an
    // unused input. Unused means f's own gradient never reaches the input either.
    inner.allow_unused = true;
    GradcheckReport r = gradcheck(vjp_of_f, all, inner);
    r.what = "gradgradcheck";
    for (std::size_t c = 0; c < checked.size(); ++c) {
        GradcheckInputReport& in = r.inputs[checked[c]];
        in.unused = in.unused && !first[c].defined();
        if (in.unused && !o.allow_unused) in.passed = r.passed = false;
    }
    r.inputs[n].unused = false;  // G is linear in u; whether f is used shows on its inputs
    return r;
}

std::string GradcheckReport::to_string() const {
    std::string s = fmt::format(
        "{} {}: {} Jacobian entries checked; max abs error {:.3g}, max rel error {:.3g}", what,
        passed ? "passed" : "FAILED", checked, max_abs_error, max_rel_error);
    const std::string& name = worst_input < inputs.size() ? inputs[worst_input].name : "?";
    s += fmt::format("\n  worst: {} element {} (output {}): analytic {:.10g}, numeric {:.10g}",
                     name, worst_element, worst_output, worst_analytic, worst_numeric);
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (!inputs[i].unused) continue;
        const std::string which = inputs[i].name == "input " + std::to_string(i)
                                      ? inputs[i].name
                                      : fmt::format("input {} ({})", i, inputs[i].name);
        s += fmt::format(
            "\n  the function does not depend on {}: no gradient reaches it and its finite "
            "differences are exactly 0, so nothing was checked for it{}",
            which,
            inputs[i].passed ? " (allowed by allow_unused)"
                             : "; if that is intended, set GradcheckOptions::allow_unused");
    }
    return s;
}

std::string GradcheckReport::table() const {
    std::string s = fmt::format("{:<28} {:>9} {:>12} {:>12}  {}\n", "input", "elements",
                                "max abs err", "max rel err", "result");
    for (const auto& in : inputs) {
        if (in.elements == 0) continue;
        s += fmt::format("{:<28} {:>9} {:>12.3g} {:>12.3g}  {}\n", in.name, in.elements,
                         in.max_abs_error, in.max_rel_error,
                         in.unused   ? (in.passed ? "unused" : "FAILED: unused")
                         : in.passed ? "ok"
                                     : "FAILED");
    }
    return s;
}

std::ostream& operator<<(std::ostream& os, const GradcheckReport& r) {
    return os << r.to_string();
}

}  // namespace tg
