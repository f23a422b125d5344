// hvp: one Hessian-vector product of the mlp loss at batch 100, forward pass included, by
// reverse over reverse: torch::autograd::grad with create_graph, the dot product with a fixed
// random v, and a second torch::autograd::grad. Also times grad, interleaved, for the ratio.

#include "mlp_net.hpp"
#include "workloads.hpp"

namespace bench::libtorch {

Workload hvp() {
    return {"hvp", 100, 300, 20, [](const Args& a, Run& run) {
                const auto dtype = a.f64() ? torch::kFloat64 : torch::kFloat32;
                MlpNet net(a.batch, dtype, a.seed);
                const auto params = net.parameters();
                std::vector<torch::Tensor> v;
                for (const auto& p : params) v.push_back(torch::randn_like(p));
                std::vector<double> grad_us;
                for (int rep = -a.warmup; rep < a.reps; ++rep) {
                    const double t0 = now_us();
                    const auto g = torch::autograd::grad({net.loss()}, params);
                    const double t1 = now_us();
                    const auto g2 = torch::autograd::grad({net.loss()}, params, {},
                                                          /*retain_graph=*/true,
                                                          /*create_graph=*/true);
                    torch::Tensor dot = (g2[0] * v[0]).sum();
                    for (std::size_t i = 1; i < params.size(); ++i)
                        dot = dot + (g2[i] * v[i]).sum();
                    const auto hv = torch::autograd::grad({dot}, params);
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

}  // namespace bench::libtorch
