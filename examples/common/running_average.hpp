#pragma once
// An exponential moving average over recent values (weight 0.02 for the newest), corrected for
// its start at zero: the running training loss and accuracy a progress bar shows.

namespace example {

class RunningAverage {
  public:
    void add(double value) {
        weight_ = 0.98 * weight_ + 0.02;
        sum_ = 0.98 * sum_ + 0.02 * value;
    }
    // 0 before the first value.
    double value() const { return weight_ > 0 ? sum_ / weight_ : 0; }

  private:
    double sum_ = 0, weight_ = 0;
};

}  // namespace example
