// Deferred results (ops/deferred.hpp): unfold's columns and a matrix-times-batch product are
// written only when read, and matmul and fold consume them image by image. Every value here is
// checked against plain loops in this file, and the tests check that the columns really were
// never written, so that they fail if a consumer silently stops fusing.

#include <catch2/catch.hpp>

#include <cstddef>
#include <thread>
#include <vector>

#include "../helpers.hpp"
#include "ops/deferred.hpp"
#include "tapegrad.hpp"
#include "unfold_reference.hpp"

using namespace tg;
using namespace tgtest;

namespace {

std::vector<double> random_values(std::size_t n, Generator& gen) {
    std::vector<double> v(n);
    for (auto& x : v) x = gen.normal();
    return v;
}

// Output widths 6 and 8 (unrolled whole-row copies), 11 (the general whole-row copy), with
// padding (rows split around it), with stride 2 (pooling windows, unrolled) and with stride 2
// and padding.
const Geometry kCases[] = {{3, 2, 9, 8, 3, 1, 0},
                           {2, 3, 10, 10, 5, 1, 2},
                           {2, 2, 13, 13, 3, 1, 0},
                           {2, 3, 16, 16, 2, 2, 0},
                           {4, 1, 11, 9, 3, 2, 1}};

}  // namespace

TEST_CASE("filters times unfold's columns is a convolution, and the columns are never written",
          "[ops][deferred]") {
    Generator gen(3);
    for (const Geometry& g : kCases) {
        const std::size_t O = 4;
        const auto xv = random_values(g.N * g.C * g.H * g.W, gen);
        const auto fv = random_values(O * g.K(), gen);
        const Tensor x = from_vector(xv, {g.N, g.C, g.H, g.W}, kFloat64);
        const Tensor f = from_vector(fv, {O, g.K()}, kFloat64);
        const Tensor cols = unfold(x, g.window());
        const Tensor y = matmul(f, cols);
        y.to_vector();
        CHECK(pending_batch(cols) != nullptr);  // consumed image by image, never stored
        require_close(y, batch_product(fv, false, O, g.K(), columns(xv, g), g.N, g.P()), 1e-12,
                      1e-12, "F @ unfold(x)");
        // Reading the columns themselves writes them all.
        require_close(cols, columns(xv, g), 0, 0, "unfold(x)");
        CHECK(pending_batch(cols) == nullptr);
    }
}

TEST_CASE("the filter-gradient product reads unfold's columns image by image", "[ops][deferred]") {
    Generator gen(4);
    for (const Geometry& g : kCases) {
        const std::size_t O = 3;
        const auto xv = random_values(g.N * g.C * g.H * g.W, gen);
        const auto gv = random_values(g.N * O * g.P(), gen);
        const Tensor cols = unfold(from_vector(xv, {g.N, g.C, g.H, g.W}, kFloat64), g.window());
        const Tensor grad = from_vector(gv, {g.N, O, g.P()}, kFloat64);
        const Tensor dw = matmul(grad, cols, false, true);  // [N, O, K]
        CHECK(pending_batch(cols) != nullptr);
        const auto cv = columns(xv, g);
        std::vector<double> expected(g.N * O * g.K(), 0.0);
        for (std::size_t n = 0; n < g.N; ++n)
            for (std::size_t o = 0; o < O; ++o)
                for (std::size_t k = 0; k < g.K(); ++k)
                    for (std::size_t q = 0; q < g.P(); ++q)
                        expected[(n * O + o) * g.K() + k] +=
                            gv[(n * O + o) * g.P() + q] * cv[(n * g.K() + k) * g.P() + q];
        require_close(dw, expected, 1e-12, 1e-12, "grad @ unfold(x)^T");
    }
}

TEST_CASE("fold of a pending product makes each image's columns just before folding them",
          "[ops][deferred]") {
    Generator gen(5);
    for (const Geometry& g : kCases) {
        const std::size_t O = 4;
        const auto fv = random_values(O * g.K(), gen);
        const auto gv = random_values(g.N * O * g.P(), gen);
        const Tensor f = from_vector(fv, {O, g.K()}, kFloat64);
        const Tensor dcols = matmul(f, from_vector(gv, {g.N, O, g.P()}, kFloat64), true, false);
        const Tensor dx = fold(dcols, g.H, g.W, g.window());
        CHECK(pending_batch(dcols) != nullptr);
        const auto expected_cols = batch_product(fv, true, g.K(), O, gv, g.N, g.P());
        require_close(dx, fold_ref(expected_cols, g), 1e-12, 1e-12, "fold(F^T @ g)");
        require_close(dcols, expected_cols, 1e-12, 1e-12, "F^T @ g");
    }
}

