// The communicator, broadcasting a model, the differentiable all-reduce, metrics. Expected
// values are closed forms in the ranks.

#include "dist_helpers.hpp"

using namespace dtest;

namespace {

// 0 + 1 + ... + (size - 1)
double rank_sum(int size) {
    return 0.5 * size * (size - 1);
}

}  // namespace

TEST_CASE("Communicator: rank, size, all_reduce and broadcast", "[distributed]") {
    REQUIRE(dist::Environment::initialized());
    REQUIRE(dist::Environment::launched_by_mpirun());
    const auto comm = world();
    const int rank = comm.rank(), size = comm.size();
    CHECK(size >= 1);
    CHECK(rank >= 0);
    CHECK(rank < size);
    CHECK(comm.is_root() == (rank == 0));

    CHECK(comm.all_reduce(double(rank)) == rank_sum(size));
    CHECK(comm.all_reduce(double(rank), dist::ReduceOp::max) == size - 1);
    CHECK(comm.all_reduce(std::int64_t(rank + 1), dist::ReduceOp::min) == 1);

    Tensor t = tg::from_vector({double(rank), 1.0}, {2}, tg::kFloat32);
    comm.all_reduce(t);
    tgtest::require_close(t, {rank_sum(size), double(size)}, 0);

    Tensor b = tg::full({3}, rank + 5.0, tg::kFloat64);
    comm.broadcast(b, size - 1);
    tgtest::require_close(b, {size + 4.0, size + 4.0, size + 4.0}, 0);

    tgtest::require_throws<tg::ValueError>([&] { comm.broadcast(b, size); }, {"root"});
    // A tensor of another size on one process: every process gets the error.
    Tensor odd = tg::zeros({rank == 0 ? std::size_t(2) : std::size_t(3)}, tg::kFloat64);
    if (size > 1) {
        tgtest::require_throws<tg::ShapeError>([&] { comm.broadcast(odd); },
                                               {"Communicator::broadcast", "differs from rank 0"});
    }
    // Only leaves can be overwritten.
    const Tensor leaf = tg::ones({2}, tg::kFloat64).requires_grad_();
    Tensor result = leaf * 2.0;
    tgtest::require_throws<tg::ValueError>([&] { comm.all_reduce(result); }, {"leaves"});
    comm.barrier();
}

TEST_CASE("broadcast_module: every process starts from rank 0's parameters and buffers",
          "[distributed]") {
    const auto comm = world();
    auto make = [&] {
        return std::make_shared<nn::Sequential>(
            std::make_shared<nn::Linear>(nn::LinearOptions(3, 2)),
            std::make_shared<nn::BatchNorm1d>(nn::BatchNormOptions(2).dtype(tg::kFloat64)));
    };
    auto net = make();
    // Process r fills everything with r + 1 (the float Linear and the double batch norm).
    for (Tensor t : net->parameters()) tg::nn::init::constant_(t, comm.rank() + 1.0);
    for (Tensor t : net->buffers()) tg::nn::init::constant_(t, comm.rank() + 1.0);
    dist::broadcast_module(comm, *net);
    for (const auto& [name, t] : net->state()) {
        INFO(name);
        for (double v : t.to_vector()) CHECK(v == 1.0);
    }
    CHECK(dist::replicas_identical(comm, net->parameters()));

    // Buffers averaged: (1 + ... + size) / size.
    for (Tensor t : net->buffers()) tg::nn::init::constant_(t, comm.rank() + 1.0);
    dist::average_buffers(comm, *net);
    for (const auto& [name, t] : net->named_buffers()) {
        INFO(name);
        for (double v : t.to_vector()) CHECK(v == (comm.size() + 1) / 2.0);
    }

    // Different models on different processes: a ShapeError everywhere, nothing changed.
    if (comm.size() > 1) {
        auto other = comm.rank() == 1 ? std::make_shared<nn::Sequential>(
                                            std::make_shared<nn::Linear>(nn::LinearOptions(3, 3)))
                                      : make();
        tgtest::require_throws<tg::ShapeError>(
            [&] { dist::broadcast_module(comm, *other); },
            {"broadcast_tensors", "differ from rank 0", "same model"});
        tg::Generator gen(comm.rank() == 0 ? 1 : 2);
        const Tensor mine = tg::randn({4}, gen, tg::kFloat64).requires_grad_();
        CHECK_FALSE(dist::replicas_identical(comm, {mine}));
    }
}

