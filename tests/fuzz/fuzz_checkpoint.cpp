// Fuzz target: the checkpoint reader. Each input is tried as an .npz archive (load_npz), as a
// checkpoint of a small module (nn::load) and as a single .npy array (load_npy). Invariants:
// - every reader returns or throws a typed error naming the file (IOError for a corrupt file,
//   ValueError for names that do not match the module, ShapeError for shapes);
// - every tensor read has as many elements as its shape says;
// - an archive that loads, saved again with save_npz, loads back as the same tensors (names,
//   dtypes, shapes and bits);
// - a successful nn::load leaves the module holding the archive's values (converted to the
//   module's dtype), and a failed one leaves the module as it was.
//
// The module is Sequential(Linear(3, 2), BatchNorm1d(2)): its checkpoints hold 0.weight [2, 3],
// 0.bias, 1.weight, 1.bias, 1.running_mean and 1.running_var [2]. The seed corpus
// (tests/fuzz/make_corpus.py) has checkpoints of it.

#include <zlib.h>

#include <cmath>
#include <cstring>
#include <map>

#include "fuzz_support.hpp"
#include "nn/batchnorm.hpp"
#include "nn/linear.hpp"
#include "nn/npy.hpp"
#include "nn/sequential.hpp"
#include "nn/serialize.hpp"

using namespace tg;

namespace {

nn::Sequential& module() {
    static Generator gen(1);
    static auto net = std::make_shared<nn::Sequential>(
        std::make_shared<nn::Linear>(nn::LinearOptions(3, 2), gen),
        std::make_shared<nn::BatchNorm1d>(nn::BatchNormOptions(2)));
    return *net;
}

// Element-wise equality that counts NaN as equal to NaN.
bool same_values(const std::vector<double>& a, const std::vector<double>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::isnan(a[i]) && std::isnan(b[i])) continue;
        if (std::memcmp(&a[i], &b[i], sizeof(double)) != 0 && a[i] != b[i]) return false;
    }
    return true;
}

std::size_t product(const Shape& shape) {
    std::size_t n = 1;
    for (auto d : shape) n *= d;
    return n;
}

void check_tensor(const std::string& name, const Tensor& t) {
    TGFUZZ_CHECK(t.defined(), name);
    TGFUZZ_CHECK(t.dtype() == kFloat32 || t.dtype() == kFloat64, name);
    TGFUZZ_CHECK(t.numel() == product(t.shape()), name);
    TGFUZZ_CHECK(t.to_vector().size() == t.numel(), name);
}

std::vector<std::vector<double>> values_of(const nn::NamedTensors& tensors) {
    std::vector<std::vector<double>> v;
    for (const auto& [name, t] : tensors) v.push_back(t.to_vector());
    return v;
}

// As the module's float32 tensors hold them.
std::vector<double> as_float(const std::vector<double>& v) {
    std::vector<double> out;
    for (double x : v) out.push_back(static_cast<double>(static_cast<float>(x)));
    return out;
}

void round_trip(const nn::NamedTensors& archive) {
    const std::string copy = tgfuzz::scratch_path("copy.npz");
    if (!tgfuzz::returns<ValueError>([&] { nn::save_npz(archive, copy); })) {
        // Only a name save_npz cannot write (an entry called ".npy" or "") is refused.
        bool empty_name = false;
        for (const auto& [name, t] : archive) empty_name = empty_name || name.empty();
        TGFUZZ_CHECK(empty_name, "save_npz refused an archive load_npz accepted");
        return;
    }
    const nn::NamedTensors again = nn::load_npz(copy);
    TGFUZZ_CHECK(again.size() == archive.size(), "round trip: tensor count");
    for (std::size_t i = 0; i < again.size(); ++i) {
        const auto& [name, t] = archive[i];
        TGFUZZ_CHECK(again[i].first == name, "round trip: name " + name);
        TGFUZZ_CHECK(again[i].second.dtype() == t.dtype(), "round trip: dtype of " + name);
        TGFUZZ_CHECK(again[i].second.shape() == t.shape(), "round trip: shape of " + name);
        TGFUZZ_CHECK(same_values(again[i].second.to_vector(), t.to_vector()),
                     "round trip: values of " + name);
    }
}

