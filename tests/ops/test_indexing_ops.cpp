// Values of the indexing, rearranging and product ops against plain loops written here, typed
// errors for bad indices and shapes, and empty tensors. Derivatives are checked in
// tests/op_cases.hpp (gradcheck, gradgradcheck, jvp).

#include "../helpers.hpp"

using namespace tgtest;
using tg::Generator;

namespace {

std::vector<double> values_of(const Tensor& t) {
    return t.to_vector();
}

}  // namespace

TEST_CASE("gather and take_along_axis pick x[index] along an axis", "[indexing][gather]") {
    Generator gen(1);
    const Tensor x = sample({3, 4, 2}, Domain::any, gen);
    const auto xv = values_of(x);
    auto at = [&](std::size_t i, std::size_t j, std::size_t k) { return xv[(i * 4 + j) * 2 + k]; };
    // axis 1, index of shape [2, 3, 2] (shorter than x on axes 0 and 1)
    const std::vector<std::int64_t> idx{3, 0, 1, 1, 2, 3, 0, 0, 3, 2, 1, 0};
    const Shape ishape{2, 3, 2};
    std::vector<double> want;
    for (std::size_t i = 0; i < 2; ++i)
        for (std::size_t j = 0; j < 3; ++j)
            for (std::size_t k = 0; k < 2; ++k)
                want.push_back(at(i, static_cast<std::size_t>(idx[(i * 3 + j) * 2 + k]), k));
    for (auto dtype : {tg::kFloat64, tg::kFloat32}) {
        const Tensor xd = tg::to_dtype(x, dtype);
        const Tensor y = tg::gather(xd, 1, idx, ishape);
        REQUIRE(y.shape() == ishape);
        require_close(y, want, dtype == tg::kFloat64 ? 0 : 1e-6);
        require_close_tensors(tg::take_along_axis(xd, idx, ishape, -2), y, 0);
    }
    // axis 0 and the last axis
    const std::vector<std::int64_t> i0{2, 0, 1, 2, 0, 0, 0, 1};
    const Tensor y0 = tg::gather(x, 0, i0, {1, 4, 2});
    for (std::size_t j = 0; j < 4; ++j)
        for (std::size_t k = 0; k < 2; ++k)
            CHECK(y0.to_vector()[j * 2 + k] == at(static_cast<std::size_t>(i0[j * 2 + k]), j, k));
    const Tensor y2 = tg::gather(x, 2, {1, 1, 0}, {3, 1, 1});
    CHECK(y2.to_vector() == std::vector<double>{at(0, 0, 1), at(1, 0, 1), at(2, 0, 0)});
}

TEST_CASE("scatter_add adds src at index; scatter writes it", "[indexing][scatter]") {
    Generator gen(2);
    const Tensor x = sample({3, 4}, Domain::any, gen);
    const Tensor src = sample({2, 4}, Domain::any, gen);
    const std::vector<std::int64_t> idx{2, 0, 2, 1, 2, 1, 0, 0};  // axis 0, repeats in columns 0, 3
    std::vector<double> add = x.to_vector();
    const auto sv = src.to_vector();
    for (std::size_t i = 0; i < 2; ++i)
        for (std::size_t j = 0; j < 4; ++j)
            add[static_cast<std::size_t>(idx[i * 4 + j]) * 4 + j] += sv[i * 4 + j];
    require_close(tg::scatter_add(x, 0, idx, {2, 4}, src), add, 1e-15);

    // scatter along axis 1 with distinct targets per row
    const Tensor s2 = sample({3, 2}, Domain::any, gen);
    const std::vector<std::int64_t> i2{3, 0, 1, 2, 0, 3};
    std::vector<double> put = x.to_vector();
    const auto s2v = s2.to_vector();
    for (std::size_t i = 0; i < 3; ++i)
        for (std::size_t j = 0; j < 2; ++j)
            put[i * 4 + static_cast<std::size_t>(i2[i * 2 + j])] = s2v[i * 2 + j];
    require_close(tg::scatter(x, 1, i2, {3, 2}, s2), put, 0);

    // scatter's gradient: to src everywhere, to x off the written places
    const Tensor xl = x.detach().requires_grad_();
    const Tensor sl = s2.detach().requires_grad_();
    const Tensor w = sample({3, 4}, Domain::any, gen);
    const auto g = tg::grad({tg::sum(tg::scatter(xl, 1, i2, {3, 2}, sl) * w)}, {xl, sl});
    std::vector<double> gx = w.to_vector(), gs(6);
    for (std::size_t i = 0; i < 3; ++i)
        for (std::size_t j = 0; j < 2; ++j) {
            const std::size_t at = i * 4 + static_cast<std::size_t>(i2[i * 2 + j]);
            gs[i * 2 + j] = w.to_vector()[at];
            gx[at] = 0;
        }
    require_close(g[0], gx, 0);
    require_close(g[1], gs, 0);
}

