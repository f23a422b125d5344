// gemm: the product of two n x n matrices (n = --batch, default 1024) through tg::matmul, in
// GFLOP/s (2 n^3 / time). The same run times OpenBLAS called directly on the same buffers, with
// its own threads set to --threads, as the ceiling: extra "openblas_gflops", and their ratio.
// tapegrad keeps BLAS on one thread and splits products over its own pool; the two are timed in
// alternating blocks of reps, so that neither pays for the other's threads still spinning.

#include <cblas.h>

#include "shared.hpp"
#include "tapegrad.hpp"
#include "workloads.hpp"

namespace bench::tapegrad {

namespace {
void direct(const float* a, const float* b, float* c, int n) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
}
void direct(const double* a, const double* b, double* c, int n) {
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, a, n, b, n, 0.0, c, n);
}
}  // namespace

Workload gemm() {
    return {
        "gemm", 1024, 30, 3, [](const Args& a, Run& run) {
            const auto n = static_cast<std::size_t>(a.batch);
            const tg::DType dtype = a.f64() ? tg::kFloat64 : tg::kFloat32;
            SharedRandom rng(a.seed);
            const tg::Tensor x = tg::from_vector(rng.uniform_values(n * n, 0, 1), {n, n}, dtype);
            const tg::Tensor y = tg::from_vector(rng.uniform_values(n * n, 0, 1), {n, n}, dtype);
            run.check_sums("product", values_of({tg::matmul(x, y)}));
            tg::Tensor z = tg::zeros({n, n}, dtype);
            std::vector<double> blas_us;
            auto blas_block = [&](int reps) {
                openblas_set_num_threads(a.threads);
                for (int rep = 0; rep < reps; ++rep) {
                    const double t0 = now_us();
                    if (dtype == tg::kFloat32)
                        direct(x.array<float>().data(), y.array<float>().data(),
                               z.mutable_array<float>().data(), static_cast<int>(n));
                    else
                        direct(x.array<double>().data(), y.array<double>().data(),
                               z.mutable_array<double>().data(), static_cast<int>(n));
                    blas_us.push_back(now_us() - t0);
                }
                tg::set_num_threads(a.threads);  // BLAS back on one thread for tapegrad
            };
            constexpr int kBlock = 5;
            for (int rep = -a.warmup; rep < a.reps; ++rep) {
                const double t0 = now_us();
                const tg::Tensor p = tg::matmul(x, y);
                const double t1 = now_us();
                if (p.numel() != n * n) throw std::runtime_error("gemm: bad result");
                if (rep >= 0) run.sample(t1 - t0);
                if (rep >= 0 && (rep + 1) % kBlock == 0) blas_block(kBlock);
            }
            if (blas_us.empty() && !a.check_only) blas_block(kBlock);
            const double flop =
                2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n);
            const double ours = flop / (median(run.samples()) * 1e3);
            const double blas = flop / (median(blas_us) * 1e3);
            run.extra("gflops", ours);
            run.extra("openblas_gflops", blas);
            run.extra("of_openblas", ours / blas);
        }};
}

}  // namespace bench::tapegrad
