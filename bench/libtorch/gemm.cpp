// gemm: the product of two n x n matrices through torch::matmul, in GFLOP/s.

#include <torch/torch.h>

#include "workloads.hpp"

namespace bench::libtorch {

Workload gemm() {
    return {"gemm", 1024, 30, 3, [](const Args& a, Run& run) {
                const std::int64_t n = a.batch;
                const auto opts =
                    torch::TensorOptions().dtype(a.f64() ? torch::kFloat64 : torch::kFloat32);
                torch::manual_seed(a.seed);
                const torch::Tensor x = torch::rand({n, n}, opts);
                const torch::Tensor y = torch::rand({n, n}, opts);
                run.time(a.warmup, a.reps, [&] {
                    const torch::Tensor p = torch::matmul(x, y);
                    if (p.numel() != n * n) throw std::runtime_error("gemm: bad result");
                });
                const double flop =
                    2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n);
                run.extra("gflops", flop / (median(run.samples()) * 1e3));
            }};
}

}  // namespace bench::libtorch