TEST_CASE("gather and scatter reject bad indices and shapes", "[indexing][errors]") {
    const Tensor x = tg::zeros({3, 4}, tg::kFloat64);
    require_throws<tg::ValueError>(
        [&] {
            tg::gather(x, 0, {0, 3}, {2, 1});
        },
        {"gather", "index 3", "size 3"});
    require_throws<tg::ValueError>(
        [&] {
            tg::gather(x, 1, {-1}, {1, 1});
        },
        {"gather", "index -1", "size 4"});
    require_throws<tg::ShapeError>(
        [&] {
            tg::gather(x, 1, {0, 1}, {2});
        },
        {"gather", "[2]", "rank", "[3, 4]"});
    require_throws<tg::ShapeError>(
        [&] {
            tg::gather(x, 1, {0, 0, 0, 0}, {4, 1});
        },
        {"gather", "[4, 1]", "axis 0"});
    require_throws<tg::ShapeError>(
        [&] {
            tg::gather(x, 1, {0, 0, 0}, {2, 1});
        },
        {"gather", "3 index values", "[2, 1]"});
    require_throws<tg::ValueError>([&] { tg::gather(x, 2, {0}, {1, 1}); }, {"gather", "2"});
    require_throws<tg::ValueError>(
        [&] {
            tg::scatter_add(x, 0, {5}, {1, 1}, tg::zeros({1, 1}, tg::kFloat64));
        },
        {"scatter_add", "index 5", "size 3"});
    require_throws<tg::ShapeError>(
        [&] {
            tg::scatter_add(x, 0, {0}, {1, 1}, tg::zeros({1, 2}, tg::kFloat64));
        },
        {"scatter_add", "[1, 2]", "[1, 1]"});
    require_throws<tg::DTypeError>(
        [&] {
            tg::scatter_add(x, 0, {0}, {1, 1}, tg::zeros({1, 1}, tg::kFloat32));
        },
        {"scatter_add"});
    require_throws<tg::ValueError>(
        [&] {
            tg::scatter(x, 0, {1, 1}, {2, 1}, tg::zeros({2, 1}, tg::kFloat64));
        },
        {"scatter", "index 1", "position 1", "scatter_add"});
}

TEST_CASE("gather and scatter_add of empty index tensors", "[indexing][empty]") {
    const Tensor x = tg::ones({3, 4}, tg::kFloat64);
    CHECK(tg::gather(x, 0, {}, {0, 4}).shape() == Shape{0, 4});
    const Tensor e = tg::zeros({0, 4}, tg::kFloat64);
    CHECK(tg::gather(e, 1, {}, {0, 2}).shape() == Shape{0, 2});
    require_close(tg::scatter_add(x, 1, {}, {3, 0}, tg::zeros({3, 0}, tg::kFloat64)),
                  std::vector<double>(12, 1.0), 0);
}

TEST_CASE("masked_fill and masked_select", "[indexing][mask]") {
    Generator gen(3);
    const Tensor x = sample({3, 4}, Domain::any, gen);
    const Tensor row = tg::from_vector({1, 0, 0, 1}, {4}, tg::kFloat64);  // broadcasts over rows
    const auto xv = x.to_vector();
    std::vector<double> filled = xv, picked;
    for (std::size_t i = 0; i < 3; ++i)
        for (std::size_t j = 0; j < 4; ++j)
            if (j == 0 || j == 3) {
                filled[i * 4 + j] = -7.5;
                picked.push_back(xv[i * 4 + j]);
            }
    require_close(tg::masked_fill(x, row, -7.5), filled, 0);
    const Tensor sel = tg::masked_select(x, row);
    CHECK(sel.shape() == Shape{6});
    require_close(sel, picked, 0);
    // the gradient of masked_select goes back to the selected places
    const Tensor xl = x.detach().requires_grad_();
    const Tensor w = sample({6}, Domain::any, gen);
    const auto g = tg::grad({tg::sum(tg::masked_select(xl, row) * w)}, {xl});
    std::vector<double> want(12, 0.0);
    for (std::size_t i = 0, k = 0; i < 3; ++i) {
        want[i * 4] = w.to_vector()[k++];
        want[i * 4 + 3] = w.to_vector()[k++];
    }
    require_close(g[0], want, 0);
    // a NaN under the mask is replaced, and gets no gradient
    const Tensor n = tg::from_vector({std::nan(""), 1.0}, {2}, tg::kFloat64).requires_grad_();
    const Tensor m = tg::from_vector({1, 0}, {2}, tg::kFloat64);
    const auto gn = tg::grad({tg::sum(tg::masked_fill(n, m, 0.0))}, {n});
    CHECK(gn[0].to_vector() == std::vector<double>{0, 1});
    require_throws<tg::ShapeError>(
        [&] {
            tg::masked_fill(tg::zeros({4}, tg::kFloat64), tg::zeros({3, 4}, tg::kFloat64), 1);
        },
        {"masked_fill", "[3, 4]", "[4]"});
    CHECK(tg::masked_select(x, tg::zeros({3, 4}, tg::kFloat64)).shape() == Shape{0});
}

