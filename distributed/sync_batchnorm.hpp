#pragma once
// Batch norm in data-parallel training.
//
// Per-process statistics (the default, as in PyTorch's DistributedDataParallel): an
// nn::BatchNorm1d/2d in each process normalises with the mean and variance of that process's
// own mini-batch, and its running statistics follow that process's shard only. Nothing is
// communicated; with small local batches the statistics get noisy. Before evaluating or saving,
// distributed::average_buffers() (broadcast.hpp) makes the running statistics the same on every
// process.
//
// Synchronised statistics (SyncBatchNorm, like torch.nn.SyncBatchNorm): the mean and variance
// are those of the global batch, all processes' examples together, so training matches one
// process with the whole batch. Per forward pass it all-reduces the per-channel sums, then the
// per-channel sums of squared deviations from the global mean (two-pass, as accurate as the
// single-process formula), plus the example count. The sums go through all_reduce_sum
// (collectives.hpp), a recorded op whose derivative is again an all-reduce: the backward pass
// all-reduces the gradients of the statistics, and second derivatives (Hessian-vector products,
// gradgradcheck) work across processes too. The running statistics are updated from the global
// statistics, so they are identical on every process.
//
// Its parameters and buffers have batch norm's names (weight, bias, running_mean, running_var),
// so checkpoints move freely between BatchNorm2d and SyncBatchNorm.

#include "../nn/batchnorm.hpp"
#include "communicator.hpp"

namespace tg::distributed {

namespace functional {
// nn::functional::batch_norm with the batch statistics taken over every process's x (each
// process may hold a different number of examples; every process passes x of the same
// channels and dtype). In eval mode with running statistics it is nn's batch_norm, and
// communicates nothing.
Tensor sync_batch_norm(const Communicator& comm, const Tensor& x, Tensor running_mean,
                       Tensor running_var, const Tensor& weight, const Tensor& bias, bool training,
                       double momentum = 0.1, double eps = 1e-5);
}  // namespace functional

// Takes [N, C], [N, C, L] or [N, C, H, W].
class SyncBatchNorm : public nn::BatchNorm {
  public:
    SyncBatchNorm(const Communicator& comm, const nn::BatchNormOptions& options);
    Tensor forward(const Tensor& input) override;
    const Communicator& communicator() const { return comm_; }

  private:
    Communicator comm_;
};

}  // namespace tg::distributed
