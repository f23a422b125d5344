// hvp_fwd: the hvp workload by forward-over-reverse: the parameters carry v as their tangent
// through one forward and one backward pass (tg::hvp with HvpMode::forward_over_reverse).
// tapegrad only; bench/side-by-side sets it against libtorch's reverse-over-reverse hvp.
// Times grad interleaved, as hvp does, for hvp_over_grad.

#include "mlp_net.hpp"
#include "workloads.hpp"

namespace bench::tapegrad {

Workload hvp_forward() {
    return {"hvp_fwd", 100, 300, 20, [](const Args& a, Run& run) {
                const tg::DType dtype = a.f64() ? tg::kFloat64 : tg::kFloat32;
                MlpNet net(a.batch, dtype, a.seed);
                const auto params = net.parameters();
                tg::Generator gen(a.seed + 1);
                std::vector<tg::Tensor> v;
                for (const auto& p : params) v.push_back(tg::randn(p.shape(), gen, dtype));
                const std::function<tg::Tensor()> loss = [&] { return net.loss(); };
                std::vector<double> grad_us;
                for (int rep = -a.warmup; rep < a.reps; ++rep) {
                    const double t0 = now_us();
                    const auto g = tg::grad({net.loss()}, params);
                    const double t1 = now_us();
                    const auto hv = tg::hvp(loss, params, v, tg::HvpMode::forward_over_reverse);
                    const double t2 = now_us();
                    if (hv.size() != params.size()) throw std::runtime_error("hvp_fwd: bad result");
                    if (rep < 0) continue;
                    grad_us.push_back(t1 - t0);
                    run.sample(t2 - t1);
                }
                run.extra("grad_median_us", median(grad_us));
                run.extra("hvp_over_grad", median(run.samples()) / median(grad_us));
            }};
}

}  // namespace bench::tapegrad
