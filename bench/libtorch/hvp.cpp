// hvp: one Hessian-vector product of the mlp loss at batch 100, forward pass included, by
// reverse over reverse: torch::autograd::grad with create_graph, then a second
// torch::autograd::grad of that gradient with v as its grad_outputs (H^T v = H v, as
// torch.autograd.functional.vhp does it), with the fixed v of bench/shared_inputs.hpp.
// hvp_fwd: the same product by forward over reverse, as torch.autograd.forward_ad does it in
// Python: the parameters are made dual tensors carrying v as their tangent, one forward and one
// torch::autograd::grad, and H v is the tangent of the gradient. libtorch 1.13 has no C++
// wrapper for this, so it uses what the Python one calls: ForwardADLevel (the dual level),
// at::_make_dual and at::_unpack_dual.
//
// Both also time grad, interleaved, for the ratio hvp_over_grad.

#include <torch/csrc/autograd/forward_grad.h>

#include "mlp_net.hpp"
#include "workloads.hpp"

namespace bench::libtorch {

namespace {

// Python's `with torch.autograd.forward_ad.dual_level():`.
class DualLevel {
  public:
    DualLevel() : level_(torch::autograd::ForwardADLevel::get_next_idx()) {}
    ~DualLevel() { torch::autograd::ForwardADLevel::release_idx(level_); }
    DualLevel(const DualLevel&) = delete;
    DualLevel& operator=(const DualLevel&) = delete;
    std::uint64_t level() const { return level_; }

  private:
    std::uint64_t level_;
};

enum class Mode { reverse_over_reverse, forward_over_reverse };

std::vector<torch::Tensor> hessian_vector_product(const MlpNet& net,
                                                  const std::vector<torch::Tensor>& params,
                                                  const std::vector<torch::Tensor>& v, Mode mode) {
    if (mode == Mode::reverse_over_reverse) {
        const auto g = torch::autograd::grad({net.loss()}, params, {}, /*retain_graph=*/{},
                                             /*create_graph=*/true);
        return torch::autograd::grad(g, params, v);
    }
    const DualLevel dual;
    std::vector<torch::Tensor> duals;
    for (std::size_t i = 0; i < params.size(); ++i)
        duals.push_back(at::_make_dual(params[i], v[i], static_cast<std::int64_t>(dual.level())));
    const auto g = torch::autograd::grad({net.loss_for_forward_ad(duals)}, params);
    std::vector<torch::Tensor> hv;
    for (const auto& gi : g)
        hv.push_back(std::get<1>(at::_unpack_dual(gi, static_cast<std::int64_t>(dual.level()))));
    return hv;
}

Workload hvp_workload(const char* name, Mode mode) {
    return {name, 100, 300, 20, [mode](const Args& a, Run& run) {
                const auto dtype = a.f64() ? torch::kFloat64 : torch::kFloat32;
                MlpNet net(a.batch, dtype, a.seed);
                const auto params = net.parameters();
                SharedRandom rng(a.seed + 1);
                std::vector<torch::Tensor> v;
                for (const auto& p : params)
                    v.push_back(shared_tensor(
                        rng.normal_values(static_cast<std::size_t>(p.numel())), p.sizes(), dtype));

                const torch::Tensor loss = net.loss();
                run.check("loss", loss.item<double>());
                run.check_sums("grad", values_of(torch::autograd::grad({loss}, params)));
                run.check_sums("hv", values_of(hessian_vector_product(net, params, v, mode)));

                std::vector<double> grad_us;
                for (int rep = -a.warmup; rep < a.reps; ++rep) {
                    const double t0 = now_us();
                    const auto g = torch::autograd::grad({net.loss()}, params);
                    const double t1 = now_us();
                    const auto hv = hessian_vector_product(net, params, v, mode);
                    const double t2 = now_us();
                    if (hv.size() != params.size() || !hv.back().defined())
                        throw std::runtime_error("hvp: bad result");
                    if (rep < 0) continue;
                    grad_us.push_back(t1 - t0);
                    run.sample(t2 - t1);
                }
                run.extra("grad_median_us", median(grad_us));
                run.extra("hvp_over_grad", median(run.samples()) / median(grad_us));
            }};
}

}  // namespace

Workload hvp() {
    return hvp_workload("hvp", Mode::reverse_over_reverse);
}
Workload hvp_forward() {
    return hvp_workload("hvp_fwd", Mode::forward_over_reverse);
}

}  // namespace bench::libtorch
