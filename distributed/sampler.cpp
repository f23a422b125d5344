#include "distributed/sampler.hpp"

#include <numeric>
#include <string>

#include "autograd/errors.hpp"
#include "ops/random.hpp"

namespace tg::distributed {

DistributedSampler::DistributedSampler(std::size_t dataset_size, int rank, int world_size,
                                       const DistributedSamplerOptions& options)
    : dataset_size_(dataset_size), rank_(rank), world_size_(world_size), options_(options) {
    if (world_size < 1) {
        throw ValueError("DistributedSampler: world_size must be positive, got " +
                         std::to_string(world_size));
    }
    if (rank < 0 || rank >= world_size) {
        throw ValueError("DistributedSampler: rank " + std::to_string(rank) + " is outside [0, " +
                         std::to_string(world_size) + ")");
    }
    if (dataset_size == 0) throw ValueError("DistributedSampler: the dataset is empty");
    if (options.remainder() == Remainder::drop && dataset_size < std::size_t(world_size)) {
        throw ValueError("DistributedSampler: " + std::to_string(dataset_size) +
                         " examples cannot be dropped down to an equal share for " +
                         std::to_string(world_size) + " processes; use Remainder::pad");
    }
}

DistributedSampler::DistributedSampler(std::size_t dataset_size, const Communicator& comm,
                                       const DistributedSamplerOptions& options)
    : DistributedSampler(dataset_size, comm.rank(), comm.size(), options) {}

std::size_t DistributedSampler::total_size() const {
    const std::size_t n = dataset_size_, p = std::size_t(world_size_);
    switch (options_.remainder()) {
        case Remainder::pad:
            return (n + p - 1) / p * p;
        case Remainder::drop:
            return n / p * p;
        case Remainder::uneven:
            return n;
    }
    return n;
}

std::size_t DistributedSampler::num_samples() const {
    const std::size_t total = total_size(), p = std::size_t(world_size_);
    const std::size_t r = std::size_t(rank_);
    return total / p + (r < total % p ? 1 : 0);
}

std::vector<std::size_t> DistributedSampler::indices(std::size_t epoch) const {
    // The same permutation as DataLoader::order(epoch) with this seed.
    std::vector<std::size_t> order;
    if (options_.shuffle()) {
        Generator gen(options_.seed());
        for (std::size_t k = 0; k < epoch; ++k) gen.permutation(dataset_size_);
        order = gen.permutation(dataset_size_);
    } else {
        order.resize(dataset_size_);
        std::iota(order.begin(), order.end(), std::size_t(0));
    }
    const std::size_t total = total_size();
    for (std::size_t k = 0; order.size() < total; ++k) order.push_back(order[k % dataset_size_]);
    order.resize(total);
    std::vector<std::size_t> mine;
    mine.reserve(num_samples());
    for (std::size_t k = std::size_t(rank_); k < total; k += std::size_t(world_size_))
        mine.push_back(order[k]);
    return mine;
}

ShardedDataLoader::ShardedDataLoader(std::shared_ptr<const nn::data::Dataset> dataset,
                                     const nn::data::DataLoaderOptions& options, int rank,
                                     int world_size, Remainder remainder)
    : loader_(std::move(dataset), options),
      sampler_(loader_.dataset().size(), rank, world_size,
               DistributedSamplerOptions()
                   .shuffle(options.shuffle())
                   .seed(options.seed())
                   .remainder(remainder)) {}

ShardedDataLoader::ShardedDataLoader(const nn::data::Dataset& dataset,
                                     const nn::data::DataLoaderOptions& options,
                                     const Communicator& comm, Remainder remainder)
    : ShardedDataLoader(std::make_shared<const nn::data::Dataset>(dataset), options, comm.rank(),
                        comm.size(), remainder) {}

std::size_t ShardedDataLoader::num_batches() const {
    const std::size_t n = sampler_.num_samples(), b = loader_.options().batch_size();
    return loader_.options().drop_last() ? n / b : (n + b - 1) / b;
}

std::size_t ShardedDataLoader::num_examples() const {
    return loader_.options().drop_last() ? num_batches() * loader_.options().batch_size()
                                         : sampler_.num_samples();
}

ShardedDataLoader::iterator::iterator(const ShardedDataLoader* loader,
                                      std::vector<std::size_t> order, std::size_t b)
    : loader_(loader),
      order_(std::make_shared<const std::vector<std::size_t>>(std::move(order))),
      b_(b) {
    load();
}

void ShardedDataLoader::iterator::load() {
    // make_batch(order, b) takes examples b*batch .. of `order`, here the shard's.
    if (loader_ && b_ < loader_->num_batches()) batch_ = loader_->loader_.make_batch(*order_, b_);
}

ShardedDataLoader::iterator& ShardedDataLoader::iterator::operator++() {
    ++b_;
    load();
    return *this;
}

ShardedDataLoader::iterator ShardedDataLoader::begin() {
    return iterator(this, sampler_.indices(epoch_++), 0);
}

ShardedDataLoader::iterator ShardedDataLoader::end() const {
    return iterator(nullptr, {}, num_batches());
}

}  // namespace tg::distributed
