#include "distributed/gradient_reducer.hpp"

#include <algorithm>
#include <chrono>
#include <climits>
#include <string>
#include <type_traits>

#include "autograd/grad_mode.hpp"
#include "distributed/broadcast.hpp"
#include "distributed/mpi_utils.hpp"
#include "ops/kernels.hpp"

namespace tg::distributed {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct Bucket {
    DType dtype = DType::f32;
    std::vector<std::size_t> params;  // indices into the parameter list
    std::vector<std::size_t> offsets;
    std::size_t elements = 0;
    std::vector<float> f32;
    std::vector<double> f64;
    // Per synchronisation:
    std::size_t pending = 0;  // parameters not yet copied in
    bool started = false;
    MPI_Request request = MPI_REQUEST_NULL;

    template <class T>
    T* data() {
        if constexpr (std::is_same_v<T, float>)
            return f32.data();
        else
            return f64.data();
    }
};

}  // namespace

struct GradientReducer::State {
    Communicator comm;
    GradientReducerOptions options;
    std::vector<Tensor> params;
    std::vector<std::size_t> bucket_of;  // per parameter
    std::vector<std::size_t> slot_of;    // position within its bucket
    std::vector<Bucket> buckets;
    std::vector<char> ready;
    std::size_t next_start = 0;  // buckets start strictly in order
    bool enabled = true;
    ReducerStats stats;

    State(const Communicator& c, const GradientReducerOptions& o) : comm(c), options(o) {}

    std::string name_of(std::size_t i) const {
        const std::string& n = params[i].name();
        return n.empty() ? "parameter " + std::to_string(i) : "'" + n + "'";
    }

    void reset_round() {
        std::fill(ready.begin(), ready.end(), 0);
        for (Bucket& b : buckets) {
            b.pending = b.params.size();
            b.started = false;
            b.request = MPI_REQUEST_NULL;
        }
        next_start = 0;
    }

    // Copies parameter i's gradient-to-be (its .grad() plus `g`, if given) into its bucket.
    void fill(std::size_t i, const Tensor* g) {
        Bucket& b = buckets[bucket_of[i]];
        const std::size_t offset = b.offsets[slot_of[i]];
        const Tensor& old = params[i].grad();
        kernels::dispatch(b.dtype, [&](auto tag) {
            using T = decltype(tag);
            T* dst = b.data<T>() + offset;
            const std::size_t n = params[i].numel();
            const T* p = old.defined() ? old.array<T>().data() : nullptr;
            const T* q = g ? g->array<T>().data() : nullptr;
            if (p && q) {
                for (std::size_t k = 0; k < n; ++k) dst[k] = p[k] + q[k];
            } else if (p || q) {
                std::copy(p ? p : q, (p ? p : q) + n, dst);
            } else {
                std::fill(dst, dst + n, T(0));
            }
        });
        ready[i] = 1;
        --b.pending;
    }

    void start(Bucket& b) {
        kernels::dispatch(b.dtype, [&](auto tag) {
            using T = decltype(tag);
            detail::check(
                MPI_Iallreduce(MPI_IN_PLACE, b.data<T>(), static_cast<int>(b.elements),
                               detail::mpi_type<T>(), MPI_SUM, detail::to_mpi(comm), &b.request),
                "MPI_Iallreduce");
        });
        b.started = true;
    }

    // Starts the complete buckets that are next in line.
    void start_ready(bool in_backward) {
        while (next_start < buckets.size() && buckets[next_start].pending == 0) {
            start(buckets[next_start++]);
            ++(in_backward ? stats.started_in_backward : stats.started_in_synchronize);
        }
    }

    // MPI_Test on the started all-reduces: Open MPI advances them only inside MPI calls.
    void progress() {
        for (std::size_t k = 0; k < next_start; ++k) {
            if (buckets[k].request == MPI_REQUEST_NULL) continue;
            int done = 0;
            detail::check(MPI_Test(&buckets[k].request, &done, MPI_STATUS_IGNORE), "MPI_Test");
        }
    }

    void on_gradient(std::size_t i, const Tensor& g) {
        if (!enabled) return;
        const auto t0 = Clock::now();
        if (ready[i]) {
            throw GraphError(
                "GradientReducer: parameter " + name_of(i) + " " + shape_str(params[i].shape()) +
                " received a second gradient before synchronize(); call synchronize() after "
                "every backward pass, switch the reducer off (set_enabled(false)) for backward "
                "passes whose gradients should accumulate locally, and while differentiating the "
                "parameters in other ways");
        }
        fill(i, &g);
        if (buckets[bucket_of[i]].pending == 0) start_ready(true);
        progress();
        stats.hook_seconds += seconds_since(t0);
    }

    // Writes bucket b's (averaged) values into its parameters' .grad().
    void write_back(Bucket& b) {
        const double scale = options.average() ? 1.0 / comm.size() : 1.0;
        kernels::dispatch(b.dtype, [&](auto tag) {
            using T = decltype(tag);
            T* values = b.data<T>();
            if (scale != 1.0) {
                const T s = static_cast<T>(scale);
                for (std::size_t k = 0; k < b.elements; ++k) values[k] *= s;
            }
            for (std::size_t j = 0; j < b.params.size(); ++j) {
                Tensor& p = params[b.params[j]];
                const T* src = values + b.offsets[j];
                const Tensor& g = p.grad();
                // In place when only the parameter sees the gradient's buffer (a gradient can be
                // shared: add's backward hands the same tensor to both inputs).
                if (g.defined() && g.is_leaf() && g.impl()->refs.load() == 1 &&
                    g.shape() == p.shape()) {
                    Tensor writable = g;
                    std::copy(src, src + p.numel(), writable.mutable_array<T>().data());
                } else {
                    auto a = kernels::uninitialized<T>(p.shape());
                    std::copy(src, src + p.numel(), a.data());
                    p.set_grad(Tensor(std::move(a)));
                }
            }
        });
    }
};

