#include "nn/module.hpp"

#include <ostream>

#include "autograd/errors.hpp"

namespace tg::nn {

Module::Module(std::string type_name) : type_name_(std::move(type_name)) {}

void Module::check_new_name(const char* what, const std::string& name) const {
    const std::string where = type_name_ + "::register_" + what;
    if (name.empty()) throw ValueError(where + ": empty name");
    if (name.find('.') != std::string::npos) {
        throw ValueError(where + ": name '" + name + "' contains '.', which separates path parts");
    }
    auto taken = [&](const auto& list) {
        for (const auto& entry : list)
            if (entry.first == name) return true;
        return false;
    };
    if (taken(parameters_) || taken(buffers_) || taken(children_)) {
        throw ValueError(where + ": the name '" + name + "' is already taken");
    }
}

Tensor Module::register_parameter(const std::string& name, Tensor value, bool requires_grad) {
    check_new_name("parameter", name);
    if (!value.defined()) {
        throw ValueError(type_name_ + "::register_parameter: '" + name + "' is undefined");
    }
    if (!value.is_leaf()) {
        throw GraphError(type_name_ + "::register_parameter: '" + name + "' " +
                         shape_str(value.shape()) +
                         " was produced by a recorded op; register a leaf (detach() it)");
    }
    value.requires_grad_(requires_grad);
    value.set_name(name);
    parameters_.emplace_back(name, value);
    return value;
}

Tensor Module::register_buffer(const std::string& name, Tensor value) {
    check_new_name("buffer", name);
    if (!value.defined()) {
        throw ValueError(type_name_ + "::register_buffer: '" + name + "' is undefined");
    }
    if (!value.is_leaf() || value.requires_grad()) {
        throw GraphError(type_name_ + "::register_buffer: '" + name +
                         "' must be a leaf that does not require grad");
    }
    value.set_name(name);
    buffers_.emplace_back(name, value);
    return value;
}

void Module::add_child(const std::string& name, ModulePtr module) {
    check_new_name("module", name);
    if (!module) throw ValueError(type_name_ + "::register_module: '" + name + "' is null");
    if (module.get() == this) {
        throw ValueError(type_name_ + "::register_module: a module cannot contain itself");
    }
    module->rename_tensors(name + ".");
    children_.emplace_back(name, std::move(module));
}

void Module::rename_tensors(const std::string& prefix) {
    for (auto& [name, t] : parameters_) t.set_name(prefix + name);
    for (auto& [name, t] : buffers_) t.set_name(prefix + name);
    for (auto& [name, child] : children_) child->rename_tensors(prefix + name + ".");
}

void Module::collect(NamedTensors& out, const std::string& prefix, bool params,
                     bool recurse) const {
    for (const auto& [name, t] : params ? parameters_ : buffers_)
        out.emplace_back(prefix + name, t);
    if (!recurse) return;
    for (const auto& [name, child] : children_)
        child->collect(out, prefix + name + ".", params, true);
}

namespace {
// A tensor reachable by two paths (a module registered twice) is listed once, under its first
// path, as in PyTorch: an optimizer must not update it twice.
NamedTensors unique(NamedTensors list) {
    NamedTensors out;
    for (auto& entry : list) {
        bool seen = false;
        for (const auto& kept : out) seen = seen || kept.second.same(entry.second);
        if (!seen) out.push_back(std::move(entry));
    }
    return out;
}
}  // namespace

NamedTensors Module::named_parameters(bool recurse) const {
    NamedTensors out;
    collect(out, "", true, recurse);
    return unique(std::move(out));
}

std::vector<Tensor> Module::parameters(bool recurse) const {
    std::vector<Tensor> out;
    for (auto& [name, t] : named_parameters(recurse)) out.push_back(t);
    return out;
}

NamedTensors Module::named_buffers(bool recurse) const {
    NamedTensors out;
    collect(out, "", false, recurse);
    return unique(std::move(out));
}

std::vector<Tensor> Module::buffers(bool recurse) const {
    std::vector<Tensor> out;
    for (auto& [name, t] : named_buffers(recurse)) out.push_back(t);
    return out;
}

NamedTensors Module::state() const {
    NamedTensors out = named_parameters();
    for (auto& entry : named_buffers()) out.push_back(std::move(entry));
    return out;
}

std::vector<std::pair<std::string, Module*>> Module::named_modules() {
    std::vector<std::pair<std::string, Module*>> out{{"", this}};
    for (auto& [name, child] : children_) {
        for (auto& [sub, m] : child->named_modules())
            out.emplace_back(sub.empty() ? name : name + "." + sub, m);
    }
    return out;
}

std::size_t Module::num_parameters() const {
    std::size_t n = 0;
    for (const auto& t : parameters()) n += t.numel();
    return n;
}

void Module::apply(const std::function<void(Module&)>& fn) {
    for (auto& [name, child] : children_) child->apply(fn);
    fn(*this);
}

void Module::train(bool on) {
    training_ = on;
    for (auto& [name, child] : children_) child->train(on);
}

void Module::zero_grad(bool set_to_none) {
    for (auto& t : parameters()) {
        if (set_to_none)
            t.clear_grad();
        else
            t.zero_grad();
    }
}

void Module::reset_parameters(Generator& gen) {
    reset_own_parameters(gen);
    for (auto& [name, child] : children_) child->reset_parameters(gen);
}

void Module::print(std::string& out, const std::string& indent) const {
    if (children_.empty()) {
        out += repr();
        return;
    }
    // Containers list their children on their own lines, as libtorch prints them.
    out += type_name_ + "(\n";
    for (const auto& [name, child] : children_) {
        out += indent + "  (" + name + "): ";
        child->print(out, indent + "  ");
        out += "\n";
    }
    out += indent + ")";
}

std::string Module::to_string() const {
    std::string out;
    print(out, "");
    return out;
}

std::ostream& operator<<(std::ostream& os, const Module& m) {
    return os << m.to_string();
}

}  // namespace tg::nn
