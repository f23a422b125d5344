#include <cblas.h>
#include <torch/torch.h>

#include "workloads.hpp"

int main(int argc, char** argv) {
    using namespace bench::libtorch;
    const std::vector<bench::Workload> workloads{overhead(),  mlp(), grad(), hvp(),
                                                 newton_cg(), cnn(), gemm(), hvp_forward()};
    return bench::main(
        "libtorch", workloads,
        [](int n) {
            torch::set_num_threads(n);
            torch::set_num_interop_threads(1);
            openblas_set_num_threads(n);
        },
        argc, argv);
}
