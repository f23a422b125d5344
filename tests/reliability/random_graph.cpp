#include "random_graph.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <numeric>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include <fmt/format.h>

namespace tgtest::fuzz {

using tg::Shape;
using tg::Tensor;
using Values = std::vector<Tensor>;

namespace {

// Elementwise ops of one tensor, one line each. The name is the tg:: function's (the program
// prints it); the domain says what the generator does to x first.
enum class Domain {
    reals,         // any x
    positive,      // x >= 0.1, else softplus(x) + 0.1
    kink_at_zero,  // |x| >= kKinkMargin, else x + c
};
struct UnaryOp {
    const char* name;
    Tensor (*f)(const Tensor&);
    Domain domain;
};
// clang-format off
const UnaryOp kUnaryOps[] = {
    {"neg", tg::neg, Domain::reals},
    {"exp", tg::exp, Domain::reals},
    {"log", tg::log, Domain::positive},
    {"sqrt", tg::sqrt, Domain::positive},
    {"sin", tg::sin, Domain::reals},
    {"cos", tg::cos, Domain::reals},
    {"tanh", tg::tanh, Domain::reals},
    {"sigmoid", tg::sigmoid, Domain::reals},
    {"softplus", tg::softplus, Domain::reals},
    {"abs", tg::abs, Domain::kink_at_zero},
    {"relu", tg::relu, Domain::kink_at_zero},
    {"atan", tg::atan, Domain::reals},
    {"sinh", tg::sinh, Domain::reals},
    {"cosh", tg::cosh, Domain::reals},
    {"asinh", tg::asinh, Domain::reals},
    {"erf", tg::erf, Domain::reals},
    {"erfc", tg::erfc, Domain::reals},
    {"expm1", tg::expm1, Domain::reals},
    {"exp2", tg::exp2, Domain::reals},
    {"log1p", tg::log1p, Domain::positive},
    {"log2", tg::log2, Domain::positive},
    {"log10", tg::log10, Domain::positive},
    {"reciprocal", tg::reciprocal, Domain::positive},
    {"rsqrt", tg::rsqrt, Domain::positive},
    {"lgamma", tg::lgamma, Domain::positive},
    {"digamma", tg::digamma, Domain::positive},
    {"gelu", [](const Tensor& x) { return tg::gelu(x); }, Domain::reals},
    {"silu", tg::silu, Domain::reals},
    {"mish", tg::mish, Domain::reals},
    {"elu", [](const Tensor& x) { return tg::elu(x); }, Domain::kink_at_zero},
    {"selu", tg::selu, Domain::kink_at_zero},
    {"logsigmoid", tg::logsigmoid, Domain::reals},
    {"softsign", tg::softsign, Domain::kink_at_zero},
};
// clang-format on

// Elementwise ops of two broadcasting tensors, one line each; the second operand is a new
// leaf or an earlier value (Builder::partner).
enum class Operands {
    any,
    nonzero_divisor,  // |y| >= 0.2, else softplus(y) + 0.5
    positive_base,    // x >= 0.1, else softplus(x) + 0.1
    no_ties,          // |x - y| >= kKinkMargin, else y + c
};
struct BinaryOp {
    const char* name;
    Tensor (*f)(const Tensor&, const Tensor&);
    Operands operands;
};
const BinaryOp kBinaryOps[] = {
    {"add", tg::add, Operands::any},
    {"sub", tg::sub, Operands::any},
    {"mul", tg::mul, Operands::any},
    {"div", tg::div, Operands::nonzero_divisor},
    {"pow", tg::pow, Operands::positive_base},
    {"maximum", tg::maximum, Operands::no_ties},
    {"minimum", tg::minimum, Operands::no_ties},
};

// Families with choices of their own (scalars, axes, windows, index lists): Builder::apply.
enum class Special {
    affine,
    pow_scalar,
    leaky_relu,
    where,
    clamp,
    sum,
    mean,
    max,
    min,
    matmul,
    reshape,
    permute,
    slice,
    pad,
    unslice,
    concat,
    broadcast_to,
    sum_to,
    index_select,
    index_add,
    unfold,
    fold,
    softmax,
};
const char* const kSpecialNames[] = {
    "affine",       "pow_scalar", "leaky_relu", "where",  "clamp",        "sum",
    "mean",         "max",        "min",        "matmul", "reshape",      "permute",
    "slice",        "pad",        "unslice",    "concat", "broadcast_to", "sum_to",
    "index_select", "index_add",  "unfold",     "fold",   "softmax",
};
static_assert(sizeof(kSpecialNames) / sizeof(kSpecialNames[0]) ==
              static_cast<std::size_t>(Special::softmax) + 1);

// The families in the order a descriptor's kind indexes them: affine (the simplest, where
// shrinking ends), the elementwise tables, then the rest.
struct Family {
    const char* name;
    const UnaryOp* unary = nullptr;
    const BinaryOp* binary = nullptr;
    Special special = Special::affine;
};

const std::vector<Family>& families() {
    static const std::vector<Family> table = [] {
        std::vector<Family> t;
        t.push_back({kSpecialNames[0], nullptr, nullptr, Special::affine});
        for (const UnaryOp& u : kUnaryOps) t.push_back({u.name, &u, nullptr, Special::affine});
        for (const BinaryOp& b : kBinaryOps) t.push_back({b.name, nullptr, &b, Special::affine});
        for (std::size_t i = 1; i < std::size(kSpecialNames); ++i)
            t.push_back({kSpecialNames[i], nullptr, nullptr, static_cast<Special>(i)});
        return t;
    }();
    return table;
}

const Family& family_of(int kind) {
    const auto n = static_cast<int>(families().size());
    return families()[static_cast<std::size_t>(((kind % n) + n) % n)];
}

// The constant c of least magnitude with |v_i + c - k| >= kKinkMargin for every value v_i and
// kink k (0 when the values are clear already). The intervals to avoid have total length at
// most 2 kKinkMargin per value and kink, so c is small unless there are thousands of values.
double kink_free_shift(const std::vector<double>& v, const std::vector<double>& kinks) {
    auto clear = [&](double c) {
        for (double x : v)
            for (double k : kinks)
                if (std::abs(x + c - k) < kKinkMargin) return false;
        return true;
    };
    if (clear(0)) return 0;
    // The best c puts some value just outside a kink's interval: try those, least first.
    std::vector<double> candidates;
    for (double x : v)
        for (double k : kinks)
            for (double side : {-1.5, 1.5}) candidates.push_back(k - x + side * kKinkMargin);
    std::sort(candidates.begin(), candidates.end(),
              [](double p, double q) { return std::abs(p) < std::abs(q); });
    for (double c : candidates)
        if (clear(c)) return c;
    throw std::logic_error("generator: no shift clears the kinks");
}

std::size_t numel(const Shape& s) {
    std::size_t n = 1;
    for (auto d : s) n *= d;
    return n;
}

std::string list_str(const std::vector<std::int64_t>& v) {
    return fmt::format("{{{}}}", fmt::join(v, ", "));
}

std::string shape_code(const Shape& s) {
    return fmt::format("tg::Shape{{{}}}", fmt::join(s, ", "));
}

std::string dims_code(const std::vector<std::int64_t>& v) {
    return fmt::format("tg::Dims{{{}}}", fmt::join(v, ", "));
}

std::string num(double x) {
    return fmt::format("{}", x);  // shortest representation that reads back exactly
}

std::string tensor_code(const Tensor& t) {
    return fmt::format("tg::from_vector({{{}}}, {}, tg::kFloat64)", fmt::join(t.to_vector(), ", "),
                       shape_code(t.shape()));
}

// The values of x broadcast against a shape, flattened: for margin checks between operands.
std::vector<double> spread(const Tensor& x, const Shape& shape) {
    tg::NoGradGuard off;
    return tg::broadcast_to(x, shape).to_vector();
}

// NumPy broadcasting of two shapes; false if they do not broadcast.
bool broadcast(const Shape& a, const Shape& b, Shape& out) {
    const std::size_t nd = std::max(a.size(), b.size());
    out = Shape(nd);
    for (std::size_t k = 0; k < nd; ++k) {
        const std::size_t da = k < a.size() ? a[a.size() - 1 - k] : 1;
        const std::size_t db = k < b.size() ? b[b.size() - 1 - k] : 1;
        if (da != db && da != 1 && db != 1) return false;
        out[nd - 1 - k] = da == 1 ? db : da;
    }
    return true;
}

Shape broadcast(const Shape& a, const Shape& b) {
    Shape out;
    if (!broadcast(a, b, out)) throw std::logic_error("generator: shapes do not broadcast");
    return out;
}

// v followed by s's axes (svector::insert trips a false -Warray-bounds in gcc 12).
Shape prepend(std::size_t v, const Shape& s) {
    Shape t;
    t.push_back(v);
    for (auto d : s) t.push_back(d);
    return t;
}

double max_abs(const Tensor& t) {
    double m = 0;
    for (double v : t.to_vector()) m = std::max(m, std::abs(v));
    return m;
}

double min_value(const Tensor& t) {
    double m = INFINITY;
    for (double v : t.to_vector()) m = std::min(m, v);
    return m;
}

double min_abs(const Tensor& t) {
    double m = INFINITY;
    for (double v : t.to_vector()) m = std::min(m, std::abs(v));
    return m;
}

// Small deterministic integer streams from an op's parameters, for index lists.
struct Mix {
    std::uint64_t s;
    explicit Mix(std::uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull) {}
    std::size_t below(std::size_t n) {
        s ^= s >> 29;
        s *= 0xBF58476D1CE4E5B9ull;
        s ^= s >> 32;
        return static_cast<std::size_t>(s % n);
    }
};

// Splits n into `rank` factors (rank 0 only for n == 1), spreading prime factors by `choice`.
Shape factor_shape(std::size_t n, std::size_t rank, int choice) {
    if (rank == 0) return Shape{};
    Shape s(rank, 1);
    Mix mix(static_cast<std::uint64_t>(choice) + 17);
    std::size_t m = n;
    for (std::size_t p = 2; m > 1; ++p) {
        while (m % p == 0) {
            s[mix.below(rank)] *= p;
            m /= p;
        }
    }
    return s;
}

class Builder {
  public:
    Builder(std::uint64_t seed, std::size_t budget) : budget_(budget), gen_(seed) {}

