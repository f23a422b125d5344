#include "harness.hpp"

#include <malloc.h>
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

namespace bench {

void Run::time(int warmup, int reps, const std::function<void()>& body) {
    for (int i = 0; i < warmup; ++i) body();
    for (int i = 0; i < reps; ++i) {
        const double t0 = now_us();
        body();
        samples_.push_back(now_us() - t0);
    }
}

void Run::check_sums(const std::string& key, const std::vector<std::vector<double>>& tensors) {
    double abs_sum = 0, dot = 0;
    std::size_t k = 0;
    for (const auto& t : tensors) {
        for (const double x : t) {
            abs_sum += std::fabs(x);
            dot += check_weight(k++) * x;
        }
    }
    check(key + "_abs", abs_sum);
    check(key + "_dot", dot);
}

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int main(const std::string& impl, const std::vector<Workload>& workloads,
         const std::function<void(int)>& set_threads, int argc, char** argv) {
    CLI::App app{impl + " benchmark workloads"};
    Args a;
    std::vector<std::string> names;
    for (const auto& w : workloads) names.push_back(w.name);
    app.add_option("workload", a.workload, "The workload to run")
        ->required()
        ->check(CLI::IsMember(names));
    app.add_option("--dtype", a.dtype, "f32 or f64")->check(CLI::IsMember({"f32", "f64"}));
    app.add_option("--threads", a.threads, "Threads for the library and for BLAS")
        ->check(CLI::PositiveNumber);
    app.add_option("--batch", a.batch, "Batch size (default: the workload's)");
    app.add_option("--reps", a.reps, "Timed repetitions");
    app.add_option("--warmup", a.warmup, "Untimed repetitions first");
    app.add_option("--seed", a.seed, "Seed for inputs and parameters");
    bool system_malloc = false;
    app.add_flag("--system-malloc", system_malloc,
                 "Leave glibc's malloc thresholds alone, in both libraries (see below)");
    app.add_flag("--check-only", a.check_only,
                 "Print the check line (loss, gradient sums of the first step) and time nothing");
    CLI11_PARSE(app, argc, argv);

    // Both libraries allocate and free megabytes of temporaries in every training step. With
    // glibc's defaults, freed blocks at the top of the heap are trimmed or unmapped and every
    // step page-faults them in again. tapegrad keeps freed memory in the process by default
    // (autograd/malloc_tuning.hpp); the harness gives libtorch the same process settings, so that
    // the comparison is of the libraries, not of malloc. --system-malloc turns it off for both.
    if (system_malloc) {
        setenv("TAPEGRAD_SYSTEM_MALLOC", "1", 1);
    } else {
        mallopt(M_MMAP_THRESHOLD, 256 << 20);
        mallopt(M_TRIM_THRESHOLD, 1 << 30);
    }

    const Workload& w = *std::find_if(workloads.begin(), workloads.end(),
                                      [&](const Workload& x) { return x.name == a.workload; });
    if (a.batch < 0) a.batch = w.default_batch;
    if (a.reps < 0) a.reps = w.default_reps;
    if (a.warmup < 0) a.warmup = w.default_warmup;
    if (a.check_only) a.reps = a.warmup = 0;
    set_threads(a.threads);

    Run run;
    w.run(a, run);
    if (run.checks().empty()) {
        std::cerr << "workload " << w.name << " recorded no check figures\n";
        return 1;
    }
    std::printf(
        "check {\"workload\": \"%s\", \"impl\": \"%s\", \"dtype\": \"%s\", "
        "\"threads\": %d, \"batch\": %d",
        w.name.c_str(), impl.c_str(), a.dtype.c_str(), a.threads, a.batch);
    for (const auto& [k, v] : run.checks()) {
        if (std::isfinite(v))
            std::printf(", \"%s\": %.17g", k.c_str(), v);
        else  // as Python's json module writes them, so that side-by-side can read them
            std::printf(", \"%s\": %s", k.c_str(),
                        std::isnan(v) ? "NaN"
                        : v > 0       ? "Infinity"
                                      : "-Infinity");
    }
    std::printf("}\n");
    std::fflush(stdout);
    if (a.check_only) return 0;
    run.extra("malloc_tuned", system_malloc ? 0 : 1);
    const auto& s = run.samples();
    if (s.empty()) {
        std::cerr << "workload " << w.name << " recorded no timings\n";
        return 1;
    }
    struct rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    std::printf(
        "{\"workload\": \"%s\", \"impl\": \"%s\", \"dtype\": \"%s\", \"threads\": %d, "
        "\"batch\": %d, \"median_us\": %.3f, \"min_us\": %.3f, \"max_us\": %.3f, \"reps\": %zu, "
        "\"peak_rss_kb\": %ld",
        w.name.c_str(), impl.c_str(), a.dtype.c_str(), a.threads, a.batch, median(s),
        *std::min_element(s.begin(), s.end()), *std::max_element(s.begin(), s.end()), s.size(),
        usage.ru_maxrss);
    for (const auto& [k, v] : run.extras()) std::printf(", \"%s\": %.6g", k.c_str(), v);
    std::printf("}\n");
    return 0;
}

}  // namespace bench
