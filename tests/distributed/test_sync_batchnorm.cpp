// Synchronised batch norm: the statistics of all processes' examples together, with derivatives
// of every order through the all-reduce. Compared with nn's batch norm on one process holding
// the whole batch.

#include "dist_helpers.hpp"

using namespace dtest;

namespace {

Tensor randn_like_shape(const Shape& shape, tg::Generator& gen, double scale = 1,
                        double shift = 0) {
    return tg::affine(tg::randn(shape, gen, tg::kFloat64), scale, shift).detach();
}

Tensor leaf_copy(const Tensor& t) {
    return t.detach().requires_grad_();
}

// Second derivatives with respect to beta are zero (it enters linearly): grad() leaves them
// undefined.
std::vector<Tensor> second_grad(const Tensor& out, const std::vector<Tensor>& inputs) {
    auto g = tg::grad({out}, inputs, {}, tg::GradOptions().allow_unused(true));
    for (std::size_t i = 0; i < g.size(); ++i)
        if (!g[i].defined()) g[i] = tg::zeros_like(inputs[i]);
    return g;
}

}  // namespace

TEST_CASE(
    "sync_batch_norm: values, gradients, Hessian-vector products and tangents are those "
    "of the global batch",
    "[distributed]") {
    const auto comm = world();
    const std::size_t N = 8;
    const std::vector<std::size_t> counts =
        comm.size() == 2 ? std::vector<std::size_t>{3, 5} : even_counts(N, comm.size());
    const Rows mine = rows_of(counts, comm.rank());
    const Shape shape{N, 3, 2, 2};
    tg::Generator gen(31);
    const Tensor x = randn_like_shape(shape, gen, 1.5, 0.5);
    const Tensor gamma = randn_like_shape({3}, gen, 0.5, 1.0);
    const Tensor beta = randn_like_shape({3}, gen);
    const Tensor W = randn_like_shape(shape, gen);  // the loss is sum(y * W)
    const Tensor v_x = randn_like_shape(shape, gen), v_g = randn_like_shape({3}, gen),
                 v_b = randn_like_shape({3}, gen);
    const Tensor t_x = randn_like_shape(shape, gen), t_g = randn_like_shape({3}, gen);
    const auto create = tg::GradOptions().create_graph(true);

    // One process, the whole batch.
    const Tensor xr = leaf_copy(x), gr = leaf_copy(gamma), br = leaf_copy(beta);
    Tensor rm = tg::zeros({3}, tg::kFloat64), rv = tg::ones({3}, tg::kFloat64);
    const Tensor y = tg::nn::functional::batch_norm(xr, rm, rv, gr, br, true);
    const auto g = tg::grad({tg::sum(y * W)}, {xr, gr, br}, {}, create);
    const auto hv =
        second_grad(tg::sum(g[0] * v_x) + tg::sum(g[1] * v_g) + tg::sum(g[2] * v_b), {xr, gr, br});
    const auto bn = [](const std::vector<Tensor>& in) {
        return tg::nn::functional::batch_norm(in[0], {}, {}, in[1], in[2], true);
    };
    const Tensor tangent =
        tg::jvp(bn, {x, gamma, beta}, {t_x, t_g, tg::zeros({3}, tg::kFloat64)}).tangent;

    // Every process, its rows.
    const Tensor xl = leaf_copy(rows(x, mine)), gl = leaf_copy(gamma), bl = leaf_copy(beta);
    Tensor rml = tg::zeros({3}, tg::kFloat64), rvl = tg::ones({3}, tg::kFloat64);
    const Tensor yl = dist::functional::sync_batch_norm(comm, xl, rml, rvl, gl, bl, true);
    const auto gloc = tg::grad({tg::sum(yl * rows(W, mine))}, {xl, gl, bl}, {}, create);
    const auto hvloc = second_grad(
        tg::sum(gloc[0] * rows(v_x, mine)) + tg::sum(gloc[1] * v_g) + tg::sum(gloc[2] * v_b),
        {xl, gl, bl});
    const auto sync_bn = [&](const std::vector<Tensor>& in) {
        return dist::functional::sync_batch_norm(comm, in[0], {}, {}, in[1], in[2], true);
    };
    const Tensor tangent_local = tg::jvp(sync_bn, {rows(x, mine), gamma, beta},
                                         {rows(t_x, mine), t_g, tg::zeros({3}, tg::kFloat64)})
                                     .tangent;

    // Gathered: rows of per-example quantities, sums of the shared parameters' contributions.
    const double tol = 1e-12;
    CHECK(max_abs_diff(gather_rows(comm, yl, N, mine), y) <= tol);
    CHECK(max_abs_diff(gather_rows(comm, gloc[0], N, mine), g[0]) <= tol);
    CHECK(max_abs_diff(summed(comm, gloc[1]), g[1]) <= tol);
    CHECK(max_abs_diff(summed(comm, gloc[2]), g[2]) <= tol);
    CHECK(max_abs_diff(gather_rows(comm, hvloc[0], N, mine), hv[0]) <= tol);
    CHECK(max_abs_diff(summed(comm, hvloc[1]), hv[1]) <= tol);
    CHECK(max_abs_diff(summed(comm, hvloc[2]), hv[2]) <= tol);
    CHECK(max_abs_diff(gather_rows(comm, tangent_local, N, mine), tangent) <= tol);
    CHECK(max_abs_diff(rml, rm) <= tol);
    CHECK(max_abs_diff(rvl, rv) <= tol);
    // Not a comparison of zeros: the batch-norm curvature couples the examples.
    CHECK(max_abs_diff(hv[0], tg::zeros(shape, tg::kFloat64)) > 1e-3);
    // The running statistics moved, the same on every process.
    CHECK(max_abs_diff(rml, tg::zeros({3}, tg::kFloat64)) > 1e-3);
    CHECK(dist::replicas_identical(comm, {rml, rvl}));
}

