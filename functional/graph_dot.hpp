#pragma once
// Export the recorded graph behind some results as Graphviz DOT: one node per op (its name,
// result shape and dtype), edges along the data flow, leaves and named parameters marked.
// Render it with `dot -Tpng graph.dot -o graph.png` (Debian package graphviz).

#include <string>
#include <vector>

#include "../autograd/tensor.hpp"

namespace tg {

struct DotOptions {
    std::string title;
    bool show_constants = true;  // inputs that do not require grad, as small grey boxes
};

// Call before backward (or backward with retain_graph), while the graph is still recorded.
std::string to_dot(const std::vector<Tensor>& outputs, const DotOptions& options = {});

// Writes to_dot() to a file; throws IOError naming the file if it cannot be written.
void write_dot(const std::string& path, const std::vector<Tensor>& outputs,
               const DotOptions& options = {});

}  // namespace tg
