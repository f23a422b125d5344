// The loops that tapegrad splits across threads (elementwise and broadcasting maps, strided
// copies, reshape, unfold/fold, matrix products, sums over axes, max and its mask) give the same
// values on 2 threads as plain loops in this file, and exactly the same values as on 1 thread. The
// tensors are large enough that every one of these loops really splits.

#include <catch2/catch.hpp>

#include <cstddef>
#include <vector>

#include "../helpers.hpp"
#include "tapegrad.hpp"
#include "unfold_reference.hpp"

using namespace tg;
using namespace tgtest;

namespace {

std::vector<double> values(const Tensor& t) {
    return t.to_vector();
}

// The inputs, made once.
struct Inputs {
    Tensor a, row, w, left, right, floats;
};

Inputs make_inputs() {
    Generator gen(7), gen_f(11);
    Inputs in;
    in.a = rand({64, 8, 24, 24}, gen, kFloat64);  // 294,912 elements
    in.row = rand({1, 8, 1, 24}, gen, kFloat64);
    in.w = rand({16, 8 * 9}, gen, kFloat64);
    in.left = rand({600, 300}, gen, kFloat64);
    in.right = rand({300, 200}, gen, kFloat64);
    in.floats = rand({100, 6, 500}, gen_f, kFloat32);
    return in;
}

const Geometry kGeometry{64, 8, 24, 24, 3, 1, 1};  // unfold's columns: [64, 72, 576]

enum Result {
    kMul,
    kPermute,
    kBroadcast,
    kReshape,
    kUnfold,
    kFold,
    kFiltersTimesColumns,
    kMatmul,
    kSumKeepdims,
    kSumFirstLast,
    kMax,
    kArgmaxMask,
    kSumFloats,
};

// Every op below, on the given thread count, in the order of Result.
std::vector<std::vector<double>> run_all(int threads, const Inputs& in) {
    ScopedNumThreads tc(threads);
    const Tensor cols = unfold(in.a, kGeometry.window());
    return {values(mul(in.a, in.row)), values(permute(in.a, {0, 2, 3, 1})),
            values(broadcast_to(in.row, {64, 8, 24, 24})), values(reshape(in.a, {64 * 8, 576})),
            values(cols), values(fold(cols, 24, 24, kGeometry.window())),
            values(matmul(in.w, cols)), values(matmul(in.left, in.right)),
            values(sum(in.a, {0, 2, 3}, true)), values(sum(in.a, {0, 3}, false)),
            values(max(cols, 1)), values(argmax_mask(cols, 1)),
            // 100 items do not split evenly into the 64 blocks of partial sums.
            values(sum(in.floats, {0, 2}, false))};
}

}  // namespace

TEST_CASE("parallel loops match plain loops and give the same bits on 1 and 2 threads",
          "[ops][threads]") {
    const Inputs in = make_inputs();
    const auto one = run_all(1, in);
    const auto two = run_all(2, in);
    REQUIRE(one.size() == two.size());
    for (std::size_t i = 0; i < one.size(); ++i) {
        INFO("result " << i);
        CHECK(one[i] == two[i]);
    }

    // Plain-loop references on 2 threads' results.
    const auto av = values(in.a), rv = values(in.row);
    std::vector<double> mul_ref(av.size()), permute_ref(av.size()), broadcast_ref(av.size());
    for (std::size_t n = 0; n < 64; ++n)
        for (std::size_t c = 0; c < 8; ++c)
            for (std::size_t h = 0; h < 24; ++h)
                for (std::size_t x = 0; x < 24; ++x) {
                    const std::size_t i = ((n * 8 + c) * 24 + h) * 24 + x;
                    mul_ref[i] = av[i] * rv[c * 24 + x];
                    permute_ref[((n * 24 + h) * 24 + x) * 8 + c] = av[i];
                    broadcast_ref[i] = rv[c * 24 + x];
                }
    require_all_close(two[kMul], mul_ref, 0, 0, "a * row");
    require_all_close(two[kPermute], permute_ref, 0, 0, "permute");
    require_all_close(two[kBroadcast], broadcast_ref, 0, 0, "broadcast_to");
    require_all_close(two[kReshape], av, 0, 0, "reshape");

    // unfold and fold by the walk over kernel taps of unfold_reference.hpp.
    const Geometry& g = kGeometry;
    const auto cols = columns(av, g);
    require_all_close(two[kUnfold], cols, 0, 0, "unfold");
    require_all_close(two[kFold], fold_ref(cols, g), 1e-14, 1e-14, "fold");
    require_all_close(two[kFiltersTimesColumns],
                      batch_product(values(in.w), false, 16, g.K(), cols, g.N, g.P()), 1e-12, 1e-12,
                      "filters @ columns");

    // The [600, 300] x [300, 200] product.
    const auto lv = values(in.left), mv = values(in.right);
    std::vector<double> product(600 * 200, 0.0);
    for (std::size_t i = 0; i < 600; ++i)
        for (std::size_t k = 0; k < 300; ++k)
            for (std::size_t j = 0; j < 200; ++j)
                product[i * 200 + j] += lv[i * 300 + k] * mv[k * 200 + j];
    require_all_close(two[kMatmul], product, 1e-12, 1e-12, "matmul");

    // max over the 72 rows of each image's columns, and the mask of the first maximal row.
    std::vector<double> max_ref(g.N * g.P()), mask_ref(cols.size(), 0.0);
    for (std::size_t n = 0; n < g.N; ++n)
        for (std::size_t q = 0; q < g.P(); ++q) {
            std::size_t best = 0;
            for (std::size_t k = 1; k < g.K(); ++k)
                if (cols[(n * g.K() + k) * g.P() + q] > cols[(n * g.K() + best) * g.P() + q])
                    best = k;
            max_ref[n * g.P() + q] = cols[(n * g.K() + best) * g.P() + q];
            mask_ref[(n * g.K() + best) * g.P() + q] = 1;
        }
    require_all_close(two[kMax], max_ref, 0, 0, "max");
    require_all_close(two[kArgmaxMask], mask_ref, 0, 0, "argmax_mask");

    // Per-channel sums (as batch norm takes them), against a plain loop.
    for (std::size_t c = 0; c < 8; ++c) {
        double s = 0;
        for (std::size_t n = 0; n < 64; ++n)
            for (std::size_t i = 0; i < 576; ++i) s += av[(n * 8 + c) * 576 + i];
        CHECK(two[kSumKeepdims][c] == Approx(s).epsilon(1e-12));
    }
    // Sums over the first and last axes, against plain loops.
    for (std::size_t c = 0; c < 8; ++c)
        for (std::size_t h = 0; h < 24; ++h) {
            double s = 0;
            for (std::size_t n = 0; n < 64; ++n)
                for (std::size_t x = 0; x < 24; ++x) s += av[((n * 8 + c) * 24 + h) * 24 + x];
            CHECK(two[kSumFirstLast][c * 24 + h] == Approx(s).epsilon(1e-12));
        }
    // The same in float, for [100, 6, 500] summed over axes 0 and 2.
    const auto bv = values(in.floats);
    for (std::size_t c = 0; c < 6; ++c) {
        double s = 0;
        for (std::size_t n = 0; n < 100; ++n)
            for (std::size_t i = 0; i < 500; ++i) s += bv[(n * 6 + c) * 500 + i];
        CHECK(two[kSumFloats][c] == Approx(s).epsilon(1e-6));
    }
}
