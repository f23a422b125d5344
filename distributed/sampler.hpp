#pragma once
// Sharding a dataset by rank, as PyTorch's DistributedSampler does. Every process draws the same
// permutation of the whole dataset from a shared seed (the very order a DataLoader with that
// seed visits in that epoch), and process r takes positions r, r + size, r + 2 size, ... of it.
// So in every epoch the shards are disjoint and together cover the dataset, and a new epoch
// shuffles across the shards.
//
// When the dataset does not divide evenly, the tail is handled by `remainder`:
//   pad (default): the order is extended with its own first elements until it divides, so
//                  that every process gets the same number of examples (a few appear twice);
//   drop:          the last examples of the order are left out of this epoch;
//   uneven:        neither: shards differ in size by at most one (for evaluation, where every
//                  example should count exactly once).
//
// With a global batch of B = size * b and equal shards, batch k of process r holds positions
// kB + r, kB + r + size, ... of the epoch's order: the processes' batches k together are
// exactly the examples of batch k of a single process with batch size B.
//
//     ShardedDataLoader loader(train, DataLoaderOptions().batch_size(32).seed(1), comm);
//     for (const auto& batch : loader) { ... }   // this process's 32 examples per step

#include <cstdint>
#include <memory>
#include <vector>

#include "../nn/data/loader.hpp"
#include "../nn/options.hpp"
#include "communicator.hpp"

namespace tg::distributed {

enum class Remainder { pad, drop, uneven };

struct DistributedSamplerOptions {
    TG_OPTION(bool, shuffle) = true;
    TG_OPTION(std::uint64_t, seed) = 0;  // the same on every process
    TG_OPTION(Remainder, remainder) = Remainder::pad;
};

class DistributedSampler {
  public:
    DistributedSampler(std::size_t dataset_size, int rank, int world_size,
                       const DistributedSamplerOptions& options = DistributedSamplerOptions());
    DistributedSampler(std::size_t dataset_size, const Communicator& comm,
                       const DistributedSamplerOptions& options = DistributedSamplerOptions());

    // This process's example indices in epoch e, in the order to visit them.
    std::vector<std::size_t> indices(std::size_t epoch) const;
    // How many that is (the same in every epoch).
    std::size_t num_samples() const;
    // Examples all processes visit together per epoch.
    std::size_t total_size() const;

    int rank() const { return rank_; }
    int world_size() const { return world_size_; }
    std::size_t dataset_size() const { return dataset_size_; }
    const DistributedSamplerOptions& options() const { return options_; }

  private:
    std::size_t dataset_size_;
    int rank_, world_size_;
    DistributedSamplerOptions options_;
};

// A DataLoader over this process's shard: batches of options.batch_size() examples (the
// per-process batch) from DistributedSampler::indices(epoch), normalised and typed as options
// say. The options' seed and shuffle flag drive the sampler; each pass (each begin()) is one
// epoch, as with DataLoader.
class ShardedDataLoader {
  public:
    ShardedDataLoader(std::shared_ptr<const nn::data::Dataset> dataset,
                      const nn::data::DataLoaderOptions& options, int rank, int world_size,
                      Remainder remainder = Remainder::pad);
    ShardedDataLoader(const nn::data::Dataset& dataset, const nn::data::DataLoaderOptions& options,
                      const Communicator& comm, Remainder remainder = Remainder::pad);

    std::size_t num_batches() const;
    std::size_t num_examples() const;  // this process's examples per epoch
    std::size_t epoch() const { return epoch_; }
    void set_epoch(std::size_t e) { epoch_ = e; }
    const DistributedSampler& sampler() const { return sampler_; }
    const nn::data::DataLoaderOptions& options() const { return loader_.options(); }

    class iterator {
      public:
        iterator(const ShardedDataLoader* loader, std::vector<std::size_t> order, std::size_t b);
        const nn::data::Batch& operator*() const { return batch_; }
        const nn::data::Batch* operator->() const { return &batch_; }
        iterator& operator++();
        bool operator!=(const iterator& o) const { return b_ != o.b_; }
        bool operator==(const iterator& o) const { return b_ == o.b_; }

      private:
        void load();
        const ShardedDataLoader* loader_;
        std::shared_ptr<const std::vector<std::size_t>> order_;
        std::size_t b_;
        nn::data::Batch batch_;
    };
    iterator begin();  // starts the next epoch
    iterator end() const;

  private:
    nn::data::DataLoader loader_;  // only its make_batch(): the shard's order comes from sampler_
    DistributedSampler sampler_;
    std::size_t epoch_ = 0;
};

}  // namespace tg::distributed
