// Data-parallel first-order training: parameters broadcast from rank 0, gradients averaged in
// buckets (with and without overlap), compared with one process training on the whole batch.

#include "dist_helpers.hpp"

using namespace dtest;
using tg::cross_entropy;

namespace {

enum class Mode { overlap, after_backward, closure };

// 20 steps of SGD with momentum on this process's rows of the global batch, gradients averaged
// over processes. Each process starts from its own initialisation: the broadcast must fix that.
std::vector<Tensor> train_data_parallel(DType dtype, Mode mode, const Batch& data,
                                        const std::vector<std::size_t>& counts,
                                        dist::ReducerStats* stats = nullptr,
                                        std::vector<std::size_t>* buckets = nullptr) {
    const auto comm = world();
    const Rows mine = rows_of(counts, comm.rank());
    const Tensor x = rows(data.x, mine);
    const auto labels = slice_labels(data.labels, mine);
    auto net = make_mlp(dtype, 100 + std::uint64_t(comm.rank()));
    dist::broadcast_module(comm, *net);
    tg::optim::SGD sgd(net->parameters(), tg::optim::SGDOptions(0.1).momentum(0.9));
    // A cap of 128 bytes gives several buckets even for this small model.
    dist::GradientReducer reducer(comm, *net,
                                  dist::GradientReducerOptions()
                                      .bucket_cap_mb(128.0 / (1024 * 1024))
                                      .overlap(mode == Mode::overlap));
    const auto closure = dist::data_parallel_closure(
        comm, net->parameters(),
        [&] {
            net->zero_grad();
            Tensor loss = cross_entropy((*net)(x), labels);
            loss.backward();
            return loss;
        },
        mine.count());
    for (int step = 0; step < 20; ++step) {
        if (mode == Mode::closure) {
            sgd.step(closure);
            continue;
        }
        net->zero_grad();
        cross_entropy((*net)(x), labels).backward();
        reducer.synchronize();
        sgd.step();
    }
    if (stats) *stats = reducer.stats();
    if (buckets) *buckets = reducer.bucket_sizes();
    std::vector<Tensor> out;
    for (const Tensor& p : net->parameters()) out.push_back(p.detach());
    REQUIRE(dist::replicas_identical(comm, net->parameters()));
    return out;
}

// The same 20 steps on one process with the whole batch, from rank 0's initialisation.
std::vector<Tensor> train_single(DType dtype, const Batch& data) {
    auto net = make_mlp(dtype, 100);
    tg::optim::SGD sgd(net->parameters(), tg::optim::SGDOptions(0.1).momentum(0.9));
    for (int step = 0; step < 20; ++step) {
        net->zero_grad();
        cross_entropy((*net)(data.x), data.labels).backward();
        sgd.step();
    }
    std::vector<Tensor> out;
    for (const Tensor& p : net->parameters()) out.push_back(p.detach());
    return out;
}

}  // namespace

TEST_CASE(
    "data-parallel SGD: every process with its share of the batch ends where one process "
    "with the whole batch does, after 20 steps",
    "[distributed]") {
    const auto comm = world();
    for (DType dtype : {tg::kFloat32, tg::kFloat64}) {
        const double tol = dtype == tg::kFloat32 ? 1e-6 : 1e-12;
        const Batch data = make_batch(16, dtype, 5);
        const auto counts = even_counts(16, comm.size());
        const auto reference = train_single(dtype, data);

        dist::ReducerStats stats;
        std::vector<std::size_t> buckets;
        const auto overlapped =
            train_data_parallel(dtype, Mode::overlap, data, counts, &stats, &buckets);
        const auto after = train_data_parallel(dtype, Mode::after_backward, data, counts);
        const auto closure = train_data_parallel(dtype, Mode::closure, data, counts);

        INFO(tg::dtype_name(dtype) << " on " << comm.size() << " processes");
        CHECK(max_abs_diff(overlapped, reference) <= tol);
        CHECK(max_abs_diff(closure, reference) <= tol);
        // Overlapping changes when the buckets are reduced, not what is summed.
        CHECK(max_abs_diff(overlapped, after) == 0);
        // The reference moved away from the start: the comparison is not between two idle runs.
        CHECK(max_abs_diff(reference, make_mlp(dtype, 100)->parameters()) > 1e-2);

        // Buckets: 75 elements in all, none over the cap unless it holds a single parameter
        // (parameters of 3, 24, 8 and 40 elements, in reverse order).
        std::size_t total = 0;
        for (std::size_t b : buckets) total += b;
        CHECK(total == 75);
        CHECK(buckets.size() >= 3);
        CHECK(stats.synchronizations == 20);
        CHECK(stats.started_in_backward + stats.started_in_synchronize == 20 * buckets.size());
        // The last layer's bucket completes during backward and is started from a hook.
        CHECK(stats.started_in_backward >= 20);
    }
}

