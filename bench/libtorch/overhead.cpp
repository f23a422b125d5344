#include <torch/torch.h>

#include "workloads.hpp"

namespace bench::libtorch {

Workload overhead() {
    return {"overhead", 1, 2000, 200, [](const Args& a, Run& run) {
                constexpr int kOps = 1000;
                const auto dtype = a.f64() ? torch::kFloat64 : torch::kFloat32;
                const torch::Tensor x0 =
                    torch::full({1}, 0.5, torch::TensorOptions().dtype(dtype)).requires_grad_();
                const auto chain = [&] {
                    torch::Tensor x = x0;
                    for (int i = 0; i < kOps; ++i) {
                        switch (i % 3) {
                            case 0:
                                x = x * 1.0001;
                                break;
                            case 1:
                                x = x + 0.0001;
                                break;
                            default:
                                x = torch::tanh(x);
                        }
                    }
                    return x;
                };
                {
                    torch::Tensor x = chain();
                    run.check("y", x.item<double>());
                    x.backward();
                    run.check("dy_dx", x0.grad().item<double>());
                }
                std::vector<double> fwd, bwd;
                for (int rep = -a.warmup; rep < a.reps; ++rep) {
                    const double t0 = now_us();
                    torch::Tensor x = chain();
                    const double t1 = now_us();
                    x.backward();
                    x = torch::Tensor();
                    const double t2 = now_us();
                    if (rep < 0) continue;
                    run.sample(t2 - t0);
                    fwd.push_back(t1 - t0);
                    bwd.push_back(t2 - t1);
                }
                run.extra("us_per_op", median(run.samples()) / kOps);
                run.extra("fwd_us_per_op", median(fwd) / kOps);
                run.extra("bwd_us_per_op", median(bwd) / kOps);
            }};
}

}  // namespace bench::libtorch