    Graph graph;
    Values vals;              // every value at the check point
    std::vector<int> usable;  // values an op may take: leaves and settled results

    std::string name(int v) const { return "v" + std::to_string(v); }
    const Shape& shape(int v) const { return vals[static_cast<std::size_t>(v)].shape(); }
    std::size_t rank(int v) const { return shape(v).size(); }
    const Tensor& val(int v) const { return vals[static_cast<std::size_t>(v)]; }
    int last() const { return static_cast<int>(vals.size()) - 1; }

    int leaf(const Shape& s, bool requires_grad) {
        std::vector<double> v(numel(s));
        for (auto& x : v) x = gen_.normal();
        Tensor t = tg::from_vector(v, s, tg::kFloat64);
        if (requires_grad) t.requires_grad_(true);
        Graph::Node n;
        n.input = static_cast<int>(graph.inputs.size());
        n.code = fmt::format("in[{}]", n.input);
        graph.inputs.push_back(t);
        graph.nodes.push_back(std::move(n));
        vals.push_back(t.detach());
        usable.push_back(last());
        return last();
    }

    int constant_mask(const Shape& s) {
        std::vector<double> v(numel(s));
        for (auto& x : v) x = gen_.uniform() < 0.5 ? 0.0 : 1.0;
        return leaf_constant(tg::from_vector(v, s, tg::kFloat64));
    }

    int leaf_constant(const Tensor& t) {
        Graph::Node n;
        n.input = static_cast<int>(graph.inputs.size());
        n.code = fmt::format("in[{}]", n.input);
        graph.inputs.push_back(t);
        graph.nodes.push_back(std::move(n));
        vals.push_back(t.detach());
        return last();
    }

    // Appends an op: `fn` computes it from earlier values, `code` spells the same in C++.
    int op(std::string code, std::function<Tensor(const Values&)> fn) {
        Tensor value;
        {
            tg::NoGradGuard off;
            value = fn(vals);
        }
        for (double v : value.to_vector()) {
            if (!std::isfinite(v))
                throw std::logic_error("generator produced a non-finite value in " + code);
        }
        Graph::Node n;
        n.fn = std::move(fn);
        n.code = std::move(code);
        graph.nodes.push_back(std::move(n));
        vals.push_back(value);
        return last();
    }