GradientReducer::GradientReducer(const Communicator& comm, std::vector<Tensor> params,
                                 const GradientReducerOptions& options)
    : state_(std::make_shared<State>(comm, options)) {
    State& s = *state_;
    if (!(options.bucket_cap_mb() > 0 && options.bucket_cap_mb() <= 1024)) {
        throw ValueError("GradientReducer: bucket_cap_mb must lie in (0, 1024], got " +
                         std::to_string(options.bucket_cap_mb()));
    }
    if (params.empty()) throw ValueError("GradientReducer: the parameter list is empty");
    for (std::size_t i = 0; i < params.size(); ++i) {
        const Tensor& p = params[i];
        if (!p.defined()) {
            throw ValueError("GradientReducer: parameter " + std::to_string(i) + " is undefined");
        }
        if (!p.is_leaf() || !p.requires_grad()) {
            throw ValueError("GradientReducer: parameter " + std::to_string(i) + " " +
                             shape_str(p.shape()) + " must be a leaf that requires grad");
        }
        if (p.numel() > std::size_t(INT_MAX)) {
            throw ValueError("GradientReducer: parameter " + std::to_string(i) + " has " +
                             std::to_string(p.numel()) + " elements, more than one MPI message " +
                             "can carry");
        }
        for (std::size_t j = 0; j < i; ++j) {
            if (params[j].same(p)) {
                throw ValueError("GradientReducer: parameters " + std::to_string(j) + " and " +
                                 std::to_string(i) + " are the same tensor");
            }
        }
    }
    // Every process must reduce the same buckets.
    check_same_layout(comm, params, "GradientReducer");
    s.params = std::move(params);
    const std::size_t n = s.params.size();
    s.bucket_of.assign(n, 0);
    s.slot_of.assign(n, 0);
    s.ready.assign(n, 0);
    const double cap_bytes = options.bucket_cap_mb() * 1024.0 * 1024.0;
    for (std::size_t k = n; k-- > 0;) {  // reverse order: backward reaches the last layers first
        const Tensor& p = s.params[k];
        const std::size_t bytes_each = p.dtype() == DType::f32 ? sizeof(float) : sizeof(double);
        const bool fits = !s.buckets.empty() && s.buckets.back().dtype == p.dtype() &&
                          double((s.buckets.back().elements + p.numel()) * bytes_each) <= cap_bytes;
        if (!fits) {
            s.buckets.emplace_back();
            s.buckets.back().dtype = p.dtype();
        }
        Bucket& b = s.buckets.back();
        s.bucket_of[k] = s.buckets.size() - 1;
        s.slot_of[k] = b.params.size();
        b.params.push_back(k);
        b.offsets.push_back(b.elements);
        b.elements += p.numel();
    }
    for (Bucket& b : s.buckets) {
        if (b.elements > std::size_t(INT_MAX)) {
            throw ValueError("GradientReducer: a bucket of " + std::to_string(b.elements) +
                             " elements is too large for one MPI message; lower bucket_cap_mb");
        }
        if (b.dtype == DType::f32)
            b.f32.resize(b.elements);
        else
            b.f64.resize(b.elements);
    }
    s.reset_round();
    if (options.overlap()) {
        const std::weak_ptr<State> weak = state_;
        for (std::size_t i = 0; i < n; ++i) {
            s.params[i].register_hook([weak, i](const Tensor& g) {
                if (auto state = weak.lock()) state->on_gradient(i, g);
                return Tensor();  // the gradient itself is left as it is
            });
        }
    }
}

GradientReducer::GradientReducer(const Communicator& comm, const nn::Module& module,
                                 const GradientReducerOptions& options)
    : GradientReducer(comm, module.parameters(), options) {}

GradientReducer::~GradientReducer() {
    // Never leave an all-reduce running on buffers that are about to be freed.
    int initialized = 0, finalized = 0;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    if (!state_ || !initialized || finalized) return;
    for (Bucket& b : state_->buckets) {
        if (b.request != MPI_REQUEST_NULL) MPI_Wait(&b.request, MPI_STATUS_IGNORE);
    }
}

void GradientReducer::synchronize() {
    State& s = *state_;
    const auto t0 = Clock::now();
    {
        NoGradGuard no_grad;
        // Parameters this backward did not reach (or all of them, without hooks).
        for (std::size_t i = 0; i < s.params.size(); ++i) {
            if (!s.ready[i]) s.fill(i, nullptr);
        }
        s.start_ready(false);
        for (Bucket& b : s.buckets) {
            detail::check(MPI_Wait(&b.request, MPI_STATUS_IGNORE), "MPI_Wait");
            s.write_back(b);
        }
    }
    s.reset_round();
    ++s.stats.synchronizations;
    s.stats.synchronize_seconds += seconds_since(t0);
}

void GradientReducer::set_enabled(bool on) {
    state_->enabled = on;
}

bool GradientReducer::enabled() const {
    return state_->enabled;
}

const Communicator& GradientReducer::communicator() const {
    return state_->comm;
}

const GradientReducerOptions& GradientReducer::options() const {
    return state_->options;
}

std::vector<std::size_t> GradientReducer::bucket_sizes() const {
    std::vector<std::size_t> sizes;
    for (const Bucket& b : state_->buckets) sizes.push_back(b.elements);
    return sizes;
}

const ReducerStats& GradientReducer::stats() const {
    return state_->stats;
}

void GradientReducer::reset_stats() {
    state_->stats = ReducerStats{};
}

}  // namespace tg::distributed
