#include "ops/linalg.hpp"

#include <cblas.h>
#include <omp.h>

#include <cmath>
#include <string>
#include <vector>

#include "autograd/op.hpp"
#include "ops/arithmetic.hpp"
#include "ops/broadcast.hpp"
#include "ops/deferred.hpp"
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

// C = op(A) op(B) in row-major storage, with explicit leading dimensions so that a block of
// rows or columns of a larger product can be computed on its own.
void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const float* a,
          std::size_t lda, const float* b, std::size_t ldb, float* c, std::size_t ldc) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.0f, a,
                static_cast<int>(lda), b, static_cast<int>(ldb), 0.0f, c, static_cast<int>(ldc));
}

void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const double* a,
          std::size_t lda, const double* b, std::size_t ldb, double* c, std::size_t ldc) {
    cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.0, a,
                static_cast<int>(lda), b, static_cast<int>(ldb), 0.0, c, static_cast<int>(ldc));
}

// tapegrad runs every BLAS call on one thread and spreads the work across its own threads (the
// OpenMP pool of kernels::parallel_for): whole products of a batch, or row or column blocks of
// one large product. Two pools that both spin while waiting (OpenBLAS's and OpenMP's) would
// fight over the cores; one pool does not.
constexpr double kFlopsPerThread = double(1 << 18);

template <class T>
void product(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const T* a, const T* b,
             T* c) {
    const std::size_t lda = ta ? m : k, ldb = tb ? k : n, ldc = n;
    const double flops = 2.0 * double(m) * double(n) * double(k);
    const std::size_t threads = static_cast<std::size_t>(num_threads());
    if (threads <= 1 || flops < 2 * kFlopsPerThread || omp_in_parallel()) {
        gemm(ta, tb, m, n, k, a, lda, b, ldb, c, ldc);
        return;
    }
    if (m >= n) {  // blocks of rows of C and of op(A)
        kernels::parallel_for(m, 8, [&](std::size_t r0, std::size_t r1) {
            gemm(ta, tb, r1 - r0, n, k, a + (ta ? r0 : r0 * lda), lda, b, ldb, c + r0 * ldc, ldc);
        });
    } else {  // blocks of columns of C and of op(B)
        kernels::parallel_for(n, 8, [&](std::size_t c0, std::size_t c1) {
            gemm(ta, tb, m, c1 - c0, k, a, lda, b + (tb ? c0 * ldb : c0), ldb, c + c0, ldc);
        });
    }
}

// BLAS on one thread from the start (see above); set_num_threads() sizes tapegrad's own pool.
const bool kBlasSingleThreaded = [] {
    openblas_set_num_threads(1);
    return true;
}();

// Whole products of a batch per thread: enough that a thread gets kFlopsPerThread.
std::size_t products_per_thread(std::size_t m, std::size_t n, std::size_t k) {
    return static_cast<std::size_t>(
        std::ceil(kFlopsPerThread / (2.0 * double(m) * double(n) * double(k))));
}

// c_i = op(a_i) op(b[i]) for item i of a batched b whose items are made on demand when b is
// pending (in a per-thread buffer, just before their product, while they are in cache).
template <class T>
void item_product(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const T* a_i,
                  const Tensor& b, const DeferredBatch* pending_b, std::size_t i, T* c_i) {
    if (pending_b == nullptr) {
        gemm(ta, tb, m, n, k, a_i, ta ? m : k, b.array<T>().data() + i * k * n, tb ? k : n, c_i, n);
        return;
    }
    const ItemBuffer<T> b_i(k * n);
    pending_b->item(i, b_i.data());
    gemm(ta, tb, m, n, k, a_i, ta ? m : k, b_i.data(), tb ? k : n, c_i, n);
}

// op(a) op(b[i]) for one item i of a batched b, written when it is read (see ops/deferred.hpp).
class DeferredProduct final : public DeferredBatch {
  public:
    DeferredProduct(const Tensor& a, const Tensor& b, bool ta, bool tb, std::size_t m,
                    std::size_t n, std::size_t k)
        : DeferredBatch(products_per_thread(m, n, k)),
          a_(snapshot(a)),
          b_(snapshot(b)),
          pending_b_(pending_batch(b_)),
          ta_(ta),
          tb_(tb),
          m_(m),
          n_(n),
          k_(k) {}
    void item(std::size_t i, float* out) const override { write(i, out); }
    void item(std::size_t i, double* out) const override { write(i, out); }

  private:
    template <class T>
    void write(std::size_t i, T* out) const {
        item_product(ta_, tb_, m_, n_, k_, a_.array<T>().data(), b_, pending_b_, i, out);
    }

    Tensor a_, b_;
    const DeferredBatch* pending_b_;
    bool ta_, tb_;
    std::size_t m_, n_, k_;
};

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
    if (ra == 2 && rb == 3 && m > 0 && n > 0 && ka > 0) {
        // A matrix times a batch (a convolution's filters times its columns, or their
        // transposes times the output gradient): left deferred, item by item.
        auto source = std::make_unique<DeferredProduct>(a, b, ta, tb, m, n, ka);
        return record(kMatmul, deferred_result(a.dtype(), shape, std::move(source)), {a, b},
                      Attrs({ta ? 1 : 0, tb ? 1 : 0}));
    }
    const DeferredBatch* pending_b = rb == 3 ? pending_batch(b) : nullptr;
    Tensor out = kernels::dispatch(a.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* pa = a.array<T>().data();
        auto r = kernels::uninitialized<T>(shape);
        T* pc = r.data();
        if (m == 0 || n == 0) return Tensor(std::move(r));
        if (ka == 0) {
            std::fill(pc, pc + r.size(), T(0));
            return Tensor(std::move(r));
        }
        if (pending_b != nullptr) {
            kernels::parallel_for(
                batch, products_per_thread(m, n, ka), [&](std::size_t i0, std::size_t i1) {
                    for (std::size_t i = i0; i < i1; ++i)
                        item_product(ta, tb, m, n, ka, pa + (ba > 1 ? i * m * ka : 0), b, pending_b,
                                     bb > 1 ? i : 0, pc + i * m * n);
                });
            return Tensor(std::move(r));
        }
        const T* pb = b.array<T>().data();
        if (ba > 1 && bb == 1 && !ta) {
            // A batch of row blocks times one matrix is a single tall product.
            product(false, tb, batch * m, n, ka, pa, pb, pc);
        } else if (batch == 1) {
            product(ta, tb, m, n, ka, pa, pb, pc);
        } else {
            // Whole products of the batch to each thread.
            kernels::parallel_for(
                batch, products_per_thread(m, n, ka), [&](std::size_t i0, std::size_t i1) {
                    for (std::size_t i = i0; i < i1; ++i) {
                        gemm(ta, tb, m, n, ka, pa + (ba > 1 ? i * m * ka : 0), ta ? m : ka,
                             pb + (bb > 1 ? i * ka * n : 0), tb ? ka : n, pc + i * m * n, n);
                    }
                });
        }
        return Tensor(std::move(r));
    });
    return record(kMatmul, std::move(out), {a, b}, Attrs({ta ? 1 : 0, tb ? 1 : 0}));
}

}  // namespace tg