TEST_CASE("pending inputs nest: a product of a product of columns, on 1 and 2 threads",
          "[ops][deferred][threads]") {
    const Geometry g{6, 2, 12, 12, 3, 1, 1};
    Generator gen(6);
    const auto xv = random_values(g.N * g.C * g.H * g.W, gen);
    const auto fv = random_values(5 * g.K(), gen);
    const auto hv = random_values(3 * 5, gen);
    const auto inner = batch_product(fv, false, 5, g.K(), columns(xv, g), g.N, g.P());
    const auto expected = batch_product(hv, false, 3, 5, inner, g.N, g.P());
    for (int threads : {1, 2}) {
        const int before = num_threads();
        set_num_threads(threads);
        const Tensor x = from_vector(xv, {g.N, g.C, g.H, g.W}, kFloat64);
        const Tensor cols = unfold(x, g.window());
        const Tensor y = matmul(from_vector(fv, {5, g.K()}, kFloat64), cols);  // pending
        const Tensor z = matmul(from_vector(hv, {3, 5}, kFloat64), y);         // pending
        const auto values = z.to_vector();  // every item of z needs an item of y, of cols
        set_num_threads(before);
        CHECK(pending_batch(cols) != nullptr);
        CHECK(pending_batch(y) != nullptr);
        require_close(values, expected, 1e-11, 1e-12, "H @ (F @ unfold(x))");
    }
}

TEST_CASE("deferred values are those of the inputs when the op was called", "[ops][deferred]") {
    const Geometry g{2, 1, 6, 6, 3, 1, 0};
    Generator gen(7);
    const auto xv = random_values(g.N * g.C * g.H * g.W, gen);
    const auto fv = random_values(2 * g.K(), gen);
    const Tensor x = from_vector(xv, {g.N, g.C, g.H, g.W}, kFloat64);
    const Tensor f = from_vector(fv, {2, g.K()}, kFloat64);
    const Tensor cols = unfold(x, g.window());
    const Tensor y = matmul(f, from_vector(columns(xv, g), {g.N, g.K(), g.P()}, kFloat64));
    {
        NoGradGuard no_grad;  // leaves may be written in place afterwards
        x.mutable_array<double>().fill(100.0);
        f.mutable_array<double>().fill(-1.0);
    }
    CHECK(pending_batch(cols) != nullptr);
    require_close(cols, columns(xv, g), 0, 0, "unfold(x) after x changed");
    require_close(y, batch_product(fv, false, 2, g.K(), columns(xv, g), g.N, g.P()), 1e-12, 1e-12,
                  "F @ cols after F changed");
}

// Also run under ThreadSanitizer (scripts/check-threads runs the [tsan] cases).
TEST_CASE("threads that read one pending tensor at once all see the same values",
          "[ops][deferred][threads][tsan]") {
    const Geometry g{8, 3, 16, 16, 3, 1, 1};
    Generator gen(8);
    const auto xv = random_values(g.N * g.C * g.H * g.W, gen);
    const Tensor cols = unfold(from_vector(xv, {g.N, g.C, g.H, g.W}, kFloat64), g.window());
    std::vector<std::vector<double>> seen(4);
    std::vector<std::thread> readers;
    for (auto& s : seen) readers.emplace_back([&cols, &s] { s = cols.to_vector(); });
    for (auto& t : readers) t.join();
    const auto expected = columns(xv, g);
    for (const auto& s : seen) CHECK(s == expected);
}

TEST_CASE("a pending gradient accumulates, and zero_grad clears it", "[ops][deferred]") {
    // b's gradient from matmul(F, b) is the pending product F^T g; a second backward adds to it.
    Generator gen(9);
    const std::size_t N = 3, K = 4, P = 5, O = 2;
    const auto fv = random_values(O * K, gen);
    const Tensor f = from_vector(fv, {O, K}, kFloat64);
    const Tensor b = from_vector(random_values(N * K * P, gen), {N, K, P}, kFloat64);
    b.requires_grad_(true);
    const auto once = batch_product(fv, true, K, O, std::vector<double>(N * O * P, 1.0), N, P);
    sum(matmul(f, b)).backward();
    require_close(b.grad(), once, 1e-12, 1e-12, "first backward");
    sum(matmul(f, b)).backward();
    std::vector<double> twice(once);
    for (auto& v : twice) v *= 2;
    require_close(b.grad(), twice, 1e-12, 1e-12, "second backward");
    b.zero_grad();
    require_close(b.grad(), std::vector<double>(N * K * P, 0.0), 0, 0, "after zero_grad");
}

TEST_CASE("a reshape that keeps the first axis leaves unfold's columns unwritten",
          "[ops][deferred]") {
    const Geometry g{3, 4, 8, 8, 2, 2, 0};  // max-pool windows, grouped by channel
    Generator gen(10);
    const auto xv = random_values(g.N * g.C * g.H * g.W, gen);
    const Tensor cols = unfold(from_vector(xv, {g.N, g.C, g.H, g.W}, kFloat64), g.window());
    const Tensor grouped = reshape(cols, {3, 4, 4, 16});
    CHECK(pending_batch(grouped) != nullptr);
    require_close(grouped, columns(xv, g), 0, 0, "reshape(unfold(x))");
    CHECK(pending_batch(grouped) == nullptr);
    CHECK(pending_batch(cols) != nullptr);  // read through its source, never written
    // A reshape across the first axis needs the values themselves.
    const Tensor flat = reshape(cols, {3 * 16, 16});
    CHECK(pending_batch(flat) == nullptr);
    CHECK(pending_batch(cols) == nullptr);
    require_close(flat, columns(xv, g), 0, 0, "reshape(unfold(x)) across items");
}

