#include "mlp_net.hpp"
#include "workloads.hpp"

namespace bench::libtorch {

Workload mlp() {
    return {"mlp", 10, 2000, 100, [](const Args& a, Run& run) {
                MlpNet net(a.batch, a.f64() ? torch::kFloat64 : torch::kFloat32, a.seed);
                const auto params = net.parameters();
                run.time(a.warmup, a.reps, [&] {
                    for (auto p : params) {
                        if (p.grad().defined()) p.grad().zero_();
                    }
                    net.loss().backward();
                    net.sgd_step(0.1);
                });
            }};
}

}  // namespace bench::libtorch
