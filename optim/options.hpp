#pragma once
// Options structs use TG_OPTION (autograd/options.hpp):
//
//   LBFGS opt(params, LBFGSOptions().history_size(20).max_iter(100).tolerance_grad(1e-9));
//   double m = opt.options().history_size();

#include <cstddef>

#include "../autograd/options.hpp"

// The three stopping rules every optimizer has (see optimizer.hpp for their meaning).
#define TG_OPTIM_STOP_OPTIONS(max_iter_default, tolerance_grad_default, tolerance_step_default) \
    TG_OPTION(std::size_t, max_iter) = max_iter_default;                                        \
    TG_OPTION(double, tolerance_grad) = tolerance_grad_default;                                 \
    TG_OPTION(double, tolerance_step) = tolerance_step_default
