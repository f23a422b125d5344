// The loops that tapegrad splits across threads (elementwise and broadcasting maps, strided
// copies, reshape, unfold/fold, matrix products, sums over axes, max and its mask) give the same
// values on 2 threads as plain loops in this file, and exactly the same values as on 1 thread. The
// tensors are large enough that every one of these loops really splits.

#include <catch2/catch.hpp>

#include <cstddef>
#include <vector>

#include "tapegrad.hpp"

using namespace tg;

namespace {

struct ThreadCount {
    explicit ThreadCount(int n) : before(num_threads()) { set_num_threads(n); }
    ~ThreadCount() { set_num_threads(before); }
    int before;
};

std::vector<double> values(const Tensor& t) {
    return t.to_vector();
}

// Every op below, on the given thread count.
std::vector<std::vector<double>> run_all(int threads, const Tensor& floats) {
    ThreadCount tc(threads);
    Generator gen(7);
    const Tensor a = rand({64, 8, 24, 24}, gen, kFloat64);  // 294,912 elements
    const Tensor row = rand({1, 8, 1, 24}, gen, kFloat64);
    const Tensor w = rand({16, 8 * 9}, gen, kFloat64);
    const Window window{3, 3, 1, 1, 1, 1};
    const Tensor cols = unfold(a, window);  // [64, 72, 576]
    std::vector<std::vector<double>> results{
        values(mul(a, row)),
        values(permute(a, {0, 2, 3, 1})),
        values(broadcast_to(row, {64, 8, 24, 24})),
        values(reshape(a, {64 * 8, 576})),
        values(cols),
        values(fold(cols, 24, 24, window)),
        values(matmul(w, cols)),
        values(matmul(rand({600, 300}, gen, kFloat64), rand({300, 200}, gen, kFloat64))),
        values(sum(a, {0, 2, 3}, true)),
        values(sum(a, {0, 3}, false)),
        values(max(cols, 1)),
        values(argmax_mask(cols, 1))};
    // 100 items do not split evenly into the 64 blocks of partial sums.
    results.push_back(values(sum(floats, {0, 2}, false)));
    return results;
}

}  // namespace

TEST_CASE("parallel loops match plain loops and give the same bits on 1 and 2 threads",
          "[ops][threads]") {
    Generator gen_f(11);
    const Tensor floats = rand({100, 6, 500}, gen_f, kFloat32);
    const auto one = run_all(1, floats);
    const auto two = run_all(2, floats);
    REQUIRE(one.size() == two.size());
    for (std::size_t i = 0; i < one.size(); ++i) {
        INFO("result " << i);
        CHECK(one[i] == two[i]);
    }

    // Plain-loop references on 2 threads' results, for the broadcasting product and permute.
    Generator gen(7);
    const Tensor a = rand({64, 8, 24, 24}, gen, kFloat64);
    const Tensor row = rand({1, 8, 1, 24}, gen, kFloat64);
    const auto av = values(a), rv = values(row);
    std::size_t bad_mul = 0, bad_permute = 0;
    for (std::size_t n = 0; n < 64; ++n)
        for (std::size_t c = 0; c < 8; ++c)
            for (std::size_t h = 0; h < 24; ++h)
                for (std::size_t x = 0; x < 24; ++x) {
                    const std::size_t i = ((n * 8 + c) * 24 + h) * 24 + x;
                    if (two[0][i] != av[i] * rv[c * 24 + x]) ++bad_mul;
                    if (two[1][((n * 24 + h) * 24 + x) * 8 + c] != av[i]) ++bad_permute;
                }
    CHECK(bad_mul == 0);
    CHECK(bad_permute == 0);

    // Per-channel sums (as batch norm takes them), against a plain loop.
    for (std::size_t c = 0; c < 8; ++c) {
        double s = 0;
        for (std::size_t n = 0; n < 64; ++n)
            for (std::size_t i = 0; i < 576; ++i) s += av[(n * 8 + c) * 576 + i];
        CHECK(two[8][c] == Approx(s).epsilon(1e-12));
    }
    // Sums over the first and last axes, against plain loops.
    for (std::size_t c = 0; c < 8; ++c)
        for (std::size_t h = 0; h < 24; ++h) {
            double s = 0;
            for (std::size_t n = 0; n < 64; ++n)
                for (std::size_t x = 0; x < 24; ++x) s += av[((n * 8 + c) * 24 + h) * 24 + x];
            CHECK(two[9][c * 24 + h] == Approx(s).epsilon(1e-12));
        }
    // The same in float, for [100, 6, 500] summed over axes 0 and 2.
    const auto bv = values(floats);
    for (std::size_t c = 0; c < 6; ++c) {
        double s = 0;
        for (std::size_t n = 0; n < 100; ++n)
            for (std::size_t i = 0; i < 500; ++i) s += bv[(n * 6 + c) * 500 + i];
        CHECK(two[12][c] == Approx(s).epsilon(1e-6));
    }
}
