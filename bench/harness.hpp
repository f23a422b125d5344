#pragma once
// The benchmark harness shared by tapegrad's binary and its libtorch counterpart, so that both
// take the same options and print the same JSON line (../shared/workloads.md):
//
//   BENCH WORKLOAD [--dtype f32|f64] [--threads N] [--batch N] [--reps N] [--warmup N] [--seed N]
//         [--system-malloc] [--check-only]
//
// Unless --system-malloc is given, glibc's malloc is told to keep freed memory in the process
// (no trimming, no mmap per large block) for both implementations alike: see harness.cpp.
// A workload times one repetition at a time; the harness reports median, min and max in
// microseconds, the peak resident memory of the process, and any extra figures it records.
//
// Both implementations build their inputs and weights from bench/shared_inputs.hpp, so they
// compute the same numbers. Before timing, a workload records check figures (the loss, sums of
// the gradient, ...) from its first step; they are printed on a line of their own,
//
//   check {"workload": "mlp", "dtype": "f32", "threads": 1, "batch": 10, "loss": 2.30..., ...}
//
// and bench/side-by-side fails if the two implementations' figures differ beyond rounding.
// --check-only prints that line and times nothing.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace bench {

struct Args {
    std::string workload;
    std::string dtype = "f32";
    int threads = 1;
    int batch = -1;  // -1: the workload's default
    int reps = -1;
    int warmup = -1;
    std::uint64_t seed = 1;
    bool check_only = false;
    bool f64() const { return dtype == "f64"; }
};

class Run {
  public:
    // Runs body() `warmup` times untimed, then `reps` times timed.
    void time(int warmup, int reps, const std::function<void()>& body);
    // Adds a timing measured by the workload itself (for parts of a repetition).
    void sample(double microseconds) { samples_.push_back(microseconds); }
    // An extra figure for the JSON line, such as us_per_op.
    void extra(const std::string& key, double value) { extras_.emplace_back(key, value); }
    // A figure the other implementation must reproduce to rounding, for the check line.
    void check(const std::string& key, double value) { checks_.emplace_back(key, value); }
    // Two check figures of a list of tensors (their values flattened and concatenated):
    // key_abs, the sum of |x|, and key_dot, the sum of c_k x_k with fixed weights c_k in
    // [-1, 1] (check_weight). A sign error or a swapped element changes key_dot; key_abs is the
    // scale that key_dot's rounding error is measured against.
    void check_sums(const std::string& key, const std::vector<std::vector<double>>& tensors);

    const std::vector<double>& samples() const { return samples_; }
    const std::vector<std::pair<std::string, double>>& extras() const { return extras_; }
    const std::vector<std::pair<std::string, double>>& checks() const { return checks_; }

  private:
    std::vector<double> samples_;
    std::vector<std::pair<std::string, double>> extras_;
    std::vector<std::pair<std::string, double>> checks_;
};

// The weight of element k in Run::check_sums: (k mod 17 - 8) / 8, exact in any dtype.
inline double check_weight(std::size_t k) {
    return (static_cast<double>(k % 17) - 8.0) / 8.0;
}

struct Workload {
    std::string name;
    int default_batch;
    int default_reps;
    int default_warmup;
    std::function<void(const Args&, Run&)> run;
};

double median(std::vector<double> v);

// Microseconds since an arbitrary start.
inline double now_us() {
    return std::chrono::duration<double, std::micro>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// Parses the options, sets the thread count, runs the workload and prints its JSON line.
int main(const std::string& impl, const std::vector<Workload>& workloads,
         const std::function<void(int)>& set_threads, int argc, char** argv);

}  // namespace bench
