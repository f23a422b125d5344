#pragma once
// The base of every optimizer: the parameter list, the work counters, the stopping rule and
// the status that says why an optimizer stopped.
//
// Three kinds of step, as in libtorch:
//   - first-order methods (SGD, Adam, AdamW, RMSprop): step() uses the gradients already in the
//     parameters' .grad(); step(closure) calls the closure first. One call is one iteration.
//   - line-search methods (GradientDescent, NonlinearCG, BFGS, LBFGS): step(closure), where the
//     closure zeroes the gradients, computes the loss, calls backward() and returns the loss,
//     exactly like the closure of torch::optim::LBFGS. One call runs up to max_iter iterations.
//   - Newton methods (Newton, NewtonCG): step(loss_fn), where loss_fn only computes and returns
//     the loss, without backward(): the optimizer differentiates it itself, twice (gradients
//     and Hessian-vector products). One call runs up to max_iter iterations.
//
// Stopping rule (options max_iter, tolerance_grad, tolerance_step; 0 turns a rule off):
//   - gradient norm: ||g||_2 <= tolerance_grad at the current point -> converged_gradient;
//   - step size: ||x_new - x_old||_2 <= tolerance_step * max(1, ||x_new||_2) after an iteration
//     -> converged_step. Relative, as scipy's xrtol is: a step that small no longer changes x
//     in its leading digits. (First-order methods, whose default is 0, compare the step norm
//     with tolerance_step directly.) A trust region whose radius shrinks below the same bound
//     stops the same way;
//   - iterations: max_iter iterations -> max_iterations. For the methods whose step() runs many
//     iterations, max_iter counts the iterations of one call (libtorch's LBFGS semantics); for
//     first-order methods, whose step() is one iteration, it counts over the optimizer's life
//     (until reset()), and once reached, step() does nothing.
// A loss or gradient that is NaN or Inf stops the optimizer with Status::non_finite and leaves
// the parameters (and their .grad()) at the last point where both were finite. Inside a line
// search (or a trust region) a NaN or Inf trial point first counts as a step too long: the
// search backs off from it, and the optimizer stops only if no finite trial point is found.
//
// Counting: a closure call is one loss and one gradient evaluation; a loss function called
// without recording (trial points of the Newton methods) is one loss evaluation; building the
// gradient with its graph for Hessian-vector products is one of each; every product with the
// Hessian (or Gauss-Newton matrix) is one Hessian-vector product. First-order step() counts
// the gradient it consumes.

#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "../autograd/tensor.hpp"
#include "flat.hpp"
#include "reduction.hpp"

namespace tg::optim {

// Zeroes the gradients, computes the loss, calls backward() and returns the loss.
using Closure = std::function<Tensor()>;
// Computes and returns the loss only; no backward(). Used by the Newton methods.
using LossFunction = std::function<Tensor()>;

enum class Status {
    not_started,         // no step yet (or reset())
    running,             // the last step ended without meeting a stopping rule
    converged_gradient,  // ||g||_2 <= tolerance_grad
    converged_step,  // ||x_new - x_old||_2 <= tolerance_step (or a trust region shrank below it)
    max_iterations,  // max_iter iterations done
    line_search_failed,  // no step along a descent direction decreased the loss enough
    non_finite,          // the loss or the gradient was NaN or Inf
    singular,            // the Newton system is singular to working precision
};

// "converged: gradient norm within tolerance", ...
const char* to_string(Status status);

// The work an optimizer has done since it was made (or reset()).
struct Counters {
    std::size_t iterations = 0;
    std::size_t loss_evaluations = 0;      // forward passes (with or without a gradient)
    std::size_t gradient_evaluations = 0;  // backward passes that gave a gradient
    std::size_t hessian_vector_products = 0;
};

// What an optimizer reports after each iteration to a callback set with on_iteration().
struct IterationInfo {
    std::size_t iteration = 0;  // iterations done so far, this one included
    double loss = 0;            // at the new point; NaN if not computed there
    double grad_norm = 0;       // ||g||_2 at the new point (first-order: of the gradient used)
    double step_norm = 0;       // ||x_new - x_old||_2
    double step_size = 0;       // the line search's alpha, the learning rate, or 1
};
using IterationCallback = std::function<void(const IterationInfo&)>;

class Optimizer {
  public:
    // Parameters must be leaves that require grad, float or double (they may mix).
    Optimizer(std::vector<Tensor> params, std::string name);
    // Named parameters, as an nn module's named_parameters() gives them; the names appear in
    // error messages.
    Optimizer(const std::vector<std::pair<std::string, Tensor>>& named_params, std::string name);
    virtual ~Optimizer();
    Optimizer(const Optimizer&) = delete;
    Optimizer& operator=(const Optimizer&) = delete;

