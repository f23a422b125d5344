// Property-based derivative tests: rapidcheck generates random expression graphs from the
// primitive op families (see random_graph.hpp), 2 to 20 descriptors deep, over shapes of rank 0
// to 4 with size-1 axes and broadcasting. The first input has at most 16 elements and a result
// larger than 48 is strided down to 48, except in one graph in 40 (GraphSpec::large), where
// the first input has 27 to 256 elements and results reach 768.
// Every graph must pass tg::gradcheck and tg::gradgradcheck in float64 at the op tests'
// tolerances (step 1e-6, atol 1e-7, rtol 1e-6; random_graph.hpp says why these hold). The
// generator keeps values away from kinks, ties and poles by construction rather than by
// loosening anything. A failing graph is shrunk by rapidcheck and printed as a complete C++
// program.
//
// The run also checks the generator itself: every op family must be applied at least once,
// and descriptors that could not apply and fell back to a smooth stand-in (sin) must stay
// below kMaxFallbackFraction of all descriptors, and some graphs must be large (all three
// checked when at least kMinCasesForCoverage = 1000 graphs run).
//
// Environment:
//   TG_PROPERTY_CASES  number of graphs to check (default 1000: what CI runs)
//   TG_PROPERTY_SEED   rapidcheck seed; without it, RC_PARAMS="seed=N" is used, and without
//                      either a fresh seed from std::random_device, so every run explores new
//                      graphs. The seed is printed first.
//   TG_PROPERTY_STATS  if set, print how often each op family was applied, shifted off a kink
//                      or fell back
//   TG_PROPERTY_PRINT  if set, print every graph as it is checked
// To replay a run (a failure in CI, say), rerun with the seed it printed and the same number of
// graphs (rapidcheck's sizes depend on both):
//   TG_PROPERTY_SEED=<seed> TG_PROPERTY_CASES=<cases> build/tests/reliability/test_properties
// A soak of 100,000 graphs with a fresh seed: scripts/soak-properties [CASES] [SEED].

#include <rapidcheck.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <sstream>

#include "../helpers.hpp"
#include "random_graph.hpp"

using namespace tgtest;
using namespace tgtest::fuzz;

namespace tgtest::fuzz {
// How rapidcheck shows a descriptor in a counterexample.
inline void showValue(const OpDesc& d, std::ostream& os) {
    os << family_name(d.kind) << "(" << d.a << ", " << d.b << ", " << d.c << ", " << d.d << ")";
}
inline void showValue(const GraphSpec& s, std::ostream& os) {
    os << to_string(s);
}
}  // namespace tgtest::fuzz

