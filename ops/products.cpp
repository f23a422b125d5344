#include "ops/products.hpp"

#include <algorithm>
#include <cctype>

#include "ops/arithmetic.hpp"
#include "ops/broadcast.hpp"
#include "ops/kernels.hpp"
#include "ops/linalg.hpp"
#include "ops/reduction.hpp"
#include "ops/shape.hpp"

namespace tg {

namespace {

std::int64_t product_of(const Shape& s, std::size_t begin, std::size_t end) {
    std::int64_t p = 1;
    for (std::size_t d = begin; d < end; ++d) p *= static_cast<std::int64_t>(s[d]);
    return p;
}

std::vector<std::int64_t> as_dims(const Shape& s) {
    return std::vector<std::int64_t>(s.begin(), s.end());
}

// ---- einsum ---------------------------------------------------------------------------------

using Labels = std::string;

[[noreturn]] void unsupported(const std::string& eq, const std::string& why) {
    throw ValueError("einsum: equation \"" + eq + "\": " + why);
}

Tensor sum_axes(const Tensor& x, const std::vector<std::int64_t>& axes) {
    return axes.empty() ? x : sum(x, Dims(axes));
}

// Sums away the labels of x that `keep` does not contain.
Tensor drop_labels(const Tensor& x, Labels& lx, const Labels& keep) {
    std::vector<std::int64_t> axes;
    Labels rest;
    for (std::size_t d = 0; d < lx.size(); ++d) {
        if (keep.find(lx[d]) == Labels::npos) {
            axes.push_back(static_cast<std::int64_t>(d));
        } else {
            rest += lx[d];
        }
    }
    lx = rest;
    return sum_axes(x, axes);
}

// x (labels lx) with its axes in the order of `order` (a permutation of lx).
Tensor arrange(const Tensor& x, const Labels& lx, const Labels& order) {
    std::vector<std::int64_t> perm;
    for (char c : order) perm.push_back(static_cast<std::int64_t>(lx.find(c)));
    return permute(x, Dims(perm));
}

std::int64_t size_of(const Tensor& x, const Labels& lx, const Labels& which) {
    std::int64_t p = 1;
    for (char c : which) p *= static_cast<std::int64_t>(x.shape()[lx.find(c)]);
    return p;
}

// Contracts a (labels la) with b (labels lb) to the labels `out`, each a label of a or b;
// every other label is summed. One batched matmul: [batch, free a, summed] @ [batch, summed,
// free b].
Tensor contract(Tensor a, Labels la, Tensor b, Labels lb, const Labels& out) {
    a = drop_labels(a, la, out + lb);
    b = drop_labels(b, lb, out + la);
    Labels batch, fa, fb, k;
    for (char c : la) {
        const bool in_b = lb.find(c) != Labels::npos, in_out = out.find(c) != Labels::npos;
        if (in_b && in_out) batch += c;
        if (!in_b) fa += c;
        if (in_b && !in_out) k += c;
    }
    for (char c : lb)
        if (la.find(c) == Labels::npos) fb += c;
    const Tensor a3 = reshape(arrange(a, la, batch + fa + k),
                              {size_of(a, la, batch), size_of(a, la, fa), size_of(a, la, k)});
    const Tensor b3 = reshape(arrange(b, lb, batch + k + fb),
                              {size_of(b, lb, batch), size_of(b, lb, k), size_of(b, lb, fb)});
    std::vector<std::int64_t> dims;
    for (char c : batch + fa) dims.push_back(static_cast<std::int64_t>(a.shape()[la.find(c)]));
    for (char c : fb) dims.push_back(static_cast<std::int64_t>(b.shape()[lb.find(c)]));
    const Tensor r = reshape(matmul(a3, b3), Dims(dims));
    return arrange(r, batch + fa + fb, out);
}

}  // namespace

Tensor outer(const Tensor& a, const Tensor& b) {
    if (a.dim() != 1 || b.dim() != 1) {
        throw ShapeError("outer: needs two 1-D tensors, got " + shape_str(a.shape()) + " and " +
                         shape_str(b.shape()));
    }
    return mul(reshape(a, {-1, 1}), reshape(b, {1, -1}));
}

Tensor kron(const Tensor& a, const Tensor& b) {
    kernels::check_same_dtype("kron", a, b);
    const std::size_t r = std::max(a.dim(), b.dim());
    Shape sa(r - a.dim(), 1), sb(r - b.dim(), 1);
    sa.insert(sa.end(), a.shape().begin(), a.shape().end());
    sb.insert(sb.end(), b.shape().begin(), b.shape().end());
    std::vector<std::int64_t> da, db, dout;
    for (std::size_t d = 0; d < r; ++d) {
        da.insert(da.end(), {static_cast<std::int64_t>(sa[d]), 1});
        db.insert(db.end(), {1, static_cast<std::int64_t>(sb[d])});
        dout.push_back(static_cast<std::int64_t>(sa[d] * sb[d]));
    }
    return reshape(mul(reshape(a, Dims(da)), reshape(b, Dims(db))), Dims(dout));
}

Tensor tensordot(const Tensor& a, const Tensor& b, const Dims& axes_a, const Dims& axes_b) {
    kernels::check_same_dtype("tensordot", a, b);
    if (axes_a.size() != axes_b.size()) {
        throw ValueError("tensordot: " + std::to_string(axes_a.size()) + " axes of a but " +
                         std::to_string(axes_b.size()) + " of b");
    }
    std::vector<bool> ca(a.dim(), false), cb(b.dim(), false);
    std::vector<std::int64_t> pa, pb, free_a, free_b;
    for (std::size_t i = 0; i < axes_a.size(); ++i) {
        const std::size_t x = kernels::normalize_axis("tensordot", axes_a[i], a.dim());
        const std::size_t y = kernels::normalize_axis("tensordot", axes_b[i], b.dim());
        if (ca[x] || cb[y]) throw ValueError("tensordot: an axis is contracted twice");
        if (a.shape()[x] != b.shape()[y]) {
            throw ShapeError("tensordot: axis " + std::to_string(x) + " of " +
                             shape_str(a.shape()) + " and axis " + std::to_string(y) + " of " +
                             shape_str(b.shape()) + " differ in size");
        }
        ca[x] = cb[y] = true;
        pb.push_back(static_cast<std::int64_t>(y));
    }
    for (std::size_t d = 0; d < a.dim(); ++d)
        if (!ca[d]) free_a.push_back(static_cast<std::int64_t>(d));
    for (std::size_t d = 0; d < b.dim(); ++d)
        if (!cb[d]) free_b.push_back(static_cast<std::int64_t>(d));
    pa = free_a;
    for (std::size_t i = 0; i < axes_a.size(); ++i)
        pa.push_back(
            static_cast<std::int64_t>(kernels::normalize_axis("tensordot", axes_a[i], a.dim())));
    pb.insert(pb.end(), free_b.begin(), free_b.end());
    std::int64_t fa = 1, fb = 1, k = 1;
    std::vector<std::int64_t> dims;
    for (auto d : free_a) {
        fa *= static_cast<std::int64_t>(a.shape()[static_cast<std::size_t>(d)]);
        dims.push_back(static_cast<std::int64_t>(a.shape()[static_cast<std::size_t>(d)]));
    }
    for (auto d : free_b) {
        fb *= static_cast<std::int64_t>(b.shape()[static_cast<std::size_t>(d)]);
        dims.push_back(static_cast<std::int64_t>(b.shape()[static_cast<std::size_t>(d)]));
    }
    for (std::size_t i = 0; i < axes_a.size(); ++i)
        k *= static_cast<std::int64_t>(b.shape()[static_cast<std::size_t>(pb[i])]);
    const Tensor m =
        matmul(reshape(permute(a, Dims(pa)), {fa, k}), reshape(permute(b, Dims(pb)), {k, fb}));
    return reshape(m, Dims(dims));
}

Tensor tensordot(const Tensor& a, const Tensor& b, std::size_t n) {
    if (n > a.dim() || n > b.dim()) {
        throw ValueError("tensordot: cannot contract " + std::to_string(n) + " axes of " +
                         shape_str(a.shape()) + " and " + shape_str(b.shape()));
    }
    std::vector<std::int64_t> xa, xb;
    for (std::size_t i = 0; i < n; ++i) {
        xa.push_back(static_cast<std::int64_t>(a.dim() - n + i));
        xb.push_back(static_cast<std::int64_t>(i));
    }
    return tensordot(a, b, Dims(xa), Dims(xb));
}

Tensor batched_matmul(const Tensor& a, const Tensor& b) {
    kernels::check_same_dtype("batched_matmul", a, b);
    if (a.dim() < 2 || b.dim() < 2) {
        throw ShapeError("batched_matmul: needs operands of rank >= 2, got " +
                         shape_str(a.shape()) + " @ " + shape_str(b.shape()));
    }
    const std::size_t ra = a.dim(), rb = b.dim();
    const std::size_t n = a.shape()[ra - 2], k = a.shape()[ra - 1];
    const std::size_t kb = b.shape()[rb - 2], m = b.shape()[rb - 1];
    if (k != kb) {
        throw ShapeError("batched_matmul: inner dimensions differ in " + shape_str(a.shape()) +
                         " @ " + shape_str(b.shape()) + " (" + std::to_string(k) + " vs " +
                         std::to_string(kb) + ")");
    }
    const Shape ba(a.shape().begin(), a.shape().end() - 2);
    const Shape bb(b.shape().begin(), b.shape().end() - 2);
    Shape batch;
    try {
        batch = kernels::broadcast_shapes("batched_matmul", ba, bb);
    } catch (const ShapeError&) {
        throw ShapeError("batched_matmul: batch axes of " + shape_str(a.shape()) + " @ " +
                         shape_str(b.shape()) + " do not broadcast");
    }
    if (batch.empty()) return matmul(a, b);
    Shape sa = batch, sb = batch;
    sa.insert(sa.end(), {n, k});
    sb.insert(sb.end(), {k, m});
    const std::int64_t nb = product_of(batch, 0, batch.size());
    const auto in = static_cast<std::int64_t>(n), ik = static_cast<std::int64_t>(k),
               im = static_cast<std::int64_t>(m);
    // A batch of a broadcast over b (or b over a) stays 2-D: matmul broadcasts it itself.
    const Tensor a3 = ba.empty() ? a : reshape(broadcast_to(a, sa), {nb, in, ik});
    const Tensor b3 = bb.empty() ? b : reshape(broadcast_to(b, sb), {nb, ik, im});
    std::vector<std::int64_t> dims = as_dims(batch);
    dims.insert(dims.end(), {in, im});
    return reshape(matmul(a3, b3), Dims(dims));
}

Tensor einsum(const std::string& eq, const std::vector<Tensor>& operands) {
    const std::size_t arrow = eq.find("->");
    const std::string lhs = eq.substr(0, arrow);
    std::vector<Labels> ins(1);
    for (char c : lhs) {
        if (c == ',') {
            ins.emplace_back();
        } else if (c == '.') {
            unsupported(eq, "ellipses (...) are not supported; name every axis");
        } else if (c == ' ') {
            continue;
        } else if (!std::isalpha(static_cast<unsigned char>(c))) {
            unsupported(eq, std::string("'") + c + "' is not a letter");
        } else if (ins.back().find(c) != Labels::npos) {
            unsupported(eq, std::string("label '") + c +
                                "' repeats within one operand (diagonals are not supported)");
        } else {
            ins.back() += c;
        }
    }
    if (ins.size() != operands.size()) {
        throw ValueError("einsum: equation \"" + eq + "\" has " + std::to_string(ins.size()) +
                         " operands but " + std::to_string(operands.size()) +
                         " tensors were given");
    }
    // Every label's size, checked across operands.
    std::string all;
    std::vector<std::size_t> sizes;
    for (std::size_t i = 0; i < ins.size(); ++i) {
        kernels::check_same_dtype("einsum", operands[0], operands[i]);
        if (ins[i].size() != operands[i].dim()) {
            throw ShapeError("einsum: equation \"" + eq + "\" gives operand " + std::to_string(i) +
                             " the labels \"" + ins[i] + "\" but it has shape " +
                             shape_str(operands[i].shape()));
        }
        for (std::size_t d = 0; d < ins[i].size(); ++d) {
            const std::size_t at = all.find(ins[i][d]);
            if (at == std::string::npos) {
                all += ins[i][d];
                sizes.push_back(operands[i].shape()[d]);
            } else if (sizes[at] != operands[i].shape()[d]) {
                throw ShapeError("einsum: equation \"" + eq + "\": label '" + ins[i][d] +
                                 "' has size " + std::to_string(sizes[at]) + " and size " +
                                 std::to_string(operands[i].shape()[d]));
            }
        }
    }
    Labels out;
    if (arrow == std::string::npos) {
        for (char c : all) {
            std::size_t count = 0;
            for (const auto& l : ins)
                count += static_cast<std::size_t>(std::count(l.begin(), l.end(), c));
            if (count == 1) out += c;
        }
        std::sort(out.begin(), out.end());
    } else {
        for (char c : eq.substr(arrow + 2)) {
            if (c == ' ') continue;
            if (!std::isalpha(static_cast<unsigned char>(c)))
                unsupported(eq, std::string("'") + c + "' in the output is not a letter");
            if (out.find(c) != Labels::npos)
                unsupported(eq, std::string("output label '") + c + "' repeats");
            if (all.find(c) == std::string::npos)
                unsupported(eq, std::string("output label '") + c + "' is in no input");
            out += c;
        }
    }
    if (operands.size() == 1) {
        Labels l = ins[0];
        const Tensor s = drop_labels(operands[0], l, out);
        return arrange(s, l, out);
    }
    // Pairwise, left to right: keep the labels of the output and of the operands still to come.
    Tensor acc = operands[0];
    Labels la = ins[0];
    for (std::size_t i = 1; i < operands.size(); ++i) {
        Labels keep;
        const Labels& lb = ins[i];
        for (char c : la + lb) {
            bool needed = out.find(c) != Labels::npos;
            for (std::size_t j = i + 1; j < ins.size() && !needed; ++j)
                needed = ins[j].find(c) != Labels::npos;
            if (needed && keep.find(c) == Labels::npos) keep += c;
        }
        if (i + 1 == operands.size()) keep = out;
        acc = contract(acc, la, operands[i], lb, keep);
        la = keep;
    }
    return acc;
}

}  // namespace tg