    const std::string& name() const { return name_; }
    const std::vector<Tensor>& parameters() const { return params_; }
    const std::string& parameter_name(std::size_t i) const { return names_.at(i); }
    // Elements in all parameters together: the length of the flat vectors (see flat.hpp).
    std::size_t num_elements() const { return num_elements_; }

    // Fills every parameter's existing .grad() with zeros.
    void zero_grad();

    const Counters& counters() const { return counters_; }
    Status status() const { return status_; }
    // A sentence with the numbers: "gradient norm 3.2e-09 <= tolerance_grad 1e-08 after 35
    // iterations". Empty before the first step.
    const std::string& stop_reason() const { return reason_; }
    bool converged() const {
        return status_ == Status::converged_gradient || status_ == Status::converged_step;
    }
    // Converged, or stopped by max_iter or a failure.
    bool stopped() const { return status_ != Status::not_started && status_ != Status::running; }
    // The last loss and gradient norm the optimizer saw (NaN before it saw any).
    double last_loss() const { return last_loss_; }
    double last_grad_norm() const { return last_grad_norm_; }

    // Called after every iteration, for progress bars and trajectories. The parameters hold
    // the new point when it is called.
    void on_iteration(IterationCallback callback) { callback_ = std::move(callback); }

    // Forgets the method's state (momentum, curvature pairs, ...), the counters and the status.
    virtual void reset();

    // Data-parallel optimisation (see reduction.hpp): combines what the user's function computed
    // on this process's share of the data with the other processes'. Empty (the default): the
    // values are used as they are.
    void set_reduction(Reduction reduction) { reduction_ = std::move(reduction); }
    const Reduction& reduction() const { return reduction_; }

  protected:
    // Calls the closure with grad mode on and returns its loss; writes the gradient (zeros for
    // a parameter without .grad()) into g. Counts one loss and one gradient evaluation.
    double call_closure(const Closure& closure, FlatVector& g);
    // Calls a loss function without recording anything. Counts one loss evaluation.
    double call_loss(const LossFunction& loss);
    // Both of them apply the reduction, if one is set.
    FlatVector read_parameters() const { return gather_values(params_); }
    void write_parameters(const FlatVector& x) { scatter_values(x, params_); }
    void write_gradients(const FlatVector& g) { scatter_grads(g, params_); }

    void set_status(Status status, std::string reason = {});
    // Counts the iteration, remembers its loss and gradient norm, runs the callback.
    void finish_iteration(IterationInfo info);
    void remember(double loss, double grad_norm) {
        last_loss_ = loss;
        last_grad_norm_ = grad_norm;
    }
    // The usual reasons, formatted.
    std::string gradient_reason(double grad_norm, double tolerance) const;
    std::string step_reason(double step_norm, double tolerance) const;
    std::string step_reason(double step_norm, double x_norm, double tolerance) const;
    std::string iterations_reason(std::size_t max_iter) const;

    // The stopping rules of the methods whose step() runs many iterations (line-search and
    // Newton methods). Each sets the status and returns true when a rule holds.
    // At the starting point: remembers f and ||g||; stops (non_finite) if either is NaN or Inf.
    bool stop_at_start(double f, double g_norm);
    // Before an iteration: ||g|| within tolerance_grad, or max_iter iterations done.
    bool stop_before_iteration(double g_norm, std::size_t done, double tolerance_grad,
                               std::size_t max_iter);
    // After an iteration: ||g|| within tolerance_grad (the better reason when both rules hold),
    // or a step within tolerance_step relative to the new point (see the stopping rule above).
    bool stop_after_iteration(double g_norm, double step_norm, double x_norm, double tolerance_grad,
                              double tolerance_step);

    Counters counters_;

  private:
    void check_parameters();

    std::string name_;
    std::vector<Tensor> params_;
    std::vector<std::string> names_;
    std::size_t num_elements_ = 0;
    Status status_ = Status::not_started;
    std::string reason_;
    double last_loss_;
    double last_grad_norm_;
    IterationCallback callback_;
    Reduction reduction_;
};

}  // namespace tg::optim
