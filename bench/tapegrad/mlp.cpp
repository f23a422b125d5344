// mlp: one SGD training step (zero grads, forward, backward, tg::optim::SGD's update) of the
// 784-30-30-30-30-10 sigmoid MLP with log-softmax and NLL.

#include "mlp_net.hpp"
#include "workloads.hpp"

namespace bench::tapegrad {

Workload mlp() {
    return {"mlp", 10, 2000, 100, [](const Args& a, Run& run) {
                MlpNet net(a.batch, a.f64() ? tg::kFloat64 : tg::kFloat32, a.seed);
                tg::optim::SGD opt(net.parameters(), tg::optim::SGDOptions(0.1));
                const auto step = [&] {
                    opt.zero_grad();
                    tg::Tensor loss = net.loss();
                    loss.backward();
                    opt.step();
                    return loss;
                };
                check_training(run, net.parameters(), step);
                run.time(a.warmup, a.reps, step);
            }};
}

}  // namespace bench::tapegrad
