// grad: forward plus backward of the mlp loss at batch 100 through torch::autograd::grad.

#include "mlp_net.hpp"
#include "workloads.hpp"

namespace bench::libtorch {

Workload grad() {
    return {"grad", 100, 500, 20, [](const Args& a, Run& run) {
                MlpNet net(a.batch, a.f64() ? torch::kFloat64 : torch::kFloat32, a.seed);
                const auto params = net.parameters();
                const torch::Tensor loss = net.loss();
                run.check("loss", loss.item<double>());
                run.check_sums("grad", values_of(torch::autograd::grad({loss}, params)));
                run.time(a.warmup, a.reps, [&] {
                    const auto g = torch::autograd::grad({net.loss()}, params);
                    if (g.size() != params.size()) throw std::runtime_error("grad: bad result");
                });
            }};
}

}  // namespace bench::libtorch
