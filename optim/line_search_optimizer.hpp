#pragma once
// The loop shared by the methods that choose a direction and search along it: gradient
// descent, nonlinear conjugate gradient, BFGS and L-BFGS. A method supplies the direction,
// the first trial step and what it learns from each step; this class does the rest (closure
// calls, line search, stopping rule, counters, recovery from failures).
//
// One step(closure) call:
//   evaluate f, g at the current parameters;
//   repeat until a stopping rule holds (see optimizer.hpp):
//     d = direction(g)  (steepest descent instead if d is not a descent direction)
//     alpha = line search along d from initial_step(...)
//     x <- x + alpha d;  the method learns from s = alpha d and y = g_new - g
// If the line search finds no acceptable step, the method's memory is dropped and steepest
// descent is tried once; if that fails too, the parameters go back to the last accepted point
// and the optimizer stops with line_search_failed (or non_finite if every trial was NaN/Inf).

#include "line_search.hpp"
#include "optimizer.hpp"

namespace tg::optim {

class LineSearchOptimizer : public Optimizer {
  public:
    using Optimizer::Optimizer;

    // Runs up to max_iter iterations. Returns the loss at the starting point (as libtorch's
    // LBFGS does); the loss at the end is last_loss().
    Tensor step(const Closure& closure);

  protected:
    struct Settings {
        std::size_t max_iter;
        double tolerance_grad;
        double tolerance_step;
        LineSearchKind line_search;
        LineSearchOptions line_search_options;
        double lr;  // the fixed step without a line search; scales the first trial step
    };
    virtual Settings settings() const = 0;

    // What a method may use to pick the first trial step.
    struct StepContext {
        double f;           // loss at x
        double f_previous;  // loss at the previous iterate (NaN at the first iteration of a call)
        double dphi0;       // g . d
        double g_norm1;     // ||g||_1
        bool fresh;         // no memory: first iteration, or after a restart
        double lr;
        LineSearchKind line_search;
    };
    // Default: quasi-Newton style. lr * min(1, 1/||g||_1) when fresh (the direction is the raw
    // gradient), else lr (a unit quasi-Newton step).
    virtual double initial_step(const StepContext& c) const;
    // Nocedal & Wright eq. 3.60, for methods whose directions are not scaled (GD, CG): the
    // step at which a quadratic through f_previous and the current slope would bottom out
    // (the first iteration of a call falls back to lr * min(1, 1/||g||_1)).
    static double interpolated_step(const StepContext& c, double previous_alpha);

    // The search direction at the current point with gradient g.
    virtual void direction(const FlatVector& g, FlatVector& d) = 0;
    // After an accepted step s = x_new - x along d; y = g_new - g_old.
    struct Update {
        const FlatVector& s;
        const FlatVector& y;
        const FlatVector& g_old;
        const FlatVector& g_new;
        const FlatVector& d;
        double alpha;
    };
    virtual void learn(const Update& u) = 0;
    // Drops curvature and conjugacy information: the next direction is steepest descent.
    virtual void restart() = 0;
    // Whether restart() would change anything.
    virtual bool has_memory() const = 0;

    double last_alpha() const { return last_alpha_; }

  private:
    double last_alpha_ = 1;
};

}  // namespace tg::optim
