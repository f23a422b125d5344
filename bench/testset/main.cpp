// bench/optim_testset: every optimizer, with its defaults, on the Moré-Garbow-Hillstrom problems
// 1-18 (gradient tolerance 1e-8, at most 10,000 iterations). Prints, per method, the problems
// solved and the work done (markdown), then each problem's outcome and stop reason.
//
//   build/bench/optim_testset [--method NAME] [--problem N] [--json]

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <iostream>
#include <string>

#include "run_method.hpp"

int main(int argc, char** argv) {
    CLI::App app("Optimizers on the Moré-Garbow-Hillstrom test set, problems 1-18");
    std::string only_method;
    int only_problem = 0;
    bool json = false;
    app.add_option("--method", only_method, "run only this method (its name in the table)");
    app.add_option("--problem", only_problem, "run only this problem number");
    app.add_flag("--json", json, "one JSON line per method and problem instead of tables");
    CLI11_PARSE(app, argc, argv);

    using namespace tg::testset;
    const auto problems = mgh_problems();
    std::string details;
    fmt::print(
        "| method | solved | of | loss evaluations | gradient evaluations | Hessian-vector "
        "products |\n|---|---|---|---|---|---|\n");
    bool any = false;
    for (const Method& m : methods()) {
        if (!only_method.empty() && m.name != only_method) continue;
        any = true;
        int solved = 0, tried = 0;
        tg::optim::Counters total;
        for (const Problem& p : problems) {
            if (only_problem != 0 && p.number != only_problem) continue;
            const Outcome o = m.run(p);
            ++tried;
            solved += o.solved ? 1 : 0;
            total.loss_evaluations += o.counters.loss_evaluations;
            total.gradient_evaluations += o.counters.gradient_evaluations;
            total.hessian_vector_products += o.counters.hessian_vector_products;
            if (json) {
                std::cout << fmt::format(
                    "{{\"method\": \"{}\", \"problem\": {}, \"f\": {:.12g}, \"solved\": {}, "
                    "\"loss_evaluations\": {}, \"gradient_evaluations\": {}, \"hvps\": {}, "
                    "\"iterations\": {}}}\n",
                    m.name, p.number, o.f, o.solved ? "true" : "false", o.counters.loss_evaluations,
                    o.counters.gradient_evaluations, o.counters.hessian_vector_products,
                    o.counters.iterations);
            }
            details +=
                fmt::format("| {} | {} {} | {} | {:.6g} | {} | {} | {} |\n", m.name, p.number,
                            p.name, o.solved ? "yes" : "no", o.f, o.counters.loss_evaluations,
                            o.counters.iterations, o.stop_reason);
        }
        fmt::print("| {} | {} | {} | {} | {} | {} |\n", m.name, solved, tried,
                   total.loss_evaluations, total.gradient_evaluations,
                   total.hessian_vector_products);
        std::fflush(stdout);
    }
    if (!any) {
        std::cerr << "optim_testset: no method named '" << only_method << "'\n";
        return 2;
    }
    fmt::print(
        "\n| method | problem | solved | f | loss evaluations | iterations | stop reason "
        "|\n|---|---|---|---|---|---|---|\n{}",
        details);
    return 0;
}
