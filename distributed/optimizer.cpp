#include "distributed/optimizer.hpp"

#include <string>

#include "ops/creation.hpp"
#include "optim/first_order.hpp"
#include "optim/flat.hpp"

namespace tg::distributed {

namespace {

double share_of(const Communicator& comm, std::size_t local_examples, const char* who) {
    const auto total = comm.all_reduce(static_cast<std::int64_t>(local_examples));
    if (total <= 0) {
        throw ValueError(std::string(who) +
                         ": no process has any examples (local_examples is 0 "
                         "on all " +
                         std::to_string(comm.size()) + ")");
    }
    return static_cast<double>(local_examples) / static_cast<double>(total);
}

}  // namespace

optim::Reduction data_parallel_reduction(const Communicator& comm, std::size_t local_examples) {
    const double weight = share_of(comm, local_examples, "data_parallel_reduction");
    return [comm, weight](optim::FlatVector& values) {
        for (double& v : values) v *= weight;
        comm.all_reduce(values.data(), values.size());
    };
}

void make_data_parallel(optim::Optimizer& optimizer, const Communicator& comm,
                        std::size_t local_examples) {
    if (dynamic_cast<optim::FirstOrderOptimizer*>(&optimizer) != nullptr) {
        throw ValueError("make_data_parallel: " + optimizer.name() +
                         " reads the gradients from .grad() as they are; average them with "
                         "distributed::GradientReducer after backward(), or pass its step() a "
                         "distributed::data_parallel_closure");
    }
    optimizer.set_reduction(data_parallel_reduction(comm, local_examples));
}

optim::Closure data_parallel_closure(const Communicator& comm, std::vector<Tensor> params,
                                     optim::Closure closure, std::size_t local_examples) {
    if (!closure) throw ValueError("data_parallel_closure: the closure is empty");
    auto reduce = data_parallel_reduction(comm, local_examples);
    return [params = std::move(params), closure = std::move(closure),
            reduce = std::move(reduce)]() -> Tensor {
        const Tensor loss = closure();
        if (!loss.defined() || loss.numel() != 1) {
            throw ValueError("data_parallel_closure: the closure must return the (scalar) loss");
        }
        optim::FlatVector values = optim::gather_grads(params);
        values.push_back(loss.item());
        reduce(values);
        const double total = values.back();
        values.pop_back();
        optim::scatter_grads(values, params);
        return scalar_tensor(total, kFloat64);
    };
}

}  // namespace tg::distributed
