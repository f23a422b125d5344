#pragma once
// Starting every process from the same model: rank 0's parameters (and buffers, such as batch
// norm's running statistics) copied to every process, as DistributedDataParallel does when it
// wraps a model. Afterwards every process holds bitwise the same values, whatever seed or
// initialisation each one used.

#include <vector>

#include "../autograd/tensor.hpp"
#include "../nn/module.hpp"
#include "communicator.hpp"

namespace tg::distributed {

// Root's values of `tensors` to every process, in place (leaves; their versions are bumped).
// All float32 tensors travel in one message and all float64 tensors in another. Every process
// must pass tensors of the same count, shapes and dtypes, in the same order: otherwise every
// process throws ShapeError (nothing is changed).
void broadcast_tensors(const Communicator& comm, const std::vector<Tensor>& tensors, int root = 0);

// Parameters, then buffers, of a module.
void broadcast_module(const Communicator& comm, const nn::Module& module, int root = 0);

// Replaces every buffer of the module by its average over the processes: with per-process batch
// norm, the running statistics each process gathered from its own shard become statistics of
// all the data (the running means exactly; the running variances approximately, since the
// spread between the shards' means is left out). Call it before evaluating or saving.
void average_buffers(const Communicator& comm, const nn::Module& module);

// ShapeError on every process unless every process passes tensors of the same count, shapes
// and dtypes as rank 0 (`what` names the caller in the message). A collective.
void check_same_layout(const Communicator& comm, const std::vector<Tensor>& tensors,
                       const char* what);

// True if every process holds bitwise the same values in `tensors` (compared through a hash, so
// a false positive is possible but extremely unlikely). For tests and sanity checks.
bool replicas_identical(const Communicator& comm, const std::vector<Tensor>& tensors);

}  // namespace tg::distributed
