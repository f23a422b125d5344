// newton_cg: one outer iteration of truncated Newton on L2-regularised logistic regression
// (lambda 0.01, 1000 random points with 50 features, random 0/1 labels): the gradient (with its
// graph recorded, tg::HessianVectorProduct), then exactly 10 iterations of linear CG
// (tg::optim::conjugate_gradient) on H p = -g whose products are Hessian-vector products by
// autodiff, then the step w <- w + p. The parameters are reset before every repetition
// (untimed), so that every repetition does the same work.

#include "logistic.hpp"
#include "workloads.hpp"

namespace bench::tapegrad {

Workload newton_cg() {
    return {"newton_cg", 1000, 300, 20, [](const Args& a, Run& run) {
                namespace opt = tg::optim;
                LogisticRegression problem(static_cast<std::size_t>(a.batch), 50,
                                           a.f64() ? tg::kFloat64 : tg::kFloat32, a.seed);
                const auto params = problem.parameters();
                const opt::FlatVector start = opt::gather_values(params);
                const auto cg_options = opt::LinearCGOptions().rel_tol(0).max_iter(10);
                // One outer iteration from the parameters' values; records the check figures
                // (loss, gradient, Newton step) into `check` if given.
                const auto iteration = [&](Run* check) {
                    tg::HessianVectorProduct hv([&] { return problem.loss(); }, params);
                    opt::FlatVector minus_g = opt::gather_values(hv.gradient());
                    for (double& v : minus_g) v = -v;
                    opt::LinearCGResult cg =
                        opt::conjugate_gradient(opt::hvp_operator(hv, params), minus_g, cg_options);
                    opt::FlatVector x = start;
                    opt::axpy(1.0, cg.x, x);
                    opt::scatter_values(x, params);
                    if (cg.iterations != 10)
                        throw std::runtime_error("newton_cg: CG stopped early");
                    if (check) {
                        check->check("loss", hv.loss());
                        check->check_sums("grad", values_of(hv.gradient()));
                        check->check_sums("step", {cg.x});
                        check->extra("hvp_per_iteration", static_cast<double>(hv.products()));
                    }
                };
                iteration(&run);
                for (int rep = -a.warmup; rep < a.reps; ++rep) {
                    opt::scatter_values(start, params);
                    const double t0 = now_us();
                    iteration(nullptr);
                    const double t1 = now_us();
                    if (rep >= 0) run.sample(t1 - t0);
                }
            }};
}

}  // namespace bench::tapegrad
