#include "autograd/tensor.hpp"

#include <algorithm>

#include "autograd/grad_mode.hpp"
#include "autograd/tape.hpp"

namespace tg {

namespace detail {
void throw_undefined(const char* what) {
    throw ValueError(std::string(what) + "() called on an undefined tensor");
}

void materialize(TensorImpl& impl) {
    Deferred& d = *impl.deferred;
    if (d.done.load(std::memory_order_acquire)) return;
    std::call_once(d.once, [&] {
        d.fill(impl);
        d.done.store(true, std::memory_order_release);
    });
}
}  // namespace detail

Tensor::Tensor(xt::xarray<float> value, bool requires_grad)
    : impl_(new detail::TensorImpl(std::move(value))) {
    impl_->requires_grad = requires_grad;
}

Tensor::Tensor(xt::xarray<double> value, bool requires_grad)
    : impl_(new detail::TensorImpl(std::move(value))) {
    impl_->requires_grad = requires_grad;
}

template <class T>
xt::xarray<T>& Tensor::mutable_array() const {
    if (!impl_) detail::throw_undefined("mutable_array");
    if (!impl_->is_leaf) {
        throw GraphError("mutable_array(): in-place write to a tensor produced by a recorded op " +
                         shape_str(shape()) + "; write to a leaf or detach() first");
    }
    if (impl_->requires_grad && grad_enabled()) {
        throw GraphError("mutable_array(): in-place write to a leaf that requires grad " +
                         shape_str(shape()) + " while grad mode is on; use NoGradGuard");
    }
    if (impl_->deferred) detail::materialize(*impl_);
    auto* a = std::get_if<xt::xarray<T>>(&impl_->value);
    if (!a) {
        throw DTypeError(std::string("mutable_array<") + dtype_name(dtype_of<T>()) +
                         ">() on a tensor of " + dtype_name(dtype()));
    }
    ++impl_->version;
    return *a;
}

template xt::xarray<float>& Tensor::mutable_array<float>() const;
template xt::xarray<double>& Tensor::mutable_array<double>() const;

double Tensor::item() const {
    if (numel() != 1) {
        throw ValueError("item(): the tensor has shape " + shape_str(shape()) +
                         ", not exactly one element");
    }
    return dtype() == DType::f32 ? static_cast<double>(array<float>().data()[0])
                                 : array<double>().data()[0];
}

std::vector<double> Tensor::to_vector() const {
    std::vector<double> v(numel());
    if (dtype() == DType::f32)
        std::copy(array<float>().data(), array<float>().data() + v.size(), v.begin());
    else
        std::copy(array<double>().data(), array<double>().data() + v.size(), v.begin());
    return v;
}

bool Tensor::requires_grad() const {
    if (!impl_) detail::throw_undefined("requires_grad");
    return impl_->requires_grad;
}

const Tensor& Tensor::requires_grad_(bool on) const {
    if (!impl_) detail::throw_undefined("requires_grad_");
    if (!impl_->is_leaf) {
        throw GraphError("requires_grad_(): only leaves can change requires_grad; this tensor " +
                         shape_str(shape()) + " was produced by a recorded op");
    }
    impl_->requires_grad = on;
    return *this;
}

bool Tensor::is_leaf() const {
    if (!impl_) detail::throw_undefined("is_leaf");
    return impl_->is_leaf;
}

const Tensor& Tensor::grad() const {
    if (!impl_) detail::throw_undefined("grad");
    return impl_->grad;
}

void Tensor::set_grad(const Tensor& g) const {
    if (!impl_) detail::throw_undefined("set_grad");
    if (g.defined() && g.dtype() != dtype()) {
        throw DTypeError("set_grad(): gradient " + std::string(dtype_name(g.dtype())) +
                         shape_str(g.shape()) + " for a tensor " + dtype_name(dtype()) +
                         shape_str(shape()));
    }
    if (g.defined() && g.shape() != shape()) {
        throw ShapeError("set_grad(): gradient " + std::string(dtype_name(g.dtype())) +
                         shape_str(g.shape()) + " for a tensor " + dtype_name(dtype()) +
                         shape_str(shape()));
    }
    impl_->grad = g;
}

void Tensor::zero_grad() const {
    if (!impl_) detail::throw_undefined("zero_grad");
    Tensor& g = impl_->grad;
    if (!g.defined()) return;
    // Reuse the buffer when nobody else holds it; otherwise start a fresh one.
    if (g.impl_->refs.load() == 1 && g.impl_->is_leaf && !g.impl_->tangent.defined() &&
        !g.impl_->deferred) {
        std::visit([](auto& a) { std::fill(a.data(), a.data() + a.size(), 0); }, g.impl_->value);
        ++g.impl_->version;
    } else {
        g = std::visit(
            [](const auto& a) {
                using A = std::decay_t<decltype(a)>;
                return Tensor(A(xt::zeros<typename A::value_type>(a.shape())));
            },
            g.impl_->value);
    }
}

void Tensor::clear_grad() const {
    if (!impl_) detail::throw_undefined("clear_grad");
    impl_->grad = Tensor();
}

Tensor Tensor::detach() const {
    if (!impl_) detail::throw_undefined("detach");
    if (impl_->deferred) detail::materialize(*impl_);
    return std::visit([](const auto& a) { return Tensor(a); }, impl_->value);
}

void Tensor::retain_grad() const {
    if (!impl_) detail::throw_undefined("retain_grad");
    if (!impl_->is_leaf) impl_->extra().retain_grad = true;
}

void Tensor::register_hook(std::function<Tensor(const Tensor&)> hook) const {
    if (!impl_) detail::throw_undefined("register_hook");
    if (!impl_->requires_grad) {
        throw GraphError("register_hook(): the tensor " + shape_str(shape()) +
                         " does not require grad, so no gradient will reach it");
    }
    impl_->extra().hooks.push_back(std::move(hook));
}

std::uint32_t Tensor::version() const {
    if (!impl_) detail::throw_undefined("version");
    return impl_->version;
}

const Tensor& Tensor::tangent() const {
    if (!impl_) detail::throw_undefined("tangent");
    return impl_->tangent;
}

const std::string& Tensor::name() const {
    static const std::string empty;
    if (!impl_) detail::throw_undefined("name");
    return impl_->extras ? impl_->extras->name : empty;
}

const Tensor& Tensor::set_name(std::string name) const {
    if (!impl_) detail::throw_undefined("set_name");
    impl_->extra().name = std::move(name);
    return *this;
}

}  // namespace tg
