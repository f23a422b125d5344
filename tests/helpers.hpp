#pragma once
// Shared test helpers: seeded inputs kept inside an op's domain, and element-wise comparisons
// against values computed independently in the test.

#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "tapegrad.hpp"

namespace tgtest {

using tg::Shape;
using tg::Tensor;

// Where an op's inputs may lie, so that finite differences never straddle a kink or a pole.
enum class Domain {
    any,             // N(0, 1)
    positive,        // U[0.5, 2)
    away_from_zero,  // +-U[0.3, 1.5)
    unit,            // U[0.1, 0.9): probabilities
};

inline std::size_t numel(const Shape& s) {
    std::size_t n = 1;
    for (auto d : s) n *= d;
    return n;
}

inline Tensor sample(const Shape& shape, Domain d, tg::Generator& gen,
                     tg::DType dtype = tg::kFloat64) {
    std::vector<double> v(numel(shape));
    for (auto& x : v) {
        switch (d) {
            case Domain::any:
                x = gen.normal();
                break;
            case Domain::positive:
                x = gen.uniform(0.5, 2.0);
                break;
            case Domain::away_from_zero:
                x = gen.uniform(0.3, 1.5) * (gen.uniform() < 0.5 ? -1.0 : 1.0);
                break;
            case Domain::unit:
                x = gen.uniform(0.1, 0.9);
                break;
        }
    }
    return tg::from_vector(v, shape, dtype);
}

inline Tensor leaf(const Shape& shape, Domain d, tg::Generator& gen) {
    return sample(shape, d, gen).requires_grad_(true);
}

// |a - b| <= atol + rtol |b| for every element, with a message that names the first miss.
inline void require_close(const std::vector<double>& a, const std::vector<double>& b, double atol,
                          double rtol = 0, const std::string& what = "") {
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        INFO(what << " element " << i << ": " << a[i] << " vs " << b[i]);
        REQUIRE(std::abs(a[i] - b[i]) <= atol + rtol * std::abs(b[i]));
    }
}

inline void require_close(const Tensor& a, const std::vector<double>& b, double atol,
                          double rtol = 0, const std::string& what = "") {
    require_close(a.to_vector(), b, atol, rtol, what);
}

inline void require_close_tensors(const Tensor& a, const Tensor& b, double atol, double rtol = 0,
                                  const std::string& what = "") {
    REQUIRE(a.shape() == b.shape());
    require_close(a.to_vector(), b.to_vector(), atol, rtol, what);
}

// For large tensors, one assertion instead of one per element: every element must satisfy
// |a - b| <= atol + rtol |b|; the message gives the number of misses and the first one.
inline void require_all_close(const std::vector<double>& a, const std::vector<double>& b,
                              double atol, double rtol = 0, const std::string& what = "") {
    REQUIRE(a.size() == b.size());
    std::size_t misses = 0, first = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (!(std::abs(a[i] - b[i]) <= atol + rtol * std::abs(b[i])) && misses++ == 0) first = i;
    }
    INFO(what << ": " << misses << " of " << a.size() << " elements differ; the first, element "
              << first << ": " << (misses ? a[first] : 0.0) << " vs " << (misses ? b[first] : 0.0));
    REQUIRE(misses == 0);
}

inline void require_all_close(const Tensor& a, const std::vector<double>& b, double atol,
                              double rtol = 0, const std::string& what = "") {
    require_all_close(a.to_vector(), b, atol, rtol, what);
}

// |a - b| <= atol + rtol |b| element by element, with NaN matching NaN and infinities matching
// exactly (one assertion per element, naming it).
inline void require_same(const std::vector<double>& a, const std::vector<double>& b, double atol,
                         double rtol, const std::string& what) {
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        INFO(what << " element " << i << ": " << a[i] << " vs " << b[i]);
        if (std::isnan(b[i])) {
            REQUIRE(std::isnan(a[i]));
        } else if (std::isinf(b[i])) {
            REQUIRE(a[i] == b[i]);
        } else {
            REQUIRE(std::abs(a[i] - b[i]) <= atol + rtol * std::abs(b[i]));
        }
    }
}

// Sets tapegrad's thread count (tg::set_num_threads) for a scope, and restores it.
struct ScopedNumThreads {
    explicit ScopedNumThreads(int n) : before(tg::num_threads()) { tg::set_num_threads(n); }
    ~ScopedNumThreads() { tg::set_num_threads(before); }
    ScopedNumThreads(const ScopedNumThreads&) = delete;
    ScopedNumThreads& operator=(const ScopedNumThreads&) = delete;
    int before;
};

// Runs the callable and checks that it throws E with every fragment in its message.
template <class E, class F>
void require_throws(F&& f, const std::vector<std::string>& fragments) {
    try {
        f();
    } catch (const E& e) {
        const std::string msg = e.what();
        for (const auto& frag : fragments) {
            INFO("message: " << msg);
            INFO("missing: " << frag);
            CHECK(msg.find(frag) != std::string::npos);
        }
        return;
    } catch (const std::exception& e) {
        FAIL("threw the wrong type: " << e.what());
    }
    FAIL("did not throw");
}

}  // namespace tgtest
