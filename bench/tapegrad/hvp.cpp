// hvp: one Hessian-vector product of the mlp workload's loss at batch 100 with respect to all
// parameters, with a fixed vector v (bench/shared_inputs.hpp), forward pass included, by reverse
// over reverse: forward, a backward that records itself, the dot product with v, a second
// backward (tg::hvp).
// hvp_fwd: the same product by forward over reverse: the parameters carry v as their tangent
// through one forward and one backward pass (tg::hvp with HvpMode::forward_over_reverse).
//
// Both also time the grad workload, interleaved rep by rep so that both see the same machine
// state, and report hvp_over_grad (the target is <= 3) as an extra.

#include "mlp_net.hpp"
#include "workloads.hpp"

namespace bench::tapegrad {

namespace {

Workload hvp_workload(const char* name, tg::HvpMode mode) {
    return {name, 100, 300, 20, [mode](const Args& a, Run& run) {
                const tg::DType dtype = a.f64() ? tg::kFloat64 : tg::kFloat32;
                MlpNet net(a.batch, dtype, a.seed);
                const auto params = net.parameters();
                SharedRandom rng(a.seed + 1);
                std::vector<tg::Tensor> v;
                for (const auto& p : params)
                    v.push_back(tg::from_vector(rng.normal_values(p.numel()), p.shape(), dtype));
                const std::function<tg::Tensor()> loss = [&] { return net.loss(); };

                const tg::Tensor l = net.loss();
                run.check("loss", l.item());
                run.check_sums("grad", values_of(tg::grad({l}, params)));
                run.check_sums("hv", values_of(tg::hvp(loss, params, v, mode)));

                std::vector<double> grad_us;
                for (int rep = -a.warmup; rep < a.reps; ++rep) {
                    const double t0 = now_us();
                    const auto g = tg::grad({net.loss()}, params);
                    const double t1 = now_us();
                    const auto hv = tg::hvp(loss, params, v, mode);
                    const double t2 = now_us();
                    if (hv.size() != params.size()) throw std::runtime_error("hvp: bad result");
                    if (rep < 0) continue;
                    grad_us.push_back(t1 - t0);
                    run.sample(t2 - t1);
                }
                run.extra("grad_median_us", median(grad_us));
                run.extra("hvp_over_grad", median(run.samples()) / median(grad_us));
            }};
}

}  // namespace

Workload hvp() {
    return hvp_workload("hvp", tg::HvpMode::reverse_over_reverse);
}
Workload hvp_forward() {
    return hvp_workload("hvp_fwd", tg::HvpMode::forward_over_reverse);
}

}  // namespace bench::tapegrad
