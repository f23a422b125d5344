#pragma once
// Collectives as differentiable tapegrad ops.
//
// all_reduce_sum(comm, x) gives every process the sum of x over all processes. It is recorded
// like any primitive: its reverse rule is an all_reduce_sum of the incoming gradients and its
// forward rule an all_reduce_sum of the tangents, both written with all_reduce_sum itself, so
// gradients, Hessian-vector products and forward-over-reverse products go through it to any
// order. The derivative is that of the sum of every process's outputs: process r's backward
// from its own output y_r gives the gradient of sum_r y_r with respect to its own inputs. This
// is what synchronised batch norm needs (sync_batchnorm.hpp): every process's loss depends on
// every process's batch through the shared statistics.
//
// As a collective, every process must run the op, and its backward, at the same point: a graph
// through all_reduce_sum must be differentiated on every process or on none.

#include "../autograd/tensor.hpp"
#include "communicator.hpp"

namespace tg::distributed {

// Elementwise sum over all processes of x, which must have the same shape and dtype on each.
Tensor all_reduce_sum(const Communicator& comm, const Tensor& x);

}  // namespace tg::distributed
