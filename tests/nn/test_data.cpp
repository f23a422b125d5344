// IDX reading on the real Fashion-MNIST and MNIST test sets and on broken files, datasets and
// the loader's seeded shuffling, batching and normalisation.

#include <zlib.h>

#include <algorithm>
#include <numeric>
#include <set>

#include "nn_helpers.hpp"

using namespace tgtest;
using namespace tg;
using namespace tg::nn::data;

namespace {

// An IDX file built byte by byte: magic, sizes (big-endian), then the payload.
std::vector<unsigned char> idx_bytes(unsigned char type, const std::vector<std::uint32_t>& dims,
                                     const std::vector<unsigned char>& payload) {
    std::vector<unsigned char> b{0, 0, type, static_cast<unsigned char>(dims.size())};
    for (std::uint32_t d : dims)
        for (int shift = 24; shift >= 0; shift -= 8)
            b.push_back(static_cast<unsigned char>(d >> shift));
    b.insert(b.end(), payload.begin(), payload.end());
    return b;
}

std::vector<unsigned char> gunzip(const std::string& path) {
    gzFile f = gzopen(path.c_str(), "rb");
    REQUIRE(f != nullptr);
    std::vector<unsigned char> out;
    unsigned char buf[65536];
    int n;
    while ((n = gzread(f, buf, sizeof buf)) > 0) out.insert(out.end(), buf, buf + n);
    gzclose(f);
    return out;
}

void gzip_to(const std::string& path, const std::vector<unsigned char>& bytes) {
    gzFile f = gzopen(path.c_str(), "wb");
    REQUIRE(f != nullptr);
    REQUIRE(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())) ==
            static_cast<int>(bytes.size()));
    gzclose(f);
}

void check_label_counts(const Dataset& ds, const std::vector<std::size_t>& counts) {
    std::vector<std::size_t> seen(10, 0);
    for (auto y : ds.labels()) ++seen[static_cast<std::size_t>(y)];
    REQUIRE(seen == counts);
}

}  // namespace

#ifdef TG_FASHION_MNIST_DIR
TEST_CASE("the Fashion-MNIST test set reads as 10000 images of 28x28", "[nn][data][idx]") {
    const std::string dir = TG_FASHION_MNIST_DIR;
    const IdxArray images = read_idx(dir + "/t10k-images-idx3-ubyte.gz");
    REQUIRE(images.type == IdxType::u8);
    REQUIRE(images.dims == std::vector<std::size_t>{10000, 28, 28});
    REQUIRE(images.bytes.size() == 10000u * 28 * 28);
    const IdxArray labels = read_idx(dir + "/t10k-labels-idx1-ubyte.gz");
    REQUIRE(labels.dims == std::vector<std::size_t>{10000});

    const Dataset test = load_mnist(dir, Split::test);
    REQUIRE(test.size() == 10000);
    REQUIRE(test.example_shape() == Shape{1, 28, 28});
    REQUIRE(test.num_classes() == 10);
    // The Fashion-MNIST test set holds 1000 of each class, and starts with an ankle boot (9).
    check_label_counts(test, std::vector<std::size_t>(10, 1000));
    REQUIRE(test.labels()[0] == 9);
    // Its pixel mean is near the published 0.286 of the training set.
    const auto [mean, stddev] = test.pixel_mean_std();
    CHECK(std::abs(mean - 0.286) < 0.01);
    CHECK(std::abs(stddev - 0.353) < 0.01);
}

TEST_CASE("a gunzipped IDX file reads the same as the gzipped one", "[nn][data][idx]") {
    TempDir tmp;
    const std::string gz = std::string(TG_FASHION_MNIST_DIR) + "/t10k-labels-idx1-ubyte.gz";
    write_bytes(tmp.file("t10k-labels-idx1-ubyte"), gunzip(gz));
    const IdxArray a = read_idx(gz), b = read_idx(tmp.file("t10k-labels-idx1-ubyte"));
    REQUIRE(a.dims == b.dims);
    REQUIRE(a.bytes == b.bytes);
}
#else
TEST_CASE("the Fashion-MNIST test set is installed", "[nn][data]") {
    FAIL("Fashion-MNIST is missing: apt-get install dataset-fashion-mnist, then reconfigure");
}
#endif

#ifdef TG_MNIST_DIR
TEST_CASE("the real MNIST test set reads with its published label counts", "[nn][data][idx]") {
    const Dataset test = load_mnist(TG_MNIST_DIR, Split::test);
    REQUIRE(test.size() == 10000);
    check_label_counts(test, {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009});
    REQUIRE(test.labels()[0] == 7);
    REQUIRE_FALSE(has_mnist_split(TG_MNIST_DIR, Split::train));
    require_throws<IOError>([] { load_mnist(TG_MNIST_DIR, Split::train); },
                            {"no training images", "train-images-idx3-ubyte.gz"});
}
#endif

