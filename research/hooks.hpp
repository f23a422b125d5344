#pragma once
// Gradient hooks that can be removed again, on one tensor or on every parameter of a module.
//
//     auto handle = tg::research::register_parameter_hook(*net,
//         [](const std::string& name, const tg::Tensor& grad) {
//             std::cout << name << " " << tg::shape_str(grad.shape()) << "\n";
//             return tg::Tensor();  // undefined: keep the gradient as it is
//         });
//     loss.backward();  // the hook runs once for each parameter the gradient reaches
//     handle.remove();  // and never again
//
// When a hook runs: during backward(), once per backward for every parameter (or tensor) that
// the gradient reaches, with its complete gradient of that backward (the contributions of all
// its uses summed), before the gradient is added to .grad(). tg::grad() runs hooks too, on the
// part of the graph it walks. With GradOptions().create_graph(true) the gradient a hook sees is
// itself recorded. A hook that returns a defined tensor replaces the gradient: it must have the
// gradient's shape and dtype (GraphError otherwise); later hooks and .grad() see the
// replacement. Hooks run in the order they were registered.
//
// Removing a hook switches it off: it stays attached to the tensor as an empty call (a few
// nanoseconds per backward), so register hooks once, not once per step.

#include <functional>
#include <memory>
#include <string>

#include "../autograd/tensor.hpp"
#include "../nn/module.hpp"

namespace tg::research {

// Switches off the hooks it was returned for. Copies share the switch. A default-constructed
// handle refers to nothing.
class HookHandle {
  public:
    HookHandle() = default;
    // The hooks stop running. Calling it again does nothing.
    void remove();
    // Registered and not yet removed.
    bool active() const { return alive_ && *alive_; }

  private:
    friend class HookRegistrar;
    explicit HookHandle(std::shared_ptr<bool> alive) : alive_(std::move(alive)) {}
    std::shared_ptr<bool> alive_;
};

// Called with the gradient; returns a replacement, or an undefined tensor to keep it.
using GradientHook = std::function<Tensor(const Tensor& grad)>;
// Called with the parameter's name (its path in the module, "features.0.weight") and gradient.
using ParameterHook = std::function<Tensor(const std::string& name, const Tensor& grad)>;

// Tensor::register_hook with a handle. GraphError if t does not require grad.
HookHandle register_hook(Tensor t, GradientHook hook);

// The hook on every parameter of the module and its submodules that requires grad (a shared
// parameter once). One handle removes them all. Parameters registered after this call are not
// hooked.
HookHandle register_parameter_hook(nn::Module& module, ParameterHook hook);
// The same on a list of named tensors (all must require grad, GraphError otherwise).
HookHandle register_parameter_hook(const nn::NamedTensors& parameters, ParameterHook hook);

}  // namespace tg::research
