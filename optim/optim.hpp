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

#include "adam.hpp"
#include "bfgs.hpp"
#include "clip_grad.hpp"
#include "first_order.hpp"
#include "flat.hpp"
#include "gauss_newton.hpp"
#include "gradient_descent.hpp"
#include "lbfgs.hpp"
#include "line_search.hpp"
#include "line_search_optimizer.hpp"
#include "linear_cg.hpp"
#include "lr_scheduler.hpp"
#include "newton.hpp"
#include "newton_cg.hpp"
#include "nonlinear_cg.hpp"
#include "optimizer.hpp"
#include "options.hpp"
#include "reduction.hpp"
#include "rmsprop.hpp"
#include "sgd.hpp"
