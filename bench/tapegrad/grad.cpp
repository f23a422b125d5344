// grad: forward plus backward of the mlp workload's loss at batch 100, giving the gradient with
// respect to all parameters (tg::grad, so nothing accumulates). No optimizer step.

#include "mlp_net.hpp"
#include "workloads.hpp"

namespace bench::tapegrad {

Workload grad() {
    return {"grad", 100, 500, 20, [](const Args& a, Run& run) {
                MlpNet net(a.batch, a.f64() ? tg::kFloat64 : tg::kFloat32, a.seed);
                const auto params = net.parameters();
                const tg::Tensor loss = net.loss();
                run.check("loss", loss.item());
                run.check_sums("grad", values_of(tg::grad({loss}, params)));
                run.time(a.warmup, a.reps, [&] {
                    const auto g = tg::grad({net.loss()}, params);
                    if (g.size() != params.size()) throw std::runtime_error("grad: bad result");
                });
            }};
}

}  // namespace bench::tapegrad
