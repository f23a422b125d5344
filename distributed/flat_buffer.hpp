#pragma once
// Internal to distributed/ (not installed): tensors of one element type laid end to end in one
// contiguous buffer, so that a single message carries them all.

#include <algorithm>
#include <vector>

#include "../autograd/tensor.hpp"

namespace tg::distributed::detail {

template <class T>
std::vector<T> gather(const std::vector<Tensor>& tensors) {
    std::size_t n = 0;
    for (const Tensor& t : tensors) n += t.numel();
    std::vector<T> flat(n);
    T* q = flat.data();
    for (const Tensor& t : tensors) {
        const auto& a = t.array<T>();
        q = std::copy(a.data(), a.data() + a.size(), q);
    }
    return flat;
}

// Writes consecutive pieces of `flat` into the tensors, in place (leaves, under no-grad).
template <class T>
void scatter(const T* flat, const std::vector<Tensor>& tensors) {
    for (Tensor t : tensors) {
        auto& a = t.mutable_array<T>();
        std::copy(flat, flat + a.size(), a.data());
        flat += a.size();
    }
}

}  // namespace tg::distributed::detail
