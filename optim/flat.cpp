#include "optim/flat.hpp"

#include <cmath>
#include <string>

#include "autograd/grad_mode.hpp"

namespace tg::optim {

namespace {

// Calls f(float{}) or f(double{}) for the tensor's element type.
template <class F>
decltype(auto) with_type(const Tensor& t, F&& f) {
    if (t.dtype() == DType::f32) return f(float{});
    return f(double{});
}

void check_length(const char* who, std::size_t have, std::size_t want) {
    if (have != want) {
        throw ShapeError(std::string(who) + ": a flat vector of " + std::to_string(have) +
                         " elements for tensors with " + std::to_string(want) + " elements");
    }
}

}  // namespace

std::size_t flat_size(const std::vector<Tensor>& tensors) {
    std::size_t n = 0;
    for (const auto& t : tensors) n += t.numel();
    return n;
}

FlatVector gather_values(const std::vector<Tensor>& tensors) {
    FlatVector flat(flat_size(tensors));
    std::size_t offset = 0;
    for (const auto& t : tensors) {
        with_type(t, [&](auto tag) {
            using T = decltype(tag);
            const T* p = t.array<T>().data();
            for (std::size_t i = 0, n = t.numel(); i < n; ++i) flat[offset + i] = p[i];
        });
        offset += t.numel();
    }
    return flat;
}

FlatVector gather_grads(const std::vector<Tensor>& params) {
    FlatVector flat(flat_size(params), 0.0);
    std::size_t offset = 0;
    for (const auto& p : params) {
        const Tensor& g = p.grad();
        if (g.defined()) {
            with_type(g, [&](auto tag) {
                using T = decltype(tag);
                const T* q = g.array<T>().data();
                for (std::size_t i = 0, n = g.numel(); i < n; ++i) flat[offset + i] = q[i];
            });
        }
        offset += p.numel();
    }
    return flat;
}

void scatter_values(const FlatVector& flat, const std::vector<Tensor>& params) {
    check_length("scatter_values", flat.size(), flat_size(params));
    NoGradGuard no_grad;
    std::size_t offset = 0;
    for (Tensor p : params) {
        with_type(p, [&](auto tag) {
            using T = decltype(tag);
            T* q = p.mutable_array<T>().data();
            for (std::size_t i = 0, n = p.numel(); i < n; ++i)
                q[i] = static_cast<T>(flat[offset + i]);
        });
        offset += p.numel();
    }
}

void scatter_grads(const FlatVector& flat, const std::vector<Tensor>& params) {
    check_length("scatter_grads", flat.size(), flat_size(params));
    const std::vector<Tensor> grads = unflatten(flat, params);
    for (std::size_t i = 0; i < params.size(); ++i) {
        Tensor p = params[i];
        p.set_grad(grads[i]);
    }
}

std::vector<Tensor> unflatten(const FlatVector& flat, const std::vector<Tensor>& like) {
    check_length("unflatten", flat.size(), flat_size(like));
    std::vector<Tensor> out;
    out.reserve(like.size());
    std::size_t offset = 0;
    for (const auto& t : like) {
        out.push_back(with_type(t, [&](auto tag) {
            using T = decltype(tag);
            auto a = xt::xarray<T>::from_shape(t.shape());
            T* q = a.data();
            for (std::size_t i = 0, n = t.numel(); i < n; ++i)
                q[i] = static_cast<T>(flat[offset + i]);
            return Tensor(std::move(a));
        }));
        offset += t.numel();
    }
    return out;
}

double dot(const FlatVector& a, const FlatVector& b) {
    check_length("dot", b.size(), a.size());
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
    return s;
}

double norm(const FlatVector& a) {
    // Scaled, so that gradients of 1e200 do not overflow to Inf.
    double scale = 0;
    for (double v : a) {
        if (!std::isfinite(v)) return std::abs(v);  // NaN or Inf: the norm is too
        scale = std::max(scale, std::abs(v));
    }
    if (scale == 0) return 0;
    double s = 0;
    for (double v : a) s += (v / scale) * (v / scale);
    return scale * std::sqrt(s);
}

void axpy(double alpha, const FlatVector& x, FlatVector& y) {
    check_length("axpy", y.size(), x.size());
    for (std::size_t i = 0; i < x.size(); ++i) y[i] += alpha * x[i];
}

bool all_finite(const FlatVector& a) {
    for (double v : a) {
        if (!std::isfinite(v)) return false;
    }
    return true;
}

}  // namespace tg::optim