TEST_CASE("flip, roll, tile, repeat and expand", "[indexing][rearrange]") {
    Generator gen(4);
    const Tensor x = sample({3, 4}, Domain::any, gen);
    const auto v = x.to_vector();
    std::vector<double> flipped, rolled, tiled;
    for (std::size_t i = 0; i < 3; ++i)
        for (std::size_t j = 0; j < 4; ++j) flipped.push_back(v[(2 - i) * 4 + (3 - j)]);
    require_close(tg::flip(x, {0, -1}), flipped, 0);
    // roll by 1 along axis 0 and -5 (= -1 mod 4) along axis 1: out[(i+1)%3][(j-1)%4] = x[i][j]
    rolled.assign(12, 0);
    for (std::size_t i = 0; i < 3; ++i)
        for (std::size_t j = 0; j < 4; ++j) rolled[((i + 1) % 3) * 4 + (j + 3) % 4] = v[i * 4 + j];
    require_close(tg::roll(x, {1, -5}, {0, 1}), rolled, 0);
    // tile [3, 4] by [2, 1, 2] -> [2, 3, 8]
    const Tensor t = tg::tile(x, {2, 1, 2});
    REQUIRE(t.shape() == Shape{2, 3, 8});
    for (std::size_t r = 0; r < 2; ++r)
        for (std::size_t i = 0; i < 3; ++i)
            for (std::size_t j = 0; j < 8; ++j) tiled.push_back(v[i * 4 + j % 4]);
    require_close(t, tiled, 0);
    require_close_tensors(tg::repeat(x, {2, 1, 2}), t, 0);
    CHECK(tg::tile(x, {2}).shape() == Shape{3, 8});
    CHECK(tg::tile(x, {0, 2}).shape() == Shape{0, 8});
    const Tensor e = tg::expand(tg::reshape(x, {3, 1, 4}), {2, -1, 5, -1});
    REQUIRE(e.shape() == Shape{2, 3, 5, 4});
    const auto ev = e.to_vector();
    for (std::size_t b = 0; b < 2; ++b)
        for (std::size_t i = 0; i < 3; ++i)
            for (std::size_t k = 0; k < 5; ++k)
                for (std::size_t j = 0; j < 4; ++j)
                    REQUIRE(ev[((b * 3 + i) * 5 + k) * 4 + j] == v[i * 4 + j]);
    require_throws<tg::ValueError>([&] { tg::repeat(x, {2}); }, {"repeat", "rank 2"});
    require_throws<tg::ShapeError>([&] { tg::expand(x, {-1, 3, 4}); }, {"expand", "-1"});
    require_throws<tg::ValueError>([&] { tg::flip(x, {0, -2}); }, {"flip", "repeat"});
    require_throws<tg::ValueError>([&] { tg::roll(x, {1}, {0, 1}); }, {"roll", "1 shifts"});
}

