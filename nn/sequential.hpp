#pragma once
// Sequential: modules applied one after another. Children are named "0", "1", ... so that
// parameters read "features.0.weight", as in libtorch.

#include <initializer_list>
#include <memory>
#include <string>
#include <type_traits>

#include "module.hpp"

namespace tg::nn {

class Sequential : public Module {
  public:
    Sequential();
    Sequential(std::initializer_list<ModulePtr> modules);
    // So that std::make_shared<Sequential>(conv, bn, relu) works.
    template <class... M, class = std::enable_if_t<(std::is_base_of_v<Module, M> && ...)>>
    explicit Sequential(std::shared_ptr<M>... modules) : Sequential({ModulePtr(modules)...}) {}

    // Appends a module named by its position, or by `name`. Returns this, for chaining.
    Sequential& push_back(ModulePtr module);
    Sequential& push_back(const std::string& name, ModulePtr module);

    std::size_t size() const { return named_children().size(); }
    bool empty() const { return size() == 0; }
    const ModulePtr& operator[](std::size_t i) const;
    // The i-th module as a T; throws ValueError if it is something else.
    template <class T>
    std::shared_ptr<T> at(std::size_t i) const {
        auto p = std::dynamic_pointer_cast<T>((*this)[i]);
        if (!p) throw_wrong_type(i);
        return p;
    }

    Tensor forward(const Tensor& input) override;

  private:
    [[noreturn]] void throw_wrong_type(std::size_t i) const;
};

}  // namespace tg::nn
