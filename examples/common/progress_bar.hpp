#pragma once
// A one-line progress bar on stderr, redrawn in place at most once per interval:
//
//   relu_he   epoch 2/3 [########............] 750/1875  loss 0.4312  acc 0.846  5123 ex/s  ETA
//   0:06
//
// The bar measures work done out of a total (steps, or an optimizer's gradient-equivalents); the
// speed is whatever the caller counts (examples, gradient-equivalents) per second of the time it
// reports, and the ETA assumes the rest of the work goes at the pace so far.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>

namespace example {

// Whether a progress bar's line is open on stderr (an error message then starts a new line).
inline bool& progress_line_open() {
    static bool open = false;
    return open;
}

struct ProgressBarOptions {
    std::string label;                        // first on the line (a method, a variant); "": none
    std::string speed_unit = "ex";            // what the speed counts, per second
    std::chrono::milliseconds interval{100};  // the shortest time between two redraws
    bool quiet = false;            // draw nothing (JSON output, other MPI ranks, no terminal)
    bool erase_when_done = false;  // finish() clears the line instead of ending it
};

class ProgressBar {
  public:
    explicit ProgressBar(double total, ProgressBarOptions options = {})
        : total_(total), o_(std::move(options)) {}

    // Whether update() would redraw now: lets a caller skip computing figures only the bar shows.
    bool due() const { return !o_.quiet && Clock::now() - last_ >= o_.interval; }

    // `done` of the total work; the running loss and accuracy; `count` units of the speed in
    // `seconds`. `status` comes before the bar ("epoch 2/3"). The last step is always drawn.
    void update(double done, double loss, double accuracy, double count, double seconds,
                const std::string& status = {}) {
        if (o_.quiet || (done < total_ && !due())) return;
        last_ = Clock::now();
        drawn_ = true;
        progress_line_open() = true;
        constexpr int kWidth = 20;
        const double fraction = total_ > 0 ? std::clamp(done / total_, 0.0, 1.0) : 1.0;
        std::string bar(static_cast<std::size_t>(kWidth * fraction), '#');
        bar.resize(kWidth, '.');
        const double rate = seconds > 0 ? count / seconds : 0;
        const int eta =
            done > 0 ? static_cast<int>(seconds * std::max(total_ - done, 0.0) / done + 0.5) : 0;
        std::string head = o_.label.empty() ? "" : pad(o_.label, 9) + " ";
        if (!status.empty()) head += status + " ";
        std::fprintf(stderr, "\r%s[%s] %s/%s  loss %.4f  acc %.3f  %.*f %s/s  ETA %d:%02d ",
                     head.c_str(), bar.c_str(), number(done).c_str(), number(total_).c_str(), loss,
                     accuracy, rate < 100 ? 1 : 0, rate, o_.speed_unit.c_str(), eta / 60, eta % 60);
        std::fflush(stderr);
    }

    // Ends the bar's line (or erases it), if anything was drawn.
    void finish() {
        if (!drawn_) return;
        if (o_.erase_when_done)
            std::fprintf(stderr, "\r%*s\r", 110, "");
        else
            std::fprintf(stderr, "\n");
        drawn_ = false;
        progress_line_open() = false;
    }

  private:
    using Clock = std::chrono::steady_clock;

    static std::string pad(const std::string& s, std::size_t width) {
        return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
    }
    // Whole numbers without decimals (750/1875), others as %g (12.5/30).
    static std::string number(double v) {
        char buf[32];
        std::snprintf(buf, sizeof buf, v == std::floor(v) && std::abs(v) < 1e15 ? "%.0f" : "%g", v);
        return buf;
    }

    double total_;
    ProgressBarOptions o_;
    Clock::time_point last_{};
    bool drawn_ = false;
};

}  // namespace example
