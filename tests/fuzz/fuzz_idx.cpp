// Fuzz target: the IDX reader (read_idx), on the input as it is and gzipped, and the datasets
// built from what it reads (Dataset::from_idx). Invariants:
// - read_idx returns a consistent array or throws tg::IOError naming the file;
// - a plain input and the same bytes gzipped read the same (same array, or both refused);
// - an array read_idx accepts, of uint8, makes a dataset (as images with matching labels, or as
//   labels), and anything else is refused by from_idx with an IOError.

#include <zlib.h>

#include <cmath>
#include <optional>

#include "fuzz_support.hpp"
#include "nn/data/dataset.hpp"
#include "nn/data/idx.hpp"

using namespace tg::nn::data;

namespace {

std::optional<IdxArray> read(const std::string& path) {
    std::optional<IdxArray> a;
    tgfuzz::returns<tg::IOError>([&] { a = read_idx(path); }, path);
    return a;
}

void check_consistent(const IdxArray& a) {
    TGFUZZ_CHECK(!a.dims.empty(), "an array without dimensions");
    std::size_t n = 1;
    for (std::size_t d : a.dims) {
        TGFUZZ_CHECK(d > 0, "a zero dimension was accepted");
        n *= d;
    }
    TGFUZZ_CHECK(n == a.size(), "size()");
    TGFUZZ_CHECK(a.bytes.size() == n * idx_element_size(a.type), "byte count");
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double v = a.at(i);
        if (std::isfinite(v)) sum += v;
    }
    (void)sum;
}

std::vector<std::uint8_t> gzipped(const std::uint8_t* data, std::size_t size) {
    std::vector<std::uint8_t> out;
    z_stream z{};
    TGFUZZ_CHECK(deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK, "");
    out.resize(deflateBound(&z, static_cast<uLong>(size)));
    z.next_in = const_cast<Bytef*>(data);
    z.avail_in = static_cast<uInt>(size);
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    TGFUZZ_CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END, "deflate");
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

// IDX bytes of a uint8 array.
std::vector<std::uint8_t> idx_u8(const std::vector<std::uint32_t>& dims,
                                 const std::vector<std::uint8_t>& values) {
    std::vector<std::uint8_t> b{0, 0, 0x08, static_cast<std::uint8_t>(dims.size())};
    for (std::uint32_t d : dims)
        for (int shift = 24; shift >= 0; shift -= 8)
            b.push_back(static_cast<std::uint8_t>(d >> shift));
    b.insert(b.end(), values.begin(), values.end());
    return b;
}

void check_dataset(const std::string& path, const IdxArray& a) {
    const std::size_t n = a.dims[0];
    if (a.type == IdxType::u8 && a.dims.size() >= 2) {
        std::vector<std::uint8_t> labels(n);
        for (std::size_t i = 0; i < n; ++i) labels[i] = static_cast<std::uint8_t>(i % 10);
        const std::string lab =
            tgfuzz::scratch_file("labels", idx_u8({static_cast<std::uint32_t>(n)}, labels));
        const Dataset ds = Dataset::from_idx(path, lab);
        TGFUZZ_CHECK(ds.size() == n, "dataset size");
        TGFUZZ_CHECK(ds.example_numel() * n == a.bytes.size(), "example size");
    } else if (a.type == IdxType::u8 && a.dims.size() == 1) {
        const std::string img = tgfuzz::scratch_file(
            "images", idx_u8({static_cast<std::uint32_t>(n), 1}, std::vector<std::uint8_t>(n, 7)));
        const Dataset ds = Dataset::from_idx(img, path);
        TGFUZZ_CHECK(ds.size() == n, "dataset size");
        for (std::size_t i = 0; i < n; ++i)
            TGFUZZ_CHECK(ds.labels()[i] == a.bytes[i], "label " + std::to_string(i));
    } else {
        const bool made =
            tgfuzz::returns<tg::IOError>([&] { Dataset::from_idx(path, path); }, path);
        TGFUZZ_CHECK(!made, "from_idx accepted an array it cannot use");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = tgfuzz::scratch_file("input", data, size);
    const std::optional<IdxArray> a = read(path);
    if (a) {
        check_consistent(*a);
        check_dataset(path, *a);
    }
    // zlib reads a file that does not start with the gzip magic as plain bytes, so such an
    // input and its gzipped form must give the same result.
    if (size < 2 || data[0] != 0x1f || data[1] != 0x8b) {
        const std::string gz = tgfuzz::scratch_file("input.gz", gzipped(data, size));
        const std::optional<IdxArray> b = read(gz);
        TGFUZZ_CHECK(a.has_value() == b.has_value(), "plain and gzipped inputs disagree");
        if (a) {
            TGFUZZ_CHECK(a->type == b->type && a->dims == b->dims && a->bytes == b->bytes,
                         "plain and gzipped inputs read differently");
        }
    }
    return 0;
}
