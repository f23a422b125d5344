#pragma once
// tapegrad's distributed module: data-parallel training over MPI (Open MPI), in namespace
// tg::distributed. Part of the library when it was built with MPI (TAPEGRAD_WITH_MPI in
// tapegrad_config.hpp; meson option -Dmpi). See docs/distributed.md.
//
//   environment.hpp      Environment (MPI init/finalize as a scope), launched_by_mpirun()
//   communicator.hpp     Communicator: rank, size, all_reduce, broadcast, barrier, abort
//   error_guard.hpp      run_guarded: an exception on one process ends the job, with its rank
//   broadcast.hpp        rank 0's parameters and buffers to every process; average_buffers
//   gradient_reducer.hpp GradientReducer: bucketed gradient averaging, overlapped with backward
//   sampler.hpp          DistributedSampler, ShardedDataLoader: a dataset sharded by rank
//   metrics.hpp          loss and accuracy summed over processes
//   collectives.hpp      all_reduce_sum as a differentiable op
//   sync_batchnorm.hpp   SyncBatchNorm: batch statistics over all processes
//   optimizer.hpp        Newton-CG, L-BFGS, ... on data spread over processes

#include "broadcast.hpp"
#include "collectives.hpp"
#include "communicator.hpp"
#include "environment.hpp"
#include "error_guard.hpp"
#include "gradient_reducer.hpp"
#include "metrics.hpp"
#include "optimizer.hpp"
#include "sampler.hpp"
#include "sync_batchnorm.hpp"
