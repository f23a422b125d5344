#include "ops/shape.hpp"

#include <algorithm>
#include <string>
#include <variant>
#include <vector>

#include "autograd/grad_mode.hpp"
#include "autograd/op.hpp"
#include "ops/deferred.hpp"
#include "ops/kernels.hpp"

namespace tg {

namespace {

std::string dims_str(const Dims& d) {
    std::string s = "[";
    for (std::size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
    return s + "]";
}

// The gradient g reshaped. When no graph is being built and nothing but the backward pass holds
// g (one reference, no hooks, not pending), g's buffer is taken over instead of copied: the
// backward pass drops g right after this rule.
Tensor reshape_gradient(const Tensor& g, const Shape& shape) {
    detail::TensorImpl* impl = g.impl();
    if (grad_enabled() || impl->refs.load() != 1 || !impl->is_leaf || impl->deferred ||
        impl->extras || impl->tangent.defined() || impl->grad.defined()) {
        return reshape(g, shape);
    }
    return std::visit(
        [&](auto& values) {
            auto taken = std::move(values);
            values = std::decay_t<decltype(values)>();  // g stays a valid (empty) tensor
            taken.reshape(shape);
            return Tensor(std::move(taken));
        },
        impl->value);
}

// ---- reshape: the same values, another shape -------------------------------------------------
const OpDef kReshape{
    "reshape",
    [](const OpCall& c, const Tensor& g, Tensor* gi) {
        gi[0] = reshape_gradient(g, c.in(0).shape());
    },
    [](const OpCall& c, const Tensor* t) { return reshape(t[0], c.out().shape()); }};

// ---- permute: axes reordered; the derivative permutes back ----------------------------------
Dims inverse_permutation(const OpCall& c) {
    std::vector<std::int64_t> inv(c.num_ints());
    for (std::size_t i = 0; i < c.num_ints(); ++i)
        inv[static_cast<std::size_t>(c.ints(i))] = static_cast<std::int64_t>(i);
    return Dims(std::move(inv));
}

const OpDef kPermute{"permute",
                     [](const OpCall& c, const Tensor& g, Tensor* gi) {
                         gi[0] = permute(g, inverse_permutation(c));
                     },
                     [](const OpCall& c, const Tensor* t) {
                         return permute(t[0], Dims(c.int_list(0, c.num_ints())));
                     }};

}  // namespace

Tensor reshape(const Tensor& x, const Dims& dims) {
    const std::size_t n = x.numel();
    Shape shape(dims.size(), 1);
    std::size_t infer = dims.size();
    for (std::size_t i = 0; i < dims.size(); ++i) {
        if (dims[i] == -1 && infer == dims.size()) {
            infer = i;
        } else if (dims[i] < 0) {
            throw ShapeError("reshape: bad target shape " + dims_str(dims) + " for " +
                             shape_str(x.shape()));
        } else {
            shape[i] = static_cast<std::size_t>(dims[i]);
        }
    }
    // The product of the given sizes (the -1 counts as 1) must not overflow: [2^32, 2^32] would
    // wrap to 0 elements and match an empty tensor.
    std::size_t known = 0;
    try {
        known = kernels::checked_numel("reshape", shape, x.dtype());
    } catch (const ShapeError&) {
        throw ShapeError("reshape: the sizes in " + dims_str(dims) + " (for " +
                         shape_str(x.shape()) +
                         ") multiply to more elements than a size_t can count or an array can "
                         "hold (the product overflows)");
    }
    if (infer < dims.size()) {
        if (known == 0) {  // 0 * k == 0 for every k
            throw ShapeError("reshape: cannot infer the -1 in " + dims_str(dims) + " for " +
                             shape_str(x.shape()) + ": another axis is 0, so any size fits");
        }
        shape[infer] = n / known;
    }
    if (kernels::numel_of(shape) != n) {
        throw ShapeError("reshape: cannot reshape " + shape_str(x.shape()) + " (" +
                         std::to_string(n) + " elements) to " + dims_str(dims));
    }
    if (shape == x.shape()) return x;
    if (pending_batch(x) != nullptr && !shape.empty() && shape[0] == x.shape()[0] && n > 0) {
        // Unfold's columns regrouped by channel, say: nothing to copy until someone reads them.
        return record(kReshape, deferred_reshape(x, shape), {x});
    }
    Tensor out = kernels::dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const auto& a = x.array<T>();
        auto r = kernels::uninitialized<T>(shape);
        kernels::parallel_for(n, kernels::kElementwiseGrain, [&](std::size_t b, std::size_t e) {
            std::copy(a.data() + b, a.data() + e, r.data() + b);
        });
        return Tensor(std::move(r));
    });
    return record(kReshape, std::move(out), {x});
}