    // Strides a value down to at most `most` elements along its longest axes.
    int shrink(int v, std::size_t most) {
        while (numel(shape(v)) > most) {
            const Shape& s = shape(v);
            const auto axis =
                static_cast<std::int64_t>(std::max_element(s.begin(), s.end()) - s.begin());
            const auto len = static_cast<std::int64_t>(s[static_cast<std::size_t>(axis)]);
            const std::int64_t step = std::min<std::int64_t>(
                len, static_cast<std::int64_t>((numel(s) + most - 1) / most));
            v = op(fmt::format("tg::slice({}, {}, 0, {}, {})", name(v), axis, len, step),
                   [v, axis, len, step](const Values& x) {
                       return tg::slice(x[v], axis, 0, len, step);
                   });
        }
        return v;
    }

    // Keeps a result within 3 budgets (matmul, index_add and concat can compound) and within
    // 4 in magnitude.
    int settle(int v0) {
        int v = shrink(v0, 3 * budget_);
        const double m = max_abs(val(v));
        if (m > 4) {
            const double scale = std::exp2(-std::ceil(std::log2(m / 4)));
            v = op(fmt::format("tg::affine({}, {}, 0)", name(v), num(scale)),
                   [v, scale](const Values& x) { return tg::affine(x[v], scale, 0); });
        }
        usable.push_back(v);
        return v;
    }

    // x itself if min(x) >= floor, else softplus(x) + shift.
    int positive(int v, double floor, double shift) {
        if (min_value(val(v)) >= floor) return v;
        return op(fmt::format("tg::softplus({}) + {}", name(v), num(shift)),
                  [v, shift](const Values& x) { return tg::softplus(x[v]) + shift; });
    }

    // t with its longest axes set to 1 until it has at most budget_ elements (it still
    // broadcasts against t): a new leaf is never larger than the first input can be.
    Shape fit(Shape t) const {
        while (numel(t) > budget_) *std::max_element(t.begin(), t.end()) = 1;
        return t;
    }

    // A second operand for a binary op with x: a new leaf of x's shape, of a shape that
    // broadcasts against it from either side, or an earlier value whose shape fits.
    int partner(int x, int mode_in, int choice) {
        const Shape& s = shape(x);
        const bool grad = (choice / 7) % 5 != 4;
        switch (mode_in % 4) {
            case 1: {  // smaller: drop leading axes, set some axes to 1
                const std::size_t drop =
                    s.empty() ? 0 : static_cast<std::size_t>(choice) % (s.size() + 1);
                Shape t(s.begin() + static_cast<std::ptrdiff_t>(drop), s.end());
                for (std::size_t i = 0; i < t.size(); ++i)
                    if ((choice >> (i + 2)) & 1) t[i] = 1;
                return leaf(fit(t), grad);
            }
            case 2: {  // larger: x broadcasts to it
                Shape t = s;
                for (std::size_t i = 0; i < t.size(); ++i)
                    if (t[i] == 1 && ((choice >> i) & 1)) t[i] = 2 + ((choice >> (i + 4)) & 1);
                if (t.size() < 4 && (choice & 8)) t = prepend(2, t);
                if (numel(t) > budget_) t = s;
                return leaf(fit(t), grad);
            }
            case 3: {  // an earlier value (x itself included) whose shape broadcasts with x's
                std::vector<int> fits;
                for (auto it = usable.rbegin(); it != usable.rend(); ++it) {
                    const int v = *it;
                    Shape r;
                    if (broadcast(s, shape(v), r) && numel(r) <= budget_) fits.push_back(v);
                }
                if (!fits.empty()) return fits[static_cast<std::size_t>(choice) % fits.size()];
                return leaf(fit(s), grad);
            }
            default:
                return leaf(fit(s), grad);
        }
    }

    void note(Special k) { graph.applied.push_back(kSpecialNames[static_cast<int>(k)]); }

    // A smooth stand-in where a descriptor cannot apply.
    int fallback(Special k, int x) {
        graph.fell_back.push_back(kSpecialNames[static_cast<int>(k)]);
        return op(fmt::format("tg::sin({})", name(x)),
                  [x](const Values& v) { return tg::sin(v[x]); });
    }

    // x + c with the least constant c that keeps values[i] + c kKinkMargin clear of every
    // kink (values: x's own, or derived from x, such as y - x for a tie between x and y).
    int off_kinks(const char* family, int x, const std::vector<double>& values,
                  const std::vector<double>& kinks) {
        const double c = kink_free_shift(values, kinks);
        if (c == 0) return x;
        graph.shifted.push_back(family);
        return op(fmt::format("tg::affine({}, 1, {})", name(x), num(c)),
                  [x, c](const Values& v) { return tg::affine(v[x], 1, c); });
    }
    int off_kinks(const char* family, int x, const std::vector<double>& kinks) {
        return off_kinks(family, x, val(x).to_vector(), kinks);
    }

    int apply(const OpDesc& d);

    // Makes every op count: if results other than the last are used by nothing, the output
    // becomes the concatenation of all unused results, flattened.
    void join_dangling() {
        std::vector<bool> used(vals.size(), false);
        static const std::regex operand(R"(\bv(\d+)\b)");  // operands appear as vN in the code
        for (const auto& n : graph.nodes) {
            for (std::sregex_iterator it(n.code.begin(), n.code.end(), operand), end; it != end;
                 ++it)
                used[std::stoul((*it)[1])] = true;
        }
        std::vector<int> dangling;
        for (int v = 0; v <= last(); ++v)
            if (!used[static_cast<std::size_t>(v)] &&
                graph.nodes[static_cast<std::size_t>(v)].input < 0)
                dangling.push_back(v);
        if (dangling.size() < 2) return;
        std::string names;
        for (int v : dangling)
            names += (names.empty() ? "" : ", ") + fmt::format("tg::reshape({}, {{-1}})", name(v));
        op(fmt::format("tg::concat({{{}}}, 0)", names), [dangling](const Values& x) {
            std::vector<Tensor> parts;
            for (int v : dangling) parts.push_back(tg::reshape(x[v], {-1}));
            return tg::concat(parts, 0);
        });
    }