void load_into_module(const std::string& path, const nn::NamedTensors* archive) {
    nn::Module& net = module();
    const nn::NamedTensors state = net.state();
    const auto before = values_of(state);
    if (tgfuzz::returns<IOError, ValueError, ShapeError>([&] { nn::load(net, path); }, path)) {
        TGFUZZ_CHECK(archive != nullptr, "nn::load accepted a file load_npz refused");
        std::map<std::string, Tensor> by_name(archive->begin(), archive->end());
        TGFUZZ_CHECK(by_name.size() == state.size(), "nn::load accepted extra tensors");
        for (const auto& [name, t] : state) {
            TGFUZZ_CHECK(by_name.count(name) == 1, "nn::load accepted a file without " + name);
            TGFUZZ_CHECK(same_values(t.to_vector(), as_float(by_name.at(name).to_vector())),
                         "the module does not hold the file's " + name);
        }
    } else {
        const auto after = values_of(state);
        for (std::size_t i = 0; i < after.size(); ++i)
            TGFUZZ_CHECK(same_values(after[i], before[i]),
                         "a failed load changed the module's " + state[i].first);
    }
}

}  // namespace

#ifdef TGFUZZ_LIBFUZZER
namespace {

std::uint64_t le(const std::uint8_t* p, int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= std::uint64_t(p[i]) << (8 * i);
    return v;
}

void store_le32(std::uint8_t* p, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

// Recomputes the CRC-32 of every stored entry that the central directory and its local header
// locate plainly (no zip64), in both headers.
void fix_stored_crcs(std::uint8_t* d, std::size_t n) {
    for (std::size_t at = 0; at + 46 <= n; ++at) {
        if (le(d + at, 4) != 0x02014b50) continue;
        const std::uint64_t method = le(d + at + 10, 2), compressed = le(d + at + 20, 4),
                            size = le(d + at + 24, 4), local = le(d + at + 42, 4);
        if (method != 0 || compressed != size || local + 30 > n) continue;
        if (le(d + local, 4) != 0x04034b50) continue;
        const std::uint64_t data_at = local + 30 + le(d + local + 26, 2) + le(d + local + 28, 2);
        if (data_at > n || size > n - data_at) continue;
        const auto crc =
            static_cast<std::uint32_t>(crc32(0L, d + data_at, static_cast<uInt>(size)));
        store_le32(d + at + 16, crc);
        store_le32(d + local + 14, crc);
    }
}

}  // namespace

extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max_size);

// libFuzzer's mutations seldom keep an entry's CRC-32 right, so nearly every mutated archive
// would stop at the CRC check. Half of the mutants get the CRCs of their stored entries
// recomputed: the fuzzer then reaches the .npy headers inside archives and the checks of names
// and shapes against the module. The input stays an ordinary file: replaying it needs nothing
// of this.
extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size,
                                               std::size_t max_size, unsigned int seed) {
    size = LLVMFuzzerMutate(data, size, max_size);
    if (seed % 2 == 0) fix_stored_crcs(data, size);
    return size;
}
#endif

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = tgfuzz::scratch_file("input.npz", data, size);

    nn::NamedTensors archive;
    const bool read = tgfuzz::returns<IOError>([&] { archive = nn::load_npz(path); }, path);
    if (read) {
        for (const auto& [name, t] : archive) check_tensor(name, t);
        round_trip(archive);
    }
    load_into_module(path, read ? &archive : nullptr);

    Tensor single;
    if (tgfuzz::returns<IOError>([&] { single = nn::load_npy(path); }, path))
        check_tensor("the .npy", single);
    return 0;
}
