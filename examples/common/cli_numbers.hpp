#pragma once
// Number options of the examples' command lines, with errors a person can read:
//
//   --lr: 'abc' is not a number
//   --lr: 1e999 is out of range (must be > 0)
//   --epochs: '1.5' is not a whole number
//   --limit: -1 is out of range (must be >= 0)
//
// add_number(app, "--lr", o.lr, "Learning rate", example::positive()) adds the option with a
// check made for the variable's type (also for each element of a list such as --hidden 30,30).
// CLI11's own checks (CLI::PositiveNumber, CLI::Range) say "not in range" for text that is not a
// number and print the largest double in full, and an unsigned option takes -1 as 2^64 - 1.

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include <CLI/CLI.hpp>

namespace example {

// Where a number option's values may lie: [lo, hi], with either end open.
struct Bounds {
    double lo = -std::numeric_limits<double>::infinity();
    double hi = std::numeric_limits<double>::infinity();
    bool lo_open = false, hi_open = false;
};

inline Bounds any_number() {
    return {};
}
inline Bounds positive() {
    return {0, std::numeric_limits<double>::infinity(), true, false};
}
inline Bounds non_negative() {
    return {0, std::numeric_limits<double>::infinity(), false, false};
}
inline Bounds between(double lo, double hi) {
    return {lo, hi, false, false};
}
// (lo, hi]
inline Bounds above_up_to(double lo, double hi) {
    return {lo, hi, true, false};
}

namespace detail {

template <class T>
struct Element {
    using type = T;
};
template <class T>
struct Element<std::vector<T>> {
    using type = T;
};

inline std::string compact(long double v) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.6Lg", v);
    return buf;
}

// The bounds of a T option in words: "> 0", ">= 1", "in [0, 1]", "in (0, 1e+06]".
template <class T>
std::string describe(const Bounds& b) {
    long double lo = b.lo, hi = b.hi;
    bool lo_open = b.lo_open, hi_open = b.hi_open;
    if (std::is_unsigned<T>::value && lo < 0) {  // an unsigned type's own lower bound
        lo = 0;
        lo_open = false;
    }
    if (std::is_integral<T>::value) {  // whole numbers: closed bounds
        lo = lo_open ? std::floor(lo) + 1 : std::ceil(lo);
        hi = hi_open ? std::ceil(hi) - 1 : std::floor(hi);
        lo_open = hi_open = false;
    }
    const bool has_lo = std::isfinite(lo), has_hi = std::isfinite(hi);
    if (has_lo && has_hi) {
        return std::string("in ") + (lo_open ? "(" : "[") + compact(lo) + ", " + compact(hi) +
               (hi_open ? ")" : "]");
    }
    if (has_lo) return (lo_open ? "> " : ">= ") + compact(lo);
    if (has_hi) return (hi_open ? "< " : "<= ") + compact(hi);
    return std::is_integral<T>::value ? "a whole number" : "a number";
}

// Checks `text` as a value of a T option within `b`, and rewrites it in the form CLI11 converts
// exactly ("1e3" -> "1000" for a whole number). Returns "" or what is wrong.
template <class T>
std::string check_number(std::string& text, const Bounds& b) {
    static_assert(std::is_arithmetic<T>::value, "add_number is for number options");
    const char* begin = text.c_str();
    char* end = nullptr;
    const long double x = std::strtold(begin, &end);
    const bool parsed = !text.empty() && end == begin + text.size() &&
                        !std::isspace(static_cast<unsigned char>(text[0])) && !std::isnan(x);
    if (!parsed) return "'" + text + "' is not a number";
    if (!std::isfinite(x)) return "'" + text + "' is not a finite number";
    if (std::is_integral<T>::value && x != std::floor(x))
        return "'" + text + "' is not a whole number";
    const bool inside = (b.lo_open ? x > b.lo : x >= b.lo) && (b.hi_open ? x < b.hi : x <= b.hi) &&
                        !(std::is_unsigned<T>::value && x < 0);
    if (!inside) return text + " is out of range (must be " + describe<T>(b) + ")";
    const long double tmin = std::numeric_limits<T>::lowest(), tmax = std::numeric_limits<T>::max();
    if (x > tmax) return text + " is too large (at most " + compact(tmax) + ")";
    if (x < tmin) return text + " is too small (at least " + compact(tmin) + ")";
    if (std::is_integral<T>::value) {
        if (std::is_signed<T>::value)
            text = std::to_string(static_cast<long long>(x));
        else
            text = std::to_string(static_cast<unsigned long long>(x));
    } else {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.*Lg", std::numeric_limits<T>::max_digits10,
                      static_cast<long double>(static_cast<T>(x)));
        text = buf;
    }
    return "";
}

}  // namespace detail

// Adds the number option `name` (a number, or a list of numbers) to `app` (or an option group)
// with the check of its type and `bounds`.
template <class T>
CLI::Option* add_number(CLI::App& app, const std::string& name, T& value,
                        const std::string& description, const Bounds& bounds = {}) {
    using E = typename detail::Element<T>::type;
    CLI::Validator check(
        [bounds](std::string& text) { return detail::check_number<E>(text, bounds); },
        detail::describe<E>(bounds), "NUMBER");
    return app.add_option(name, value, description)->transform(check);
}

}  // namespace example