TEST_CASE("all_reduce_sum: the sum over processes, differentiable to any order", "[distributed]") {
    const auto comm = world();
    const int rank = comm.rank(), size = comm.size();
    const double r = rank;
    // x_r = (r + 1, 2r): the sum is (S + size, 2S) with S = sum of ranks.
    const Tensor x = tg::from_vector({r + 1, 2 * r}, {2}, tg::kFloat64).requires_grad_();
    const Tensor s = dist::all_reduce_sum(comm, x);
    const double S = rank_sum(size);
    tgtest::require_close(s, {S + size, 2 * S}, 0);
    CHECK(x.to_vector() == std::vector<double>{r + 1, 2 * r});  // the input is left alone

    // Process r's output y_r = (r + 1) * sum(s^2). The backward of the all-reduce sums the
    // incoming gradients, so each process gets the gradient of sum_r y_r with respect to its
    // own x: (sum_k (k + 1)) * 2 s.
    const double weights = S + size;
    const Tensor y = (r + 1) * tg::sum(tg::square(s));
    const auto g = tg::grad({y}, {x}, {}, tg::GradOptions().create_graph(true));
    tgtest::require_close(g[0], {weights * 2 * (S + size), weights * 2 * (2 * S)}, 1e-12);
    // Second order: d/dx_r of sum_k v . g_k, with g_k = W * 2 * s(x): 2 W * (sum_k v) = 2 W size v
    // for v the same everywhere.
    const Tensor v = tg::from_vector({1.0, -3.0}, {2}, tg::kFloat64);
    const auto h = tg::grad({tg::sum(g[0] * v)}, {x});
    tgtest::require_close(h[0], {2 * weights * size * 1.0, 2 * weights * size * -3.0}, 1e-12);
    // Forward mode: the tangent of s is the sum of the tangents.
    const auto j =
        tg::jvp([&](const std::vector<Tensor>& in) { return dist::all_reduce_sum(comm, in[0]); },
                {x.detach()}, {tg::from_vector({1.0, r}, {2}, tg::kFloat64)});
    tgtest::require_close(j.tangent, {double(size), S}, 0);

    // Mismatched shapes: every process gets the error.
    if (size > 1) {
        const Tensor odd = tg::zeros({rank == 0 ? std::size_t(2) : std::size_t(3)});
        tgtest::require_throws<tg::ShapeError>([&] { dist::all_reduce_sum(comm, odd); },
                                               {"all_reduce_sum", "different sizes"});
    }
}

TEST_CASE("Metrics: sums over processes give the metrics of all examples", "[distributed]") {
    const auto comm = world();
    const int rank = comm.rank(), size = comm.size();
    // Process r sees r + 1 batches of 4 examples, each with mean loss r + 0.5 and 3 correct.
    dist::Metrics m;
    for (int b = 0; b <= rank; ++b) m.add(rank + 0.5, 3, 4);
    const dist::Metrics all = dist::all_reduce(comm, m);
    double loss_sum = 0, count = 0;
    for (int k = 0; k < size; ++k) {
        loss_sum += (k + 1) * 4 * (k + 0.5);
        count += (k + 1) * 4;
    }
    CHECK(all.count == count);
    CHECK(all.correct == 3 * count / 4);
    CHECK(std::abs(all.loss() - loss_sum / count) <= 1e-15);
    CHECK(all.accuracy() == 0.75);
    CHECK(dist::all_reduce_mean(comm, double(rank)) == rank_sum(size) / size);
}
