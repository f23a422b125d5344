#include "nn/metrics.hpp"

#include "autograd/errors.hpp"
#include "ops/kernels.hpp"

namespace tg::nn {

std::size_t count_correct(const Tensor& scores, const std::vector<std::int64_t>& labels) {
    if (scores.dim() != 2 || scores.shape()[0] != labels.size() || scores.shape()[1] == 0) {
        throw ShapeError("count_correct: scores " + shape_str(scores.shape()) + " for " +
                         std::to_string(labels.size()) + " labels; expected [" +
                         std::to_string(labels.size()) + ", classes]");
    }
    const std::size_t N = scores.shape()[0], K = scores.shape()[1];
    return kernels::dispatch(scores.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* p = scores.array<T>().data();
        std::size_t correct = 0;
        for (std::size_t i = 0; i < N; ++i) {
            std::size_t best = 0;
            for (std::size_t k = 1; k < K; ++k)
                if (p[i * K + k] > p[i * K + best]) best = k;
            correct += static_cast<std::int64_t>(best) == labels[i];
        }
        return correct;
    });
}

double accuracy(const Tensor& scores, const std::vector<std::int64_t>& labels) {
    if (labels.empty()) throw ValueError("accuracy: no labels");
    return static_cast<double>(count_correct(scores, labels)) / static_cast<double>(labels.size());
}

}  // namespace tg::nn
