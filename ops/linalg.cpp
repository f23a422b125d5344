#include "ops/linalg.hpp"

#include <cblas.h>
#include <omp.h>

#include <string>

#include "autograd/op.hpp"
#include "ops/arithmetic.hpp"
#include "ops/broadcast.hpp"
#include "ops/kernels.hpp"

namespace tg {

namespace {

// For C = op(A) op(B) with gradient G:
//   dA = G op(B)^T       (or its transpose when A was transposed)
//   dB = op(A)^T G       (or its transpose when B was transposed)
// Attributes: [transpose_a, transpose_b].
const OpDef kMatmul{"matmul",
                    [](const OpCall& c, const Tensor& g, Tensor* gi) {
                        const Tensor& a = c.in(0);
                        const Tensor& b = c.in(1);
                        const bool ta = c.ints(0) != 0;
                        const bool tb = c.ints(1) != 0;
                        if (c.needs_grad(0)) {
                            Tensor da = ta ? matmul(b, g, tb, true) : matmul(g, b, false, !tb);
                            gi[0] = sum_to(da, a.shape());
                        }
                        if (c.needs_grad(1)) {
                            Tensor db = tb ? matmul(g, a, true, ta) : matmul(a, g, !ta, false);
                            gi[1] = sum_to(db, b.shape());
                        }
                    },
                    [](const OpCall& c, const Tensor* t) {
                        const bool ta = c.ints(0) != 0;
                        const bool tb = c.ints(1) != 0;
                        Tensor r;
                        if (t[0].defined()) r = matmul(t[0], c.in(1), ta, tb);
                        if (t[1].defined()) r = add_defined(r, matmul(c.in(0), t[1], ta, tb));
                        return broadcast_to(r, c.out().shape());
                    }};

void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const float* a,
          const float* b, float* c) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.0f, a,
                static_cast<int>(ta ? m : k), b, static_cast<int>(tb ? k : n), 0.0f, c,
                static_cast<int>(n));
}

void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const double* a,
          const double* b, double* c) {
    cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.0, a,
                static_cast<int>(ta ? m : k), b, static_cast<int>(tb ? k : n), 0.0, c,
                static_cast<int>(n));
}

std::string product_str(const Tensor& a, const Tensor& b, bool ta, bool tb) {
    return shape_str(a.shape()) + (ta ? "^T" : "") + " @ " + shape_str(b.shape()) +
           (tb ? "^T" : "");
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
    return matmul(a, b, false, false);
}

Tensor matmul(const Tensor& a, const Tensor& b, bool ta, bool tb) {
    kernels::check_same_dtype("matmul", a, b);
    const std::size_t ra = a.dim();
    const std::size_t rb = b.dim();
    if ((ra != 2 && ra != 3) || (rb != 2 && rb != 3)) {
        throw ShapeError("matmul: needs 2-D or 3-D operands, got " + product_str(a, b, ta, tb));
    }
    const Shape& sa = a.shape();
    const Shape& sb = b.shape();
    const std::size_t m = ta ? sa[ra - 1] : sa[ra - 2];
    const std::size_t ka = ta ? sa[ra - 2] : sa[ra - 1];
    const std::size_t kb = tb ? sb[rb - 1] : sb[rb - 2];
    const std::size_t n = tb ? sb[rb - 2] : sb[rb - 1];
    if (ka != kb) {
        throw ShapeError("matmul: inner dimensions differ in " + product_str(a, b, ta, tb) + " (" +
                         std::to_string(ka) + " vs " + std::to_string(kb) + ")");
    }
    const std::size_t ba = ra == 3 ? sa[0] : 1;
    const std::size_t bb = rb == 3 ? sb[0] : 1;
    if (ba != bb && ba != 1 && bb != 1) {
        throw ShapeError("matmul: batch sizes differ in " + product_str(a, b, ta, tb));
    }
    const std::size_t batch = ba == 1 ? bb : ba;  // broadcasting: a batch of 0 stays 0
    Shape shape = (ra == 3 || rb == 3) ? Shape{batch, m, n} : Shape{m, n};
    Tensor out = kernels::dispatch(a.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* pa = a.array<T>().data();
        const T* pb = b.array<T>().data();
        auto r = kernels::uninitialized<T>(shape);
        T* pc = r.data();
        if (m == 0 || n == 0) return Tensor(std::move(r));
        if (ka == 0) {
            std::fill(pc, pc + r.size(), T(0));
            return Tensor(std::move(r));
        }
        if (ba > 1 && bb == 1 && !ta) {
            // A batch of row blocks times one matrix is a single tall product.
            gemm(false, tb, batch * m, n, ka, pa, pb, pc);
        } else {
            for (std::size_t i = 0; i < batch; ++i) {
                gemm(ta, tb, m, n, ka, pa + (ba > 1 ? i * m * ka : 0),
                     pb + (bb > 1 ? i * ka * n : 0), pc + i * m * n);
            }
        }
        return Tensor(std::move(r));
    });
    return record(kMatmul, std::move(out), {a, b}, Attrs({ta ? 1 : 0, tb ? 1 : 0}));
}

void set_num_threads(int n) {
    if (n < 1) throw ValueError("set_num_threads: " + std::to_string(n) + " threads");
    openblas_set_num_threads(n);
    omp_set_num_threads(n);  // tapegrad's own loops (kernels::parallel_for)
}

int num_threads() {
    return omp_get_max_threads();
}

}  // namespace tg
