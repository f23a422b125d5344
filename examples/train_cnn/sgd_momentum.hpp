#pragma once
// SGD with momentum, as PyTorch's torch.optim.SGD computes it (dampening 0, no Nesterov):
//
//   v <- momentum v + grad,   w <- w - lr v
//
// A small local stand-in until the optimizer library (tg::optim) is available; replace it with
// tg::optim's SGD by swapping the constructor call and keeping sgd.step().

#include <vector>

#include "tapegrad.hpp"

class SgdMomentum {
  public:
    SgdMomentum(std::vector<tg::Tensor> params, double lr, double momentum)
        : params_(std::move(params)), lr_(lr), momentum_(momentum) {
        for (const auto& p : params_) velocity_.push_back(tg::zeros_like(p));
    }

    void set_lr(double lr) { lr_ = lr; }
    double lr() const { return lr_; }

    void step() {
        tg::NoGradGuard no_grad;
        for (std::size_t i = 0; i < params_.size(); ++i) {
            if (!params_[i].grad().defined()) continue;
            if (params_[i].dtype() == tg::kFloat32)
                update<float>(i);
            else
                update<double>(i);
        }
    }

  private:
    template <class T>
    void update(std::size_t i) {
        tg::Tensor p = params_[i];
        T* w = p.mutable_array<T>().data();
        T* v = velocity_[i].mutable_array<T>().data();
        const T* g = p.grad().array<T>().data();
        const T lr = static_cast<T>(lr_), mu = static_cast<T>(momentum_);
        for (std::size_t k = 0, n = p.numel(); k < n; ++k) {
            v[k] = mu * v[k] + g[k];
            w[k] -= lr * v[k];
        }
    }

    std::vector<tg::Tensor> params_;
    std::vector<tg::Tensor> velocity_;
    double lr_, momentum_;
};
