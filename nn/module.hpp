#pragma once
// Module: the base of every layer and model, in the style of libtorch's torch::nn::Module.
//
// A module owns named parameters (leaves that require grad), named buffers (state that is saved
// but not trained, such as batch norm's running statistics) and named submodules, held by
// std::shared_ptr. named_parameters() walks the tree and names each tensor by its path,
// "features.0.weight". The tensors themselves are also given that name (Tensor::name()), so a
// gradcheck report or a graph export can say which parameter it means.

#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../autograd/tensor.hpp"
#include "../ops/random.hpp"

namespace tg::nn {

class Module;
using ModulePtr = std::shared_ptr<Module>;
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Module {
  public:
    // type_name appears in errors and in printouts: "Conv2d", "Sequential".
    explicit Module(std::string type_name = "Module");
    virtual ~Module() = default;
    Module(const Module&) = delete;
    Module& operator=(const Module&) = delete;

    virtual Tensor forward(const Tensor& input) = 0;
    Tensor operator()(const Tensor& input) { return forward(input); }

    const std::string& type_name() const { return type_name_; }

    // --- registration (call these in a constructor) ---
    // Makes `value` a parameter: a leaf that requires grad, named by its path. Returns it.
    Tensor register_parameter(const std::string& name, Tensor value, bool requires_grad = true);
    // State that is saved and loaded with the parameters but not trained.
    Tensor register_buffer(const std::string& name, Tensor value);
    template <class M>
    std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
        add_child(name, module);
        return module;
    }

    // --- the tree ---
    // Parameters of this module, then of each submodule in registration order.
    NamedTensors named_parameters(bool recurse = true) const;
    std::vector<Tensor> parameters(bool recurse = true) const;
    NamedTensors named_buffers(bool recurse = true) const;
    std::vector<Tensor> buffers(bool recurse = true) const;
    // Everything save() writes: parameters, then buffers.
    NamedTensors state() const;
    const std::vector<std::pair<std::string, ModulePtr>>& named_children() const {
        return children_;
    }
    // This module (named "") and every module below it, depth first.
    std::vector<std::pair<std::string, Module*>> named_modules();
    std::size_t num_parameters() const;  // total elements
    // Calls fn on this module and every module below it, depth first (children first).
    void apply(const std::function<void(Module&)>& fn);

    // --- modes ---
    // Training mode (the default) or evaluation mode, for this module and all below it.
    void train(bool on = true);
    void eval() { train(false); }
    bool is_training() const { return training_; }

    // Fills every parameter's existing gradient with zeros (keeping its buffer), or drops the
    // gradients with set_to_none.
    void zero_grad(bool set_to_none = false);

    // Re-initialises every layer below and including this one from `gen`, in tree order, with
    // each layer's default initialisation. The same seed gives the same parameters.
    void reset_parameters(Generator& gen);

    // One line for this module: "Conv2d(1, 8, kernel_size=5x5, stride=1x1)".
    virtual std::string repr() const { return type_name_ + "()"; }
    // The whole tree, indented, as libtorch prints it.
    std::string to_string() const;

  protected:
    // The layer's own default initialisation; called by reset_parameters().
    virtual void reset_own_parameters(Generator& /*gen*/) {}

  private:
    void add_child(const std::string& name, ModulePtr module);
    void check_new_name(const char* what, const std::string& name) const;
    void rename_tensors(const std::string& prefix);
    void collect(NamedTensors& out, const std::string& prefix, bool params, bool recurse) const;
    void print(std::string& out, const std::string& indent) const;

    std::string type_name_;
    bool training_ = true;
    NamedTensors parameters_;
    NamedTensors buffers_;
    std::vector<std::pair<std::string, ModulePtr>> children_;
};

std::ostream& operator<<(std::ostream& os, const Module& m);

}  // namespace tg::nn
