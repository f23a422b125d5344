#pragma once
// A one-line progress bar on stderr, redrawn in place at most ten times a second:
//
//   epoch 1/1 [########............] 750/1875  loss 0.4312  acc 0.846  5123 ex/s  ETA 0:06

#include <chrono>
#include <cstdio>
#include <string>

class Progress {
  public:
    Progress(std::size_t total_steps, bool quiet) : total_(total_steps), quiet_(quiet) {}

    void update(int epoch, int epochs, std::size_t batch, std::size_t batches, double loss,
                double accuracy, std::size_t examples, double seconds) {
        ++done_;
        if (quiet_) return;
        const auto now = std::chrono::steady_clock::now();
        if (done_ < total_ && now - last_ < std::chrono::milliseconds(100)) return;
        last_ = now;
        constexpr int kWidth = 24;
        const int filled = static_cast<int>(kWidth * batch / batches);
        std::string bar(static_cast<std::size_t>(filled), '#');
        bar.resize(kWidth, '.');
        const double rate = seconds > 0 ? static_cast<double>(examples) / seconds : 0;
        const double eta =
            done_ > 0 ? seconds * static_cast<double>(total_ - done_) / static_cast<double>(done_)
                      : 0;
        const int eta_s = static_cast<int>(eta + 0.5);
        std::fprintf(stderr,
                     "\repoch %d/%d [%s] %zu/%zu  loss %.4f  acc %.3f  %.0f ex/s  ETA %d:%02d ",
                     epoch, epochs, bar.c_str(), batch, batches, loss, accuracy, rate, eta_s / 60,
                     eta_s % 60);
        std::fflush(stderr);
    }

    void finish() {
        if (!quiet_) std::fprintf(stderr, "\n");
    }

  private:
    std::size_t total_, done_ = 0;
    bool quiet_;
    std::chrono::steady_clock::time_point last_{};
};
