// Property-based derivative tests: rapidcheck generates random expression graphs from the
// primitive ops (see random_graph.hpp), 2 to 20 descriptors deep, over shapes of rank 0 to 4
// with size-1 axes and broadcasting, and every graph must pass tg::gradcheck and
// tg::gradgradcheck in float64 at the default tolerances (eps 1e-6, atol 1e-5, rtol 1e-3).
// A failing graph is shrunk by rapidcheck and printed as a complete C++ program.
//
// Environment:
//   TG_PROPERTY_CASES  number of graphs to check (default 1000: what CI runs)
//   TG_PROPERTY_SEED   rapidcheck seed (default 20261127; CI is reproducible run to run)
//   TG_PROPERTY_STATS  if set, print how often each op family was applied
// A soak of 100,000 graphs with a fresh seed: scripts/soak-properties [CASES] [SEED].
// To rerun one failure, set TG_PROPERTY_SEED to the seed it printed.

#include <rapidcheck.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "../helpers.hpp"
#include "random_graph.hpp"

using namespace tgtest;
using namespace tgtest::fuzz;

namespace tgtest::fuzz {
// How rapidcheck shows a descriptor in a counterexample.
inline void showValue(const OpDesc& d, std::ostream& os) {
    os << kind_name(static_cast<Kind>(d.kind % static_cast<int>(Kind::count))) << "(" << d.a << ", "
       << d.b << ", " << d.c << ", " << d.d << ")";
}
inline void showValue(const GraphSpec& s, std::ostream& os) {
    os << to_string(s);
}
}  // namespace tgtest::fuzz

namespace {

std::uint64_t env_u64(const char* name, std::uint64_t fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

// rapidcheck scales inRange by the size parameter; element generators run at full size (100),
// so that every kind and choice is reachable while the list length follows its own size.
rc::Gen<OpDesc> op_gen() {
    using namespace rc;
    return gen::resize(
        100,
        gen::build<OpDesc>(gen::set(&OpDesc::kind, gen::inRange(0, static_cast<int>(Kind::count))),
                           gen::set(&OpDesc::a, gen::inRange(0, 12)),
                           gen::set(&OpDesc::b, gen::inRange(0, 1000)),
                           gen::set(&OpDesc::c, gen::inRange(0, 1000)),
                           gen::set(&OpDesc::d, gen::inRange(0, 1000))));
}

rc::Gen<GraphSpec> spec_gen() {
    using namespace rc;
    return gen::build<GraphSpec>(
        gen::set(
            &GraphSpec::input_shape,
            gen::resize(4, gen::container<std::vector<int>>(gen::resize(100, gen::inRange(0, 3))))),
        gen::set(&GraphSpec::ops,
                 gen::suchThat(gen::resize(20, gen::container<std::vector<OpDesc>>(op_gen())),
                               [](const std::vector<OpDesc>& v) { return v.size() >= 2; })),
        gen::set(&GraphSpec::seed, gen::resize(100, gen::inRange<std::uint64_t>(0, 1000000))));
}

// The check of one graph: empty if it passes, else what failed and the program that shows it.
std::string check_graph(const GraphSpec& spec) {
    Graph g;
    try {
        g = build_graph(spec);
    } catch (const std::exception& e) {
        return std::string("building the graph threw: ") + e.what();
    }
    if (std::getenv("TG_PROPERTY_PRINT"))
        std::cout << to_string(spec) << "\n" << g.to_cpp() << "\n";
    const tg::TensorFunction f = [&g](const std::vector<tg::Tensor>& in) { return g.run(in); };
    std::string failure;
    try {
        tg::GradcheckOptions o;
        o.allow_unused = true;  // a random graph need not use every input
        const tg::GradcheckReport first = tg::gradcheck(f, g.inputs, o);
        if (!first.passed) failure = first.to_string();
        const tg::GradcheckReport second = tg::gradgradcheck(f, g.inputs, o);
        if (!second.passed) failure += (failure.empty() ? "" : "\n") + second.to_string();
    } catch (const std::exception& e) {
        failure = std::string("the graph threw: ") + e.what();
    }
    if (failure.empty()) return failure;
    return failure + "\n\nThe graph as a program:\n\n" + g.to_cpp();
}

}  // namespace

TEST_CASE("random graphs pass gradcheck and gradgradcheck", "[properties]") {
    rc::detail::TestParams params;
    params.seed = env_u64("TG_PROPERTY_SEED", 20261127);
    params.maxSuccess = static_cast<int>(env_u64("TG_PROPERTY_CASES", 1000));
    params.maxSize = 100;
    rc::detail::TestMetadata meta;
    meta.id = meta.description = "random graphs pass gradcheck and gradgradcheck";

    // rapidcheck announces a random global seed of its own unless RC_PARAMS names one; name ours.
    const std::string rc_params = "seed=" + std::to_string(params.seed);
    setenv("RC_PARAMS", rc_params.c_str(), 0);

    const auto start = std::chrono::steady_clock::now();
    const auto result = rc::detail::checkTestable(
        [] {
            const GraphSpec spec = *spec_gen();
            const std::string failure = check_graph(spec);
            if (!failure.empty()) RC_FAIL(failure);
        },
        meta, params);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    std::ostringstream msg;
    rc::detail::printResultMessage(result, msg);
    std::cout << "properties: seed " << params.seed << ", " << msg.str() << " in " << seconds
              << " s\n";
    if (std::getenv("TG_PROPERTY_STATS")) {
        for (const auto& [name, count] : usage_counts())
            std::cout << "  " << name << " " << count << "\n";
    }
    INFO(msg.str());
    REQUIRE(result.template is<rc::detail::SuccessResult>());
    REQUIRE(result.template get<rc::detail::SuccessResult>().numSuccess == params.maxSuccess);
}

TEST_CASE("a failing graph shrinks to a minimal one and prints as a program", "[properties]") {
    // A property that fails whenever the graph applies cos: the shrunk counterexample must be
    // a two-descriptor graph whose program applies cos and nothing needlessly complex.
    rc::detail::TestParams params;
    params.seed = 7;
    params.maxSuccess = 500;
    std::string last_program;
    const auto result = rc::detail::checkTestable(
        [&last_program] {
            const GraphSpec spec = *spec_gen();
            const Graph g = build_graph(spec);
            bool has_cos = false;
            for (const auto& a : g.applied) has_cos = has_cos || a == "cos";
            if (has_cos) {
                last_program = g.to_cpp();
                RC_FAIL("graph applies cos:\n" + last_program);
            }
        },
        rc::detail::TestMetadata{}, params);
    REQUIRE(result.template is<rc::detail::FailureResult>());
    const auto& failure = result.template get<rc::detail::FailureResult>();
    INFO(failure.description);
    // The minimal counterexample: rapidcheck's last failing run is the shrunk one.
    CHECK(failure.description.find("tg::cos(") != std::string::npos);
    CHECK(failure.description.find("int main()") != std::string::npos);
    CHECK(failure.description.find("tg::gradgradcheck(f, in, o)") != std::string::npos);
    // Shrunk to the fewest descriptors (2) with the simplest choices: the input is 0-d, the
    // other descriptor is the simplest kind (affine), so the program has exactly three values.
    CHECK(failure.description.find("const Tensor v2 =") != std::string::npos);
    CHECK(failure.description.find("const Tensor v3 =") == std::string::npos);
    CHECK(failure.description.find("tg::Shape{}") != std::string::npos);
}
