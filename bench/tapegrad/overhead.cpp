// overhead: a chain of 1000 ops on a one-element tensor (x*1.0001, x+0.0001, tanh(x)), then
// backward. This is the tape's own cost per op.

#include "tapegrad.hpp"
#include "workloads.hpp"

namespace bench::tapegrad {

Workload overhead() {
    return {"overhead", 1, 2000, 200, [](const Args& a, Run& run) {
                constexpr int kOps = 1000;
                const tg::Tensor x0 =
                    tg::full({1}, 0.5, a.f64() ? tg::kFloat64 : tg::kFloat32).requires_grad_();
                const auto chain = [&] {
                    tg::Tensor x = x0;
                    for (int i = 0; i < kOps; ++i) {
                        switch (i % 3) {
                            case 0:
                                x = x * 1.0001;
                                break;
                            case 1:
                                x = x + 0.0001;
                                break;
                            default:
                                x = tg::tanh(x);
                        }
                    }
                    return x;
                };
                {
                    tg::Tensor x = chain();
                    run.check("y", x.item());
                    x.backward();
                    run.check("dy_dx", x0.grad().item());
                }
                std::vector<double> fwd, bwd;
                for (int rep = -a.warmup; rep < a.reps; ++rep) {
                    const double t0 = now_us();
                    tg::Tensor x = chain();
                    const double t1 = now_us();
                    x.backward();
                    x = tg::Tensor();  // the graph goes with the last handle
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

}  // namespace bench::tapegrad
