// The DOT export names every op with its shape, marks parameters and leaves, and follows the
// data flow; Graphviz accepts it.

#include <cstdio>
#include <fstream>

#include "../../examples/common/subprocess.hpp"  // no shell
#include "../helpers.hpp"

using namespace tgtest;
using namespace tg;

namespace {
std::size_t count(const std::string& s, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
    return n;
}
}  // namespace

TEST_CASE("to_dot shows ops, shapes, parameters and edges", "[graph]") {
    const Tensor W = ones({3, 2}, kFloat64).requires_grad_();
    Tensor named = W;  // a parameter is a named leaf
    named.set_name("layer.weight");
    const Tensor x = ones({4, 3}, kFloat64);
    const Tensor y = sum(tanh(matmul(x, W)));
    const std::string dot = to_dot({y}, DotOptions{"tiny", true});
    CHECK(dot.find("digraph") == 0);
    CHECK(dot.find("layer.weight") != std::string::npos);
    CHECK(dot.find("matmul\\nfloat64 [4, 2]") != std::string::npos);
    CHECK(dot.find("tanh\\nfloat64 [4, 2]") != std::string::npos);
    CHECK(dot.find("sum\\nfloat64 []") != std::string::npos);
    CHECK(dot.find("const\\nfloat64 [4, 3]") != std::string::npos);
    // Edges: W -> matmul, x -> matmul (dashed), matmul -> tanh, tanh -> sum, sum -> output.
    CHECK(count(dot, "->") == 5);
    REQUIRE_THROWS_AS(to_dot({x}), GraphError);
}

TEST_CASE("Graphviz renders the exported graph", "[graph]") {
    INFO("graphviz must be installed (scripts/setup-debian installs it)");
    REQUIRE(example::have_program("dot"));
    const Tensor a = from_vector({1, 2}, {2}, kFloat64).requires_grad_();
    const Tensor y = sum(exp(a) * a);
    const std::string path = "test_graph_dot.dot";
    write_dot(path, {y});
    REQUIRE(example::run_program({"dot", "-Tsvg", path, "-o", "test_graph_dot.svg"}) == 0);
    std::ifstream svg("test_graph_dot.svg");
    std::string text((std::istreambuf_iterator<char>(svg)), std::istreambuf_iterator<char>());
    CHECK(text.find("<svg") != std::string::npos);
    CHECK(text.find("exp") != std::string::npos);
    std::remove(path.c_str());
    std::remove("test_graph_dot.svg");
}
