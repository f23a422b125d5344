#pragma once
// DataLoader: mini-batches of a Dataset as tensors, shuffled with a seed.
//
//     DataLoader loader(train, DataLoaderOptions().batch_size(64).seed(1).normalize(m, s));
//     for (const Batch& b : loader) { ... b.inputs [64, 1, 28, 28], b.labels ... }
//
// Every pass (every begin()) is one epoch. Epoch e visits the examples in the order of a
// permutation drawn from Generator(seed) after e earlier permutations, so a run is
// reproducible, and set_epoch(e) can resume one. Pixels become (p / 255 - mean) / std.

#include <cstdint>
#include <memory>
#include <vector>

#include "../../autograd/dtype.hpp"
#include "../options.hpp"
#include "dataset.hpp"

namespace tg::nn::data {

struct DataLoaderOptions {
    TG_OPTION(std::size_t, batch_size) = 64;
    TG_OPTION(bool, shuffle) = true;
    TG_OPTION(std::uint64_t, seed) = 0;
    // Leave out the last batch when it would be smaller than batch_size.
    TG_OPTION(bool, drop_last) = false;
    TG_OPTION(DType, dtype) = kFloat32;
    // Subtracted from and divided into pixels scaled to [0, 1].
    TG_OPTION(double, mean) = 0.0;
    TG_OPTION(double, stddev) = 1.0;

  public:
    DataLoaderOptions& normalize(double m, double s) {
        mean_ = m;
        stddev_ = s;
        return *this;
    }
};

struct Batch {
    Tensor inputs;                     // [n, example_shape...]
    std::vector<std::int64_t> labels;  // n labels
    std::vector<std::size_t> indices;  // which examples of the dataset
    std::size_t size() const { return labels.size(); }
};

class DataLoader {
  public:
    DataLoader(std::shared_ptr<const Dataset> dataset, const DataLoaderOptions& options);
    // Convenience: shares a copy of the dataset.
    DataLoader(const Dataset& dataset, const DataLoaderOptions& options);

    std::size_t num_batches() const;
    std::size_t num_examples() const;  // examples per epoch (fewer with drop_last)
    std::size_t epoch() const { return epoch_; }
    void set_epoch(std::size_t e) { epoch_ = e; }
    const Dataset& dataset() const { return *dataset_; }
    const DataLoaderOptions& options() const { return options_; }

    // The example order of epoch e.
    std::vector<std::size_t> order(std::size_t e) const;
    // Batch b of an order.
    Batch make_batch(const std::vector<std::size_t>& order, std::size_t b) const;

    class iterator {
      public:
        iterator(const DataLoader* loader, std::vector<std::size_t> order, std::size_t b);
        const Batch& operator*() const { return batch_; }
        const Batch* operator->() const { return &batch_; }
        iterator& operator++();
        bool operator!=(const iterator& o) const { return b_ != o.b_; }
        bool operator==(const iterator& o) const { return b_ == o.b_; }

      private:
        void load();
        const DataLoader* loader_;
        std::shared_ptr<const std::vector<std::size_t>> order_;
        std::size_t b_;
        Batch batch_;
    };
    // Starts the next epoch.
    iterator begin();
    iterator end() const;

  private:
    std::shared_ptr<const Dataset> dataset_;
    DataLoaderOptions options_;
    std::size_t epoch_ = 0;
};

}  // namespace tg::nn::data