Tensor permute(const Tensor& x, const Dims& axes) {
    const std::size_t nd = x.dim();
    if (axes.size() != nd) {
        throw ValueError("permute: " + std::to_string(axes.size()) + " axes " + dims_str(axes) +
                         " for a tensor of rank " + std::to_string(nd));
    }
    std::vector<std::int64_t> perm(nd);
    std::vector<bool> seen(nd, false);
    for (std::size_t i = 0; i < nd; ++i) {
        const std::size_t a = kernels::normalize_axis("permute", axes[i], nd);
        if (seen[a]) throw ValueError("permute: axes " + dims_str(axes) + " repeat an axis");
        seen[a] = true;
        perm[i] = static_cast<std::int64_t>(a);
    }
    bool identity = true;
    for (std::size_t i = 0; i < nd; ++i)
        identity = identity && perm[i] == static_cast<std::int64_t>(i);
    if (identity) return x;
    Tensor out = kernels::dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const auto& a = x.array<T>();
        const auto in_strides = kernels::strides_of(a.shape());
        Shape shape(nd);
        std::vector<std::size_t> strides(nd);
        for (std::size_t i = 0; i < nd; ++i) {
            shape[i] = a.shape()[static_cast<std::size_t>(perm[i])];
            strides[i] = in_strides[static_cast<std::size_t>(perm[i])];
        }
        auto r = kernels::uninitialized<T>(shape);
        kernels::strided_copy(a.data(), 0, strides, shape, r.data());
        return Tensor(std::move(r));
    });
    return record(kPermute, std::move(out), {x}, Attrs(perm));
}

Tensor transpose(const Tensor& x, std::int64_t a, std::int64_t b) {
    const std::size_t nd = x.dim();
    const std::size_t i = kernels::normalize_axis("transpose", a, nd);
    const std::size_t j = kernels::normalize_axis("transpose", b, nd);
    std::vector<std::int64_t> perm(nd);
    for (std::size_t k = 0; k < nd; ++k) perm[k] = static_cast<std::int64_t>(k);
    std::swap(perm[i], perm[j]);
    return permute(x, Dims(std::move(perm)));
}

Tensor flatten(const Tensor& x, std::int64_t start, std::int64_t end) {
    const std::size_t nd = x.dim();
    if (nd == 0) return reshape(x, {1});
    const std::size_t s = kernels::normalize_axis("flatten", start, nd);
    const std::size_t e = kernels::normalize_axis("flatten", end, nd);
    if (s > e)
        throw ValueError("flatten: start axis " + std::to_string(start) + " is after end axis " +
                         std::to_string(end));
    std::vector<std::int64_t> dims;
    std::int64_t merged = 1;
    for (std::size_t k = 0; k < nd; ++k) {
        if (k < s || k > e) {
            dims.push_back(static_cast<std::int64_t>(x.shape()[k]));
        } else {
            merged *= static_cast<std::int64_t>(x.shape()[k]);
            if (k == e) dims.push_back(merged);
        }
    }
    return reshape(x, Dims(std::move(dims)));
}

Tensor unsqueeze(const Tensor& x, std::int64_t axis) {
    const std::size_t a = kernels::normalize_axis("unsqueeze", axis, x.dim() + 1);
    Dims d(x.shape());
    d.values.insert(d.values.begin() + static_cast<std::ptrdiff_t>(a), 1);
    return reshape(x, d);
}

Tensor squeeze(const Tensor& x, std::int64_t axis) {
    const std::size_t a = kernels::normalize_axis("squeeze", axis, x.dim());
    if (x.shape()[a] != 1) {
        throw ShapeError("squeeze: axis " + std::to_string(axis) + " of " + shape_str(x.shape()) +
                         " has size " + std::to_string(x.shape()[a]) + ", not 1");
    }
    Dims d(x.shape());
    d.values.erase(d.values.begin() + static_cast<std::ptrdiff_t>(a));
    return reshape(x, d);
}

}  // namespace tg
