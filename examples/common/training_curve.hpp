#pragma once
// The training curve of an example: running training loss and accuracy against the examples
// seen, and the gnuplot commands that draw it (loss on the left axis, accuracy on the right).

#include <array>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace example {

class TrainingCurve {
  public:
    void add(double examples_seen, double loss, double accuracy) {
        points_.push_back({examples_seen, loss, accuracy});
    }
    bool empty() const { return points_.empty(); }

    // One gnuplot panel, with the data inline (terminal and output are the caller's).
    std::string gnuplot_commands(const std::string& title) const {
        std::string s = "$curve << EOD\n";
        for (const auto& p : points_) s += fmt::format("{:g} {:g} {:g}\n", p[0], p[1], p[2]);
        s += "EOD\n";
        s += fmt::format(
            "set title '{}'\nset xlabel 'training examples seen'\nset ylabel 'loss'\n"
            "set y2label 'accuracy'\nset y2range [0:1]\nset ytics nomirror\nset y2tics\n"
            "set grid\nset key center right\n"
            "plot $curve using 1:2 with lines lw 2 title 'loss', "
            "$curve using 1:3 axes x1y2 with lines lw 2 title 'accuracy'\n",
            title);
        return s;
    }

  private:
    std::vector<std::array<double, 3>> points_;
};

}  // namespace example
