#include "nn/sequential.hpp"

#include "autograd/errors.hpp"

namespace tg::nn {

Sequential::Sequential() : Module("Sequential") {}

Sequential::Sequential(std::initializer_list<ModulePtr> modules) : Module("Sequential") {
    for (const auto& m : modules) push_back(m);
}

Sequential& Sequential::push_back(ModulePtr module) {
    return push_back(std::to_string(size()), std::move(module));
}

Sequential& Sequential::push_back(const std::string& name, ModulePtr module) {
    register_module(name, std::move(module));
    return *this;
}

const ModulePtr& Sequential::operator[](std::size_t i) const {
    if (i >= size()) {
        throw ValueError("Sequential: index " + std::to_string(i) + " is out of range for " +
                         std::to_string(size()) + " modules");
    }
    return named_children()[i].second;
}

void Sequential::throw_wrong_type(std::size_t i) const {
    throw ValueError("Sequential: module " + std::to_string(i) + " is a " +
                     (*this)[i]->type_name() + ", not the type asked for");
}

Tensor Sequential::forward(const Tensor& input) {
    Tensor x = input;
    for (const auto& [name, m] : named_children()) x = m->forward(x);
    return x;
}

}  // namespace tg::nn
