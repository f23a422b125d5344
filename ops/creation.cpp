#include "ops/creation.hpp"

#include <string>

#include "ops/kernels.hpp"

namespace tg {

using kernels::dispatch;

namespace {
// Every creation function checks its shape first: its element count must not overflow.
Tensor filled_tensor(const char* op, const Shape& shape, double value, DType dtype) {
    kernels::checked_numel(op, shape, dtype);
    return dispatch(dtype, [&](auto tag) {
        using T = decltype(tag);
        return Tensor(kernels::filled<T>(shape, static_cast<T>(value)));
    });
}
}  // namespace

Tensor full(const Shape& shape, double value, DType dtype) {
    return filled_tensor("full", shape, value, dtype);
}

Tensor zeros(const Shape& shape, DType dtype) {
    return filled_tensor("zeros", shape, 0.0, dtype);
}
Tensor ones(const Shape& shape, DType dtype) {
    return filled_tensor("ones", shape, 1.0, dtype);
}
Tensor zeros_like(const Tensor& t) {
    return full(t.shape(), 0.0, t.dtype());
}
Tensor ones_like(const Tensor& t) {
    return full(t.shape(), 1.0, t.dtype());
}
Tensor full_like(const Tensor& t, double value) {
    return full(t.shape(), value, t.dtype());
}
Tensor scalar_tensor(double value, DType dtype) {
    return full(Shape{}, value, dtype);
}

Tensor arange(std::size_t n, DType dtype) {
    kernels::checked_numel("arange", Shape{n}, dtype);
    return dispatch(dtype, [&](auto tag) {
        using T = decltype(tag);
        auto a = kernels::uninitialized<T>(Shape{n});
        for (std::size_t i = 0; i < n; ++i) a.data()[i] = static_cast<T>(i);
        return Tensor(std::move(a));
    });
}

Tensor eye(std::size_t n, DType dtype) {
    kernels::checked_numel("eye", Shape{n, n}, dtype);
    return dispatch(dtype, [&](auto tag) {
        using T = decltype(tag);
        auto a = kernels::filled<T>(Shape{n, n}, T(0));
        for (std::size_t i = 0; i < n; ++i) a.data()[i * n + i] = T(1);
        return Tensor(std::move(a));
    });
}

Tensor from_vector(const std::vector<double>& values, const Shape& shape, DType dtype) {
    if (values.size() != kernels::checked_numel("from_vector", shape, dtype)) {
        throw ShapeError("from_vector: " + std::to_string(values.size()) +
                         " values do not fill shape " + shape_str(shape));
    }
    return dispatch(dtype, [&](auto tag) {
        using T = decltype(tag);
        auto a = kernels::uninitialized<T>(shape);
        for (std::size_t i = 0; i < values.size(); ++i) a.data()[i] = static_cast<T>(values[i]);
        return Tensor(std::move(a));
    });
}

Tensor one_hot(const std::vector<std::int64_t>& labels, std::size_t classes, DType dtype) {
    kernels::checked_numel("one_hot", Shape{labels.size(), classes}, dtype);
    return dispatch(dtype, [&](auto tag) {
        using T = decltype(tag);
        auto a = kernels::filled<T>(Shape{labels.size(), classes}, T(0));
        for (std::size_t i = 0; i < labels.size(); ++i) {
            if (labels[i] < 0 || static_cast<std::size_t>(labels[i]) >= classes) {
                throw ValueError("one_hot: label " + std::to_string(labels[i]) + " at position " +
                                 std::to_string(i) + " is outside [0, " + std::to_string(classes) +
                                 ")");
            }
            a.data()[i * classes + static_cast<std::size_t>(labels[i])] = T(1);
        }
        return Tensor(std::move(a));
    });
}

Tensor to_dtype(const Tensor& t, DType dtype) {
    return dispatch(t.dtype(), [&](auto from) {
        using S = decltype(from);
        const auto& src = t.array<S>();
        return dispatch(dtype, [&](auto to) {
            using D = decltype(to);
            auto a = kernels::uninitialized<D>(src.shape());
            for (std::size_t i = 0; i < src.size(); ++i)
                a.data()[i] = static_cast<D>(src.data()[i]);
            return Tensor(std::move(a));
        });
    });
}

}  // namespace tg
