// Sharding a dataset by rank. These tests simulate every rank of a job in one process (the
// sampler needs only a rank and a size), so they check what the processes of a real job would
// get together.

#include <numeric>
#include <set>

#include "dist_helpers.hpp"

using namespace dtest;
using dist::DistributedSampler;
using dist::DistributedSamplerOptions;
using dist::Remainder;

namespace {

std::vector<std::vector<std::size_t>> shards(std::size_t n, int world, Remainder rem,
                                             std::size_t epoch, std::uint64_t seed = 7) {
    std::vector<std::vector<std::size_t>> out;
    for (int r = 0; r < world; ++r) {
        DistributedSampler s(n, r, world, DistributedSamplerOptions().seed(seed).remainder(rem));
        out.push_back(s.indices(epoch));
        CHECK(out.back().size() == s.num_samples());
    }
    return out;
}

// A dataset of n 2x2 "images" whose pixels all equal the example's index (n <= 256).
tg::nn::data::Dataset numbered(std::size_t n) {
    std::vector<std::uint8_t> pixels;
    std::vector<std::int64_t> labels;
    for (std::size_t i = 0; i < n; ++i) {
        for (int k = 0; k < 4; ++k) pixels.push_back(std::uint8_t(i));
        labels.push_back(std::int64_t(i % 3));
    }
    return tg::nn::data::Dataset(pixels, {2, 2}, labels, 3);
}

}  // namespace

TEST_CASE("DistributedSampler: disjoint shards that cover the dataset", "[sampler]") {
    const std::size_t n = 10;
    SECTION("pad: equal shards, the first examples of the order repeated") {
        const auto s = shards(n, 3, Remainder::pad, 0);
        std::multiset<std::size_t> all;
        for (const auto& shard : s) {
            CHECK(shard.size() == 4);
            all.insert(shard.begin(), shard.end());
        }
        CHECK(all.size() == 12);
        for (std::size_t i = 0; i < n; ++i) CHECK(all.count(i) >= 1);
        // The two extra slots repeat positions 0 and 1 of the epoch's order.
        const auto order =
            DistributedSampler(n, 0, 1, DistributedSamplerOptions().seed(7)).indices(0);
        CHECK(all.count(order[0]) == 2);
        CHECK(all.count(order[1]) == 2);
    }
    SECTION("drop: equal shards, the tail left out") {
        const auto s = shards(n, 3, Remainder::drop, 0);
        std::set<std::size_t> all;
        for (const auto& shard : s) {
            CHECK(shard.size() == 3);
            all.insert(shard.begin(), shard.end());
        }
        CHECK(all.size() == 9);
    }
    SECTION("uneven: every example exactly once") {
        const auto s = shards(n, 3, Remainder::uneven, 0);
        CHECK(s[0].size() == 4);
        CHECK(s[1].size() == 3);
        CHECK(s[2].size() == 3);
        std::set<std::size_t> all;
        for (const auto& shard : s) all.insert(shard.begin(), shard.end());
        CHECK(all.size() == n);
    }
    SECTION("a new epoch reshuffles across the shards; the same epoch repeats") {
        CHECK(shards(n, 2, Remainder::pad, 1) != shards(n, 2, Remainder::pad, 0));
        CHECK(shards(n, 2, Remainder::pad, 1) == shards(n, 2, Remainder::pad, 1));
        CHECK(shards(n, 2, Remainder::pad, 0, 8) != shards(n, 2, Remainder::pad, 0, 7));
    }
    SECTION("no shuffle: rank r takes r, r + size, ...") {
        DistributedSampler s(n, 1, 3, DistributedSamplerOptions().shuffle(false));
        CHECK(s.indices(5) == std::vector<std::size_t>{1, 4, 7, 0});  // padded with 0
    }
}

TEST_CASE("DistributedSampler on one process is the DataLoader's order", "[sampler]") {
    const auto data = numbered(50);
    tg::nn::data::DataLoader loader(data, tg::nn::data::DataLoaderOptions().seed(3));
    DistributedSampler sampler(50, 0, 1, DistributedSamplerOptions().seed(3));
    for (std::size_t e = 0; e < 3; ++e) CHECK(sampler.indices(e) == loader.order(e));
}

TEST_CASE(
    "ShardedDataLoader: the processes' batches k together are batch k of one process "
    "with the global batch size",
    "[sampler]") {
    const auto data = std::make_shared<const tg::nn::data::Dataset>(numbered(60));
    const int world = 3;
    const auto opts = tg::nn::data::DataLoaderOptions().seed(5).dtype(tg::kFloat64);
    tg::nn::data::DataLoader single(data, tg::nn::data::DataLoaderOptions(opts).batch_size(12));
    std::vector<dist::ShardedDataLoader> loaders;
    for (int r = 0; r < world; ++r)
        loaders.emplace_back(data, tg::nn::data::DataLoaderOptions(opts).batch_size(4), r, world);
    for (int epoch = 0; epoch < 2; ++epoch) {
        std::vector<std::vector<tg::nn::data::Batch>> per_rank(world);
        for (int r = 0; r < world; ++r) {
            CHECK(loaders[std::size_t(r)].num_batches() == 5);
            for (const auto& b : loaders[std::size_t(r)]) per_rank[std::size_t(r)].push_back(b);
        }
        std::size_t k = 0;
        for (const auto& b : single) {
            std::multiset<std::size_t> want(b.indices.begin(), b.indices.end()), got;
            for (int r = 0; r < world; ++r) {
                const auto& rb = per_rank[std::size_t(r)].at(k);
                got.insert(rb.indices.begin(), rb.indices.end());
                // The inputs are the examples' pixels, scaled to [0, 1].
                const auto px = rb.inputs.to_vector();
                for (std::size_t i = 0; i < rb.size(); ++i)
                    CHECK(std::abs(px[4 * i] - double(rb.indices[i]) / 255.0) <= 1e-12);
            }
            CHECK(got == want);
            ++k;
        }
        CHECK(k == 5);
    }
}

TEST_CASE("DistributedSampler: bad arguments", "[sampler]") {
    tgtest::require_throws<tg::ValueError>([] { DistributedSampler(10, 3, 3); }, {"rank 3"});
    tgtest::require_throws<tg::ValueError>([] { DistributedSampler(10, 0, 0); }, {"world_size"});
    tgtest::require_throws<tg::ValueError>([] { DistributedSampler(0, 0, 1); }, {"empty"});
    tgtest::require_throws<tg::ValueError>(
        [] { DistributedSampler(2, 0, 3, DistributedSamplerOptions().remainder(Remainder::drop)); },
        {"pad"});
}
