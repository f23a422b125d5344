#pragma once
// tapegrad's side of the benchmark workloads (../shared/workloads.md).

#include <vector>

#include "../harness.hpp"

namespace bench::tapegrad {

Workload overhead();
Workload mlp();
Workload grad();
Workload hvp();
Workload newton_cg();
Workload cnn();
Workload gemm();
Workload hvp_forward();

}  // namespace bench::tapegrad
