#include "functional/graph_dot.hpp"

#include <fstream>
#include <map>
#include <sstream>

#include "autograd/op.hpp"
#include "autograd/tape.hpp"

namespace tg {

namespace {

std::string escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

std::string describe(const Tensor& t) {
    return std::string(dtype_name(t.dtype())) + " " + shape_str(t.shape());
}

}  // namespace

std::string to_dot(const std::vector<Tensor>& outputs, const DotOptions& options) {
    Tape& tape = Tape::current();
    std::ostringstream dot;
    dot << "digraph tapegrad {\n  rankdir=BT;\n  node [fontname=\"Helvetica\", fontsize=10];\n";
    if (!options.title.empty())
        dot << "  label=\"" << escape(options.title) << "\";\n  labelloc=t;\n";

    std::map<std::uint32_t, bool> seen;  // tape index -> emitted
    std::vector<std::uint32_t> todo;
    int constants = 0;
    for (std::size_t k = 0; k < outputs.size(); ++k) {
        const Tensor& y = outputs[k];
        if (!y.defined() || !tape.links(y.impl())) {
            throw GraphError("to_dot: output " + std::to_string(k) +
                             " is not recorded on this thread's tape");
        }
        todo.push_back(y.impl()->node);
        dot << "  out" << k << " [label=\"output " << k << "\\n"
            << describe(y) << "\", shape=doublecircle, style=filled, fillcolor=\"#ffe9a8\"];\n";
        dot << "  n" << y.impl()->node << " -> out" << k << ";\n";
    }
    while (!todo.empty()) {
        const std::uint32_t i = todo.back();
        todo.pop_back();
        if (seen[i]) continue;
        seen[i] = true;
        Node& n = tape.node(i);
        const Tensor value = Tensor::share(n.out);
        if (n.op == nullptr) {
            const std::string& name = value.name();
            const bool param = !name.empty();
            dot << "  n" << i << " [label=\"" << (param ? escape(name) : std::string("leaf"))
                << "\\n"
                << describe(value) << "\", shape=box, style=filled, fillcolor=\""
                << (param ? "#a8d8ff" : "#d8f0d8") << "\"];\n";
            continue;
        }
        dot << "  n" << i << " [label=\"" << escape(n.op->name) << "\\n"
            << describe(value) << (n.state == NodeState::freed ? "\\n(freed by backward)" : "")
            << "\", shape=ellipse];\n";
        for (std::size_t k = 0; k < n.inputs.size(); ++k) {
            const Tensor& in = n.inputs[k];
            if (in.requires_grad() && tape.links(in.impl())) {
                dot << "  n" << in.impl()->node << " -> n" << i << ";\n";
                todo.push_back(in.impl()->node);
            } else if (options.show_constants) {
                dot << "  c" << constants << " [label=\"const\\n"
                    << describe(in)
                    << "\", shape=box, fontsize=8, style=filled, fillcolor=\"#eeeeee\"];\n";
                dot << "  c" << constants << " -> n" << i << " [style=dashed];\n";
                ++constants;
            }
        }
    }
    dot << "}\n";
    return dot.str();
}

void write_dot(const std::string& path, const std::vector<Tensor>& outputs,
               const DotOptions& options) {
    const std::string text = to_dot(outputs, options);
    std::ofstream f(path);
    if (!f) throw IOError("write_dot: cannot open " + path + " for writing");
    f << text;
    if (!f) throw IOError("write_dot: writing " + path + " failed");
}

}  // namespace tg
