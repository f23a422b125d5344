#pragma once
// Writing your own op, in your own code: the helpers a user-defined primitive needs on top of
// autograd/op.hpp (OpDef, OpCall, record). docs/custom_ops.md walks through a complete op.
//
// An op is three pieces:
//
//   1. a forward computation on arrays, which produces a fresh result tensor; the helpers below
//      run a generic lambda in the inputs' common element type (float or double), so one lambda
//      serves both:
//
//          Tensor y = tg::map_elements("swish", [](auto x, auto b) {
//              return x / (1 + std::exp(-b * x));
//          }, x, beta);                       // NumPy broadcasting of x and beta
//
//   2. an OpDef with static storage duration (the tape keeps a pointer to it) holding the op's
//      name and its rules, as captureless lambdas or plain functions:
//
//          void swish_vjp(const tg::OpCall& call, const tg::Tensor& grad_out, tg::Tensor* grad_in);
//          tg::Tensor swish_jvp(const tg::OpCall& call, const tg::Tensor* tangents);
//          const tg::OpDef kSwish{"swish", swish_vjp, swish_jvp};
//
//      Write the rules with tapegrad ops (mul, sigmoid, sum_to, ...), never on raw arrays: the
//      rules are then recorded when backward runs with create_graph, which is what makes grad of
//      grad, Hessian-vector products and gradgradcheck work through the op.
//
//   3. record(): return tg::record(kSwish, std::move(y), {x, beta});
//
// The rules in short (see autograd/op.hpp for the types):
//   - vjp: grad_out has the result's shape. For each input i with call.needs_grad(i), write the
//     gradient into grad_in[i], with exactly input i's shape and dtype; an input that was
//     broadcast needs its gradient summed back with sum_to(g, call.in(i).shape()). Inputs
//     left undefined get no gradient (as if it were zero). A wrong shape or dtype makes
//     backward throw GraphError naming the op, the input and both shapes.
//   - jvp: tangents[i] is undefined when input i carries no tangent (a zero tangent): combine
//     the defined ones (add_defined() helps) and return a tangent of the result's shape and
//     dtype (broadcast_to(t, call.out().shape()) if needed), or an undefined tensor if there is
//     none. A wrong shape makes record() throw GraphError. An op with a vjp but no jvp (jvp ==
//     nullptr) is reverse-only: forward mode through it throws GraphError.
//   - state: call.in(i), call.out(); attributes passed to record() as Attrs (one double and a
//     list of integers, copied onto the tape) come back as call.scalar(), call.ints(i),
//     call.int_list(first, count), call.shape_attr(first, count). Other constants go in as
//     extra input tensors that do not require grad.
//   - an op without derivative (rounding, argmax, a comparison) is declared with
//     non_differentiable("name"): its result is a constant that never requires grad and
//     carries no tangent.

#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <xtensor/xarray.hpp>
#include <xtensor/xbroadcast.hpp>

#include "../autograd/op.hpp"
#include "../autograd/tensor.hpp"
#include "arithmetic.hpp"  // add_defined, for jvp rules

