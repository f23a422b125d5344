#pragma once
// Data-parallel optimisation: when several processes each hold a share of the data, what one
// process computes from its share (a loss, a gradient, a Hessian- or Gauss-Newton-vector
// product; all of them sums over examples) is only a part of the value for all the data. A
// Reduction replaces such a part, in place, by the whole: for example the weighted sum over all
// processes (distributed/optimizer.hpp builds one from an MPI communicator).
//
// Optimizer::set_reduction() gives one to an optimizer. The optimizer then applies it wherever
// it reads a value from the user's function: the loss and gradient of every closure call
// (line-search methods: GradientDescent, NonlinearCG, BFGS, LBFGS), every loss, gradient and
// curvature-vector product of the Newton methods (Newton, NewtonCG), and the trial losses of
// their line searches. A loss and its gradient are passed together, the loss last, so that
// one call combines both. First-order methods read .grad() as it is: reduce those gradients
// before step() (distributed::GradientReducer).
//
// Every process runs the same optimizer on the same parameters and so makes the same calls in
// the same order; a reduction that gives every process the same values keeps them in step.

#include <functional>

#include "flat.hpp"

namespace tg::optim {

using Reduction = std::function<void(FlatVector& values)>;

}  // namespace tg::optim