TEST_CASE("sync_batch_norm: float32 agrees with nn's batch norm on the whole batch",
          "[distributed]") {
    const auto comm = world();
    const std::size_t N = 6;
    const Rows mine = rows_of(even_counts(N, comm.size()), comm.rank());
    tg::Generator gen(4);
    const Tensor x = tg::randn({N, 4}, gen, tg::kFloat32);
    const Tensor gamma = tg::uniform({4}, 0.5, 1.5, gen, tg::kFloat32);
    const Tensor beta = tg::randn({4}, gen, tg::kFloat32);
    const Tensor y = tg::nn::functional::batch_norm(x, {}, {}, gamma, beta, true);
    const Tensor yl =
        dist::functional::sync_batch_norm(comm, rows(x, mine), {}, {}, gamma, beta, true);
    CHECK(max_abs_diff(gather_rows(comm, yl, N, mine), y) <= 2e-6);
}

TEST_CASE("SyncBatchNorm trains like BatchNorm1d on one process with the whole batch",
          "[distributed]") {
    const auto comm = world();
    const std::size_t N = 16;
    const Rows mine = rows_of(even_counts(N, comm.size()), comm.rank());
    const Batch data = make_batch(N, tg::kFloat64, 8);
    const Tensor x = rows(data.x, mine);
    const auto labels = slice_labels(data.labels, mine);
    const auto make = [&](bool sync) {
        tg::Generator gen(9);
        const auto bn_options = nn::BatchNormOptions(6).dtype(tg::kFloat64);
        nn::ModulePtr bn;
        if (sync)
            bn = std::make_shared<dist::SyncBatchNorm>(comm, bn_options);
        else
            bn = std::make_shared<nn::BatchNorm1d>(bn_options);
        return std::make_shared<nn::Sequential>(
            std::make_shared<nn::Linear>(nn::LinearOptions(5, 6).dtype(tg::kFloat64), gen), bn,
            std::make_shared<nn::Tanh>(),
            std::make_shared<nn::Linear>(nn::LinearOptions(6, 3).dtype(tg::kFloat64), gen));
    };
    auto single = make(false);
    auto spread = make(true);
    tg::optim::SGD sgd_single(single->parameters(), tg::optim::SGDOptions(0.2).momentum(0.5));
    tg::optim::SGD sgd_spread(spread->parameters(), tg::optim::SGDOptions(0.2).momentum(0.5));
    dist::GradientReducer reducer(comm, *spread);
    for (int step = 0; step < 20; ++step) {
        single->zero_grad();
        tg::cross_entropy((*single)(data.x), data.labels).backward();
        sgd_single.step();
        spread->zero_grad();
        tg::cross_entropy((*spread)(x), labels).backward();
        reducer.synchronize();
        sgd_spread.step();
    }
    const auto state_single = single->state(), state_spread = spread->state();
    REQUIRE(state_single.size() == state_spread.size());
    for (std::size_t i = 0; i < state_single.size(); ++i) {
        INFO(state_single[i].first);
        CHECK(state_single[i].first == state_spread[i].first);
        CHECK(max_abs_diff(state_spread[i].second, state_single[i].second) <= 1e-12);
    }
    // Evaluation uses the (identical) running statistics and communicates nothing.
    single->eval();
    spread->eval();
    CHECK(max_abs_diff((*spread)(x), rows((*single)(data.x), mine)) <= 1e-12);
}

TEST_CASE("SyncBatchNorm: bad input", "[distributed]") {
    const auto comm = world();
    dist::SyncBatchNorm bn(comm, nn::BatchNormOptions(3));
    tgtest::require_throws<tg::ShapeError>(
        [&] {
            bn(tg::zeros({4, 5}));
        },
        {"SyncBatchNorm(3", "[4, 5]"});
    // One value per channel over all processes: every process gets the error.
    tgtest::require_throws<tg::ValueError>(
        [&] {
            const std::size_t n = comm.rank() == 0 ? 1 : 0;
            bn(tg::zeros({n, 3}));
        },
        {"sync_batch_norm", "at least 2"});
}