namespace {

// x (shape [1, C, 1, 1] given as C values) broadcast to [N, C, H, W], with plain loops.
std::vector<double> spread(const std::vector<double>& c, std::size_t N, std::size_t H,
                           std::size_t W) {
    std::vector<double> out;
    for (std::size_t n = 0; n < N; ++n)
        for (double v : c)
            for (std::size_t i = 0; i < H * W; ++i) out.push_back(v);
    return out;
}

}  // namespace

TEST_CASE("a broadcast is written only when read; elementwise ops read its source",
          "[ops][deferred]") {
    Generator gen(11);
    const std::size_t N = 8, C = 4, H = 32, W = 16;  // large enough to be left pending
    const auto cv = random_values(C, gen);
    const auto xv = random_values(N * C * H * W, gen);
    const Tensor c = from_vector(cv, {1, C, 1, 1}, kFloat64);
    const Tensor x = from_vector(xv, {N, C, H, W}, kFloat64);
    const auto wide = spread(cv, N, H, W);

    const Tensor b = broadcast_to(c, {N, C, H, W});
    REQUIRE(pending_broadcast_source(b) != nullptr);

    // Unary: f(broadcast(s)) stays a pending broadcast of f(s).
    const Tensor doubled = affine(b, 2, 1);
    CHECK(pending_broadcast_source(doubled) != nullptr);
    std::vector<double> expected(wide);
    for (auto& v : expected) v = 2 * v + 1;
    require_close(doubled, expected, 1e-15, 0, "affine(broadcast)");

    // Binary with a full tensor: a full result, computed from the source.
    const Tensor prod = mul(b, x);
    CHECK(pending_broadcast_source(prod) == nullptr);
    for (std::size_t i = 0; i < expected.size(); ++i) expected[i] = wide[i] * xv[i];
    require_close(prod, expected, 1e-15, 0, "broadcast * x");

    // Binary of two broadcasts: the result is again a pending broadcast.
    const auto rv = random_values(N, gen);
    const Tensor r = broadcast_to(from_vector(rv, {N, 1, 1, 1}, kFloat64), {N, C, H, W});
    const Tensor both = sub(b, r);
    CHECK(pending_broadcast_source(both) != nullptr);
    for (std::size_t i = 0; i < expected.size(); ++i) expected[i] = wide[i] - rv[i / (C * H * W)];
    require_close(both, expected, 1e-15, 0, "broadcast - broadcast");

    CHECK(pending_broadcast_source(b) != nullptr);  // none of the above wrote b
    require_close(b, wide, 0, 0, "broadcast_to");
    CHECK(pending_broadcast_source(b) == nullptr);

    // Shape errors name the shapes the user gave, not the sources'.
    const Tensor seven = from_vector(random_values(7, gen), {7}, kFloat64);
    tgtest::require_throws<ShapeError>(
        [&] {
            add(broadcast_to(c, {N, C, H, W}), seven);
        },
        {"add", "[8, 4, 32, 16]", "[7]"});

    // A small broadcast is simply written.
    CHECK(pending_broadcast_source(broadcast_to(c, {2, C, 3, 3})) == nullptr);
}

TEST_CASE("a broadcast of a leaf keeps the values the leaf had", "[ops][deferred]") {
    const std::size_t n = 1 << 14;
    const Tensor c = from_vector({1.0, 2.0}, {2, 1}, kFloat64);
    const Tensor b = broadcast_to(c, {2, n});
    REQUIRE(pending_broadcast_source(b) != nullptr);
    {
        NoGradGuard no_grad;
        c.mutable_array<double>().fill(-5.0);
    }
    std::vector<double> expected(n, 1.0);
    expected.resize(2 * n, 2.0);
    require_close(b, expected, 0, 0, "broadcast after the leaf changed");
}

TEST_CASE("a batch of matrices times the columns of a single image", "[ops][deferred]") {
    // b is [1, K, P] and pending, a is a batch of 3: every product reads b's only item.
    const Geometry g{1, 2, 7, 7, 3, 1, 0};
    Generator gen(12);
    const auto xv = random_values(g.C * g.H * g.W, gen);
    const auto av = random_values(3 * 2 * g.K(), gen);
    const Tensor cols = unfold(from_vector(xv, {1, g.C, g.H, g.W}, kFloat64), g.window());
    const Tensor y = matmul(from_vector(av, {3, 2, g.K()}, kFloat64), cols);
    CHECK(pending_batch(cols) != nullptr);
    const auto cv = columns(xv, g);
    std::vector<double> expected;
    for (std::size_t i = 0; i < 3; ++i) {
        const std::vector<double> a_i(av.begin() + long(i * 2 * g.K()),
                                      av.begin() + long((i + 1) * 2 * g.K()));
        const auto y_i = batch_product(a_i, false, 2, g.K(), cv, 1, g.P());
        expected.insert(expected.end(), y_i.begin(), y_i.end());
    }
    require_close(y, expected, 1e-12, 1e-12, "A[i] @ unfold(x)[0]");
}
