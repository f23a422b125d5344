#pragma once
// GradRecorder: the gradient statistics of every parameter at every backward, gathered by
// parameter hooks while a model trains.
//
//     tg::research::GradRecorder recorder(*net);
//     for (...) { opt.zero_grad(); loss_fn().backward(); opt.step(); }
//     double g = recorder.history("0.bias")[k].grad_norm;  // at the k-th backward reaching it
//     recorder.write_csv("gradients.csv");
//
// Entry k of a parameter's history is the k-th backward (or tg::grad()) that reached it while
// the recorder was recording, so parameters that every backward reaches have aligned
// histories. The weight norm, and the ratio, are of the parameter's value when the hook runs:
// before the optimizer step that uses the gradient. The recorder never changes a gradient.
// Its hooks are removed when it is destroyed.

#include <memory>
#include <string>
#include <vector>

#include "../nn/module.hpp"
#include "grad_stats.hpp"
#include "hooks.hpp"

namespace tg::research {

class GradRecorder {
  public:
    // Every parameter of the module that requires grad (as register_parameter_hook).
    explicit GradRecorder(nn::Module& module);
    explicit GradRecorder(const nn::NamedTensors& parameters);
    ~GradRecorder();
    GradRecorder(const GradRecorder&) = delete;
    GradRecorder& operator=(const GradRecorder&) = delete;

    // While paused, backward passes are not recorded (e.g. during evaluation).
    void pause();
    void resume();
    bool recording() const;

    const std::vector<std::string>& names() const;
    // ValueError listing the names if there is no such parameter.
    const std::vector<GradStats>& history(const std::string& name) const;
    // The length of the longest history.
    std::size_t steps() const;
    void clear();

    // step,name,grad_norm,grad_mean,grad_max_abs,weight_norm,ratio; one line per entry.
    std::string csv() const;
    // IOError naming the file if it cannot be written.
    void write_csv(const std::string& path) const;

  private:
    struct State;
    void attach(const nn::NamedTensors& parameters);
    std::shared_ptr<State> state_;
    HookHandle handle_;
};

}  // namespace tg::research
