#include "optim/curvature.hpp"

namespace tg::optim::detail {

namespace {

// Builds the products, turning the usual mistake (a closure that calls backward() itself, which
// frees the graph the products need) into a message that says what to do.
template <class Make>
auto build(const std::string& who, Make make) {
    try {
        return make();
    } catch (const FreedGraphError& e) {
        throw GraphError(who +
                         ": the loss function must only compute and return the loss, "
                         "without calling backward(): the optimizer differentiates it "
                         "itself (" +
                         std::string(e.what()) + ")");
    } catch (const GraphError& e) {
        throw GraphError(who + ": cannot differentiate the loss with respect to the parameters: " +
                         std::string(e.what()));
    }
}

}  // namespace

HessianCurvature::HessianCurvature(const std::function<Tensor()>& loss,
                                   const std::vector<Tensor>& params, const std::string& who)
    : params_(params) {
    hv_ = build(who, [&] { return std::make_unique<HessianVectorProduct>(loss, params_); });
    loss_ = hv_->loss();
    gradient_ = gather_values(hv_->gradient());
}

void HessianCurvature::product(const FlatVector& v, FlatVector& bv) {
    bv = gather_values((*hv_)(unflatten(v, params_)));
}

GaussNewtonCurvature::GaussNewtonCurvature(
    const std::function<Tensor()>& model,
    const std::function<Tensor(const Tensor&)>& loss_of_output, const std::vector<Tensor>& params,
    const std::string& who)
    : params_(params) {
    gn_ = build(who, [&] {
        return std::make_unique<GaussNewtonVectorProduct>(model, loss_of_output, params_);
    });
    loss_ = gn_->loss();
    gradient_ = gather_values(gn_->gradient());
}

void GaussNewtonCurvature::product(const FlatVector& v, FlatVector& bv) {
    bv = gather_values((*gn_)(unflatten(v, params_)));
}

ReducedCurvature::ReducedCurvature(std::unique_ptr<Curvature> local, Reduction reduction)
    : local_(std::move(local)), reduction_(std::move(reduction)) {
    FlatVector values = local_->gradient();
    values.push_back(local_->loss());  // one reduction for both, the loss last
    reduction_(values);
    loss_ = values.back();
    values.pop_back();
    gradient_ = std::move(values);
}

void ReducedCurvature::product(const FlatVector& v, FlatVector& bv) {
    local_->product(v, bv);
    reduction_(bv);
}

std::unique_ptr<Curvature> reduce(std::unique_ptr<Curvature> c, const Reduction& reduction) {
    if (!reduction) return c;
    return std::make_unique<ReducedCurvature>(std::move(c), reduction);
}

}  // namespace tg::optim::detail
