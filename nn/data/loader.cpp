#include "nn/data/loader.hpp"

#include <numeric>

#include "autograd/errors.hpp"
#include "ops/kernels.hpp"
#include "ops/random.hpp"

namespace tg::nn::data {

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, const DataLoaderOptions& options)
    : dataset_(std::move(dataset)), options_(options) {
    if (!dataset_) throw ValueError("DataLoader: null dataset");
    if (options_.batch_size() == 0) throw ValueError("DataLoader: batch_size must be positive");
    if (!(options_.stddev() > 0)) {
        throw ValueError("DataLoader: normalisation stddev " + std::to_string(options_.stddev()) +
                         " must be positive");
    }
}

DataLoader::DataLoader(const Dataset& dataset, const DataLoaderOptions& options)
    : DataLoader(std::make_shared<const Dataset>(dataset), options) {}

std::size_t DataLoader::num_batches() const {
    const std::size_t n = dataset_->size(), b = options_.batch_size();
    return options_.drop_last() ? n / b : (n + b - 1) / b;
}

std::size_t DataLoader::num_examples() const {
    return options_.drop_last() ? num_batches() * options_.batch_size() : dataset_->size();
}

std::vector<std::size_t> DataLoader::order(std::size_t e) const {
    if (!options_.shuffle()) {
        std::vector<std::size_t> identity(dataset_->size());
        std::iota(identity.begin(), identity.end(), std::size_t(0));
        return identity;
    }
    Generator gen(options_.seed());
    for (std::size_t k = 0; k < e; ++k) gen.permutation(dataset_->size());
    return gen.permutation(dataset_->size());
}

Batch DataLoader::make_batch(const std::vector<std::size_t>& order, std::size_t b) const {
    if (b >= num_batches()) {
        throw ValueError("DataLoader: batch " + std::to_string(b) + " of " +
                         std::to_string(num_batches()));
    }
    const std::size_t begin = b * options_.batch_size();
    const std::size_t end = std::min(begin + options_.batch_size(), order.size());
    Batch batch;
    batch.indices.assign(order.begin() + static_cast<std::ptrdiff_t>(begin),
                         order.begin() + static_cast<std::ptrdiff_t>(end));
    Shape shape{batch.indices.size()};
    for (auto d : dataset_->example_shape()) shape.push_back(d);
    const std::size_t per = dataset_->example_numel();
    // (p / 255 - mean) / std = p * scale + shift
    const double scale = 1.0 / (255.0 * options_.stddev());
    const double shift = -options_.mean() / options_.stddev();
    batch.inputs = kernels::dispatch(options_.dtype(), [&](auto tag) {
        using T = decltype(tag);
        auto a = kernels::uninitialized<T>(shape);
        T lut[256];
        for (int p = 0; p < 256; ++p) lut[p] = static_cast<T>(p * scale + shift);
        T* q = a.data();
        for (std::size_t i : batch.indices) {
            const std::uint8_t* px = dataset_->example(i);
            for (std::size_t k = 0; k < per; ++k) *q++ = lut[px[k]];
        }
        return Tensor(std::move(a));
    });
    for (std::size_t i : batch.indices) batch.labels.push_back(dataset_->labels()[i]);
    return batch;
}

DataLoader::iterator::iterator(const DataLoader* loader, std::vector<std::size_t> order,
                               std::size_t b)
    : loader_(loader),
      order_(std::make_shared<const std::vector<std::size_t>>(std::move(order))),
      b_(b) {
    load();
}

void DataLoader::iterator::load() {
    if (loader_ && b_ < loader_->num_batches()) batch_ = loader_->make_batch(*order_, b_);
}

DataLoader::iterator& DataLoader::iterator::operator++() {
    ++b_;
    load();
    return *this;
}

DataLoader::iterator DataLoader::begin() {
    return iterator(this, order(epoch_++), 0);
}

DataLoader::iterator DataLoader::end() const {
    return iterator(nullptr, {}, num_batches());
}

}  // namespace tg::nn::data