namespace tg {

// An OpDef for an op that has no derivative. Its results never require grad (backward treats
// them as constants) and carry no tangent:
//     const tg::OpDef kFloor = tg::non_differentiable("floor");
constexpr OpDef non_differentiable(const char* name) {
    return OpDef{name, nullptr, nullptr};
}

// Whether results of the op can be differentiated (it has a reverse rule).
constexpr bool is_differentiable(const OpDef& op) {
    return op.vjp != nullptr;
}

// Calls f(float{}) or f(double{}) according to d, and returns what f returns.
template <class F>
decltype(auto) dispatch_dtype(DType d, F&& f) {
    if (d == DType::f32) return f(float{});
    return f(double{});
}

// The common dtype of the tensors; DTypeError naming `op` and both dtypes if they differ,
// ValueError if one is undefined.
DType common_dtype(const char* op, const std::vector<Tensor>& tensors);

// The shape that all `shapes` broadcast to (NumPy rules); ShapeError naming `op` and the shapes
// if they cannot be broadcast together.
Shape broadcast_shape(const char* op, const std::vector<Shape>& shapes);

// add_defined(a, b), a + b where an undefined tensor stands for zero, is in ops/arithmetic.hpp.

// Runs f on the inputs' arrays, as const xt::xarray<T>& in their common element type T, and
// returns its result as a new tensor (a leaf: record() it). f may return an xt::xarray<T>, or
// an xtensor expression of its arguments only: an expression that refers to a local array of f
// would dangle, so evaluate that one inside f (return xt::xarray<T>(expression)).
//     Tensor y = tg::map_arrays("rms_norm", [&](const auto& x) { ... }, x);
template <class F, class... Ts>
Tensor map_arrays(const char* op, F&& f, const Ts&... inputs);

// Elementwise f(a, b, ...) over the inputs' values, with NumPy broadcasting of the inputs. f is
// called with values of the common element type T (float or double) and its result is converted
// to T. Returns a new tensor (a leaf: record() it).
//     Tensor y = tg::map_elements("softsign", [](auto v) { return v / (1 + std::abs(v)); }, x);
template <class F, class... Ts>
Tensor map_elements(const char* op, F&& f, const Ts&... inputs);

// ---- implementation ------------------------------------------------------------------------

namespace detail {

template <class... Ts>
constexpr bool all_tensors() {
    return (std::is_same_v<Ts, Tensor> && ...);
}

// One input of map_elements, walked as the result is: with stride 1 (same shape as the result,
// or a broadcast copy), or stride 0 (a single value).
template <class T>
struct ElementSource {
    ElementSource(const xt::xarray<T>& a, const Shape& shape) {
        if (a.shape() == shape) {
            data = a.data();
            stride = 1;
        } else if (a.size() == 1) {
            data = a.data();
            stride = 0;
        } else {
            copy = xt::broadcast(a, shape);
            data = copy.data();
            stride = 1;
        }
    }
    ElementSource(const ElementSource&) = delete;  // `data` may point into `copy`
    ElementSource& operator=(const ElementSource&) = delete;
    T operator[](std::size_t i) const { return data[i * stride]; }

    const T* data = nullptr;
    std::size_t stride = 1;
    xt::xarray<T> copy;
};

template <class T, class F, class... Sources>
xt::xarray<T> map_sources(F& f, const Shape& shape, const Sources&... sources) {
    auto r = xt::xarray<T>::from_shape(shape);
    T* q = r.data();
    const std::size_t n = r.size();
    for (std::size_t i = 0; i < n; ++i) q[i] = static_cast<T>(f(sources[i]...));
    return r;
}

}  // namespace detail

template <class F, class... Ts>
Tensor map_arrays(const char* op, F&& f, const Ts&... inputs) {
    static_assert(sizeof...(Ts) > 0 && detail::all_tensors<Ts...>(),
                  "map_arrays(op, f, tensors...): give one or more tg::Tensor inputs");
    return dispatch_dtype(common_dtype(op, {inputs...}), [&](auto tag) {
        using T = decltype(tag);
        xt::xarray<T> r = f(inputs.template array<T>()...);
        return Tensor(std::move(r));
    });
}

template <class F, class... Ts>
Tensor map_elements(const char* op, F&& f, const Ts&... inputs) {
    static_assert(sizeof...(Ts) > 0 && detail::all_tensors<Ts...>(),
                  "map_elements(op, f, tensors...): give one or more tg::Tensor inputs");
    const DType dtype = common_dtype(op, {inputs...});
    const Shape shape = broadcast_shape(op, {inputs.shape()...});
    return dispatch_dtype(dtype, [&](auto tag) {
        using T = decltype(tag);
        return Tensor(detail::map_sources<T>(
            f, shape, detail::ElementSource<T>(inputs.template array<T>(), shape)...));
    });
}

}  // namespace tg
