// mlp: one training step (zero grads, forward, backward, torch::optim::SGD's update) of the
// 784-30-30-30-30-10 sigmoid MLP with log-softmax and NLL.

#include "mlp_net.hpp"
#include "workloads.hpp"

namespace bench::libtorch {

Workload mlp() {
    return {"mlp", 10, 2000, 100, [](const Args& a, Run& run) {
                MlpNet net(a.batch, a.f64() ? torch::kFloat64 : torch::kFloat32, a.seed);
                torch::optim::SGD opt(net.parameters(), torch::optim::SGDOptions(0.1));
                const auto step = [&] {
                    opt.zero_grad();
                    torch::Tensor loss = net.loss();
                    loss.backward();
                    opt.step();
                    return loss;
                };
                check_training(run, net.parameters(), step);
                run.time(a.warmup, a.reps, step);
            }};
}

}  // namespace bench::libtorch