TEST_CASE("GradientReducer: buckets follow the cap and the element type", "[distributed]") {
    const auto comm = world();
    tg::Generator gen(3);
    std::vector<Tensor> params{
        tg::randn({10}, gen, tg::kFloat32).requires_grad_(),
        tg::randn({6}, gen, tg::kFloat32).requires_grad_(),
        tg::randn({4}, gen, tg::kFloat64).requires_grad_(),
        tg::randn({30}, gen, tg::kFloat32).requires_grad_(),
        tg::randn({2}, gen, tg::kFloat32).requires_grad_(),
    };
    // 64 bytes: 16 floats or 8 doubles. Reverse order: 2f, 30f (alone: over the cap), 4d, 6f+10f.
    dist::GradientReducer reducer(
        comm, params, dist::GradientReducerOptions().bucket_cap_mb(64.0 / (1024 * 1024)));
    CHECK(reducer.bucket_sizes() == std::vector<std::size_t>{2, 30, 4, 16});
}

TEST_CASE("GradientReducer: parameters a process did not use, accumulation, misuse",
          "[distributed]") {
    const auto comm = world();
    const int rank = comm.rank(), size = comm.size();
    const auto r = double(rank);
    const Tensor a = tg::zeros({3}, tg::kFloat64).requires_grad_();
    const Tensor b = tg::zeros({2}, tg::kFloat64).requires_grad_();
    // loss = sum(a * u) (+ sum(b * w) on rank 0 only): gradients u and w.
    const auto u = [&](double k) {
        return tg::from_vector({r + k, 2 * r, -r * k}, {3}, tg::kFloat64);
    };
    const Tensor w = tg::from_vector({1.5, -2.0}, {2}, tg::kFloat64);

    SECTION("a parameter that backward did not reach on some process") {
        dist::GradientReducer reducer(comm, {a, b});
        Tensor loss = tg::sum(a * u(1));
        if (rank == 0) loss = loss + tg::sum(b * w);
        loss.backward();
        reducer.synchronize();
        // a: the mean of u over ranks; b: w from rank 0 and nothing (zero) from the others.
        double mean_r = 0;
        for (int k = 0; k < size; ++k) mean_r += k;
        mean_r /= size;
        tgtest::require_close(a.grad(), {mean_r + 1, 2 * mean_r, -mean_r}, 1e-15);
        tgtest::require_close(b.grad(), {1.5 / size, -2.0 / size}, 1e-15);
    }

    SECTION("gradients accumulated over several backward passes are reduced as a whole") {
        dist::GradientReducer reducer(comm, {a, b});
        reducer.set_enabled(false);  // the first pass stays local (DDP's no_sync)
        tg::sum(a * u(1)).backward();
        reducer.set_enabled(true);
        (tg::sum(a * u(2)) + tg::sum(b * w)).backward();
        reducer.synchronize();
        double mean_r = 0;
        for (int k = 0; k < size; ++k) mean_r += k;
        mean_r /= size;
        // u(1) + u(2) = (2r + 3, 4r, -3r), averaged over ranks.
        tgtest::require_close(a.grad(), {2 * mean_r + 3, 4 * mean_r, -3 * mean_r}, 1e-15);
        tgtest::require_close(b.grad(), {1.5, -2.0}, 1e-15);
    }

    SECTION("two backward passes without synchronize() in between") {
        dist::GradientReducer reducer(comm, {a, b});
        (tg::sum(a * u(1)) + tg::sum(b * w)).backward();
        tgtest::require_throws<tg::GraphError>(
            [&] { tg::sum(a * u(1)).backward(); },
            {"received a second gradient before synchronize()", "set_enabled(false)"});
        reducer.synchronize();  // completes the all-reduces the first pass started
    }

    SECTION("bad arguments") {
        tgtest::require_throws<tg::ValueError>(
            [&] { dist::GradientReducer(comm, std::vector<Tensor>{}); }, {"empty"});
        tgtest::require_throws<tg::ValueError>(
            [&] {
                dist::GradientReducer(comm, {a, a});
            },
            {"same tensor"});
        tgtest::require_throws<tg::ValueError>(
            [&] { dist::GradientReducer(comm, {tg::zeros({2})}); }, {"leaf that requires grad"});
        tgtest::require_throws<tg::ValueError>(
            [&] {
                dist::GradientReducer(comm, {a}, dist::GradientReducerOptions().bucket_cap_mb(0));
            },
            {"bucket_cap_mb"});
    }
}

TEST_CASE("GradientReducer: processes with different parameter lists all get a ShapeError",
          "[distributed]") {
    const auto comm = world();
    if (comm.size() < 2) return;
    std::vector<Tensor> params{tg::zeros({4}).requires_grad_()};
    if (comm.rank() == 1) params.push_back(tg::zeros({2}).requires_grad_());
    tgtest::require_throws<tg::ShapeError>([&] { dist::GradientReducer(comm, params); },
                                           {"GradientReducer", "differ from rank 0"});
}