TEST_CASE("tril, triu, diagonal, diag_embed and diag", "[indexing][rearrange]") {
    Generator gen(5);
    const Tensor x = sample({2, 3, 4}, Domain::any, gen);
    const auto v = x.to_vector();
    for (std::int64_t k : {-1, 0, 2}) {
        std::vector<double> lo(24), up(24);
        for (std::size_t b = 0; b < 2; ++b)
            for (std::int64_t i = 0; i < 3; ++i)
                for (std::int64_t j = 0; j < 4; ++j) {
                    const std::size_t at = b * 12 + static_cast<std::size_t>(i * 4 + j);
                    lo[at] = j - i <= k ? v[at] : 0;
                    up[at] = j - i >= k ? v[at] : 0;
                }
        require_close(tg::tril(x, k), lo, 0);
        require_close(tg::triu(x, k), up, 0);
    }
    // diagonal of axes (1, 2) with offsets, and of axes (2, 0)
    for (std::int64_t off : {-2, -1, 0, 1, 3, 4}) {
        std::vector<double> want;
        for (std::size_t b = 0; b < 2; ++b)
            for (std::int64_t i = 0; i < 3; ++i)
                if (i + off >= 0 && i + off < 4)
                    want.push_back(v[b * 12 + static_cast<std::size_t>(i * 4 + i + off)]);
        const Tensor d = tg::diagonal(x, off, 1, 2);
        REQUIRE(d.dim() == 2);
        CHECK(d.shape()[0] == 2);
        require_close(d, want, 0);
    }
    std::vector<double> want20;  // x[i][j][k] with k = j' = ... : plane (axis 2, axis 0)
    for (std::size_t j = 0; j < 3; ++j)
        for (std::size_t i = 0; i < 2; ++i) want20.push_back(v[i * 12 + j * 4 + i]);
    require_close(tg::diagonal(x, 0, 2, 0), want20, 0);
    // diag_embed of [2, 3] at offsets 0, 1, -2
    const Tensor d = sample({2, 3}, Domain::any, gen);
    const auto dv = d.to_vector();
    for (std::int64_t off : {0, 1, -2}) {
        const std::size_t s = 3 + static_cast<std::size_t>(std::abs(off));
        std::vector<double> want(2 * s * s, 0.0);
        for (std::size_t b = 0; b < 2; ++b)
            for (std::int64_t i = 0; i < 3; ++i) {
                const std::int64_t r = off >= 0 ? i : i - off, c = r + off;
                want[b * s * s + static_cast<std::size_t>(r) * s + static_cast<std::size_t>(c)] =
                    dv[b * 3 + static_cast<std::size_t>(i)];
            }
        const Tensor m = tg::diag_embed(d, off);
        REQUIRE(m.shape() == Shape{2, s, s});
        require_close(m, want, 0);
    }
    const Tensor row = tg::reshape(tg::slice(d, 0, 0, 1), {3});
    REQUIRE(tg::diag(row, 1).shape() == Shape{4, 4});
    require_close_tensors(tg::diag(tg::diag(row, 1), 1), row, 0);
    require_throws<tg::ValueError>([&] { tg::tril(tg::zeros({3}, tg::kFloat64)); },
                                   {"tril", "[3]"});
    require_throws<tg::ValueError>([&] { tg::diag(x); }, {"diag", "[2, 3, 4]"});
    require_throws<tg::ValueError>([&] { tg::diagonal(x, 0, 1, -2); }, {"diagonal", "axis 1"});
}

TEST_CASE("split and chunk", "[indexing][rearrange]") {
    const Tensor x = tg::arange(14, tg::kFloat64);
    const Tensor m = tg::reshape(x, {2, 7});
    const auto parts = tg::split(m, 3, 1);
    REQUIRE(parts.size() == 3);
    CHECK(parts[0].to_vector() == std::vector<double>{0, 1, 2, 7, 8, 9});
    CHECK(parts[2].to_vector() == std::vector<double>{6, 13});
    const auto sized = tg::split(x, std::vector<std::size_t>{5, 0, 9});
    REQUIRE(sized.size() == 3);
    CHECK(sized[1].shape() == Shape{0});
    CHECK(sized[2].to_vector().front() == 5);
    const auto chunks = tg::chunk(x, 4);  // ceil(14/4) = 4: pieces 4, 4, 4, 2
    REQUIRE(chunks.size() == 4);
    CHECK(chunks[3].to_vector() == std::vector<double>{12, 13});
    CHECK(tg::chunk(tg::arange(6, tg::kFloat64), 4).size() == 3);  // pieces of 2, as PyTorch
    require_throws<tg::ShapeError>(
        [&] {
            tg::split(x, std::vector<std::size_t>{5, 5});
        },
        {"split", "10", "14"});
    require_throws<tg::ValueError>([&] { tg::chunk(x, 0); }, {"chunk", "0 chunks"});
}

