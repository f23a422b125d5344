#pragma once
// tapegrad's optimizers. See optimizer.hpp for what they share: the parameter list, the step
// kinds (step(), step(closure), step(loss_fn)), the stopping rule, the status and the counters.
//
//   first order:        SGD (momentum, Nesterov, weight decay), Adam, AdamW, RMSprop
//   line search:        GradientDescent, NonlinearCG (FR, PR+, HS), BFGS, LBFGS
//   second order:       Newton (dense, LAPACK), NewtonCG (Hessian-free, Hessian or Gauss-Newton)
//   building blocks:    line searches (backtracking Armijo, strong Wolfe), linear CG
//                       (conjugate_gradient), Gauss-Newton vector products, flat vectors,
//                       reductions for data-parallel optimisation (reduction.hpp)

#include "optim/adam.hpp"
#include "optim/bfgs.hpp"
#include "optim/first_order.hpp"
#include "optim/flat.hpp"
#include "optim/gauss_newton.hpp"
#include "optim/gradient_descent.hpp"
#include "optim/lbfgs.hpp"
#include "optim/line_search.hpp"
#include "optim/line_search_optimizer.hpp"
#include "optim/linear_cg.hpp"
#include "optim/newton.hpp"
#include "optim/newton_cg.hpp"
#include "optim/nonlinear_cg.hpp"
#include "optim/optimizer.hpp"
#include "optim/options.hpp"
#include "optim/reduction.hpp"
#include "optim/rmsprop.hpp"
#include "optim/sgd.hpp"
