#include "research/grad_recorder.hpp"

#include <fstream>

#include <fmt/format.h>

#include "autograd/errors.hpp"

namespace tg::research {

struct GradRecorder::State {
    bool recording = true;
    std::vector<std::string> names;
    std::vector<std::vector<GradStats>> histories;
};

namespace {
nn::NamedTensors trainable(nn::Module& module) {
    nn::NamedTensors out;
    for (auto& entry : module.named_parameters())
        if (entry.second.requires_grad()) out.push_back(entry);
    return out;
}
}  // namespace

GradRecorder::GradRecorder(nn::Module& module) : state_(std::make_shared<State>()) {
    attach(trainable(module));
}

GradRecorder::GradRecorder(const nn::NamedTensors& parameters) : state_(std::make_shared<State>()) {
    attach(parameters);
}

GradRecorder::~GradRecorder() {
    handle_.remove();
}

void GradRecorder::attach(const nn::NamedTensors& parameters) {
    for (const auto& [name, p] : parameters) {
        state_->names.push_back(name);
        state_->histories.emplace_back();
    }
    // The hook reads the parameter's value through a raw pointer: holding a Tensor there would
    // make the parameter own itself through its hook. The engine calls the hook only while the
    // parameter exists. The state is held weakly, so the hooks left behind on the parameters
    // after the recorder is gone hold no history.
    std::vector<detail::TensorImpl*> impls;
    for (const auto& entry : parameters) impls.push_back(entry.second.impl());
    std::weak_ptr<State> weak = state_;
    handle_ = register_parameter_hook(
        parameters, [weak, impls](const std::string& name, const Tensor& grad) -> Tensor {
            auto state = weak.lock();
            if (!state || !state->recording) return Tensor();
            for (std::size_t i = 0; i < state->names.size(); ++i) {
                if (state->names[i] != name) continue;
                const Tensor param = Tensor::share(impls[i]);
                state->histories[i].push_back(tensor_grad_stats(name, param, grad));
                break;
            }
            return Tensor();
        });
}

void GradRecorder::pause() {
    state_->recording = false;
}
void GradRecorder::resume() {
    state_->recording = true;
}
bool GradRecorder::recording() const {
    return state_->recording;
}

const std::vector<std::string>& GradRecorder::names() const {
    return state_->names;
}

const std::vector<GradStats>& GradRecorder::history(const std::string& name) const {
    for (std::size_t i = 0; i < state_->names.size(); ++i)
        if (state_->names[i] == name) return state_->histories[i];
    std::string known;
    for (const auto& n : state_->names) known += (known.empty() ? "" : ", ") + n;
    throw ValueError("GradRecorder::history: no parameter named '" + name +
                     "' (there are: " + known + ")");
}

std::size_t GradRecorder::steps() const {
    std::size_t n = 0;
    for (const auto& h : state_->histories) n = std::max(n, h.size());
    return n;
}

void GradRecorder::clear() {
    for (auto& h : state_->histories) h.clear();
}

std::string GradRecorder::csv() const {
    std::string s = "step,name,grad_norm,grad_mean,grad_max_abs,weight_norm,ratio\n";
    for (std::size_t k = 0; k < steps(); ++k) {
        for (std::size_t i = 0; i < state_->names.size(); ++i) {
            const auto& h = state_->histories[i];
            if (k >= h.size()) continue;
            const GradStats& r = h[k];
            s += fmt::format("{},{},{:.17g},{:.17g},{:.17g},{:.17g},{:.17g}\n", k, r.name,
                             r.grad_norm, r.grad_mean, r.grad_max_abs, r.weight_norm, r.ratio);
        }
    }
    return s;
}

void GradRecorder::write_csv(const std::string& path) const {
    std::ofstream f(path);
    if (!f) throw IOError("GradRecorder::write_csv: cannot open '" + path + "' for writing");
    f << csv();
    if (!f) throw IOError("GradRecorder::write_csv: writing '" + path + "' failed");
}

}  // namespace tg::research