TEST_CASE("pad modes follow PyTorch", "[indexing][pad]") {
    // Reference from torch.nn.functional.pad semantics, written out by index arithmetic.
    Generator gen(6);
    const Tensor x = sample({2, 3, 4}, Domain::any, gen);
    const auto v = x.to_vector();
    const std::size_t b0 = 2, a0 = 1, b1 = 3, a1 = 2;  // pads of axes 1 and 2
    const std::int64_t n = 3, m = 4;
    for (auto mode : {tg::PadMode::reflect, tg::PadMode::replicate, tg::PadMode::circular,
                      tg::PadMode::constant}) {
        auto src = [&](std::int64_t i, std::int64_t len) -> std::int64_t {
            switch (mode) {
                case tg::PadMode::reflect:
                    return i < 0 ? -i : (i >= len ? 2 * len - 2 - i : i);
                case tg::PadMode::replicate:
                    return std::min(std::max<std::int64_t>(i, 0), len - 1);
                case tg::PadMode::circular:
                    return ((i % len) + len) % len;
                default:
                    return (i < 0 || i >= len) ? -1 : i;
            }
        };
        std::vector<double> want;
        for (std::size_t b = 0; b < 2; ++b)
            for (std::int64_t i = -static_cast<std::int64_t>(b0);
                 i < n + static_cast<std::int64_t>(a0); ++i)
                for (std::int64_t j = -static_cast<std::int64_t>(b1);
                     j < m + static_cast<std::int64_t>(a1); ++j) {
                    const std::int64_t si = src(i, n), sj = src(j, m);
                    want.push_back(
                        si < 0 || sj < 0 ? 2.5 : v[b * 12 + static_cast<std::size_t>(si * m + sj)]);
                }
        const Tensor y = tg::pad(x, {{0, 0}, {b0, a0}, {b1, a1}}, mode, 2.5);
        REQUIRE(y.shape() == Shape{2, 6, 9});
        require_close(y, want, 0);
    }
    require_throws<tg::ValueError>(
        [&] {
            tg::pad(x, {{0, 0}, {3, 0}, {0, 0}}, tg::PadMode::reflect);
        },
        {"pad (reflect)", "axis 1", "[2, 3, 4]"});
    require_throws<tg::ValueError>(
        [&] {
            tg::pad(tg::zeros({0}, tg::kFloat64), {{1, 0}}, tg::PadMode::circular);
        },
        {"pad (circular)", "empty"});
}

namespace {

// C[b] = A[b] B[b] for row-major [n, k] and [k, m] blocks, by plain loops.
std::vector<double> loop_matmul(const std::vector<double>& a, const std::vector<double>& b,
                                std::size_t n, std::size_t k, std::size_t m) {
    std::vector<double> c(n * m, 0.0);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < m; ++j)
            for (std::size_t l = 0; l < k; ++l) c[i * m + j] += a[i * k + l] * b[l * m + j];
    return c;
}

}  // namespace

TEST_CASE("outer, kron and tensordot", "[indexing][products]") {
    Generator gen(7);
    const Tensor a = sample({3}, Domain::any, gen), b = sample({4}, Domain::any, gen);
    std::vector<double> o;
    for (double x : a.to_vector())
        for (double y : b.to_vector()) o.push_back(x * y);
    require_close(tg::outer(a, b), o, 0);
    // kron of [2, 3] and [2, 2]: [4, 6]
    const Tensor p = sample({2, 3}, Domain::any, gen), q = sample({2, 2}, Domain::any, gen);
    const auto pv = p.to_vector(), qv = q.to_vector();
    std::vector<double> k(24);
    for (std::size_t i = 0; i < 2; ++i)
        for (std::size_t j = 0; j < 3; ++j)
            for (std::size_t r = 0; r < 2; ++r)
                for (std::size_t s = 0; s < 2; ++s)
                    k[(i * 2 + r) * 6 + j * 2 + s] = pv[i * 3 + j] * qv[r * 2 + s];
    const Tensor kr = tg::kron(p, q);
    REQUIRE(kr.shape() == Shape{4, 6});
    require_close(kr, k, 0);
    CHECK(tg::kron(a, q).shape() == Shape{2, 6});  // a as [1, 3]
    // tensordot of [2, 3, 4] and [4, 3, 5] over a's axes (1, 2) with b's (1, 0)
    const Tensor x = sample({2, 3, 4}, Domain::any, gen), y = sample({4, 3, 5}, Domain::any, gen);
    const auto xv = x.to_vector(), yv = y.to_vector();
    std::vector<double> t(10, 0.0);
    for (std::size_t i = 0; i < 2; ++i)
        for (std::size_t m = 0; m < 5; ++m)
            for (std::size_t j = 0; j < 3; ++j)
                for (std::size_t l = 0; l < 4; ++l)
                    t[i * 5 + m] += xv[(i * 3 + j) * 4 + l] * yv[(l * 3 + j) * 5 + m];
    require_close(tg::tensordot(x, y, {1, 2}, {1, 0}), t, 1e-12);
    CHECK(tg::tensordot(x, tg::permute(y, {1, 0, 2}), 2).shape() == Shape{2, 5});
    require_close(
        tg::tensordot(x, tg::permute(y, {1, 0, 2}), std::size_t{0}),
        tg::reshape(
            tg::mul(tg::reshape(x, {24, 1}), tg::reshape(tg::permute(y, {1, 0, 2}), {1, 60})), {-1})
            .to_vector(),
        0);
    require_throws<tg::ShapeError>([&] { tg::tensordot(x, y, {0}, {0}); },
                                   {"tensordot", "[2, 3, 4]", "[4, 3, 5]"});
    require_throws<tg::ShapeError>([&] { tg::outer(p, b); }, {"outer", "[2, 3]"});
}