TEST_CASE("IDX files of every element type, big-endian, round-trip", "[nn][data][idx]") {
    TempDir tmp;
    // int16 values -2 and 258, written big-endian by hand.
    write_bytes(tmp.file("a.idx"), idx_bytes(0x0B, {2}, {0xff, 0xfe, 0x01, 0x02}));
    const IdxArray a = read_idx(tmp.file("a.idx"));
    REQUIRE(a.type == IdxType::i16);
    REQUIRE(a.at(0) == -2);
    REQUIRE(a.at(1) == 258);
    // float32 1.5 = 0x3fc00000, and a 2x1 array.
    write_bytes(tmp.file("f.idx"), idx_bytes(0x0D, {2, 1}, {0x3f, 0xc0, 0, 0, 0xc0, 0x20, 0, 0}));
    const IdxArray f = read_idx(tmp.file("f.idx"));
    REQUIRE(f.at(0) == 1.5);
    REQUIRE(f.at(1) == -2.5);
    // write_idx then read_idx, plain and gzipped.
    for (bool gz : {false, true}) {
        write_idx(tmp.file("w.idx"), f, gz);
        const IdxArray g = read_idx(tmp.file("w.idx"));
        REQUIRE(g.dims == f.dims);
        REQUIRE(g.bytes == f.bytes);
    }
    CHECK(read_bytes(tmp.file("w.idx"))[0] == 0x1f);  // the last one was gzipped
}

TEST_CASE("broken IDX files give an IOError naming the file and the problem",
          "[nn][data][idx][errors]") {
    TempDir tmp;
    const std::vector<unsigned char> six(6, 7);
    auto expect = [&](const std::string& name, const std::vector<unsigned char>& bytes,
                      const std::vector<std::string>& fragments) {
        INFO(name);
        write_bytes(tmp.file(name), bytes);
        std::vector<std::string> all = fragments;
        all.push_back(tmp.file(name));
        require_throws<IOError>([&] { read_idx(tmp.file(name)); }, all);
    };
    expect("magic", {1, 0, 8, 1, 0, 0, 0, 1, 5}, {"bad magic number 0x01000801"});
    expect("type", idx_bytes(0x07, {6}, six), {"unknown element type 0x07"});
    expect("rank0", {0, 0, 8, 0}, {"rank 0"});
    expect("short", {0, 0}, {"too short"});
    expect("header", {0, 0, 8, 3, 0, 0, 0, 2}, {"truncated header", "needs 16 bytes"});
    expect("truncated", idx_bytes(0x08, {2, 4}, six),
           {"truncated", "2x4", "need 8 bytes", "has 6"});
    expect("trailing", idx_bytes(0x08, {5}, six), {"trailing data", "need 5 bytes", "has 6"});
    expect("zero", idx_bytes(0x08, {3, 0}, {}), {"dimension 1 has size 0"});
    expect("huge", idx_bytes(0x0E, {0xffffffff, 0xffffffff}, six), {"absurdly large"});

    // gzip damage: cut short, and corrupted in the middle.
    std::vector<unsigned char> good =
        idx_bytes(0x08, {100, 100}, std::vector<unsigned char>(10000, 3));
    const std::size_t header = good.size() - 10000;  // magic and two dimensions: 12 bytes
    for (std::size_t i = 0; i < 10000; ++i)
        good[header + i] = static_cast<unsigned char>(i * 7919 % 251);
    gzip_to(tmp.file("good.gz"), good);
    auto gz = read_bytes(tmp.file("good.gz"));
    REQUIRE(read_idx(tmp.file("good.gz")).bytes.size() == 10000);
    expect("cut.gz",
           std::vector<unsigned char>(gz.begin(), gz.begin() + static_cast<long>(gz.size() / 2)),
           {"truncated gzip data"});
    auto bad = gz;
    for (std::size_t i = gz.size() / 3; i < gz.size() / 3 + 16; ++i) bad[i] ^= 0x5a;
    expect("bad.gz", bad, {"corrupt gzip data"});

    require_throws<IOError>([&] { read_idx(tmp.file("missing")); },
                            {"cannot open", "missing", "No such file"});
}

