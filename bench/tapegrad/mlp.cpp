// mlp: one SGD training step (zero grads, forward, backward, update) of the 784-30-30-30-30-10
// sigmoid MLP with log-softmax and NLL.

#include "mlp_net.hpp"
#include "workloads.hpp"

namespace bench::tapegrad {

Workload mlp() {
    return {"mlp", 10, 2000, 100, [](const Args& a, Run& run) {
                MlpNet net(a.batch, a.f64() ? tg::kFloat64 : tg::kFloat32, a.seed);
                const auto params = net.parameters();
                run.time(a.warmup, a.reps, [&] {
                    for (auto p : params) p.zero_grad();
                    net.loss().backward();
                    net.sgd_step(0.1);
                });
            }};
}

}  // namespace bench::tapegrad