TEST_CASE("batched_matmul broadcasts its batch axes", "[indexing][products]") {
    Generator gen(8);
    const Tensor a = sample({2, 1, 3, 4}, Domain::any, gen);
    const Tensor b = sample({3, 4, 5}, Domain::any, gen);
    const auto av = a.to_vector(), bv = b.to_vector();
    std::vector<double> want;
    for (std::size_t i = 0; i < 2; ++i)
        for (std::size_t j = 0; j < 3; ++j) {
            const std::vector<double> ab(av.begin() + static_cast<std::ptrdiff_t>(i * 12),
                                         av.begin() + static_cast<std::ptrdiff_t>(i * 12 + 12));
            const std::vector<double> bb(bv.begin() + static_cast<std::ptrdiff_t>(j * 20),
                                         bv.begin() + static_cast<std::ptrdiff_t>(j * 20 + 20));
            const auto c = loop_matmul(ab, bb, 3, 4, 5);
            want.insert(want.end(), c.begin(), c.end());
        }
    const Tensor c = tg::batched_matmul(a, b);
    REQUIRE(c.shape() == Shape{2, 3, 3, 5});
    require_close(c, want, 1e-12, 1e-12);
    CHECK(tg::batched_matmul(tg::slice(b, 0, 0, 1), tg::zeros({5, 2}, tg::kFloat64)).shape() ==
          Shape{1, 4, 2});
    require_throws<tg::ShapeError>(
        [&] {
            tg::batched_matmul(tg::zeros({2, 2, 3, 4}, tg::kFloat64), b);
        },
        {"batched_matmul", "[2, 2, 3, 4]", "[3, 4, 5]", "broadcast"});
    require_throws<tg::ShapeError>([&] { tg::batched_matmul(a, a); },
                                   {"batched_matmul", "inner", "4 vs 3"});
}

