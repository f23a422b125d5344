#pragma once
// The Hessian of a loss with respect to a parameter list, as a symmetric linear operator on
// flat vectors of doubles: y = H x, one Hessian-vector product per call. The spectrum tools
// (functional/hessian_spectrum.hpp) are built on it.
//
// The loss may be one function of the parameters (one batch), or a family loss(b) over
// batches b = 0..B-1, in which case H is the weighted average of the batches' Hessians (equal
// weights by default: for batches of equal size and mean losses, the Hessian of the loss over
// all of them):
//
//     HessianOperator H([&](std::size_t b) { return cross_entropy(net(x[b]), y[b]); }, 4,
//                       net.parameters());
//     std::vector<double> Hv = H(v);  // v, Hv: flat, parameter after parameter, row-major
//
// Flat vectors lay the parameters end to end in the list's order, each in row-major order.
// float parameters see float vectors: x is rounded to float for the product, and H x comes
// back widened to double.

#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "../autograd/tensor.hpp"
#include "hvp.hpp"

namespace tg {

struct HessianOperatorOptions {
    // How each product is computed (see functional/hvp.hpp).
    HvpMode mode = HvpMode::reverse_over_reverse;
    // Reverse-over-reverse only: run each batch's forward pass and recorded backward once, when
    // the operator is made, and keep them (tg::HessianVectorProduct), so that every product is
    // one more backward per batch. Costs the memory of one recorded graph per batch. Off, or in
    // forward-over-reverse mode, every product recomputes the forward pass of every batch.
    bool cache_graphs = true;
    // One weight per batch (>= 0, not all 0), normalised to sum to 1; empty: equal weights.
    std::vector<double> batch_weights;
};

class HessianOperator {
  public:
    using Loss = std::function<Tensor()>;
    using BatchLoss = std::function<Tensor(std::size_t batch)>;

    // The Hessian of one loss. `params` must be leaves that require grad (float or double).
    HessianOperator(Loss loss, std::vector<Tensor> params, HessianOperatorOptions options = {});
    // The weighted average of the Hessians of loss(0), ..., loss(num_batches - 1).
    HessianOperator(BatchLoss loss, std::size_t num_batches, std::vector<Tensor> params,
                    HessianOperatorOptions options = {});
    ~HessianOperator();
    HessianOperator(const HessianOperator&) = delete;
    HessianOperator& operator=(const HessianOperator&) = delete;

    // n: the number of parameter elements, the length of the flat vectors.
    std::size_t size() const { return size_; }
    std::size_t num_batches() const { return num_batches_; }
    const std::vector<Tensor>& parameters() const { return params_; }
    // The (weighted average) loss at the parameters' values when the operator was made.
    double loss() const { return loss_value_; }

    // H x. ShapeError if x does not have size() elements. The parameters must keep the values
    // they had when the operator was made (a cached graph refuses otherwise, with GraphError).
    std::vector<double> operator()(const std::vector<double>& x);
    void apply(const std::vector<double>& x, std::vector<double>& y);

    // Tensors (shaped and typed like the parameters) to one flat vector, and back (new leaves
    // that do not require grad).
    std::vector<double> flatten(const std::vector<Tensor>& tensors) const;
    std::vector<Tensor> unflatten(const std::vector<double>& flat) const;

    // Work done: products H x (each over all batches), their wall time, and the wall time of
    // making the operator (the cached forward passes and recorded backwards).
    std::size_t products() const { return products_; }
    double product_seconds() const { return product_seconds_; }
    double setup_seconds() const { return setup_seconds_; }

  private:
    void setup(const HessianOperatorOptions& options);
    Tensor batch_loss(std::size_t b) const;  // loss_(b), checked to be a scalar

    BatchLoss loss_;
    std::size_t num_batches_;
    std::vector<Tensor> params_;
    HvpMode mode_;
    std::vector<double> weights_;
    std::vector<std::unique_ptr<HessianVectorProduct>> cached_;
    std::size_t size_ = 0;
    double loss_value_ = 0;
    std::size_t products_ = 0;
    double product_seconds_ = 0;
    double setup_seconds_ = 0;
};

}  // namespace tg
