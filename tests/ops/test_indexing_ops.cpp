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
