// Second-order methods on data spread over processes: the loss, the gradient and every
// curvature-vector product are all-reduced, so the iterates are those of one process with the
// whole batch. The shards are deliberately of different sizes (weights 9/24 and 15/24 on 2
// processes).

#include "dist_helpers.hpp"

using namespace dtest;
using tg::cross_entropy;
namespace optim = tg::optim;

namespace {

std::vector<std::size_t> uneven_counts(std::size_t total, int size) {
    if (size == 2) return {9, total - 9};
    return even_counts(total, size);
}

std::vector<Tensor> values(const std::vector<Tensor>& params) {
    std::vector<Tensor> out;
    for (const Tensor& p : params) out.push_back(p.detach());
    return out;
}

struct Run {
    std::vector<Tensor> params;
    optim::Counters counters;
    double last_loss;
    std::size_t inner = 0;  // CG iterations (Newton-CG)
    double start = 0;       // the loss step() returned
};

}  // namespace

TEST_CASE(
    "data-parallel Newton-CG: 5 iterations on every process's share match one process on "
    "the whole batch",
    "[distributed]") {
    const auto comm = world();
    const Batch data = make_batch(24, tg::kFloat64, 11);
    const auto counts = uneven_counts(24, comm.size());
    const Rows mine = rows_of(counts, comm.rank());
    const Tensor x = rows(data.x, mine);
    const auto labels = slice_labels(data.labels, mine);
    const auto options = optim::NewtonCGOptions().max_iter(5).tolerance_grad(0).tolerance_step(0);

    for (bool gauss_newton : {false, true}) {
        const auto run = [&](bool distributed) {
            auto net = make_mlp(tg::kFloat64, 21);
            optim::NewtonCG opt(net->parameters(), options);
            const Tensor& in = distributed ? x : data.x;
            const auto& y = distributed ? labels : data.labels;
            if (distributed) dist::make_data_parallel(opt, comm, mine.count());
            if (gauss_newton) {
                opt.step([&] { return (*net)(in); },
                         [&](const Tensor& z) { return cross_entropy(z, y); });
            } else {
                opt.step([&] { return cross_entropy((*net)(in), y); });
            }
            return Run{values(net->parameters()), opt.counters(), opt.last_loss(),
                       opt.cg_iterations(), 0};
        };
        const Run single = run(false);
        const Run spread = run(true);

        INFO((gauss_newton ? "Gauss-Newton" : "Hessian") << " on " << comm.size() << " processes");
        CHECK(single.counters.iterations == 5);
        // The same decisions: as many iterations, products and evaluations.
        CHECK(spread.counters.iterations == single.counters.iterations);
        CHECK(spread.counters.hessian_vector_products == single.counters.hessian_vector_products);
        CHECK(spread.counters.loss_evaluations == single.counters.loss_evaluations);
        CHECK(spread.inner == single.inner);
        CHECK(std::abs(spread.last_loss - single.last_loss) <= 1e-12);
        CHECK(max_abs_diff(spread.params, single.params) <= 1e-12);
        // Newton-CG got somewhere: the loss fell well below its start (about log 3).
        CHECK(single.last_loss < 0.8);
    }
}

TEST_CASE(
    "data-parallel L-BFGS: through the optimizer's reduction or a data-parallel closure, "
    "the same iterates as one process",
    "[distributed]") {
    const auto comm = world();
    const Batch data = make_batch(24, tg::kFloat64, 12);
    const auto counts = uneven_counts(24, comm.size());
    const Rows mine = rows_of(counts, comm.rank());
    const Tensor x = rows(data.x, mine);
    const auto labels = slice_labels(data.labels, mine);
    const auto options = optim::LBFGSOptions().max_iter(10).tolerance_grad(0).tolerance_step(0);

    enum class How { single, reduction, closure };
    const auto run = [&](How how) {
        auto net = make_mlp(tg::kFloat64, 22);
        optim::LBFGS opt(net->parameters(), options);
        const Tensor& in = how == How::single ? data.x : x;
        const auto& y = how == How::single ? data.labels : labels;
        optim::Closure closure = [&] {
            opt.zero_grad();
            Tensor loss = cross_entropy((*net)(in), y);
            loss.backward();
            return loss;
        };
        if (how == How::reduction) dist::make_data_parallel(opt, comm, mine.count());
        if (how == How::closure)
            closure = dist::data_parallel_closure(comm, net->parameters(), closure, mine.count());
        const double start = opt.step(closure).item();
        return Run{values(net->parameters()), opt.counters(), opt.last_loss(), 0, start};
    };
    const Run single = run(How::single);
    const Run reduced = run(How::reduction);
    const Run closure = run(How::closure);

    CHECK(single.counters.iterations == 10);
    for (const auto* r : {&reduced, &closure}) {
        CHECK(r->counters.iterations == single.counters.iterations);
        CHECK(r->counters.loss_evaluations == single.counters.loss_evaluations);
        CHECK(std::abs(r->last_loss - single.last_loss) <= 1e-12);
        CHECK(max_abs_diff(r->params, single.params) <= 1e-12);
    }
    // step() returns the loss at the start, of all the data.
    CHECK(std::abs(reduced.start - single.start) <= 1e-13);
    CHECK(std::abs(closure.start - single.start) <= 1e-13);
    CHECK(single.last_loss < single.start - 0.2);
}

