// newton_cg: one outer iteration of truncated Newton on the logistic regression of
// logistic.hpp: the gradient with create_graph, exactly 10 iterations of linear CG on
// H p = -g whose products are Hessian-vector products (torch::autograd::grad of g with v as its
// grad_outputs, retaining g's graph), then the step w <- w + p. The CG arithmetic is the same as
// tapegrad's (tg::optim::conjugate_gradient): flat vectors of doubles, copied to and from the
// parameters' shapes for every product (for 51 numbers, cheaper than a dozen tensor ops).

#include <cmath>

#include "logistic.hpp"
#include "workloads.hpp"

namespace bench::libtorch {

namespace {

using Flat = std::vector<double>;

double dot(const Flat& a, const Flat& b) {
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
    return s;
}

Flat gather(const std::vector<torch::Tensor>& ts) {
    Flat flat;
    for (const auto& t : ts) {
        const torch::Tensor d = t.detach().to(torch::kFloat64).contiguous();
        const double* p = d.data_ptr<double>();
        flat.insert(flat.end(), p, p + d.numel());
    }
    return flat;
}

std::vector<torch::Tensor> unflatten(const Flat& flat, const std::vector<torch::Tensor>& like) {
    std::vector<torch::Tensor> out;
    std::size_t offset = 0;
    for (const auto& t : like) {
        Flat part(flat.begin() + offset, flat.begin() + offset + t.numel());
        // copy = true: for a double tensor .to() would otherwise return the blob itself, which
        // points into `part`, gone at the end of this iteration.
        out.push_back(torch::from_blob(part.data(), t.sizes(), torch::kFloat64)
                          .to(t.dtype(), /*non_blocking=*/false, /*copy=*/true));
        offset += t.numel();
    }
    return out;
}

}  // namespace

Workload newton_cg() {
    return {"newton_cg", 1000, 300, 20, [](const Args& a, Run& run) {
                LogisticRegression problem(a.batch, 50, a.f64() ? torch::kFloat64 : torch::kFloat32,
                                           a.seed);
                const auto params = problem.parameters();
                const Flat start = gather(params);
                const auto set_params = [&](const Flat& x) {
                    torch::NoGradGuard no_grad;
                    const auto parts = unflatten(x, params);
                    for (std::size_t i = 0; i < params.size(); ++i) params[i].copy_(parts[i]);
                };
                // One outer iteration from the parameters' values (`start`); records the check
                // figures (loss, gradient, Newton step) into `check` if given.
                const auto iteration = [&](Run* check) {
                    const torch::Tensor loss = problem.loss();
                    const auto g = torch::autograd::grad({loss}, params, {},
                                                         /*retain_graph=*/true,
                                                         /*create_graph=*/true);
                    const auto hvp = [&](const Flat& v) {
                        return gather(torch::autograd::grad(g, params, unflatten(v, params),
                                                            /*retain_graph=*/true));
                    };
                    // Linear CG from x = 0 on H x = -g, 10 iterations.
                    Flat r = gather(g);
                    for (double& v : r) v = -v;
                    Flat p = r, x(r.size(), 0.0);
                    double rr = dot(r, r);
                    for (int k = 0; k < 10; ++k) {
                        const Flat ap = hvp(p);
                        const double alpha = rr / dot(p, ap);
                        for (std::size_t i = 0; i < x.size(); ++i) {
                            x[i] += alpha * p[i];
                            r[i] -= alpha * ap[i];
                        }
                        const double rr_new = dot(r, r);
                        const double beta = rr_new / rr;
                        rr = rr_new;
                        for (std::size_t i = 0; i < p.size(); ++i) p[i] = r[i] + beta * p[i];
                    }
                    if (!std::isfinite(rr)) throw std::runtime_error("newton_cg: CG diverged");
                    if (check) {
                        check->check("loss", loss.item<double>());
                        check->check_sums("grad", values_of(g));
                        check->check_sums("step", {x});
                    }
                    for (std::size_t i = 0; i < x.size(); ++i) x[i] += start[i];
                    set_params(x);
                };
                iteration(&run);
                for (int rep = -a.warmup; rep < a.reps; ++rep) {
                    set_params(start);
                    const double t0 = now_us();
                    iteration(nullptr);
                    const double t1 = now_us();
                    if (rep >= 0) run.sample(t1 - t0);
                }
                run.extra("hvp_per_iteration", 10);
            }};
}

}  // namespace bench::libtorch
