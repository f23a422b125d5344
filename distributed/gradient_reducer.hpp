#pragma once
// GradientReducer: data-parallel training's gradient averaging, as in PyTorch's
// DistributedDataParallel. Every process computes the gradient of its own mini-batch; after
// synchronize() every process's .grad() holds the average over all processes, which for equal
// local batches is the gradient of the global batch's mean loss. Then every process takes the
// same optimizer step and the replicas stay identical.
//
//     distributed::broadcast_module(comm, *net);             // same starting point
//     distributed::GradientReducer reducer(comm, *net);
//     for (...) {
//         net->zero_grad();
//         cross_entropy((*net)(batch.inputs), batch.labels).backward();
//         reducer.synchronize();                              // .grad() = average over processes
//         sgd.step();
//     }
//
// Buckets: the gradients are not sent one parameter at a time but copied into a few large
// contiguous buffers (buckets of at most bucket_cap_mb, one element type each; parameters in
// reverse order, since backward reaches the last layers first), and each bucket is one
// all-reduce (MPI_Iallreduce, sum, then divided by the number of processes).
//
// Overlap (option overlap, on by default): the reducer registers a gradient hook
// (Tensor::register_hook) on every parameter. The hook runs when backward reaches the
// parameter, copies its gradient into its bucket and, as soon as a bucket is complete, starts
// that bucket's all-reduce without waiting; while backward goes on through the earlier layers,
// later hooks call MPI_Test to move the started all-reduces along (Open MPI progresses
// non-blocking collectives only inside MPI calls). synchronize() starts the buckets that are
// still incomplete (parameters that this backward did not reach contribute their current .grad(),
// or zeros) and waits for all of them. Buckets are always started in the same order on every
// process, as MPI requires. Without overlap, nothing happens during backward and synchronize()
// does it all after it (a post-backward bucket pass).
//
// The hook reduces what .grad() will hold after the backward (the earlier .grad() plus the new
// gradient), so gradients accumulated over several backward passes are reduced as a whole: turn
// the hooks off with set_enabled(false) for all but the last of those passes (DDP's no_sync()).
// Call synchronize() once after every backward pass while enabled; a parameter whose hook runs
// twice before synchronize() is an error (GraphError), as is differentiating the parameters
// some other way (tg::grad, a Newton step) while the reducer is enabled.

#include <memory>
#include <vector>

#include "../autograd/tensor.hpp"
#include "../nn/module.hpp"
#include "../nn/options.hpp"
#include "communicator.hpp"

namespace tg::distributed {

struct GradientReducerOptions {
    // Largest bucket, in MiB of gradient values (a parameter larger than this gets a bucket of
    // its own). PyTorch's default is 25.
    TG_OPTION(double, bucket_cap_mb) = 25.0;
    // Start each bucket's all-reduce from the gradient hooks, during backward.
    TG_OPTION(bool, overlap) = true;
    // Divide the sum over processes by their number (DDP); false leaves the sum.
    TG_OPTION(bool, average) = true;
};

// Where the reducer's time went, summed over synchronize() calls (wall-clock seconds).
struct ReducerStats {
    std::size_t synchronizations = 0;
    std::size_t started_in_backward = 0;  // bucket all-reduces started by a hook
    std::size_t started_in_synchronize = 0;
    // In the hooks, during backward: copying gradients into buckets, starting all-reduces and
    // testing them for progress.
    double hook_seconds = 0;
    // In synchronize(): starting the remaining all-reduces, waiting for all of them (which
    // includes waiting for the slowest process to finish its backward), copying the averages
    // into .grad().
    double synchronize_seconds = 0;
};

class GradientReducer {
  public:
    // Parameters must be leaves that require grad and be the same, in the same order, on every
    // process (checked: ShapeError on every process otherwise).
    GradientReducer(const Communicator& comm, std::vector<Tensor> params,
                    const GradientReducerOptions& options = GradientReducerOptions());
    GradientReducer(const Communicator& comm, const nn::Module& module,
                    const GradientReducerOptions& options = GradientReducerOptions());
    // The hooks stay registered on the parameters but do nothing once the reducer is gone.
    ~GradientReducer();
    GradientReducer(const GradientReducer&) = delete;
    GradientReducer& operator=(const GradientReducer&) = delete;

    // Completes the all-reduces and writes the averaged gradients into every parameter's
    // .grad() (a parameter without a gradient gets one). A collective: every process calls it.
    void synchronize();

    // Off: the hooks do nothing (backward passes accumulate locally); synchronize() still
    // reduces whatever .grad() holds.
    void set_enabled(bool on);
    bool enabled() const;

    const Communicator& communicator() const;
    const GradientReducerOptions& options() const;
    // Elements of each bucket, in the order their all-reduces start.
    std::vector<std::size_t> bucket_sizes() const;
    const ReducerStats& stats() const;
    void reset_stats();

    struct State;  // internal, shared with the hooks

  private:
    std::shared_ptr<State> state_;
};

}  // namespace tg::distributed
