#pragma once
// What train_cnn needs to run as one of N processes under `mpirun -np N`: every process trains
// on its shard of each global batch, gradients are averaged over the processes after backward,
// and only rank 0 prints and saves. When tapegrad was built without MPI, or the program was not
// started by an MPI launcher, it is a single process and none of this does anything: the
// single-process path stays exactly what it was.

#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "tapegrad.hpp"

struct ParallelOptions {
    bool sync_bn = false;              // SyncBatchNorm instead of per-process batch statistics
    double bucket_mb = 25;             // largest gradient bucket
    bool overlap = true;               // start bucket all-reduces from gradient hooks
    bool barrier_before_sync = false;  // time the wait for the slowest process separately
};

// Time spent communicating gradients, summed over steps.
struct SyncTiming {
    double allreduce_seconds = 0;  // gradient hooks + synchronize()
    double barrier_seconds = 0;    // only with barrier_before_sync
    std::size_t buckets = 0;
};

class DataParallel {
  public:
    explicit DataParallel(const ParallelOptions& options) : options_(options) {
#if TAPEGRAD_WITH_MPI
        if (tg::distributed::Environment::launched_by_mpirun()) {
            env_ = std::make_unique<tg::distributed::Environment>();
            comm_ = std::make_unique<tg::distributed::Communicator>(env_->world());
        }
#endif
    }

    bool distributed() const {
        return size() > 1;
    }
    int rank() const {
#if TAPEGRAD_WITH_MPI
        if (comm_) return comm_->rank();
#endif
        return 0;
    }
    int size() const {
#if TAPEGRAD_WITH_MPI
        if (comm_) return comm_->size();
#endif
        return 1;
    }
    bool is_root() const {
        return rank() == 0;
    }

    // Runs the program. Distributed, an exception on one process is printed with its rank and
    // ends every process (MPI_Abort) instead of leaving the others waiting.
    int run(const std::function<int()>& body, const std::string& program) {
#if TAPEGRAD_WITH_MPI
        if (comm_) return tg::distributed::run_guarded(*comm_, body, program);
#endif
        (void)program;
        return body();
    }

    // A batch-norm layer: per-process statistics (nn::BatchNorm2d) or synchronised ones.
    tg::nn::ModulePtr batch_norm(std::size_t channels) const {
#if TAPEGRAD_WITH_MPI
        if (comm_ && options_.sync_bn) {
            return std::make_shared<tg::distributed::SyncBatchNorm>(
                *comm_, tg::nn::BatchNormOptions(channels));
        }
#endif
        return std::make_shared<tg::nn::BatchNorm2d>(tg::nn::BatchNormOptions(channels));
    }

    // Every process starts from rank 0's model; gradients will be averaged from now on.
    void prepare(const tg::nn::Module& net) {
#if TAPEGRAD_WITH_MPI
        if (!comm_) return;
        tg::distributed::broadcast_module(*comm_, net);
        reducer_ = std::make_unique<tg::distributed::GradientReducer>(
            *comm_, net,
            tg::distributed::GradientReducerOptions()
                .bucket_cap_mb(options_.bucket_mb)
                .overlap(options_.overlap));
        timing_.buckets = reducer_->bucket_sizes().size();
#else
        (void)net;
#endif
    }

    // After backward: .grad() becomes the average over processes.
    void synchronize() {
#if TAPEGRAD_WITH_MPI
        if (!reducer_) return;
        if (options_.barrier_before_sync) {
            const auto t0 = std::chrono::steady_clock::now();
            comm_->barrier();
            timing_.barrier_seconds +=
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        }
        reducer_->synchronize();
        const auto& s = reducer_->stats();
        timing_.allreduce_seconds = s.hook_seconds + s.synchronize_seconds;
#endif
    }

    // Sums of (loss * n, correct, n) over processes.
    void all_reduce(double& loss_sum, double& correct, double& count) const {
#if TAPEGRAD_WITH_MPI
        if (!comm_) return;
        tg::distributed::Metrics m{loss_sum, correct, count};
        m = tg::distributed::all_reduce(*comm_, m);
        loss_sum = m.loss_sum;
        correct = m.correct;
        count = m.count;
#else
        (void)loss_sum, (void)correct, (void)count;
#endif
    }

    // Per-process batch-norm statistics become their average before evaluating and saving.
    void average_buffers(const tg::nn::Module& net) const {
#if TAPEGRAD_WITH_MPI
        if (comm_) tg::distributed::average_buffers(*comm_, net);
#else
        (void)net;
#endif
    }

    // Calls f(loader) with this process's loader: a DataLoader over the whole dataset, or a
    // ShardedDataLoader over this process's shard. `remainder_uneven` shards without padding
    // (evaluation: every example once).
    template <class F>
    void with_loader(const tg::nn::data::Dataset& data,
                     const tg::nn::data::DataLoaderOptions& options, bool remainder_uneven,
                     F&& f) const {
#if TAPEGRAD_WITH_MPI
        if (comm_) {
            tg::distributed::ShardedDataLoader loader(data, options, *comm_,
                                                      remainder_uneven
                                                          ? tg::distributed::Remainder::uneven
                                                          : tg::distributed::Remainder::pad);
            f(loader);
            return;
        }
#endif
        (void)remainder_uneven;
        tg::nn::data::DataLoader loader(data, options);
        f(loader);
    }

    const SyncTiming& timing() const {
        return timing_;
    }
    const ParallelOptions& options() const {
        return options_;
    }

  private:
    ParallelOptions options_;
    SyncTiming timing_;
#if TAPEGRAD_WITH_MPI
    std::unique_ptr<tg::distributed::Environment> env_;
    std::unique_ptr<tg::distributed::Communicator> comm_;
    std::unique_ptr<tg::distributed::GradientReducer> reducer_;
#endif
};
