#pragma once
// Internal: an exponential that the compiler can vectorize. libm's exp is a function call per
// element, so a loop over it stays scalar; sigmoid in a training step spends more time in exp
// than in everything else it does. This one is branch-free arithmetic on one element, within
// 2 ulp of exp for every normal result, with exp's special values: exp(-inf) = 0 (and 0 below the
// smallest subnormal), exp(+inf) = +inf (and +inf above the largest double), NaN stays NaN.
//
// Method (Cody and Waite): x = k ln2 + r with k = round(x / ln2) and |r| <= ln2 / 2, ln2 split in
// two parts so that r is exact; exp(r) by its Taylor polynomial (degree 13 for double, 7 for
// float, both past the type's precision on that interval); then the result is scaled by 2^k,
// built directly in the exponent bits, in two halves so that subnormal results come out right.

#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

namespace tg::kernels {

namespace detail {

template <class T>
struct ExpConstants;

template <>
struct ExpConstants<double> {
    using Bits = std::int64_t;
    static constexpr double kMax = 709.782712893383973096;   // ln(DBL_MAX)
    static constexpr double kMin = -745.133219101941108420;  // ln of the smallest subnormal / 2
    static constexpr double kInvLn2 = 1.44269504088896338700;
    static constexpr double kLn2Hi = 6.93147180369123816490e-01;  // ln2's first 32 bits
    static constexpr double kLn2Lo = 1.90821492927058770002e-10;  // the rest
    static constexpr double kShifter = 0x1.8p52;  // adding it rounds to an integer in the low bits
    static constexpr int kMantissaBits = 52;
    static constexpr Bits kBias = 1023;
    static constexpr int kDegree = 13;
};

template <>
struct ExpConstants<float> {
    using Bits = std::int32_t;
    static constexpr float kMax = 88.7228391f;
    static constexpr float kMin = -103.972084f;
    static constexpr float kInvLn2 = 1.44269504f;
    static constexpr float kLn2Hi = 0.693145752f;
    static constexpr float kLn2Lo = 1.42860677e-06f;
    static constexpr float kShifter = 0x1.8p23f;
    static constexpr int kMantissaBits = 23;
    static constexpr Bits kBias = 127;
    static constexpr int kDegree = 7;
};

// 1 / n! for n = 0..13.
template <class T>
constexpr T kInverseFactorial[14] = {
    T(1.0),
    T(1.0),
    T(0.5),
    T(1.66666666666666666667e-01),
    T(4.16666666666666666667e-02),
    T(8.33333333333333333333e-03),
    T(1.38888888888888888889e-03),
    T(1.98412698412698412698e-04),
    T(2.48015873015873015873e-05),
    T(2.75573192239858906526e-06),
    T(2.75573192239858906526e-07),
    T(2.50521083854417187751e-08),
    T(2.08767569878680989792e-09),
    T(1.60590438368216145994e-10),
};

template <class To, class From>
inline To bit_cast(From v) {
    static_assert(sizeof(To) == sizeof(From));
    To out;
    std::memcpy(&out, &v, sizeof(To));
    return out;
}

}  // namespace detail

template <class T>
inline T fast_exp(T x) {
    using C = detail::ExpConstants<T>;
    using Bits = typename C::Bits;
    // Work on a clamped copy (NaN becomes kMin), so every step below is finite arithmetic.
    T xc = x > C::kMin ? x : C::kMin;
    xc = xc < C::kMax ? xc : C::kMax;
    // k = round(xc / ln2): adding the shifter leaves k in the low mantissa bits, where integer
    // subtraction reads it off.
    const T shifted = xc * C::kInvLn2 + C::kShifter;
    const T k = shifted - C::kShifter;
    const Bits k_bits = detail::bit_cast<Bits>(shifted) - detail::bit_cast<Bits>(C::kShifter);
    const T r = (xc - k * C::kLn2Hi) - k * C::kLn2Lo;
    // exp(r) = sum r^n / n!, by Horner's rule from the highest term.
    T p = detail::kInverseFactorial<T>[C::kDegree];
    for (int n = C::kDegree - 1; n >= 0; --n) p = p * r + detail::kInverseFactorial<T>[n];
    // 2^k as 2^h 2^(k-h) with h = floor(k/2), both normal numbers even where 2^k is not. h comes
    // from the same shifter trick (floor of an integer or half-integer t is round(t - 1/4)), so
    // that only additions and shifts touch the integers and the loop vectorizes.
    const T h_shifted = (k * T(0.5) - T(0.25)) + C::kShifter;
    const Bits h_bits = detail::bit_cast<Bits>(h_shifted) - detail::bit_cast<Bits>(C::kShifter);
    const T s1 = detail::bit_cast<T>(static_cast<Bits>((h_bits + C::kBias) << C::kMantissaBits));
    const T s2 =
        detail::bit_cast<T>(static_cast<Bits>((k_bits - h_bits + C::kBias) << C::kMantissaBits));
    const T value = p * s1 * s2;
    // The special values, by selection rather than branches.
    const T big = x > C::kMax ? std::numeric_limits<T>::infinity() : value;
    const T small = x < C::kMin ? T(0) : big;
    return x != x ? x : small;
}

}  // namespace tg::kernels
