#pragma once
// A one-line progress bar on stderr, redrawn in place at most ten times a second:
//
//   relu_he  epoch 12/30 [########........] cost 0.2143  acc 0.912  48210 ex/s  ETA 0:09

#include <chrono>
#include <cstdio>
#include <string>

namespace vg {

class Progress {
  public:
    Progress(std::string label, std::size_t total_steps, bool quiet)
        : label_(std::move(label)), total_(total_steps), quiet_(quiet) {
        start_ = std::chrono::steady_clock::now();
    }

    // One step done; cost and accuracy of the latest measurement, examples processed so far.
    void update(const std::string& what, double cost, double accuracy, std::size_t examples) {
        ++done_;
        if (quiet_) return;
        const auto now = std::chrono::steady_clock::now();
        if (done_ < total_ && now - last_ < std::chrono::milliseconds(100)) return;
        last_ = now;
        const double seconds = std::chrono::duration<double>(now - start_).count();
        constexpr std::size_t kWidth = 20;
        std::string bar(kWidth * done_ / (total_ ? total_ : 1), '#');
        bar.resize(kWidth, '.');
        const double rate = seconds > 0 ? static_cast<double>(examples) / seconds : 0;
        const double eta =
            seconds * static_cast<double>(total_ - done_) / static_cast<double>(done_);
        const int eta_s = static_cast<int>(eta + 0.5);
        std::fprintf(stderr, "\r%-9s %s [%s] cost %.4f  acc %.3f  %.0f ex/s  ETA %d:%02d ",
                     label_.c_str(), what.c_str(), bar.c_str(), cost, accuracy, rate, eta_s / 60,
                     eta_s % 60);
        std::fflush(stderr);
    }

    void finish() {
        if (!quiet_ && done_ > 0) std::fprintf(stderr, "\n");
    }

  private:
    std::string label_;
    std::size_t total_, done_ = 0;
    bool quiet_;
    std::chrono::steady_clock::time_point start_, last_{};
};

}  // namespace vg
