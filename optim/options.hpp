#pragma once
// Options structs in the style of libtorch: every option is a private member with a chained
// setter and a getter of the same name,
//
//   LBFGS opt(params, LBFGSOptions().history_size(20).max_iter(100).tolerance_grad(1e-9));
//   double m = opt.options().history_size();

#include <cstddef>

// Declares option `name` of type T with a default value: a setter that returns the options
// object (so calls chain) and a getter.
#define TG_OPTIM_OPTION(T, name, default_value) \
  public:                                       \
    auto& name(const T& value) {                \
        name##_ = value;                        \
        return *this;                           \
    }                                           \
    const T& name() const {                     \
        return name##_;                         \
    }                                           \
                                                \
  private:                                      \
    T name##_ = default_value;

// The three stopping rules every optimizer has (see optimizer.hpp for their meaning).
#define TG_OPTIM_STOP_OPTIONS(max_iter_default, tolerance_grad_default, tolerance_step_default) \
    TG_OPTIM_OPTION(std::size_t, max_iter, max_iter_default)                                    \
    TG_OPTIM_OPTION(double, tolerance_grad, tolerance_grad_default)                             \
    TG_OPTIM_OPTION(double, tolerance_step, tolerance_step_default)
