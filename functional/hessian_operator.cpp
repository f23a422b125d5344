#include "functional/hessian_operator.hpp"

#include <chrono>
#include <cmath>
#include <string>

#include "autograd/grad_mode.hpp"

namespace tg {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string param_label(const std::vector<Tensor>& params, std::size_t i) {
    const std::string& name = params[i].name();
    return "parameter " + std::to_string(i) + (name.empty() ? "" : " (" + name + ")");
}

template <class F>
decltype(auto) with_type(DType d, F&& f) {
    if (d == DType::f32) return f(float{});
    return f(double{});
}

}  // namespace

HessianOperator::HessianOperator(Loss loss, std::vector<Tensor> params,
                                 HessianOperatorOptions options)
    : loss_(loss ? BatchLoss([loss = std::move(loss)](std::size_t) { return loss(); })
                 : BatchLoss()),
      num_batches_(1),
      params_(std::move(params)),
      mode_(options.mode) {
    if (!loss_) throw ValueError("HessianOperator: the loss function is empty");
    setup(options);
}

HessianOperator::HessianOperator(BatchLoss loss, std::size_t num_batches,
                                 std::vector<Tensor> params, HessianOperatorOptions options)
    : loss_(std::move(loss)),
      num_batches_(num_batches),
      params_(std::move(params)),
      mode_(options.mode) {
    if (!loss_) throw ValueError("HessianOperator: the loss function is empty");
    if (num_batches_ == 0) throw ValueError("HessianOperator: num_batches must be at least 1");
    setup(options);
}

HessianOperator::~HessianOperator() = default;

void HessianOperator::setup(const HessianOperatorOptions& options) {
    const auto t0 = std::chrono::steady_clock::now();
    if (params_.empty()) throw ValueError("HessianOperator: the parameter list is empty");
    for (std::size_t i = 0; i < params_.size(); ++i) {
        const Tensor& p = params_[i];
        if (!p.defined())
            throw ValueError("HessianOperator: " + param_label(params_, i) + " is undefined");
        if (!p.is_leaf() || !p.requires_grad()) {
            throw GraphError("HessianOperator: " + param_label(params_, i) + " " +
                             shape_str(p.shape()) + " must be a leaf that requires grad");
        }
        size_ += p.numel();
    }

    weights_ = options.batch_weights;
    if (weights_.empty()) weights_.assign(num_batches_, 1.0);
    if (weights_.size() != num_batches_) {
        throw ValueError("HessianOperator: " + std::to_string(weights_.size()) +
                         " batch weights for " + std::to_string(num_batches_) + " batches");
    }
    double total = 0;
    for (double w : weights_) {
        if (!(w >= 0) || !std::isfinite(w)) {
            throw ValueError("HessianOperator: batch weights must be finite and >= 0, got " +
                             std::to_string(w));
        }
        total += w;
    }
    if (!(total > 0)) throw ValueError("HessianOperator: the batch weights sum to 0");
    for (double& w : weights_) w /= total;

    const bool cache = options.cache_graphs && mode_ == HvpMode::reverse_over_reverse;
    for (std::size_t b = 0; b < num_batches_; ++b) {
        if (cache) {
            // HessianVectorProduct calls the loss in its constructor only.
            cached_.push_back(std::make_unique<HessianVectorProduct>(
                [this, b] { return batch_loss(b); }, params_));
            loss_value_ += weights_[b] * cached_.back()->loss();
        } else {
            NoGradGuard no_grad;
            loss_value_ += weights_[b] * batch_loss(b).item();
        }
    }
    setup_seconds_ = seconds_since(t0);
}

Tensor HessianOperator::batch_loss(std::size_t b) const {
    Tensor y = loss_(b);
    if (!y.defined() || y.numel() != 1) {
        throw ValueError("HessianOperator: the loss of batch " + std::to_string(b) +
                         (y.defined() ? " has shape " + shape_str(y.shape()) : " is undefined") +
                         "; it must be a scalar");
    }
    return y;
}

std::vector<double> HessianOperator::operator()(const std::vector<double>& x) {
    std::vector<double> y;
    apply(x, y);
    return y;
}

void HessianOperator::apply(const std::vector<double>& x, std::vector<double>& y) {
    if (x.size() != size_) {
        throw ShapeError("HessianOperator: a vector of " + std::to_string(x.size()) +
                         " elements for " + std::to_string(size_) + " parameter elements");
    }
    const auto t0 = std::chrono::steady_clock::now();
    const std::vector<Tensor> v = unflatten(x);
    y.assign(size_, 0.0);
    for (std::size_t b = 0; b < num_batches_; ++b) {
        const std::vector<Tensor> hv =
            cached_.empty() ? hvp([this, b] { return batch_loss(b); }, params_, v, mode_)
                            : (*cached_[b])(v);
        const std::vector<double> flat = flatten(hv);
        const double w = weights_[b];
        for (std::size_t i = 0; i < size_; ++i) y[i] += w * flat[i];
    }
    ++products_;
    product_seconds_ += seconds_since(t0);
}

std::vector<double> HessianOperator::flatten(const std::vector<Tensor>& tensors) const {
    if (tensors.size() != params_.size()) {
        throw ValueError("HessianOperator::flatten: " + std::to_string(tensors.size()) +
                         " tensors for " + std::to_string(params_.size()) + " parameters");
    }
    std::vector<double> flat(size_);
    std::size_t offset = 0;
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        const Tensor& t = tensors[i];
        if (t.shape() != params_[i].shape()) {
            throw ShapeError("HessianOperator::flatten: tensor " + std::to_string(i) + " is " +
                             shape_str(t.shape()) + " for " + param_label(params_, i) + " " +
                             shape_str(params_[i].shape()));
        }
        with_type(t.dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* p = t.array<T>().data();
            for (std::size_t j = 0, n = t.numel(); j < n; ++j) flat[offset + j] = p[j];
        });
        offset += t.numel();
    }
    return flat;
}

std::vector<Tensor> HessianOperator::unflatten(const std::vector<double>& flat) const {
    if (flat.size() != size_) {
        throw ShapeError("HessianOperator::unflatten: a vector of " + std::to_string(flat.size()) +
                         " elements for " + std::to_string(size_) + " parameter elements");
    }
    std::vector<Tensor> out;
    out.reserve(params_.size());
    std::size_t offset = 0;
    for (const Tensor& p : params_) {
        out.push_back(with_type(p.dtype(), [&](auto tag) {
            using T = decltype(tag);
            auto a = xt::xarray<T>::from_shape(p.shape());
            for (std::size_t j = 0, n = p.numel(); j < n; ++j)
                a.data()[j] = static_cast<T>(flat[offset + j]);
            return Tensor(std::move(a));
        }));
        offset += p.numel();
    }
    return out;
}

}  // namespace tg
