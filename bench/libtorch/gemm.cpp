// gemm: the product of two n x n matrices through torch::matmul, in GFLOP/s.

#include <torch/torch.h>

#include "shared.hpp"
#include "workloads.hpp"

namespace bench::libtorch {

Workload gemm() {
    return {"gemm", 1024, 30, 3, [](const Args& a, Run& run) {
                const std::int64_t n = a.batch;
                const auto dtype = a.f64() ? torch::kFloat64 : torch::kFloat32;
                SharedRandom rng(a.seed);
                const auto nn = static_cast<std::size_t>(n * n);
                const torch::Tensor x = shared_tensor(rng.uniform_values(nn, 0, 1), {n, n}, dtype);
                const torch::Tensor y = shared_tensor(rng.uniform_values(nn, 0, 1), {n, n}, dtype);
                run.check_sums("product", values_of({torch::matmul(x, y)}));
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