TEST_CASE("einsum against plain loops", "[indexing][einsum]") {
    Generator gen(9);
    // bhqd,bhkd->bhqk: attention scores
    const Tensor q = sample({2, 3, 4, 5}, Domain::any, gen),
                 k = sample({2, 3, 6, 5}, Domain::any, gen);
    const auto qv = q.to_vector(), kv = k.to_vector();
    std::vector<double> s(2 * 3 * 4 * 6, 0.0);
    for (std::size_t b = 0; b < 2; ++b)
        for (std::size_t h = 0; h < 3; ++h)
            for (std::size_t i = 0; i < 4; ++i)
                for (std::size_t j = 0; j < 6; ++j)
                    for (std::size_t d = 0; d < 5; ++d)
                        s[((b * 3 + h) * 4 + i) * 6 + j] +=
                            qv[((b * 3 + h) * 4 + i) * 5 + d] * kv[((b * 3 + h) * 6 + j) * 5 + d];
    const Tensor e = tg::einsum("bhqd,bhkd->bhqk", {q, k});
    REQUIRE(e.shape() == Shape{2, 3, 4, 6});
    require_close(e, s, 1e-12, 1e-12);
    // ij,jk->ik, implicit ij,jk and bij,bjk->bik
    const Tensor x = sample({3, 4}, Domain::any, gen), y = sample({4, 2}, Domain::any, gen);
    const auto xy = loop_matmul(x.to_vector(), y.to_vector(), 3, 4, 2);
    require_close(tg::einsum("ij,jk->ik", {x, y}), xy, 1e-12, 1e-12);
    require_close(tg::einsum("ij,jk", {x, y}), xy, 1e-12, 1e-12);
    require_close(tg::einsum("ij,jk->ki", {x, y}),
                  tg::transpose(tg::from_vector(xy, {3, 2}, tg::kFloat64)).to_vector(), 1e-12,
                  1e-12);
    const Tensor bx = tg::reshape(tg::concat({x, x * 2.0}, 0), {2, 3, 4});
    const Tensor by = tg::reshape(tg::concat({y, -y}, 0), {2, 4, 2});
    std::vector<double> bxy = xy;
    for (double v : xy) bxy.push_back(-2 * v);
    require_close(tg::einsum("bij,bjk->bik", {bx, by}), bxy, 1e-12, 1e-12);
    // i,j->ij
    const Tensor u = sample({3}, Domain::any, gen), w = sample({4}, Domain::any, gen);
    require_close_tensors(tg::einsum("i,j->ij", {u, w}), tg::outer(u, w), 0);
    // bi,ij,bj->b: a bilinear form per batch row
    const Tensor l = sample({2, 3}, Domain::any, gen), r = sample({2, 4}, Domain::any, gen);
    const auto lv = l.to_vector(), rv = r.to_vector(), xv = x.to_vector();
    std::vector<double> bil(2, 0.0);
    for (std::size_t b = 0; b < 2; ++b)
        for (std::size_t i = 0; i < 3; ++i)
            for (std::size_t j = 0; j < 4; ++j)
                bil[b] += lv[b * 3 + i] * xv[i * 4 + j] * rv[b * 4 + j];
    require_close(tg::einsum("bi,ij,bj->b", {l, x, r}), bil, 1e-12, 1e-12);
    // one operand: a transpose and a sum; a label only in one operand is summed
    require_close_tensors(tg::einsum("ij->ji", {x}), tg::transpose(x), 0);
    require_close(tg::einsum("ij->", {x}), {tg::sum(x).item()}, 1e-12);
    require_close_tensors(tg::einsum("ij,k->i", {x, w}), tg::sum(x, {1}) * tg::sum(w), 1e-12,
                          1e-12);
    // errors name the equation and what is wrong
    require_throws<tg::ValueError>([&] { tg::einsum("ii->i", {x}); },
                                   {"einsum", "\"ii->i\"", "repeats"});
    require_throws<tg::ValueError>([&] { tg::einsum("...ij->ij", {x}); }, {"einsum", "ellipses"});
    require_throws<tg::ValueError>([&] { tg::einsum("ij->k", {x}); },
                                   {"einsum", "'k'", "no input"});
    require_throws<tg::ValueError>([&] { tg::einsum("ij,jk->ik", {x}); },
                                   {"einsum", "2 operands", "1 tensors"});
    require_throws<tg::ShapeError>(
        [&] {
            tg::einsum("ij,ij->i", {x, y});
        },
        {"einsum", "label 'i'", "size 3"});
    require_throws<tg::ShapeError>([&] { tg::einsum("ijk->i", {x}); },
                                   {"einsum", "\"ijk\"", "[3, 4]"});
}

