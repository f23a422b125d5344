#pragma once
// libtorch's side of the benchmark workloads, written op for op like tapegrad's.

#include <vector>

#include "../harness.hpp"

namespace bench::libtorch {

Workload overhead();
Workload mlp();
Workload grad();
Workload hvp();
Workload newton_cg();
Workload cnn();
Workload gemm();
Workload hvp_forward();

}  // namespace bench::libtorch
