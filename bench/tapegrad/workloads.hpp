#pragma once
// tapegrad's side of the benchmark workloads (../shared/workloads.md).

#include <vector>

#include "../harness.hpp"

namespace bench::tapegrad {

Workload overhead();
Workload mlp();
Workload cnn();

}  // namespace bench::tapegrad