TEST_CASE(
    "data-parallel Newton (dense Hessian from reduced products): the iterates of one "
    "process",
    "[distributed]") {
    // Logistic regression: a Hessian of full rank (softmax regression's would be singular along
    // the directions that shift every class alike, where rounding would decide the step).
    const auto comm = world();
    const Batch data = make_batch(24, tg::kFloat64, 13);
    std::vector<double> targets;
    for (auto label : data.labels) targets.push_back(label == 0 ? 1.0 : 0.0);
    const Tensor t = tg::from_vector(targets, {24, 1}, tg::kFloat64);
    const auto counts = uneven_counts(24, comm.size());
    const Rows mine = rows_of(counts, comm.rank());
    const Tensor x = rows(data.x, mine), t_local = rows(t, mine);
    const auto run = [&](bool distributed) {
        tg::Generator gen(23);
        nn::Linear model(nn::LinearOptions(5, 1).dtype(tg::kFloat64), gen);
        optim::Newton opt(model.parameters(),
                          optim::NewtonOptions().max_iter(3).tolerance_grad(0).tolerance_step(0));
        if (distributed) dist::make_data_parallel(opt, comm, mine.count());
        const Tensor& in = distributed ? x : data.x;
        const Tensor& y = distributed ? t_local : t;
        opt.step([&] { return tg::binary_cross_entropy_with_logits(model(in), y); });
        return Run{values(model.parameters()), opt.counters(), opt.last_loss(), 0, 0};
    };
    const Run single = run(false);
    const Run spread = run(true);
    CHECK(single.counters.iterations == 3);
    CHECK(spread.counters.iterations == single.counters.iterations);
    CHECK(spread.counters.hessian_vector_products == single.counters.hessian_vector_products);
    CHECK(std::abs(spread.last_loss - single.last_loss) <= 1e-12);
    CHECK(max_abs_diff(spread.params, single.params) <= 1e-12);
}

TEST_CASE("make_data_parallel refuses first-order methods", "[distributed]") {
    const auto comm = world();
    auto net = make_mlp(tg::kFloat64, 1);
    optim::SGD sgd(net->parameters());
    tgtest::require_throws<tg::ValueError>([&] { dist::make_data_parallel(sgd, comm, 4); },
                                           {"SGD", "GradientReducer"});
}

TEST_CASE("data_parallel_reduction weights each process by its share of the examples",
          "[distributed]") {
    const auto comm = world();
    const int rank = comm.rank(), size = comm.size();
    // Process r has r + 1 examples and the values (r, 1): weights (r + 1) / sum(k + 1).
    const auto reduce = dist::data_parallel_reduction(comm, std::size_t(rank + 1));
    optim::FlatVector v{double(rank), 1.0};
    reduce(v);
    double total = 0, weighted = 0;
    for (int k = 0; k < size; ++k) {
        total += k + 1;
        weighted += double(k) * (k + 1);
    }
    CHECK(std::abs(v[0] - weighted / total) <= 1e-15);
    CHECK(std::abs(v[1] - 1.0) <= 1e-15);
    tgtest::require_throws<tg::ValueError>([&] { dist::data_parallel_reduction(comm, 0); },
                                           {"no process has any examples"});
}