  private:
    std::size_t budget_;  // elements in an input; values stay within 3 budgets
    tg::Generator gen_;

    int apply_unary(const UnaryOp& u, int x);
    int apply_binary(const BinaryOp& b, int x, const OpDesc& d);
    int to_rank(int x, std::size_t r, int choice);
    int at_least_rank(int x, std::size_t r, int choice) {
        return rank(x) >= r ? x : to_rank(x, r, choice);
    }
    int apply_special(Special k, int x, const OpDesc& d);
    int apply_reduction(Special k, int x, const OpDesc& d);
    int apply_max(Special k, int x, const OpDesc& d);
    int apply_matmul(int x, const OpDesc& d);
    int apply_shape(Special k, int x, const OpDesc& d);
    int apply_conv(Special k, int x, const OpDesc& d);
};

// Reshapes x to rank r (a no-op if it already has it).
int Builder::to_rank(int x, std::size_t r, int choice) {
    if (rank(x) == r) return x;
    const Shape t = factor_shape(numel(shape(x)), r, choice);
    std::vector<std::int64_t> dims(t.begin(), t.end());
    return op(fmt::format("tg::reshape({}, {})", name(x), dims_code(dims)),
              [x, dims](const Values& v) { return tg::reshape(v[x], tg::Dims(dims)); });
}

int Builder::apply(const OpDesc& d) {
    const Family& family = family_of(d.kind);
    // Half the time the latest value, else one up to six values back.
    const std::size_t back = d.a < 6 ? 0 : static_cast<std::size_t>(d.a - 5);
    const int x = usable[usable.size() - 1 - back % usable.size()];
    if (family.unary) return apply_unary(*family.unary, x);
    if (family.binary) return apply_binary(*family.binary, x, d);
    return apply_special(family.special, x, d);
}

int Builder::apply_unary(const UnaryOp& u, int x0) {
    int x = x0;
    switch (u.domain) {
        case Domain::positive:
            x = positive(x, 0.1, 0.1);
            break;
        case Domain::kink_at_zero:
            x = off_kinks(u.name, x, {0.0});
            break;
        case Domain::reals:
            break;
    }
    graph.applied.push_back(u.name);
    return op(fmt::format("tg::{}({})", u.name, name(x)),
              [x, f = u.f](const Values& v) { return f(v[x]); });
}

int Builder::apply_binary(const BinaryOp& b, int x0, const OpDesc& d) {
    int x = x0;
    if (b.operands == Operands::positive_base) x = positive(x, 0.1, 0.1);
    int y = partner(x, d.b, d.c);
    if (b.operands == Operands::nonzero_divisor && min_abs(val(y)) < 0.2)
        y = positive(y, INFINITY, 0.5);
    if (b.operands == Operands::no_ties) {  // shift y off x: y - x + c clear of 0
        const Shape both = broadcast(shape(x), shape(y));
        const auto xs = spread(val(x), both), ys = spread(val(y), both);
        std::vector<double> gaps(xs.size());
        for (std::size_t i = 0; i < xs.size(); ++i) gaps[i] = ys[i] - xs[i];
        y = off_kinks(b.name, y, gaps, {0.0});
    }
    graph.applied.push_back(b.name);
    return op(fmt::format("tg::{}({}, {})", b.name, name(x), name(y)),
              [x, y, f = b.f](const Values& v) { return f(v[x], v[y]); });
}

int Builder::apply_special(Special k, int x, const OpDesc& d) {
    switch (k) {
        case Special::affine: {
            static const double alphas[] = {2, -1.5, 0.5, 3, -0.25};
            static const double betas[] = {0, 0.25, -1, 1.5};
            const double al = alphas[d.b % 5], be = betas[d.c % 4];
            note(k);
            return op(fmt::format("tg::affine({}, {}, {})", name(x), num(al), num(be)),
                      [x, al, be](const Values& v) { return tg::affine(v[x], al, be); });
        }
        case Special::pow_scalar: {
            static const double ps[] = {2, 3, 0.5, 1.5, -1, -0.5, 2.5};
            const double p = ps[d.b % 7];
            int base = x;
            if (p == -1 && min_abs(val(x)) < 0.2) base = positive(x, INFINITY, 0.5);
            if (p != -1 && p != std::floor(p)) base = positive(x, 0.1, 0.1);
            note(k);
            return op(fmt::format("tg::pow({}, {})", name(base), num(p)),
                      [base, p](const Values& v) { return tg::pow(v[base], p); });
        }
        case Special::leaky_relu: {
            const int y = off_kinks(kSpecialNames[static_cast<int>(k)], x, {0.0});
            const double slope = d.b % 2 ? 0.2 : 0.01;
            note(k);
            return op(fmt::format("tg::leaky_relu({}, {})", name(y), num(slope)),
                      [y, slope](const Values& v) { return tg::leaky_relu(v[y], slope); });
        }
        case Special::where: {
            const int y = partner(x, d.b, d.c);
            const Shape both = broadcast(shape(x), shape(y));
            Shape ms = both;
            for (std::size_t i = 0; i < ms.size(); ++i)
                if ((d.d >> i) & 1) ms[i] = 1;
            const int m = constant_mask(ms);
            note(k);
            return op(fmt::format("tg::where({}, {}, {})", name(m), name(x), name(y)),
                      [m, x, y](const Values& v) { return tg::where(v[m], v[x], v[y]); });
        }
        case Special::clamp: {
            static const double los[] = {-0.5, -1, 0, -2};
            static const double his[] = {0.5, 2, 1, 0.25};
            const double lo = los[d.b % 4], hi = his[d.c % 4];
            const int y = off_kinks(kSpecialNames[static_cast<int>(k)], x, {lo, hi});
            note(k);
            return op(fmt::format("tg::clamp({}, {}, {})", name(y), num(lo), num(hi)),
                      [y, lo, hi](const Values& v) { return tg::clamp(v[y], lo, hi); });
        }
        case Special::sum:
        case Special::mean:
            return apply_reduction(k, x, d);
        case Special::max:
        case Special::min:
            return apply_max(k, x, d);
        case Special::matmul:
            return apply_matmul(x, d);
        case Special::unfold:
        case Special::fold:
            return apply_conv(k, x, d);
        case Special::softmax: {
            const int y = at_least_rank(x, 1, d.d);
            const auto axis = static_cast<std::int64_t>(static_cast<std::size_t>(d.b) % rank(y));
            note(k);
            switch (d.c % 3) {
                case 0:
                    return op(fmt::format("tg::softmax({}, {})", name(y), axis),
                              [y, axis](const Values& v) { return tg::softmax(v[y], axis); });
                case 1:
                    return op(fmt::format("tg::log_softmax({}, {})", name(y), axis),
                              [y, axis](const Values& v) { return tg::log_softmax(v[y], axis); });
                default: {
                    const bool keep = d.d % 2;
                    return op(fmt::format("tg::logsumexp({}, {}, {})", name(y), axis, keep),
                              [y, axis, keep](const Values& v) {
                                  return tg::logsumexp(v[y], axis, keep);
                              });
                }
            }
        }
        default:
            return apply_shape(k, x, d);
    }
}

int Builder::apply_reduction(Special k, int x, const OpDesc& d) {
    const bool is_sum = k == Special::sum;
    const char* fname = is_sum ? "sum" : "mean";
    auto whole = is_sum ? static_cast<Tensor (*)(const Tensor&)>(tg::sum)
                        : static_cast<Tensor (*)(const Tensor&)>(tg::mean);
    auto along = is_sum ? static_cast<Tensor (*)(const Tensor&, const tg::Dims&, bool)>(tg::sum)
                        : static_cast<Tensor (*)(const Tensor&, const tg::Dims&, bool)>(tg::mean);
    note(k);
    const std::size_t r = rank(x);
    if (r == 0 || d.b % 5 == 0) {
        return op(fmt::format("tg::{}({})", fname, name(x)),
                  [x, whole](const Values& v) { return whole(v[x]); });
    }
    std::vector<std::int64_t> axes;
    for (std::size_t i = 0; i < r; ++i) {
        if ((d.c >> i) & 1) {
            auto a = static_cast<std::int64_t>(i);
            if ((d.d >> i) & 1) a -= static_cast<std::int64_t>(r);  // negative spelling
            axes.push_back(a);
        }
    }
    if (axes.empty()) axes.push_back(static_cast<std::int64_t>(static_cast<std::size_t>(d.b) % r));
    const bool keep = (d.b / 5) % 2;
    return op(
        fmt::format("tg::{}({}, {}, {})", fname, name(x), dims_code(axes), keep),
        [x, axes, keep, along](const Values& v) { return along(v[x], tg::Dims(axes), keep); });
}

int Builder::apply_max(Special k, int x0, const OpDesc& d) {
    int x = at_least_rank(x0, 1, d.d);
    const std::size_t r = rank(x);
    const std::size_t axis = static_cast<std::size_t>(d.b) % r;
    // The best of every slice must beat the second best by the margin: where it does not (ties
    // are common, e.g. after broadcast_to), a constant tensor lifts the best by twice the margin.
    const Shape s = shape(x);
    std::size_t outer = 1, inner = 1;
    for (std::size_t i = 0; i < axis; ++i) outer *= s[i];
    for (std::size_t i = axis + 1; i < r; ++i) inner *= s[i];
    const std::size_t len = s[axis];
    const auto v = val(x).to_vector();
    const double sign = k == Special::max ? 1.0 : -1.0;
    std::vector<double> lift(v.size(), 0.0);
    bool lifted = false;
    for (std::size_t o = 0; o < outer; ++o) {
        for (std::size_t i = 0; i < inner; ++i) {
            std::size_t best = o * len * inner + i;
            double gap = INFINITY;
            for (std::size_t j = 1; j < len; ++j) {
                const std::size_t at = (o * len + j) * inner + i;
                const double ahead = sign * (v[at] - v[best]);
                gap = ahead > 0 ? ahead : std::min(gap, -ahead);  // best - second best
                if (ahead > 0) best = at;
            }
            if (gap < kKinkMargin) {
                lift[best] = sign * 2 * kKinkMargin;
                lifted = true;
            }
        }
    }
    if (lifted) {
        graph.shifted.push_back(kSpecialNames[static_cast<int>(k)]);
        const int c = leaf_constant(tg::from_vector(lift, s, tg::kFloat64));
        x = op(fmt::format("tg::add({}, {})", name(x), name(c)),
               [x, c](const Values& vv) { return tg::add(vv[x], vv[c]); });
    }
    const bool keep = d.c % 2;
    const auto ax =
        static_cast<std::int64_t>(axis) - ((d.d % 2) ? static_cast<std::int64_t>(r) : 0);
    note(k);
    if (k == Special::max)
        return op(fmt::format("tg::max({}, {}, {})", name(x), ax, keep),
                  [x, ax, keep](const Values& vv) { return tg::max(vv[x], ax, keep); });
    return op(fmt::format("tg::min({}, {}, {})", name(x), ax, keep),
              [x, ax, keep](const Values& vv) { return tg::min(vv[x], ax, keep); });
}

int Builder::apply_matmul(int x0, const OpDesc& d) {
    int x = x0;
    if (rank(x) != 2 && rank(x) != 3) {
        const Shape& s = shape(x);
        const std::size_t last_dim = s.empty() ? 1 : s.back();
        std::vector<std::int64_t> dims{static_cast<std::int64_t>(numel(s) / last_dim),
                                       static_cast<std::int64_t>(last_dim)};
        x = op(fmt::format("tg::reshape({}, {})", name(x), dims_code(dims)),
               [x, dims](const Values& v) { return tg::reshape(v[x], tg::Dims(dims)); });
    }
    const Shape s = shape(x);
    const std::size_t r = s.size();
    const std::size_t batch = r == 3 ? s[0] : 1;
    const bool t1 = d.c & 1, t2 = (d.c >> 1) & 1;
    const std::size_t n = 1 + static_cast<std::size_t>(d.d) % 3;
    // op(x) is x, or x transposed in its last two axes, when x is the left operand with t1.
    const std::size_t rows = t1 ? s[r - 1] : s[r - 2];
    const std::size_t cols = t1 ? s[r - 2] : s[r - 1];
    int left = x, right = x;
    bool ta = t1, tb = t2;
    const int mode = d.b % 4;
    if (mode == 1 && batch * rows * rows <= 2 * budget_) {
        tb = !t1;  // x x^T, or x^T x
    } else if (mode == 2 && batch * n * (t2 ? s[r - 2] : s[r - 1]) <= 2 * budget_) {
        // A new matrix W on the left, x on the right: op(W) @ op(x) with op(x) = x^T when t2.
        const std::size_t inner = t2 ? s[r - 1] : s[r - 2];
        left = leaf(t1 ? Shape{inner, n} : Shape{n, inner}, true);
    } else {
        // x on the left times a new W: 2-D, or batched (batch 1 or x's) when x is 3-D.
        const bool batched = mode == 3 && r == 3;
        const std::size_t bb = (d.d / 3) % 2 ? 1 : batch;
        Shape w = t2 ? Shape{n, cols} : Shape{cols, n};
        if (batched) w = prepend(bb, w);
        right = leaf(w, true);
    }
    note(Special::matmul);
    return op(
        fmt::format("tg::matmul({}, {}, {}, {})", name(left), name(right), ta, tb),
        [left, right, ta, tb](const Values& v) { return tg::matmul(v[left], v[right], ta, tb); });
}

int Builder::apply_conv(Special k, int x0, const OpDesc& d) {
    if (k == Special::unfold) {
        const int x = to_rank(x0, 4, d.b);
        const Shape s = shape(x);
        const std::size_t H = s[2], W = s[3];
        tg::Window w{1, 1};
        w.ph = (d.c & 1) && H > 1 ? 1 : 0;
        w.pw = (d.c & 2) && W > 1 ? 1 : 0;
        w.kh = 1 + static_cast<std::size_t>(d.d) % std::min<std::size_t>(3, H + 2 * w.ph);
        w.kw = 1 + static_cast<std::size_t>(d.d / 3) % std::min<std::size_t>(3, W + 2 * w.pw);
        w.sh = 1 + ((d.c >> 2) & 1);
        w.sw = 1 + ((d.c >> 3) & 1);
        auto out_numel = [&](const tg::Window& ww) {
            const std::size_t oh = (H + 2 * ww.ph - ww.kh) / ww.sh + 1;
            const std::size_t ow = (W + 2 * ww.pw - ww.kw) / ww.sw + 1;
            return s[0] * s[1] * ww.kh * ww.kw * oh * ow;
        };
        if (out_numel(w) > 2 * budget_) w = tg::Window{1, 1, w.sh, w.sw, 0, 0};
        note(k);
        return op(fmt::format("tg::unfold({}, tg::Window{{{}, {}, {}, {}, {}, {}}})", name(x), w.kh,
                              w.kw, w.sh, w.sw, w.ph, w.pw),
                  [x, w](const Values& v) { return tg::unfold(v[x], w); });
    }
    const int x = to_rank(x0, 3, d.b);
    const Shape s = shape(x);
    // Kernel: kh * kw must divide s[1]; output grid: oh * ow == s[2].
    std::vector<std::pair<std::size_t, std::size_t>> kernels;
    for (std::size_t kh = 1; kh <= 3; ++kh)
        for (std::size_t kw = 1; kw <= 3; ++kw)
            if (s[1] % (kh * kw) == 0) kernels.emplace_back(kh, kw);
    const auto [kh0, kw0] = kernels[static_cast<std::size_t>(d.c) % kernels.size()];
    std::vector<std::size_t> divisors;
    for (std::size_t q = 1; q <= s[2]; ++q)
        if (s[2] % q == 0) divisors.push_back(q);
    const std::size_t oh = divisors[static_cast<std::size_t>(d.d) % divisors.size()];
    const std::size_t ow = s[2] / oh;
    tg::Window w{kh0, kw0};
    w.sh = 1 + ((d.d >> 3) & 1);
    w.sw = 1 + ((d.d >> 4) & 1);
    w.ph = ((d.d >> 5) & 1) && kh0 > 1 ? 1 : 0;
    w.pw = ((d.d >> 6) & 1) && kw0 > 1 ? 1 : 0;
    // The image size whose window grid is exactly oh x ow.
    const auto height =
        static_cast<std::ptrdiff_t>((oh - 1) * w.sh + w.kh) - 2 * static_cast<std::ptrdiff_t>(w.ph);
    const auto width =
        static_cast<std::ptrdiff_t>((ow - 1) * w.sw + w.kw) - 2 * static_cast<std::ptrdiff_t>(w.pw);
    if (height < 1) w.ph = 0;
    if (width < 1) w.pw = 0;
    auto image = [&](const tg::Window& ww) {
        return std::pair<std::size_t, std::size_t>{(oh - 1) * ww.sh + ww.kh - 2 * ww.ph,
                                                   (ow - 1) * ww.sw + ww.kw - 2 * ww.pw};
    };
    auto [H, W] = image(w);
    // Too large an image: a 1 x 1 window with stride 1 makes one as large as x.
    if (s[0] * (s[1] / (w.kh * w.kw)) * H * W > 2 * budget_) {
        w = tg::Window{1, 1};
        std::tie(H, W) = image(w);
    }
    if (s[0] * s[1] / (w.kh * w.kw) * H * W > 2 * budget_) return fallback(k, x);
    note(k);
    return op(fmt::format("tg::fold({}, {}, {}, tg::Window{{{}, {}, {}, {}, {}, {}}})", name(x), H,
                          W, w.kh, w.kw, w.sh, w.sw, w.ph, w.pw),
              [x, H = H, W = W, w](const Values& v) { return tg::fold(v[x], H, W, w); });
}

int Builder::apply_shape(Special k, int x0, const OpDesc& d) {
    // Ops on axes need some: a value of lower rank is reshaped first.
    std::size_t need = 1;
    if (k == Special::permute) need = 2;
    if (k == Special::reshape || k == Special::broadcast_to) need = 0;
    const int x = at_least_rank(x0, need, d.d);
    const Shape s = shape(x);
    const std::size_t r = s.size();
    const std::size_t n = numel(s);
    switch (k) {
        case Special::reshape: {
            std::size_t nr = static_cast<std::size_t>(d.b) % 5;
            if (nr == 0 && n != 1) nr = 1;
            const Shape t = factor_shape(n, nr, d.c);
            std::vector<std::int64_t> dims(t.begin(), t.end());
            if (nr > 0 && d.d % 3 == 0) dims[static_cast<std::size_t>(d.d / 3) % nr] = -1;
            note(k);
            return op(fmt::format("tg::reshape({}, {})", name(x), dims_code(dims)),
                      [x, dims](const Values& v) { return tg::reshape(v[x], tg::Dims(dims)); });
        }
        case Special::permute: {
            std::vector<std::int64_t> rest(r), perm;
            std::iota(rest.begin(), rest.end(), 0);
            std::size_t code = static_cast<std::size_t>(d.b) + 1;  // + 1: never the identity
            while (!rest.empty()) {                                // Lehmer code
                const std::size_t i = code % rest.size();
                code /= rest.size();
                perm.push_back(rest[i]);
                rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(i));
            }
            note(k);
            return op(fmt::format("tg::permute({}, {})", name(x), dims_code(perm)),
                      [x, perm](const Values& v) { return tg::permute(v[x], tg::Dims(perm)); });
        }
        case Special::slice: {
            note(k);
            if (d.d % 2 == 0) {  // one axis, Python-style arguments
                const std::size_t axis = static_cast<std::size_t>(d.b) % r;
                const auto len = static_cast<std::int64_t>(s[axis]);
                std::int64_t start = d.c % len;
                const std::int64_t step = 1 + (d.c / 7) % 2;
                const std::int64_t stop = start + 1 + (d.c / 3) % (len - start);
                if ((d.d / 2) % 2) start -= len;  // negative spelling
                return op(
                    fmt::format("tg::slice({}, {}, {}, {}, {})", name(x), axis, start, stop, step),
                    [x, axis, start, stop, step](const Values& v) {
                        return tg::slice(v[x], static_cast<std::int64_t>(axis), start, stop, step);
                    });
            }
            std::vector<std::int64_t> starts, stops, steps;
            Mix mix(static_cast<std::uint64_t>(d.b) * 31 + static_cast<std::uint64_t>(d.c));
            for (std::size_t i = 0; i < r; ++i) {
                const std::size_t len = s[i];
                const std::size_t start = mix.below(len);
                starts.push_back(static_cast<std::int64_t>(start));
                stops.push_back(static_cast<std::int64_t>(start + 1 + mix.below(len - start)));
                steps.push_back(static_cast<std::int64_t>(1 + mix.below(2)));
            }
            return op(fmt::format("tg::slice({}, {}, {}, {})", name(x), dims_code(starts),
                                  dims_code(stops), dims_code(steps)),
                      [x, starts, stops, steps](const Values& v) {
                          return tg::slice(v[x], tg::Dims(starts), tg::Dims(stops),
                                           tg::Dims(steps));
                      });
        }
        case Special::pad:
        case Special::unslice: {
            Mix mix(static_cast<std::uint64_t>(d.b) * 131 + static_cast<std::uint64_t>(d.c));
            std::vector<std::pair<std::size_t, std::size_t>> pads(r);
            std::vector<std::int64_t> starts(r), steps(r, 1);
            Shape t(r);
            for (std::size_t i = 0; i < r; ++i) {
                pads[i] = {mix.below(2), mix.below(3)};
                if (k == Special::unslice) steps[i] = static_cast<std::int64_t>(1 + mix.below(2));
                starts[i] = static_cast<std::int64_t>(pads[i].first);
                t[i] = pads[i].first + (s[i] - 1) * static_cast<std::size_t>(steps[i]) + 1 +
                       pads[i].second;
            }
            while (numel(t) > 3 * budget_) {  // shrink the padding until it fits
                std::size_t i =
                    static_cast<std::size_t>(std::max_element(t.begin(), t.end()) - t.begin());
                const std::size_t minimal = (s[i] - 1) * static_cast<std::size_t>(steps[i]) + 1;
                if (t[i] == minimal) {
                    if (steps[i] == 1) break;
                    steps[i] = 1;
                }
                pads[i] = {0, 0};
                starts[i] = 0;
                t[i] = (s[i] - 1) * static_cast<std::size_t>(steps[i]) + 1;
            }
            note(k);
            if (k == Special::pad) {
                std::string code = fmt::format("tg::pad({}, {{", name(x));
                for (std::size_t i = 0; i < r; ++i)
                    code +=
                        fmt::format("{}{{{}, {}}}", i ? ", " : "", pads[i].first, pads[i].second);
                return op(code + "})", [x, pads](const Values& v) { return tg::pad(v[x], pads); });
            }
            return op(fmt::format("tg::unslice({}, {}, {}, {})", name(x), shape_code(t),
                                  dims_code(starts), dims_code(steps)),
                      [x, t, starts, steps](const Values& v) {
                          return tg::unslice(v[x], t, tg::Dims(starts), tg::Dims(steps));
                      });
        }
        case Special::concat: {
            const std::size_t axis = static_cast<std::size_t>(d.b) % r;
            std::vector<int> parts{x};
            switch (d.c % 3) {
                case 0:
                    parts.push_back(x);  // the same tensor twice: gradients must add up
                    break;
                case 1: {
                    Shape t = s;
                    t[axis] = 1 + static_cast<std::size_t>(d.d) % 3;
                    parts.push_back(leaf(t, true));
                    break;
                }
                default: {
                    for (auto it = usable.rbegin(); it != usable.rend() && parts.size() < 3; ++it) {
                        const int v = *it;
                        const Shape& o = shape(v);
                        bool fits = o.size() == r && v != x;
                        for (std::size_t i = 0; fits && i < r; ++i)
                            fits = i == axis || o[i] == s[i];
                        if (fits) parts.push_back(v);
                    }
                    if (parts.size() == 1) parts.push_back(leaf(s, true));
                }
            }
            std::size_t total = 0;
            for (int p : parts) total += numel(shape(p));
            if (total > 3 * budget_) parts.resize(2);
            std::string names;
            for (int p : parts) names += (names.empty() ? "" : ", ") + name(p);
            const auto ax = static_cast<std::int64_t>(axis) -
                            ((d.d / 3) % 2 ? static_cast<std::int64_t>(r) : 0);
            note(k);
            return op(fmt::format("tg::concat({{{}}}, {})", names, ax),
                      [parts, ax](const Values& v) {
                          std::vector<Tensor> ts;
                          for (int p : parts) ts.push_back(v[p]);
                          return tg::concat(ts, ax);
                      });
        }
        case Special::broadcast_to: {
            Shape t = s;
            for (std::size_t i = 0; i < t.size(); ++i)
                if (t[i] == 1 && ((d.b >> i) & 1)) t[i] = 2 + ((d.c >> i) & 1);
            if (t.size() < 4 && (d.d % 2))
                t = prepend(2 + static_cast<std::size_t>(d.d / 2) % 2, t);
            // Nothing to broadcast, or too large: a new leading axis of 2.
            if ((numel(t) > 2 * budget_ || t == s) && r < 4 && n <= budget_) t = prepend(2, s);
            if (numel(t) > 2 * budget_ || t == s) return fallback(k, x);
            note(k);
            return op(fmt::format("tg::broadcast_to({}, {})", name(x), shape_code(t)),
                      [x, t](const Values& v) { return tg::broadcast_to(v[x], t); });
        }
        case Special::sum_to: {
            const std::size_t drop = static_cast<std::size_t>(d.b) % (r + 1);
            Shape t(s.begin() + static_cast<std::ptrdiff_t>(drop), s.end());
            for (std::size_t i = 0; i < t.size(); ++i)
                if ((d.c >> i) & 1) t[i] = 1;
            if (t == s) t = Shape(s.begin() + 1, s.end());  // nothing to sum: sum the first axis
            note(k);
            return op(fmt::format("tg::sum_to({}, {})", name(x), shape_code(t)),
                      [x, t](const Values& v) { return tg::sum_to(v[x], t); });
        }
        case Special::index_select: {
            const std::size_t axis = static_cast<std::size_t>(d.b) % r;
            Mix mix(static_cast<std::uint64_t>(d.c));
            std::vector<std::int64_t> idx(1 + static_cast<std::size_t>(d.d) % 4);
            for (auto& i : idx) i = static_cast<std::int64_t>(mix.below(s[axis]));
            if (n / s[axis] * idx.size() > 2 * budget_) idx.resize(1);
            note(k);
            return op(fmt::format("tg::index_select({}, {}, {})", name(x), axis, list_str(idx)),
                      [x, axis, idx](const Values& v) {
                          return tg::index_select(v[x], static_cast<std::int64_t>(axis), idx);
                      });
        }
        case Special::index_add: {
            const std::size_t axis = static_cast<std::size_t>(d.b) % r;
            const std::size_t size = s[axis] + static_cast<std::size_t>(d.d) % 3;
            Mix mix(static_cast<std::uint64_t>(d.c));
            std::vector<std::int64_t> idx(s[axis]);
            for (auto& i : idx) i = static_cast<std::int64_t>(mix.below(size));
            note(k);
            return op(
                fmt::format("tg::index_add({}, {}, {}, {})", name(x), axis, list_str(idx), size),
                [x, axis, idx, size](const Values& v) {
                    return tg::index_add(v[x], static_cast<std::int64_t>(axis), idx, size);
                });
        }
        default:
            return fallback(k, x);
    }
}

}  // namespace

