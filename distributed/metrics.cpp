#include "distributed/metrics.hpp"

namespace tg::distributed {

Metrics all_reduce(const Communicator& comm, const Metrics& local) {
    double v[3] = {local.loss_sum, local.correct, local.count};
    comm.all_reduce(v, 3);
    return Metrics{v[0], v[1], v[2]};
}

double all_reduce_mean(const Communicator& comm, double value) {
    return comm.all_reduce(value) / comm.size();
}

}  // namespace tg::distributed
