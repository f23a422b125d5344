#pragma once
// Metrics over all processes: each process adds up its own batches, one all-reduce combines
// them. The combined numbers are those of all the examples together, exactly (not an average of
// per-process averages, which differs when the processes saw different numbers of examples).
//
//     distributed::Metrics m;
//     for (const auto& batch : loader) {
//         const Tensor logits = (*net)(batch.inputs);
//         m.add(cross_entropy(logits, batch.labels).item(),
//               nn::count_correct(logits, batch.labels), batch.size());
//     }
//     const distributed::Metrics all = distributed::all_reduce(comm, m);
//     if (comm.is_root()) std::printf("loss %.4f accuracy %.4f\n", all.loss(), all.accuracy());

#include <cstddef>

#include "communicator.hpp"

namespace tg::distributed {

struct Metrics {
    double loss_sum = 0;  // sum over examples of the per-example loss
    double correct = 0;
    double count = 0;  // examples

    // A batch of n examples whose mean loss is mean_loss and of which `correct` were right.
    void add(double mean_loss, std::size_t correct_in_batch, std::size_t n) {
        loss_sum += mean_loss * static_cast<double>(n);
        correct += static_cast<double>(correct_in_batch);
        count += static_cast<double>(n);
    }
    double loss() const { return count > 0 ? loss_sum / count : 0; }  // mean per example
    double accuracy() const { return count > 0 ? correct / count : 0; }
};

// Sums of every field over all processes (one all-reduce); every process gets them.
Metrics all_reduce(const Communicator& comm, const Metrics& local);

// The mean over processes of one value per process.
double all_reduce_mean(const Communicator& comm, double value);

}  // namespace tg::distributed
