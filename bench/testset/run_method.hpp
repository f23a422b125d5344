#pragma once
// Runs one optimizer, with every option at its default except the test set's stopping rule
// (gradient norm 1e-8, at most 10,000 iterations), on one Moré-Garbow-Hillstrom problem.

#include <functional>
#include <string>
#include <vector>

#include "mgh.hpp"

namespace tg::testset {

struct Outcome {
    double f = 0;
    bool solved = false;
    optim::Counters counters;
    std::string stop_reason;
};

struct Method {
    std::string name;
    std::function<Outcome(const Problem&)> run;
};

constexpr double kToleranceGrad = 1e-8;
constexpr std::size_t kMaxIter = 10000;

namespace detail {

template <class Opt>
Outcome outcome(const Problem& p, const Opt& opt, const Tensor& x) {
    Outcome o;
    {
        NoGradGuard no_grad;
        o.f = p.objective(x).item();
    }
    o.solved = p.solved(o.f);
    o.counters = opt.counters();
    o.stop_reason = opt.stop_reason();
    return o;
}

// Line-search methods: step(closure), the closure as in libtorch.
template <class Opt, class Options>
Outcome run_closure(const Problem& p, Options options) {
    const Tensor x = from_vector(p.x0, {p.n()}, kFloat64).requires_grad_();
    Opt opt({x}, options.max_iter(kMaxIter).tolerance_grad(kToleranceGrad));
    opt.step([&] {
        x.zero_grad();
        const Tensor f = p.objective(x);
        f.backward();
        return f;
    });
    return outcome(p, opt, x);
}

// Newton methods: step(loss_fn), the optimizer differentiates.
template <class Opt, class Options>
Outcome run_newton(const Problem& p, Options options) {
    const Tensor x = from_vector(p.x0, {p.n()}, kFloat64).requires_grad_();
    Opt opt({x}, options.max_iter(kMaxIter).tolerance_grad(kToleranceGrad));
    opt.step([&] { return p.objective(x); });
    return outcome(p, opt, x);
}

}  // namespace detail

inline std::vector<Method> methods() {
    using namespace optim;
    using detail::run_closure;
    using detail::run_newton;
    return {
        {"NonlinearCG",
         [](const Problem& p) { return run_closure<NonlinearCG>(p, NonlinearCGOptions()); }},
        {"BFGS", [](const Problem& p) { return run_closure<BFGS>(p, BFGSOptions()); }},
        {"LBFGS", [](const Problem& p) { return run_closure<LBFGS>(p, LBFGSOptions()); }},
        {"NewtonCG line search",
         [](const Problem& p) { return run_newton<NewtonCG>(p, NewtonCGOptions()); }},
        {"NewtonCG trust region",
         [](const Problem& p) {
             return run_newton<NewtonCG>(
                 p, NewtonCGOptions().globalization(NewtonCGGlobalization::trust_region));
         }},
        {"Newton eigenvalue shift",
         [](const Problem& p) { return run_newton<Newton>(p, NewtonOptions()); }},
        {"Newton trust region",
         [](const Problem& p) {
             return run_newton<Newton>(
                 p, NewtonOptions().modification(HessianModification::trust_region));
         }},
        {"Newton Levenberg",
         [](const Problem& p) {
             return run_newton<Newton>(
                 p, NewtonOptions().modification(HessianModification::levenberg));
         }},
    };
}

}  // namespace tg::testset
