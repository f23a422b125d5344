#include "distributed/broadcast.hpp"

#include <cstring>
#include <string>

#include "autograd/grad_mode.hpp"
#include "distributed/flat_buffer.hpp"
#include "ops/kernels.hpp"

namespace tg::distributed {

namespace {

// FNV-1a over bytes.
std::uint64_t fnv1a(std::uint64_t h, const void* data, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < n; ++i) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

constexpr std::uint64_t kFnvOffset = 14695981039346656037ull;

// The layout of a tensor list: count, then each dtype and shape.
std::uint64_t layout_hash(const std::vector<Tensor>& tensors) {
    std::uint64_t h = kFnvOffset;
    const std::uint64_t count = tensors.size();
    h = fnv1a(h, &count, sizeof count);
    for (const Tensor& t : tensors) {
        const std::uint64_t kind = t.dtype() == DType::f32 ? 0 : 1;
        h = fnv1a(h, &kind, sizeof kind);
        const std::uint64_t rank = t.dim();
        h = fnv1a(h, &rank, sizeof rank);
        for (std::size_t d : t.shape()) {
            const std::uint64_t v = d;
            h = fnv1a(h, &v, sizeof v);
        }
    }
    return h;
}

std::uint64_t value_hash(const std::vector<Tensor>& tensors) {
    std::uint64_t h = layout_hash(tensors);
    for (const Tensor& t : tensors) {
        kernels::dispatch(t.dtype(), [&](auto tag) {
            using T = decltype(tag);
            h = fnv1a(h, t.array<T>().data(), t.numel() * sizeof(T));
        });
    }
    return h;
}

// Every process learns whether its layout matches root's; all throw if any does not.
void agree_on_layout(const Communicator& comm, const std::vector<Tensor>& tensors, int root,
                     const char* what) {
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        if (!tensors[i].defined()) {
            throw ValueError(std::string(what) + ": tensor " + std::to_string(i) + " is undefined");
        }
    }
    const std::uint64_t mine = layout_hash(tensors);
    std::int64_t root_hash = static_cast<std::int64_t>(mine);
    comm.broadcast(&root_hash, 1, root);
    const std::int64_t differ =
        comm.all_reduce(std::int64_t(static_cast<std::uint64_t>(root_hash) != mine));
    if (differ > 0) {
        throw ShapeError(std::string(what) + ": the tensors of " + std::to_string(differ) + " of " +
                         std::to_string(comm.size()) + " processes differ from rank " +
                         std::to_string(root) +
                         "'s in number, shape or dtype (this process, rank " +
                         std::to_string(comm.rank()) + ", has " + std::to_string(tensors.size()) +
                         " tensors); every process must build the same model");
    }
}

}  // namespace

void check_same_layout(const Communicator& comm, const std::vector<Tensor>& tensors,
                       const char* what) {
    agree_on_layout(comm, tensors, 0, what);
}

void broadcast_tensors(const Communicator& comm, const std::vector<Tensor>& tensors, int root) {
    if (root < 0 || root >= comm.size()) {
        throw ValueError("broadcast_tensors: root " + std::to_string(root) + " is not a rank of " +
                         std::to_string(comm.size()) + " processes");
    }
    agree_on_layout(comm, tensors, root, "broadcast_tensors");
    NoGradGuard no_grad;
    for (DType dtype : {DType::f32, DType::f64}) {
        kernels::dispatch(dtype, [&](auto tag) {
            using T = decltype(tag);
            std::vector<Tensor> group;
            for (const Tensor& t : tensors)
                if (t.dtype() == dtype) group.push_back(t);
            if (group.empty()) return;
            std::vector<T> flat = detail::gather<T>(group);
            comm.broadcast(flat.data(), flat.size(), root);
            detail::scatter<T>(flat.data(), group);
        });
    }
}

void broadcast_module(const Communicator& comm, const nn::Module& module, int root) {
    std::vector<Tensor> all = module.parameters();
    for (const Tensor& b : module.buffers()) all.push_back(b);
    broadcast_tensors(comm, all, root);
}

void average_buffers(const Communicator& comm, const nn::Module& module) {
    const std::vector<Tensor> buffers = module.buffers();
    agree_on_layout(comm, buffers, 0, "average_buffers");
    NoGradGuard no_grad;
    const double scale = 1.0 / comm.size();
    for (DType dtype : {DType::f32, DType::f64}) {
        kernels::dispatch(dtype, [&](auto tag) {
            using T = decltype(tag);
            std::vector<Tensor> group;
            for (const Tensor& t : buffers)
                if (t.dtype() == dtype) group.push_back(t);
            if (group.empty()) return;
            std::vector<T> flat = detail::gather<T>(group);
            comm.all_reduce(flat.data(), flat.size());
            for (T& v : flat) v = static_cast<T>(v * scale);
            detail::scatter<T>(flat.data(), group);
        });
    }
}

bool replicas_identical(const Communicator& comm, const std::vector<Tensor>& tensors) {
    const std::uint64_t mine = value_hash(tensors);
    std::int64_t root_hash = static_cast<std::int64_t>(mine);
    comm.broadcast(&root_hash, 1, 0);
    const std::int64_t differ =
        comm.all_reduce(std::int64_t(static_cast<std::uint64_t>(root_hash) != mine));
    return differ == 0;
}

}  // namespace tg::distributed