namespace {

// The generator's own checks need this many graphs (what CI runs): each family is applied in
// about one graph in four and a large graph comes once in 40, so 1000 graphs miss a family
// with probability below 41 e^-200 and have no large graph with probability about 1e-11.
constexpr std::uint64_t kMinCasesForCoverage = 1000;
// Descriptors fall back to sin only where an op cannot apply within the size budget (almost
// always a broadcast_to of a rank-4 value with no axis of size 1); about 0.4% do. Values near
// kinks and ties are shifted instead (Graph::shifted, about 2%) and are not counted here.
constexpr double kMaxFallbackFraction = 0.01;

std::uint64_t env_u64(const char* name, std::uint64_t fallback) {
    const char* v = std::getenv(name);
    if (!v || !*v) return fallback;
    char* end = nullptr;
    const std::uint64_t n = std::strtoull(v, &end, 10);
    if (*end != '\0')
        throw std::invalid_argument(std::string(name) + "='" + v + "' is not a whole number");
    return n;
}

// TG_PROPERTY_SEED, else RC_PARAMS' seed, else a fresh one.
std::uint64_t choose_seed() {
    if (const char* v = std::getenv("TG_PROPERTY_SEED"); v && *v)
        return env_u64("TG_PROPERTY_SEED", 0);
    const char* rc = std::getenv("RC_PARAMS");
    if (rc && std::string(rc).find("seed=") != std::string::npos)
        return rc::detail::configuration().testParams.seed;
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

// rapidcheck scales inRange by the size parameter; element generators run at full size (100),
// so that every kind and choice is reachable while the list length follows its own size.
rc::Gen<OpDesc> op_gen() {
    using namespace rc;
    return gen::resize(100,
                       gen::build<OpDesc>(gen::set(&OpDesc::kind, gen::inRange(0, family_count())),
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
            gen::resize(4, gen::container<std::vector<int>>(gen::resize(100, gen::inRange(0, 6))))),
        gen::set(&GraphSpec::ops,
                 gen::suchThat(gen::resize(20, gen::container<std::vector<OpDesc>>(op_gen())),
                               [](const std::vector<OpDesc>& v) { return v.size() >= 2; })),
        gen::set(&GraphSpec::seed, gen::resize(100, gen::inRange<std::uint64_t>(0, 1000000))),
        // One graph in 40 is large; shrinking goes to 0, a small graph.
        gen::set(&GraphSpec::large,
                 gen::map(gen::resize(100, gen::inRange(0, 40)), [](int v) { return v == 39; })));
}

// What the generator did over a run.
struct Stats {
    std::uint64_t graphs = 0, large_graphs = 0, descriptors = 0, fallbacks = 0, shifts = 0;
    std::size_t largest_input = 0;  // elements in the largest input that requires grad
    std::map<std::string, std::size_t> applied, fell_back, shifted;

    void add(const GraphSpec& spec, const Graph& g) {
        ++graphs;
        large_graphs += spec.large;
        descriptors += spec.ops.size();
        fallbacks += g.fell_back.size();
        shifts += g.shifted.size();
        for (const auto& t : g.inputs)
            if (t.requires_grad()) largest_input = std::max(largest_input, t.numel());
        for (const auto& a : g.applied) ++applied[a];
        for (const auto& a : g.fell_back) ++fell_back[a];
        for (const auto& a : g.shifted) ++shifted[a];
    }
    double fallback_fraction() const {
        return descriptors ? static_cast<double>(fallbacks) / static_cast<double>(descriptors) : 0;
    }
    std::vector<std::string> missing_families() const {
        std::vector<std::string> missing;
        for (int k = 0; k < family_count(); ++k)
            if (!applied.count(family_name(k))) missing.push_back(family_name(k));
        return missing;
    }
};

// The check of one graph: empty if it passes, else what failed and the program that shows it.
// A check that fails at the strict tolerances is repeated with fourth-order differences
// (GradcheckOptions::richardson) before it counts: on a graph with huge higher derivatives (a
// pow of a pow fed to exp) the central differences' own O(eps^2) error exceeds atol, and
// the failure is the reference's, not the derivative's. A wrong derivative fails both. The
// fourth-order differences take the step 1e-4, near their optimum (machine epsilon^(1/5)), where
// their rounding error is 100 times smaller than at 1e-6 and their truncation error O(eps^4).
template <class Check>
std::string strict_failure(Check check, const tg::TensorFunction& f, const Graph& g) {
    tg::GradcheckOptions o = check_options();
    const tg::GradcheckReport plain = check(f, g.inputs, o);
    if (plain.passed) return "";
    o.richardson = true;
    o.eps = 1e-4;
    const tg::GradcheckReport fourth_order = check(f, g.inputs, o);
    return fourth_order.passed ? ""
                               : plain.to_string() + "\nwith fourth-order differences:\n" +
                                     fourth_order.to_string();
}

std::string check_graph(const Graph& g) {
    if (std::getenv("TG_PROPERTY_PRINT")) std::cout << g.to_cpp() << "\n";
    const tg::TensorFunction f = [&g](const std::vector<tg::Tensor>& in) { return g.run(in); };
    std::string failure;
    try {
        failure = strict_failure([](auto&&... a) { return tg::gradcheck(a...); }, f, g);
        const std::string second =
            strict_failure([](auto&&... a) { return tg::gradgradcheck(a...); }, f, g);
        if (!second.empty()) failure += (failure.empty() ? "" : "\n") + second;
    } catch (const std::exception& e) {
        failure = std::string("the graph threw: ") + e.what();
    }
    if (failure.empty()) return failure;
    return failure + "\n\nThe graph as a program:\n\n" + g.to_cpp();
}

}  // namespace

TEST_CASE("random graphs pass gradcheck and gradgradcheck", "[properties]") {
    rc::detail::TestParams params;
    params.seed = choose_seed();
    params.maxSuccess = static_cast<int>(env_u64("TG_PROPERTY_CASES", 1000));
    params.maxSize = 100;
    rc::detail::TestMetadata meta;
    meta.id = meta.description = "random graphs pass gradcheck and gradgradcheck";

    // rapidcheck announces a random global seed of its own unless RC_PARAMS names one; name ours.
    std::string rc_params = std::getenv("RC_PARAMS") ? std::getenv("RC_PARAMS") : "";
    if (rc_params.find("seed=") == std::string::npos) {
        rc_params += (rc_params.empty() ? "" : " ") + ("seed=" + std::to_string(params.seed));
        setenv("RC_PARAMS", rc_params.c_str(), 1);
    }
    const std::string replay = "TG_PROPERTY_SEED=" + std::to_string(params.seed) +
                               " TG_PROPERTY_CASES=" + std::to_string(params.maxSuccess) +
                               " build/tests/reliability/test_properties";
    std::cout << "properties: seed " << params.seed << ", " << params.maxSuccess
              << " graphs; to replay: " << replay << std::endl;

    Stats stats;
    const auto start = std::chrono::steady_clock::now();
    const auto result = rc::detail::checkTestable(
        [&stats] {
            const GraphSpec spec = *spec_gen();
            Graph g;
            try {
                g = build_graph(spec);
            } catch (const std::exception& e) {
                RC_FAIL(std::string("building the graph threw: ") + e.what());
            }
            stats.add(spec, g);
            const std::string failure = check_graph(g);
            if (!failure.empty()) RC_FAIL(failure);
        },
        meta, params);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    std::ostringstream msg;
    rc::detail::printResultMessage(result, msg);
    std::cout << "properties: seed " << params.seed << ", " << msg.str() << " in " << seconds
              << " s; " << stats.large_graphs << " large graphs (inputs up to "
              << stats.largest_input << " elements), " << stats.fallbacks << " fallbacks and "
              << stats.shifts << " kink shifts in " << stats.descriptors << " descriptors\n";
    if (std::getenv("TG_PROPERTY_STATS")) {
        std::cout << "  family: applied, shifted off a kink, fell back\n";
        for (int k = 0; k < family_count(); ++k) {
            const std::string name = family_name(k);
            std::cout << "  " << name << ": " << stats.applied[name] << ", " << stats.shifted[name]
                      << ", " << stats.fell_back[name] << "\n";
        }
    }
    INFO("replay: " << replay);
    INFO(msg.str());
    REQUIRE(result.template is<rc::detail::SuccessResult>());
    REQUIRE(result.template get<rc::detail::SuccessResult>().numSuccess == params.maxSuccess);

    if (static_cast<std::uint64_t>(params.maxSuccess) >= kMinCasesForCoverage) {
        {
            std::string missing;
            for (const auto& m : stats.missing_families()) missing += " " + m;
            INFO("op families never applied:" << missing);
            CHECK(missing.empty());
        }
        {
            INFO(stats.fallbacks << " of " << stats.descriptors << " descriptors fell back");
            CHECK(stats.fallback_fraction() <= kMaxFallbackFraction);
        }
        CHECK(stats.large_graphs > 0);
        CHECK(stats.largest_input > kMaxNumel);
    }
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
    CHECK(failure.description.find("o.atol = 1e-07;") != std::string::npos);
    // Shrunk to the fewest descriptors (2) with the simplest choices: the input is 0-d, the
    // other descriptor is the simplest kind (affine), so the program has exactly three values.
    CHECK(failure.description.find("const Tensor v2 =") != std::string::npos);
    CHECK(failure.description.find("const Tensor v3 =") == std::string::npos);
    CHECK(failure.description.find("tg::Shape{}") != std::string::npos);
}