tg::GradcheckOptions check_options() {
    tg::GradcheckOptions o;
    o.eps = 1e-6;
    o.atol = 1e-7;
    o.rtol = 1e-6;
    o.allow_unused = true;  // a random graph need not use every input
    return o;
}

int family_count() {
    return static_cast<int>(families().size());
}

const char* family_name(int kind) {
    return family_of(kind).name;
}

Tensor Graph::run(const std::vector<Tensor>& in) const {
    Values v;
    v.reserve(nodes.size());
    for (const Node& n : nodes) {
        if (n.input >= 0)
            v.push_back(in[static_cast<std::size_t>(n.input)]);
        else
            v.push_back(n.fn(v));
    }
    return v.back();
}

std::size_t Graph::input_elements() const {
    std::size_t n = 0;
    for (const Tensor& t : inputs) n += t.numel();
    return n;
}

std::string Graph::to_cpp() const {
    std::string s =
        "#include <iostream>\n#include \"tapegrad.hpp\"\n\nint main() {\n"
        "    using tg::Tensor;\n    const std::vector<Tensor> in{\n";
    for (const Tensor& t : inputs)
        s += "        " + tensor_code(t) + (t.requires_grad() ? ".requires_grad_()" : "") + ",\n";
    s += "    };\n    auto f = [](const std::vector<Tensor>& in) {\n";
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        s += fmt::format("        const Tensor v{} = {};\n", i, nodes[i].code);
    }
    s += fmt::format("        return v{};\n    }};\n", nodes.size() - 1);
    const tg::GradcheckOptions o = check_options();
    s += fmt::format(
        "    tg::GradcheckOptions o;\n    o.eps = {};\n    o.atol = {};\n    o.rtol = {};\n"
        "    o.allow_unused = true;\n",
        num(o.eps), num(o.atol), num(o.rtol));
    s += "    std::cout << tg::gradcheck(f, in, o) << \"\\n\" << tg::gradgradcheck(f, in, o) << "
         "\"\\n\";\n}\n";
    return s;
}

