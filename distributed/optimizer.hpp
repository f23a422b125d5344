#pragma once
// Data-parallel optimisation with the methods that call the user's function themselves: the
// line-search methods (L-BFGS, BFGS, nonlinear CG, gradient descent) and the Newton methods
// (Newton-CG, Newton). Each process passes a function of its own share of the data; the
// optimizer's reduction (optim/reduction.hpp) all-reduces the loss, the gradient and every
// Hessian- or Gauss-Newton-vector product into those of all the data, so that every process
// takes the very steps one process would take on the whole batch:
//
//     // this process's rows of the global batch: local_x, local_labels (n_local of them)
//     optim::NewtonCG opt(net->parameters(), optim::NewtonCGOptions().max_iter(5));
//     distributed::make_data_parallel(opt, comm, n_local);
//     opt.step([&] { return cross_entropy((*net)(local_x), local_labels); });
//
// The losses must be means over the local examples (as cross_entropy and mse_loss are); each
// process's values are weighted by its share, n_local / sum of n_local, before they are summed,
// so shards of different sizes give the mean over all examples. Because every process sees the
// same reduced numbers, every decision (line search, CG stopping, trust radius) is the same on
// every process and the replicas stay identical.

#include <cstddef>
#include <vector>

#include "../optim/optimizer.hpp"
#include "communicator.hpp"

namespace tg::distributed {

// The weighted all-reduce: values *= n_local / N, then summed over all processes (one
// MPI_Allreduce per call). A collective when made (it sums n_local once) and when called.
optim::Reduction data_parallel_reduction(const Communicator& comm, std::size_t local_examples);

// Sets data_parallel_reduction on a line-search or Newton optimizer. ValueError for a
// first-order method (SGD, Adam, ...), which reads .grad() directly: reduce its gradients with
// GradientReducer, or step it with data_parallel_closure.
void make_data_parallel(optim::Optimizer& optimizer, const Communicator& comm,
                        std::size_t local_examples);

// A closure for any optimizer's step(closure): calls `closure` (zero grads, local loss,
// backward), then replaces the .grad() of `params` by the weighted all-reduce over processes
// and returns the all-reduced loss (a float64 scalar without graph). Loss and gradients travel
// in one message.
optim::Closure data_parallel_closure(const Communicator& comm, std::vector<Tensor> params,
                                     optim::Closure closure, std::size_t local_examples);

}  // namespace tg::distributed