TEST_CASE("Dataset::from_idx checks that images and labels fit", "[nn][data][errors]") {
    TempDir tmp;
    write_bytes(tmp.file("img"), idx_bytes(0x08, {3, 2, 2}, std::vector<unsigned char>(12, 9)));
    write_bytes(tmp.file("lab"), idx_bytes(0x08, {2}, {1, 0}));
    require_throws<IOError>([&] { Dataset::from_idx(tmp.file("img"), tmp.file("lab")); },
                            {"2 labels", "3 images", tmp.file("lab")});
    write_bytes(tmp.file("lab3"), idx_bytes(0x08, {3}, {1, 12, 0}));
    require_throws<IOError>([&] { Dataset::from_idx(tmp.file("img"), tmp.file("lab3"), 10); },
                            {"label 12", "[0, 10)"});
    write_bytes(tmp.file("ok"), idx_bytes(0x08, {3}, {1, 2, 0}));
    const Dataset ds = Dataset::from_idx(tmp.file("img"), tmp.file("ok"));
    REQUIRE(ds.num_classes() == 3);
    REQUIRE(ds.example_shape() == Shape{2, 2});
    // A directory in MNIST layout, with plain (not gzipped) files.
    write_bytes(tmp.file("t10k-images-idx3-ubyte"),
                idx_bytes(0x08, {3, 2, 2}, std::vector<unsigned char>(12, 9)));
    write_bytes(tmp.file("t10k-labels-idx1-ubyte"), idx_bytes(0x08, {3}, {1, 2, 0}));
    const Dataset mn = load_mnist(tmp.path(), Split::test);
    REQUIRE(mn.example_shape() == Shape{1, 2, 2});
    REQUIRE(mn.labels() == std::vector<std::int64_t>{1, 2, 0});
}

namespace {
// A dataset whose example i has every pixel equal to i, so a batch shows which examples it holds.
Dataset numbered(std::size_t n) {
    std::vector<std::uint8_t> px;
    std::vector<std::int64_t> labels;
    for (std::size_t i = 0; i < n; ++i) {
        for (int k = 0; k < 4; ++k) px.push_back(static_cast<std::uint8_t>(i));
        labels.push_back(static_cast<std::int64_t>(i % 3));
    }
    return Dataset(std::move(px), Shape{1, 2, 2}, std::move(labels), 3);
}

std::vector<std::vector<std::size_t>> epoch_of(DataLoader& loader) {
    std::vector<std::vector<std::size_t>> batches;
    for (const Batch& b : loader) batches.push_back(b.indices);
    return batches;
}
}  // namespace

TEST_CASE("DataLoader: seeded shuffling, every example once per epoch", "[nn][data][loader]") {
    const Dataset ds = numbered(23);
    DataLoader a(ds, DataLoaderOptions().batch_size(5).seed(3));
    DataLoader b(ds, DataLoaderOptions().batch_size(5).seed(3));
    DataLoader c(ds, DataLoaderOptions().batch_size(5).seed(4));
    REQUIRE(a.num_batches() == 5);
    const auto a1 = epoch_of(a), b1 = epoch_of(b), c1 = epoch_of(c);
    REQUIRE(a1 == b1);
    CHECK(a1 != c1);
    std::vector<std::size_t> all;
    for (const auto& batch : a1) all.insert(all.end(), batch.begin(), batch.end());
    REQUIRE(a1.back().size() == 3);  // 23 = 4 * 5 + 3
    std::vector<std::size_t> sorted = all;
    std::sort(sorted.begin(), sorted.end());
    std::vector<std::size_t> expect(23);
    std::iota(expect.begin(), expect.end(), std::size_t(0));
    REQUIRE(sorted == expect);
    CHECK(all != expect);  // shuffled
    // The next epoch has another order; set_epoch replays one.
    const auto a2 = epoch_of(a);
    CHECK(a2 != a1);
    a.set_epoch(0);
    REQUIRE(epoch_of(a) == a1);
    REQUIRE(epoch_of(b) == a2);
    // No shuffling, and drop_last.
    DataLoader plain(ds, DataLoaderOptions().batch_size(5).shuffle(false).drop_last(true));
    const auto p = epoch_of(plain);
    REQUIRE(p.size() == 4);
    REQUIRE(plain.num_examples() == 20);
    REQUIRE(p[1] == std::vector<std::size_t>{5, 6, 7, 8, 9});
}

TEST_CASE("DataLoader: batches hold normalised pixels and their labels", "[nn][data][loader]") {
    const Dataset ds = numbered(10);
    const double mean = 0.02, stddev = 0.5;
    DataLoader loader(
        ds, DataLoaderOptions().batch_size(4).seed(1).normalize(mean, stddev).dtype(kFloat64));
    for (const Batch& b : loader) {
        REQUIRE(b.inputs.shape()[0] == b.size());
        REQUIRE(b.inputs.shape()[1] == 1);
        REQUIRE(b.inputs.dtype() == kFloat64);
        const auto v = b.inputs.to_vector();
        for (std::size_t r = 0; r < b.size(); ++r) {
            REQUIRE(b.labels[r] == static_cast<std::int64_t>(b.indices[r] % 3));
            for (std::size_t k = 0; k < 4; ++k)
                REQUIRE(v[r * 4 + k] ==
                        Approx((b.indices[r] / 255.0 - mean) / stddev).epsilon(1e-14));
        }
    }
    DataLoader floats(ds, DataLoaderOptions().batch_size(4));
    REQUIRE((*floats.begin()).inputs.dtype() == kFloat32);
    require_throws<ValueError>([&] { DataLoader(ds, DataLoaderOptions().batch_size(0)); },
                               {"batch_size"});
}
