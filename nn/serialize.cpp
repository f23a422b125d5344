#include "nn/serialize.hpp"

#include <map>

#include "autograd/errors.hpp"
#include "autograd/grad_mode.hpp"
#include "nn/file_io.hpp"
#include "nn/npz_archive.hpp"
#include "ops/kernels.hpp"

namespace tg::nn {

namespace {

// dst's values := src's, converted to dst's dtype. Shapes already match.
void assign(Tensor dst, const Tensor& src) {
    kernels::dispatch(dst.dtype(), [&](auto tag) {
        using T = decltype(tag);
        auto& a = dst.mutable_array<T>();
        if (src.dtype() == dst.dtype()) {
            const auto& s = src.array<T>();
            std::copy(s.data(), s.data() + s.size(), a.data());
        } else {
            const std::vector<double> v = src.to_vector();
            for (std::size_t i = 0; i < v.size(); ++i) a.data()[i] = static_cast<T>(v[i]);
        }
    });
}

// The names as a message lists them: the first 20, with bytes that do not print escaped.
std::string join(const std::vector<std::string>& names) {
    constexpr std::size_t kShown = 20;
    std::string s;
    for (std::size_t i = 0; i < names.size() && i < kShown; ++i)
        s += (i ? ", " : "") + printable(names[i]);
    if (names.size() > kShown) s += " and " + std::to_string(names.size() - kShown) + " more";
    return s;
}

}  // namespace

void save(const Module& module, const std::string& path) {
    save_npz(module.state(), path);
}

void load(Module& module, const std::string& path) {
    // The archive's entries and their .npy headers first: names and shapes are compared with
    // the module's before any tensor data is inflated, so a mismatched entry costs nothing.
    const NpzArchive archive(path);
    std::map<std::string, const NpzArchive::Entry*> by_name;
    for (const auto& e : archive.entries()) by_name.emplace(e.name, &e);
    const NamedTensors wanted = module.state();
    std::vector<std::string> missing, unexpected, shapes;
    std::map<std::string, bool> known;
    for (const auto& [name, t] : wanted) {
        known[name] = true;
        auto it = by_name.find(name);
        if (it == by_name.end()) {
            missing.push_back(name);
        } else if (it->second->npy.shape != t.shape()) {
            shapes.push_back(name + " is " + shape_str(it->second->npy.shape) +
                             " in the file but " + shape_str(t.shape()) + " in the module");
        }
    }
    for (const auto& e : archive.entries())
        if (!known.count(e.name)) unexpected.push_back(e.name);

    const std::string head = "load: " + path + " does not match the " + module.type_name();
    if (!missing.empty() || !unexpected.empty()) {
        std::string msg = head + ":";
        if (!missing.empty()) msg += " missing from the file: " + join(missing) + ";";
        if (!unexpected.empty()) msg += " not in the module: " + join(unexpected) + ";";
        if (!shapes.empty()) msg += " shapes differ: " + join(shapes) + ";";
        msg.pop_back();
        throw ValueError(msg);
    }
    if (!shapes.empty()) throw ShapeError(head + ": shapes differ: " + join(shapes));

    // Every tensor read (inflated and checked) before the first value is written.
    std::vector<Tensor> values;
    for (const auto& [name, t] : wanted) values.push_back(archive.read(*by_name.at(name)));
    NoGradGuard no_grad;
    for (std::size_t i = 0; i < wanted.size(); ++i) assign(wanted[i].second, values[i]);
}

}  // namespace tg::nn
