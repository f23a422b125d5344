#include "tapegrad.hpp"
#include "workloads.hpp"

int main(int argc, char** argv) {
    using namespace bench::tapegrad;
    const std::vector<bench::Workload> workloads{overhead(),  mlp(), grad(), hvp(),
                                                 newton_cg(), cnn(), gemm(), hvp_forward()};
    return bench::main(
        "tapegrad", workloads, [](int n) { tg::set_num_threads(n); }, argc, argv);
}