TEST_CASE("sort and topk along an axis", "[indexing][sort]") {
    Generator gen(10);
    const Tensor x = sample({3, 5, 2}, Domain::any, gen);
    const auto v = x.to_vector();
    for (bool desc : {false, true}) {
        const tg::SortResult r = tg::sort(x, 1, desc);
        REQUIRE(r.values.shape() == x.shape());
        REQUIRE(r.indices.size() == 30);
        const auto rv = r.values.to_vector();
        for (std::size_t o = 0; o < 3; ++o)
            for (std::size_t i = 0; i < 2; ++i) {
                std::vector<double> col;
                for (std::size_t j = 0; j < 5; ++j) col.push_back(v[(o * 5 + j) * 2 + i]);
                std::vector<double> want = col;
                std::sort(want.begin(), want.end());
                if (desc) std::reverse(want.begin(), want.end());
                for (std::size_t j = 0; j < 5; ++j) {
                    const std::size_t at = (o * 5 + j) * 2 + i;
                    CHECK(rv[at] == want[j]);
                    CHECK(col[static_cast<std::size_t>(r.indices[at])] == want[j]);
                }
            }
    }
    // topk of the last axis: the k largest, largest first; smallest when asked
    const Tensor m = tg::from_vector({3, 1, 4, 1, 5, 9, 2, 6}, {2, 4}, tg::kFloat64);
    const tg::SortResult t = tg::topk(m, 2);
    CHECK(t.values.to_vector() == std::vector<double>{4, 3, 9, 6});
    CHECK(t.indices == std::vector<std::int64_t>{2, 0, 1, 3});
    const tg::SortResult lo = tg::topk(m, 3, 1, false);
    CHECK(lo.values.to_vector() == std::vector<double>{1, 1, 3, 2, 5, 6});
    CHECK(lo.indices == std::vector<std::int64_t>{1, 3, 0, 2, 0, 3});  // ties keep index order
    // NaN sorts above every number
    const Tensor n = tg::from_vector({2, std::nan(""), -1}, {3}, tg::kFloat64);
    const tg::SortResult up = tg::sort(n);
    CHECK(up.indices == std::vector<std::int64_t>{2, 0, 1});
    CHECK(tg::sort(n, 0, true).indices == std::vector<std::int64_t>{1, 0, 2});
    // the gradient goes to where each value came from
    const Tensor ml = m.detach().requires_grad_();
    const Tensor w = tg::from_vector({10, 20, 30, 40}, {2, 2}, tg::kFloat64);
    const auto g = tg::grad({tg::sum(tg::topk(ml, 2).values * w)}, {ml});
    CHECK(g[0].to_vector() == std::vector<double>{20, 0, 10, 0, 0, 30, 0, 40});
    CHECK(tg::topk(m, 0).values.shape() == Shape{2, 0});
    CHECK(tg::sort(tg::zeros({0, 3}, tg::kFloat64), 0).values.shape() == Shape{0, 3});
    require_throws<tg::ValueError>([&] { tg::topk(m, 5); }, {"topk", "k = 5", "size 4"});
    require_throws<tg::ValueError>([&] { tg::sort(tg::scalar_tensor(1.0)); }, {"sort", "0-d"});
}

TEST_CASE("rearranging ops on empty tensors, NaN and oversized results", "[indexing][empty]") {
    const Tensor e = tg::zeros({0, 3}, tg::kFloat64);
    CHECK(tg::flip(e, {0, 1}).shape() == Shape{0, 3});
    CHECK(tg::roll(e, {2, 1}, {0, 1}).shape() == Shape{0, 3});
    CHECK(tg::tril(e).shape() == Shape{0, 3});
    CHECK(tg::diagonal(e).shape() == Shape{0});
    CHECK(tg::diag_embed(tg::zeros({2, 0}, tg::kFloat64)).shape() == Shape{2, 0, 0});
    CHECK(tg::pad(e, {{0, 0}, {1, 2}}, tg::PadMode::replicate).shape() == Shape{0, 6});
    CHECK(tg::einsum("ij,jk->ik", {e, tg::ones({3, 2}, tg::kFloat64)}).shape() == Shape{0, 2});
    CHECK(tg::batched_matmul(tg::zeros({0, 2, 3}, tg::kFloat64), tg::ones({3, 4}, tg::kFloat64))
              .shape() == Shape{0, 2, 4});
    // tril of a NaN above the diagonal: 0, and no NaN in the gradient
    const Tensor n =
        tg::from_vector({1, std::nan(""), 2, 3}, {2, 2}, tg::kFloat64).requires_grad_();
    CHECK(tg::tril(n).to_vector() == std::vector<double>{1, 0, 2, 3});
    const auto g = tg::grad({tg::sum(tg::tril(n))}, {n});
    CHECK(g[0].to_vector() == std::vector<double>{1, 0, 1, 1});
    // sizes that overflow are ShapeErrors, not allocations
    const std::size_t huge = std::size_t{1} << 62;
    require_throws<tg::ShapeError>(
        [&] {
            tg::pad(tg::zeros({2}, tg::kFloat64), {{huge, huge}}, tg::PadMode::circular);
        },
        {"pad (circular)", "[2]"});
    require_throws<tg::ShapeError>(
        [&] { tg::diag_embed(tg::zeros({2}, tg::kFloat64), std::int64_t{1} << 40); },
        {"diag_embed"});
    require_throws<tg::ShapeError>(
        [&] {
            tg::tile(tg::zeros({2}, tg::kFloat64), {std::int64_t{1} << 62, 8});
        },
        {"tile"});
}