Graph build_graph(const GraphSpec& spec) {
    const std::size_t budget = spec.large ? kLargeNumel : kMaxNumel;
    Builder b(spec.seed, budget);
    Shape s;
    for (int d : spec.input_shape) s.push_back(1 + static_cast<std::size_t>(d) % 3);
    if (spec.large) {  // sizes 3 to 5, rank 3 or 4: 27 to 256 elements
        for (auto& n : s) n += 2;
        while (s.size() < 3) s.push_back(4);
    }
    while (numel(s) > budget) *std::max_element(s.begin(), s.end()) = 1;
    b.leaf(s, true);
    for (const OpDesc& d : spec.ops) b.settle(b.apply(d));
    b.join_dangling();
    b.shrink(b.last(), kMaxOutput);
    return std::move(b.graph);
}

std::string to_string(const GraphSpec& spec) {
    std::string s = fmt::format("input shape {}, seed {}{}, ops:",
                                list_str({spec.input_shape.begin(), spec.input_shape.end()}),
                                spec.seed, spec.large ? ", large" : "");
    for (const OpDesc& d : spec.ops)
        s += fmt::format(" {}({},{},{},{})", family_name(d.kind), d.a, d.b, d.c, d.d);
    return s;
}

}  // namespace tgtest::fuzz
