#pragma once
// Helpers for the distributed tests: a global batch split into per-process rows, and per-process
// results gathered back into whole tensors so that they can be compared with one process's.

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "../helpers.hpp"
#include "distributed/distributed.hpp"

namespace dtest {

using tg::DType;
using tg::Shape;
using tg::Tensor;
namespace dist = tg::distributed;
namespace nn = tg::nn;

inline dist::Communicator world() {
    return dist::Communicator::world();
}

// Rows begin..end-1 of a global batch belong to one process.
struct Rows {
    std::size_t begin, end;
    std::size_t count() const { return end - begin; }
};

// `counts[r]` rows for process r, in rank order.
inline Rows rows_of(const std::vector<std::size_t>& counts, int rank) {
    std::size_t begin = 0;
    for (int r = 0; r < rank; ++r) begin += counts[std::size_t(r)];
    return {begin, begin + counts[std::size_t(rank)]};
}

inline std::vector<std::size_t> even_counts(std::size_t total, int size) {
    std::vector<std::size_t> counts(std::size_t(size), total / std::size_t(size));
    for (std::size_t r = 0; r < total % std::size_t(size); ++r) ++counts[r];
    return counts;
}

inline std::vector<std::int64_t> slice_labels(const std::vector<std::int64_t>& labels, Rows r) {
    return std::vector<std::int64_t>(labels.begin() + std::ptrdiff_t(r.begin),
                                     labels.begin() + std::ptrdiff_t(r.end));
}

// Every process's rows of a global tensor, put back together on every process: zeros elsewhere,
// summed over processes (adding zeros is exact).
inline Tensor gather_rows(const dist::Communicator& comm, const Tensor& local,
                          std::size_t total_rows, Rows rows) {
    Shape shape = local.shape();
    shape[0] = total_rows;
    const std::size_t row = local.numel() / std::max<std::size_t>(local.shape()[0], 1);
    std::vector<double> values(tgtest::numel(shape), 0.0);
    const std::vector<double> mine = local.to_vector();
    std::copy(mine.begin(), mine.end(), values.begin() + std::ptrdiff_t(rows.begin * row));
    Tensor all = tg::from_vector(values, shape, local.dtype());
    comm.all_reduce(all);
    return all;
}

// The sum over processes of a tensor (a gradient contribution of a shared parameter).
inline Tensor summed(const dist::Communicator& comm, const Tensor& local) {
    Tensor copy = local.detach();
    comm.all_reduce(copy);
    return copy;
}

inline double max_abs_diff(const Tensor& a, const Tensor& b) {
    const auto x = a.to_vector(), y = b.to_vector();
    REQUIRE(x.size() == y.size());
    double m = 0;
    for (std::size_t i = 0; i < x.size(); ++i) m = std::max(m, std::abs(x[i] - y[i]));
    return m;
}

inline double max_abs_diff(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
    REQUIRE(a.size() == b.size());
    double m = 0;
    for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, max_abs_diff(a[i], b[i]));
    return m;
}

// A small classifier: 5 inputs, a tanh layer of 8, 3 classes.
inline std::shared_ptr<nn::Sequential> make_mlp(DType dtype, std::uint64_t seed) {
    tg::Generator gen(seed);
    return std::make_shared<nn::Sequential>(
        std::make_shared<nn::Linear>(nn::LinearOptions(5, 8).dtype(dtype), gen),
        std::make_shared<nn::Tanh>(),
        std::make_shared<nn::Linear>(nn::LinearOptions(8, 3).dtype(dtype), gen));
}

// A global batch, the same on every process (same seed).
struct Batch {
    Tensor x;  // [n, 5]
    std::vector<std::int64_t> labels;
};

inline Batch make_batch(std::size_t n, DType dtype, std::uint64_t seed) {
    tg::Generator gen(seed);
    Batch b;
    b.x = tg::randn({n, 5}, gen, dtype);
    for (std::size_t i = 0; i < n; ++i) b.labels.push_back(std::int64_t(gen.below(3)));
    return b;
}

inline Tensor rows(const Tensor& x, Rows r) {
    return tg::slice(x, 0, std::int64_t(r.begin), std::int64_t(r.end)).detach();
}

}  // namespace dtest
