#include "research/hooks.hpp"

#include "autograd/errors.hpp"

namespace tg::research {

void HookHandle::remove() {
    if (alive_) *alive_ = false;
}

// Makes handles; the only friend of HookHandle's constructor.
class HookRegistrar {
  public:
    static HookHandle make(std::shared_ptr<bool> alive) { return HookHandle(std::move(alive)); }
};

namespace {

void attach(Tensor& t, const std::shared_ptr<bool>& alive, GradientHook hook) {
    // The tensor keeps the wrapper; the wrapper does nothing once the switch is off.
    t.register_hook([alive, hook = std::move(hook)](const Tensor& g) -> Tensor {
        if (!*alive) return Tensor();
        return hook(g);
    });
}

}  // namespace

HookHandle register_hook(Tensor t, GradientHook hook) {
    if (!hook) throw ValueError("research::register_hook: the hook is empty");
    auto alive = std::make_shared<bool>(true);
    attach(t, alive, std::move(hook));
    return HookRegistrar::make(alive);
}

HookHandle register_parameter_hook(const nn::NamedTensors& parameters, ParameterHook hook) {
    if (!hook) throw ValueError("research::register_parameter_hook: the hook is empty");
    for (const auto& [name, p] : parameters) {
        if (!p.defined()) {
            throw ValueError("research::register_parameter_hook: parameter '" + name +
                             "' is undefined");
        }
        if (!p.requires_grad()) {
            throw GraphError("research::register_parameter_hook: parameter '" + name + "' " +
                             shape_str(p.shape()) + " does not require grad");
        }
    }
    auto alive = std::make_shared<bool>(true);
    auto shared = std::make_shared<ParameterHook>(std::move(hook));
    for (const auto& [name, p] : parameters) {
        Tensor t = p;
        attach(t, alive, [shared, name = name](const Tensor& g) { return (*shared)(name, g); });
    }
    return HookRegistrar::make(alive);
}

HookHandle register_parameter_hook(nn::Module& module, ParameterHook hook) {
    nn::NamedTensors trainable;
    for (auto& entry : module.named_parameters())
        if (entry.second.requires_grad()) trainable.push_back(entry);
    return register_parameter_hook(trainable, std::move(hook));
}

}  // namespace tg::research
