// Bad files, each with its error type and message (rows of the bad-input table): corrupt,
// truncated and wrong-magic IDX files; corrupt, truncated and mismatched checkpoints. Most come
// from the fuzz targets' seed corpus (tests/fuzz/corpus, written by tests/fuzz/make_corpus.py),
// which is also checked to hold what its file names say; the regressions found by fuzzing and
// reviewing the readers (docs/fuzzing.md) are built here byte by byte, and so are the memory
// bombs (gigabytes announced or held in a few megabytes of deflate, built in milliseconds),
// which are read in a child process under an address-space limit.

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <new>

#include "../nn/nn_helpers.hpp"
#include "bad_input.hpp"

using namespace tgtest;
using namespace tg;
using namespace tg::nn::data;

namespace {

const std::string kCorpus = TG_FUZZ_CORPUS_DIR;

std::string idx_seed(const std::string& name) {
    return kCorpus + "/idx/" + name;
}
std::string checkpoint_seed(const std::string& name) {
    return kCorpus + "/checkpoint/" + name;
}

// The fuzz target's module (tests/fuzz/fuzz_checkpoint.cpp) and the values make_corpus.py gives
// it in the model*.npz checkpoints.
std::shared_ptr<nn::Sequential> fuzz_module() {
    Generator gen(7);
    return std::make_shared<nn::Sequential>(
        std::make_shared<nn::Linear>(nn::LinearOptions(3, 2), gen),
        std::make_shared<nn::BatchNorm1d>(nn::BatchNormOptions(2)));
}
const std::vector<std::pair<std::string, std::vector<double>>> kModelValues = {
    {"0.weight", {0.5, -0.25, 1.0, -1.5, 2.0, 0.125}},
    {"0.bias", {0.1, -0.2}},
    {"1.weight", {1.0, 0.75}},
    {"1.bias", {0.0, -0.5}},
    {"1.running_mean", {0.3, -0.3}},
    {"1.running_var", {1.25, 0.8}},
};

std::vector<std::vector<double>> values_of(const nn::Module& m) {
    std::vector<std::vector<double>> v;
    for (const auto& [name, t] : m.state()) v.push_back(t.to_vector());
    return v;
}

// Little-endian fields, as ZIP records hold them.
void put(std::vector<unsigned char>& b, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) b.push_back(static_cast<unsigned char>(v >> (8 * i)));
}

std::vector<unsigned char> deflate_raw(const std::vector<std::uint8_t>& data) {
    std::vector<unsigned char> out(compressBound(static_cast<uLong>(data.size())) + 64);
    z_stream z{};
    REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    z.next_in = const_cast<Bytef*>(data.data());
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

// A one-entry ZIP archive written field by field. `claimed_size` replaces the uncompressed size
// in both headers; `central_extra` is appended to the central record's extra field (with
// `zip64_sizes` the central record's 32-bit sizes become 0xffffffff, to be found there).
struct ZipEntry {
    ZipEntry(std::string entry_name, std::vector<std::uint8_t> bytes)
        : name(std::move(entry_name)), data(std::move(bytes)) {}
    std::string name;
    std::vector<std::uint8_t> data;
    bool deflate = false;
    std::uint64_t claimed_size = ~std::uint64_t(0);
    std::vector<unsigned char> central_extra;
    bool zip64_sizes = false;
};

// An entry whose deflated bytes and CRC-32 are given (for data too large to hold in memory).
struct PackedEntry {
    std::string name;
    std::vector<unsigned char> packed;
    std::uint32_t crc;
    std::uint64_t size;
};

// A ZIP archive of deflated entries, given packed.
std::vector<unsigned char> zip_of(const std::vector<PackedEntry>& entries) {
    std::vector<unsigned char> b, central;
    for (const PackedEntry& e : entries) {
        const std::size_t local = b.size();
        put(b, 0x04034b50, 4);
        put(b, 20, 2);
        put(b, 0, 2);
        put(b, 8, 2);
        put(b, 0, 4);
        put(b, e.crc, 4);
        put(b, e.packed.size(), 4);
        put(b, e.size, 4);
        put(b, e.name.size(), 2);
        put(b, 0, 2);
        b.insert(b.end(), e.name.begin(), e.name.end());
        b.insert(b.end(), e.packed.begin(), e.packed.end());
        put(central, 0x02014b50, 4);
        put(central, 20, 2);
        put(central, 20, 2);
        put(central, 0, 2);
        put(central, 8, 2);
        put(central, 0, 4);
        put(central, e.crc, 4);
        put(central, e.packed.size(), 4);
        put(central, e.size, 4);
        put(central, e.name.size(), 2);
        put(central, 0, 2);
        put(central, 0, 2);
        put(central, 0, 2);
        put(central, 0, 2);
        put(central, 0, 4);
        put(central, local, 4);
        central.insert(central.end(), e.name.begin(), e.name.end());
    }
    const std::size_t cd = b.size();
    b.insert(b.end(), central.begin(), central.end());
    put(b, 0x06054b50, 4);
    put(b, 0, 4);
    put(b, entries.size(), 2);
    put(b, entries.size(), 2);
    put(b, central.size(), 4);
    put(b, cd, 4);
    put(b, 0, 2);
    return b;
}

std::vector<unsigned char> zip_of(const ZipEntry& e) {
    const std::vector<unsigned char> packed =
        e.deflate ? deflate_raw(e.data) : std::vector<unsigned char>(e.data.begin(), e.data.end());
    const std::uint32_t crc = crc32(0, e.data.data(), static_cast<uInt>(e.data.size()));
    const std::uint64_t size = e.claimed_size != ~std::uint64_t(0) ? e.claimed_size : e.data.size();
    std::vector<unsigned char> b;
    put(b, 0x04034b50, 4);
    put(b, 20, 2);
    put(b, 0, 2);
    put(b, e.deflate ? 8 : 0, 2);
    put(b, 0, 4);
    put(b, crc, 4);
    put(b, packed.size(), 4);
    put(b, size, 4);
    put(b, e.name.size(), 2);
    put(b, 0, 2);
    b.insert(b.end(), e.name.begin(), e.name.end());
    b.insert(b.end(), packed.begin(), packed.end());
    const std::size_t cd = b.size();
    put(b, 0x02014b50, 4);
    put(b, 20, 2);
    put(b, 20, 2);
    put(b, 0, 2);
    put(b, e.deflate ? 8 : 0, 2);
    put(b, 0, 4);
    put(b, crc, 4);
    put(b, e.zip64_sizes ? 0xffffffff : packed.size(), 4);
    put(b, e.zip64_sizes ? 0xffffffff : size, 4);
    put(b, e.name.size(), 2);
    put(b, e.central_extra.size(), 2);
    put(b, 0, 2);
    put(b, 0, 2);
    put(b, 0, 2);
    put(b, 0, 4);
    put(b, 0, 4);
    b.insert(b.end(), e.name.begin(), e.name.end());
    b.insert(b.end(), e.central_extra.begin(), e.central_extra.end());
    const std::size_t cd_size = b.size() - cd;
    put(b, 0x06054b50, 4);
    put(b, 0, 4);
    put(b, 1, 2);
    put(b, 1, 2);
    put(b, cd_size, 4);
    put(b, cd, 4);
    put(b, 0, 2);
    return b;
}

// A .npy file with the given header dict (numpy's format 1.0) and data bytes.
std::vector<std::uint8_t> npy_with_header(const std::string& dict, std::size_t data_bytes) {
    std::string header = dict;
    header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
    header += '\n';
    const std::string text =
        std::string("\x93NUMPY\x01", 7) + '\0' + static_cast<char>(header.size() & 0xff) +
        static_cast<char>(header.size() >> 8) + header + std::string(data_bytes, '\0');
    return std::vector<std::uint8_t>(text.begin(), text.end());
}

std::vector<unsigned char> gzip_member(const std::vector<unsigned char>& data) {
    std::vector<unsigned char> out(compressBound(static_cast<uLong>(data.size())) + 64);
    z_stream z{};
    REQUIRE(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) == Z_OK);
    z.next_in = const_cast<Bytef*>(data.data());
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

// A raw deflate stream of `prefix` followed by `zeros` zero bytes, built in milliseconds however
// many zeros: one mebibyte of zeros is deflated once after a full flush (which resets the
// compressor, so the bytes stand on their own) and its bytes repeated. Deflate's best ratio,
// about 1030:1, so gigabytes fit in megabytes. `crc` gets the CRC-32 of the inflated bytes.
std::vector<unsigned char> deflate_zeros(const std::vector<unsigned char>& prefix,
                                         std::uint64_t zeros, std::uint32_t& crc) {
    constexpr std::size_t kMiB = std::size_t(1) << 20;
    REQUIRE(zeros % kMiB == 0);
    const std::vector<unsigned char> mib(kMiB, 0);
    z_stream z{};
    REQUIRE(deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) == Z_OK);
    auto run = [&](const std::vector<unsigned char>& in, int flush) {
        std::vector<unsigned char> out(compressBound(static_cast<uLong>(in.size())) + 64);
        z.next_in = const_cast<Bytef*>(in.data());
        z.avail_in = static_cast<uInt>(in.size());
        z.next_out = out.data();
        z.avail_out = static_cast<uInt>(out.size());
        REQUIRE(deflate(&z, flush) == (flush == Z_FINISH ? Z_STREAM_END : Z_OK));
        REQUIRE(z.avail_in == 0);
        out.resize(out.size() - z.avail_out);
        return out;
    };
    std::vector<unsigned char> out = run(prefix, Z_FULL_FLUSH);
    const std::vector<unsigned char> block = run(mib, Z_FULL_FLUSH);
    for (std::uint64_t i = 0; i < zeros / kMiB; ++i)
        out.insert(out.end(), block.begin(), block.end());
    const std::vector<unsigned char> end = run({}, Z_FINISH);
    out.insert(out.end(), end.begin(), end.end());
    deflateEnd(&z);
    // CRC-32 of the zeros by doubling: crc(2n zeros) = combine(crc(n), crc(n), n).
    uLong zeros_crc = crc32(0L, Z_NULL, 0);
    uLong piece = crc32(0L, mib.data(), static_cast<uInt>(kMiB));
    for (std::uint64_t n = zeros / kMiB, len = kMiB; n > 0; n >>= 1, len *= 2) {
        if (n & 1) zeros_crc = crc32_combine(zeros_crc, piece, static_cast<z_off_t>(len));
        piece = crc32_combine(piece, piece, static_cast<z_off_t>(len));
    }
    crc = static_cast<std::uint32_t>(
        crc32_combine(crc32(0L, prefix.data(), static_cast<uInt>(prefix.size())), zeros_crc,
                      static_cast<z_off_t>(zeros)));
    return out;
}

// The same as a gzip file (one member).
std::vector<unsigned char> gzip_zeros(const std::vector<unsigned char>& prefix,
                                      std::uint64_t zeros) {
    std::uint32_t crc = 0;
    const std::vector<unsigned char> body = deflate_zeros(prefix, zeros, crc);
    const unsigned char header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    std::vector<unsigned char> out(sizeof header + body.size());
    std::copy(header, header + sizeof header, out.begin());
    std::copy(body.begin(), body.end(), out.begin() + sizeof header);
    put(out, crc, 4);
    put(out, (prefix.size() + zeros) & 0xffffffff, 4);
    return out;
}

// An IDX header: uint8 elements of the given sizes.
std::vector<unsigned char> idx_u8_header(const std::vector<std::uint32_t>& dims) {
    std::vector<unsigned char> b{0, 0, 0x08, static_cast<unsigned char>(dims.size())};
    for (std::uint32_t d : dims)
        for (int shift = 24; shift >= 0; shift -= 8)
            b.push_back(static_cast<unsigned char>(d >> shift));
    return b;
}

// Runs `f` in a child process whose address space may grow by at most `extra_bytes`, and returns
// true if it returned normally (false if it threw, std::bad_alloc included, or died). A reader
// that inflates or allocates for a bomb fails here quickly instead of exhausting the machine.
// Sanitizers reserve terabytes of address space, so under them the limit is left off (and the
// test then checks only the outcome).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kLimitAddressSpace = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
constexpr bool kLimitAddressSpace = false;
#else
constexpr bool kLimitAddressSpace = true;
#endif
#else
constexpr bool kLimitAddressSpace = true;
#endif

template <class F>
bool within_memory(std::size_t extra_bytes, F&& f) {
    std::fflush(nullptr);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        if (kLimitAddressSpace) {
            unsigned long pages = 0;
            std::FILE* statm = std::fopen("/proc/self/statm", "r");
            if (statm == nullptr || std::fscanf(statm, "%lu", &pages) != 1) ::_exit(10);
            std::fclose(statm);
            const rlim_t now = static_cast<rlim_t>(pages) * static_cast<rlim_t>(::getpagesize());
            const rlimit limit{now + extra_bytes, now + extra_bytes};
            if (::setrlimit(RLIMIT_AS, &limit) != 0) ::_exit(11);
        }
        try {
            f();
        } catch (const std::bad_alloc&) {
            ::_exit(2);
        } catch (...) {
            ::_exit(1);
        }
        ::_exit(0);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    INFO("child status " << status);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// Whether f throws E with `fragment` in its message (for a child process of within_memory, where
// Catch's checks cannot report).
template <class E, class F>
bool throws_error(F&& f, const std::string& fragment) {
    try {
        f();
    } catch (const E& e) {
        return std::string(e.what()).find(fragment) != std::string::npos;
    }
    return false;
}

// A bad file: what it is, its name in the corpus, and what the error must say.
struct BadFile {
    const char* input;
    const char* file;
    std::vector<std::string> fragments;
};

}  // namespace

TEST_CASE("corrupt, truncated and wrong-magic IDX files", "[errors][files][idx]") {
    const std::vector<BadFile> cases = {
        {"IDX file with a wrong magic number",
         "broken-bad-magic.idx",
         {"bad magic number 0x01000801", "starts with two zero bytes"}},
        {"IDX file with an unknown element type",
         "broken-unknown-type.idx",
         {"unknown element type 0x07"}},
        {"IDX file of rank 0", "broken-rank0.idx", {"rank 0"}},
        {"empty IDX file", "broken-empty.idx", {"too short for an IDX header (0 bytes)"}},
        {"IDX file cut inside its header",
         "broken-truncated-header.idx",
         {"truncated header: rank 3 needs 16 bytes, the file has 8"}},
        {"IDX file cut inside its data",
         "broken-truncated-data.idx",
         {"truncated: sizes 2x4 of uint8 need 8 bytes of data, the file has 6"}},
        {"IDX file with trailing data",
         "broken-trailing-data.idx",
         {"trailing data: sizes 5 of uint8 need 5 bytes of data, the file has 6"}},
        {"IDX file with a zero dimension", "broken-zero-dim.idx", {"dimension 1 has size 0"}},
        {"IDX file with absurd sizes",
         "broken-huge-dims.idx",
         {"sizes 4294967295x4294967295 of float64 are absurdly large: they need more than 2^64 "
          "bytes of data, over the limit of 4294967296 bytes"}},
        {"gzipped IDX file cut in half",
         "broken-cut.idx.gz",
         {"truncated gzip data (unexpected end of file)"}},
        {"gzipped IDX file with only a gzip header",
         "broken-gzip-header-only.idx.gz",
         {"truncated gzip data"}},
        {"gzipped IDX file with corrupt deflate data",
         "broken-corrupt.idx.gz",
         {"corrupt gzip data: "}},
        {"gzipped IDX file with a wrong CRC-32",
         "broken-bad-crc.idx.gz",
         {"corrupt gzip data: incorrect data check"}},
        {"gzipped IDX file whose header announces 1 byte, then 2 MB",
         "broken-gzip-bomb.idx.gz",
         {"trailing data: sizes 1 of uint8 need 1 bytes of data, the file has at least 2"}},
        {"gzipped IDX file of 35 bytes whose header announces 3.5 GB",
         "broken-gzip-announces-3.5gb.idx.gz",
         {"truncated: sizes 3500x1000x1000 of uint8 need 3500000000 bytes of data, more than 35 "
          "bytes of gzip data can hold (deflate expands at most 1032 times)"}},
        {"gzipped IDX file followed by 4 bytes that are not gzip",
         "broken-gzip-trailing-garbage.idx.gz",
         {"trailing garbage: 4 bytes after the end of the gzip data"}},
    };
    for (const BadFile& c : cases) {
        const std::string path = idx_seed(c.file);
        std::vector<std::string> fragments = c.fragments;
        fragments.push_back("read_idx: " + path + ": ");
        expect_error<IOError>(
            c.input, [&] { read_idx(path); }, fragments);
    }
    TempDir tmp;
    expect_error<IOError>("a directory given as an IDX file", [&] { read_idx(tmp.path()); },
                          {"read_idx: " + tmp.path(), "read error: Is a directory"});
    // Files that read but do not make a dataset.
    expect_error<IOError>(
        "float32 IDX file as MNIST images",
        [] { Dataset::from_idx(idx_seed("f32-2x2.idx"), idx_seed("labels-u8-3.idx")); },
        {"Dataset::from_idx", "f32-2x2.idx", "images of float32; expected uint8 pixels"});
    expect_error<IOError>(
        "IDX images of rank 3 as MNIST labels",
        [] { Dataset::from_idx(idx_seed("images-u8-3x4x4.idx"), idx_seed("images-u8-3x4x4.idx")); },
        {"images-u8-3x4x4.idx", "expected a rank-1 uint8 array of labels, got rank 3 of uint8"});
}

TEST_CASE("corrupt, truncated and mismatched checkpoints", "[errors][files][serialize]") {
    const std::vector<BadFile> corrupt = {
        {"empty checkpoint file",
         "broken-empty.npz",
         {"not a valid .npz archive: too short (0 bytes)"}},
        {"checkpoint cut in half", "broken-truncated.npz", {"no end-of-central-directory record"}},
        {"checkpoint without its end record",
         "broken-no-end-record.npz",
         {"no end-of-central-directory record"}},
        {"checkpoint with one bit flipped in a tensor",
         "broken-bad-crc.npz",
         {"entry 0.weight.npy fails its CRC-32 check"}},
        {"checkpoint compressed with an unknown method (12)",
         "broken-method-12.npz",
         {"entry 0.weight.npy uses compression method 12 (only stored and deflate are supported)"}},
        {"checkpoint whose local header disagrees with its central directory",
         "broken-local-header-differs.npz",
         {"the local header of 0.weight.npy does not match its central directory record"}},
        {"checkpoint with a deflated entry that claims 4 GB",
         "broken-deflate-claims-4gb.npz",
         {"entry 0.weight.npy claims 4026531840 bytes, more than its 92 deflated bytes can hold"}},
        {"checkpoint entry named with control characters, failing its CRC",
         "broken-name-controls.npz",
         {"entry bad\\x00\\x0a\\x1b[31m.npy fails its CRC-32 check"}},
        {"checkpoint holding a Fortran-ordered array",
         "broken-fortran.npz",
         {"w.npy: Fortran-ordered arrays are not supported"}},
        {"checkpoint holding int64",
         "broken-int64.npz",
         {"w.npy: dtype '<i8' is not float32 or float64"}},
        {"checkpoint whose .npy header has no shape",
         "broken-no-shape.npz",
         {"w.npy: header has no 'shape'"}},
        {"checkpoint whose .npy entry is cut short",
         "broken-short-data.npz",
         {"w.npy: truncated: shape [2] needs 8 bytes of data, found 4"}},
        {"an IDX file given as a checkpoint",
         "../idx/images-u8-3x4x4.idx",
         {"no end-of-central-directory record"}},
    };
    auto net = fuzz_module();
    const auto before = values_of(*net);
    for (const BadFile& c : corrupt) {
        const std::string path = checkpoint_seed(c.file);
        std::vector<std::string> fragments = c.fragments;
        fragments.push_back(path);
        expect_error<IOError>(
            c.input, [&] { nn::load(*net, path); }, fragments);
    }
    expect_error<IOError>("a .npy file of format version 9",
                          [&] { nn::load_npy(checkpoint_seed("broken-version-9.npy")); },
                          {"broken-version-9.npy", "unsupported .npy format version 9"});
    TempDir tmp;
    expect_error<IOError>("a directory given as a checkpoint", [&] { nn::load(*net, tmp.path()); },
                          {"load_npz: " + tmp.path(), "read error: Is a directory"});

    // Valid archives that do not match the module.
    const std::string shape = checkpoint_seed("mismatch-shape.npz");
    expect_error<ShapeError>(
        "checkpoint with a [3, 2] weight loaded into a [2, 3] Linear",
        [&] { nn::load(*net, shape); },
        {"load: " + shape + " does not match the Sequential",
         "shapes differ: 0.weight is [3, 2] in the file but [2, 3] in the module"});
    const std::string missing = checkpoint_seed("mismatch-missing.npz");
    expect_error<ValueError>("checkpoint without a batch norm's running_var",
                             [&] { nn::load(*net, missing); },
                             {missing, "missing from the file: 1.running_var"});
    const std::string extra = checkpoint_seed("mismatch-extra.npz");
    expect_error<ValueError>("checkpoint with a tensor the module does not have",
                             [&] { nn::load(*net, extra); },
                             {extra, "not in the module: 2.weight"});
    const std::string twice = checkpoint_seed("mismatch-duplicate.npz");
    expect_error<IOError>("checkpoint holding one tensor twice", [&] { nn::load(*net, twice); },
                          {twice, "the archive holds '0.bias' twice"});
    // load_npz returned both copies.
    expect_error<IOError>("archive holding one tensor twice, read by load_npz",
                          [&] { nn::load_npz(twice); },
                          {"load_npz: " + twice,
                           "the archive holds '0.bias' twice (entries 0.bias.npy and 0.bias.npy)"});
    const std::string empty = checkpoint_seed("empty-archive.npz");
    expect_error<ValueError>("checkpoint archive with no tensors", [&] { nn::load(*net, empty); },
                             {empty,
                              "missing from the file: 0.weight, 0.bias, 1.weight, 1.bias, "
                              "1.running_mean, 1.running_var"});
    // None of these failed loads changed the module.
    REQUIRE(values_of(*net) == before);
}

TEST_CASE("the fuzz seed corpus holds what its file names say", "[files][corpus]") {
    // Every model*.npz seed is a checkpoint of the fuzz module with the values of kModelValues:
    // tapegrad's layout, numpy.savez's and savez_compressed's, zip64 records, big-endian and
    // version 2.0 and 3.0 .npy headers, comments and unknown extra fields.
    for (const char* file :
         {"model.npz", "model-savez-f8.npz", "model-savez-compressed-f8.npz", "model-zip64.npz",
          "model-bigendian-v2.npz", "model-v3.npz", "model-comments-extras.npz"}) {
        INFO(file);
        auto net = fuzz_module();
        nn::load(*net, checkpoint_seed(file));
        const auto state = net->state();
        REQUIRE(state.size() == kModelValues.size());
        for (std::size_t i = 0; i < state.size(); ++i) {
            REQUIRE(state[i].first == kModelValues[i].first);
            std::vector<double> expect;
            for (double v : kModelValues[i].second)
                expect.push_back(static_cast<double>(static_cast<float>(v)));
            REQUIRE(state[i].second.to_vector() == expect);
        }
    }
    // model.npz is byte for byte what nn::save writes for those values.
    auto net = fuzz_module();
    {
        NoGradGuard no_grad;
        const auto state = net->state();
        for (std::size_t i = 0; i < state.size(); ++i) {
            auto& a = state[i].second.mutable_array<float>();
            for (std::size_t k = 0; k < a.size(); ++k)
                a.data()[k] = static_cast<float>(kModelValues[i].second[k]);
        }
    }
    TempDir tmp;
    nn::save(*net, tmp.file("model.npz"));
    REQUIRE(read_bytes(tmp.file("model.npz")) == read_bytes(checkpoint_seed("model.npz")));

    // Shapes of rank 0 to 4, with empty ones, in float32 and float64.
    const auto shapes = nn::load_npz(checkpoint_seed("shapes.npz"));
    REQUIRE(shapes.size() == 4);
    REQUIRE(shapes[0].first == "scalar");
    REQUIRE(shapes[0].second.shape() == Shape{});
    REQUIRE(shapes[0].second.item() == 2.5);
    REQUIRE(shapes[1].second.shape() == Shape{0});
    REQUIRE(shapes[1].second.dtype() == kFloat32);
    REQUIRE(shapes[2].second.shape() == Shape{2, 0, 3});
    REQUIRE(shapes[2].second.dtype() == kFloat64);
    REQUIRE(shapes[3].first == "nested.name");
    REQUIRE(shapes[3].second.to_vector() == std::vector<double>{1, 2, 3, 4});
    for (const char* file : {"weight.npy", "weight-bigendian-f8.npy"}) {
        const Tensor w = nn::load_npy(checkpoint_seed(file));
        REQUIRE(w.shape() == Shape{2, 3});
        REQUIRE(w.to_vector() == std::vector<double>{0.5, -0.25, 1.0, -1.5, 2.0, 0.125});
    }

    // IDX seeds: values written by hand in make_corpus.py, and the gzipped copies read the same.
    REQUIRE(read_idx(idx_seed("i16-2x2.idx")).dims == std::vector<std::size_t>{2, 2});
    const IdxArray i16 = read_idx(idx_seed("i16-2x2.idx"));
    REQUIRE(std::vector<double>{i16.at(0), i16.at(1), i16.at(2), i16.at(3)} ==
            std::vector<double>{-2, 258, -32768, 32767});
    const IdxArray i32 = read_idx(idx_seed("i32-1x2x3.idx"));
    REQUIRE(i32.at(3) == 2147483647.0);
    REQUIRE(i32.at(4) == -2147483648.0);
    const IdxArray f64 = read_idx(idx_seed("f64-1x2x1x2.idx"));
    REQUIRE(f64.at(0) == 3.141592653589793);
    REQUIRE(f64.at(3) == -1e300);
    for (const char* file : {"images-u8-3x4x4.idx", "labels-u8-3.idx", "i8-5.idx", "i16-2x2.idx",
                             "i32-1x2x3.idx", "f32-2x2.idx", "f64-1x2x1x2.idx"}) {
        INFO(file);
        const IdxArray raw = read_idx(idx_seed(file));
        const IdxArray gz = read_idx(idx_seed(std::string(file) + ".gz"));
        REQUIRE(raw.type == gz.type);
        REQUIRE(raw.dims == gz.dims);
        REQUIRE(raw.bytes == gz.bytes);
    }
    // Two gzip members read as one stream; a gzip header with a file name is skipped.
    REQUIRE(read_idx(idx_seed("two-members.idx.gz")).bytes ==
            read_idx(idx_seed("images-u8-3x4x4.idx")).bytes);
    REQUIRE(read_idx(idx_seed("labels-with-name.idx.gz")).bytes ==
            std::vector<std::uint8_t>{7, 2, 1});
    const IdxArray digits = read_idx(idx_seed("mnist-2x28x28.idx.gz"));
    REQUIRE(digits.dims == std::vector<std::size_t>{2, 28, 28});
    // The second digit is a bar over rows 6 to 21 and columns 12 to 15.
    REQUIRE(digits.at(784 + 10 * 28 + 13) == 255);
    REQUIRE(digits.at(784 + 2 * 28 + 13) == 0);
}

TEST_CASE("regressions found by fuzzing and reviewing the readers", "[errors][files][fuzz]") {
    TempDir tmp;
    const std::vector<std::uint8_t> one = nn::encode_npy(from_vector({1.5}, {1}, kFloat32));

    SECTION("empty arrays in an archive") {
        // decode_npy copied the elements with memcpy even when there were none, from or into a
        // null pointer (undefined behaviour; UBSan stopped the fuzzer, and the sanitizer build
        // of scripts/run-tests runs this).
        nn::save_npz({{"a", zeros({0})}, {"b", zeros({2, 0, 3}, kFloat64)}}, tmp.file("e.npz"));
        const auto e = nn::load_npz(tmp.file("e.npz"));
        REQUIRE(e.size() == 2);
        REQUIRE(e[0].second.shape() == Shape{0});
        REQUIRE(e[1].second.shape() == Shape{2, 0, 3});
        REQUIRE(e[1].second.numel() == 0);
    }

    SECTION("a deflated entry claiming 4 GB") {
        // load_npz allocated the size an entry claims before inflating it: 1.2 KB of input
        // asked for 3.9 GB (the fuzzer's out-of-memory limit). Deflate expands at most 1032
        // times, so a larger claim is refused before anything is allocated.
        ZipEntry e("w.npy", one);
        e.deflate = true;
        e.claimed_size = 0xF0000000;
        write_bytes(tmp.file("claims.npz"), zip_of(e));
        const std::size_t packed = deflate_raw(one).size();
        expect_error<IOError>(
            "checkpoint entry whose deflated data claims 4 GB",
            [&] { nn::load_npz(tmp.file("claims.npz")); },
            {tmp.file("claims.npz"), "entry w.npy claims 4026531840 bytes, more than its " +
                                         std::to_string(packed) + " deflated bytes can hold"});
        // The claim is checked against deflate's limit, not a guess: 1032 times passes that
        // check (and fails only because the .npy header needs less).
        e.claimed_size = 1032 * packed;
        write_bytes(tmp.file("limit.npz"), zip_of(e));
        require_throws<IOError>([&] { nn::load_npz(tmp.file("limit.npz")); },
                                {"w.npy: trailing data: shape [1] needs 4 bytes of data, found " +
                                 std::to_string(1032 * packed - 128)});
        // A claim that agrees with the .npy header, over a stream that holds more (or less),
        // is refused once the claimed bytes are inflated: never more than one byte past them.
        std::uint32_t crc = 0;
        const auto header =
            npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", 0);
        PackedEntry longer{"w.npy", deflate_zeros({header.begin(), header.end()}, 1 << 20, crc),
                           crc, header.size() + 4};
        write_bytes(tmp.file("longer.npz"), zip_of(std::vector<PackedEntry>{longer}));
        require_throws<IOError>([&] { nn::load_npz(tmp.file("longer.npz")); },
                                {"entry w.npy does not inflate to its 132 bytes (it holds more)"});
        PackedEntry shorter{"w.npy", deflate_raw(header), 0, header.size() + 4};
        write_bytes(tmp.file("shorter.npz"), zip_of(std::vector<PackedEntry>{shorter}));
        require_throws<IOError>([&] { nn::load_npz(tmp.file("shorter.npz")); },
                                {"entry w.npy does not inflate to its 132 bytes"});
    }

    SECTION("names with control characters are escaped in messages") {
        // Entry names went into messages as they were: a NUL cut the message short and escape
        // sequences reached the terminal.
        auto bad = zip_of(ZipEntry(std::string("x\0\n\x1b[2J.npy", 11), one));
        bad[30 + 11 + 128] ^= 1;  // a data byte: the CRC-32 fails
        write_bytes(tmp.file("names.npz"), bad);
        expect_error<IOError>("checkpoint entry named \"x\\0\\n\\x1b[2J.npy\", failing its CRC",
                              [&] { nn::load_npz(tmp.file("names.npz")); },
                              {"entry x\\x00\\x0a\\x1b[2J.npy fails its CRC-32 check"});
        nn::save_npz({{std::string("w\x7f\xff", 3), from_vector({1.5}, {1}, kFloat32)}},
                     tmp.file("names2.npz"));
        auto net = std::make_shared<nn::Linear>(nn::LinearOptions(1, 1));
        expect_error<ValueError>("checkpoint with a tensor named \"w\\x7f\\xff\"",
                                 [&] { nn::load(*net, tmp.file("names2.npz")); },
                                 {"not in the module: w\\x7f\\xff"});
        // A list of names stops after 20.
        nn::NamedTensors many = {{"weight", zeros({1, 1})}, {"bias", zeros({1})}};
        for (int i = 0; i < 25; ++i) many.push_back({"extra" + std::to_string(i), zeros({1})});
        nn::save_npz(many, tmp.file("many.npz"));
        expect_error<ValueError>("checkpoint with 25 tensors the module does not have",
                                 [&] { nn::load(*net, tmp.file("many.npz")); },
                                 {"not in the module: extra0, extra1,", "extra19 and 5 more"});
    }

    SECTION("a local header that disagrees with the central directory") {
        // Only the local header's signature was checked: an archive whose local header named
        // another entry or another compression method loaded silently.
        auto renamed = zip_of(ZipEntry("w.npy", one));
        renamed[30] = 'v';
        write_bytes(tmp.file("renamed.npz"), renamed);
        expect_error<IOError>("checkpoint whose local header names another entry",
                              [&] { nn::load_npz(tmp.file("renamed.npz")); },
                              {"the local header of w.npy does not match its central directory "
                               "record"});
    }

    SECTION("zip64 extra fields are read within their length") {
        // The zip64 sizes were read past the end of their extra field (into the file name of
        // the next record, or anything after it).
        std::vector<unsigned char> short_field;
        put(short_field, 1, 2);
        put(short_field, 8, 2);  // holds one 8-byte value, but two sizes are 0xffffffff
        put(short_field, one.size(), 8);
        ZipEntry e("w.npy", one);
        e.central_extra = short_field;
        e.zip64_sizes = true;
        write_bytes(tmp.file("z64.npz"), zip_of(e));
        expect_error<IOError>("checkpoint with a zip64 extra field too short for its sizes",
                              [&] { nn::load_npz(tmp.file("z64.npz")); },
                              {"the zip64 field of w.npy is too short"});
        std::vector<unsigned char> overlong;
        put(overlong, 0x5455, 2);
        put(overlong, 100, 2);  // says 100 bytes, has 4
        put(overlong, 0, 4);
        ZipEntry o("w.npy", one);
        o.central_extra = overlong;
        write_bytes(tmp.file("extra.npz"), zip_of(o));
        expect_error<IOError>("checkpoint with an extra field running past its end",
                              [&] { nn::load_npz(tmp.file("extra.npz")); },
                              {"an extra field of w.npy runs past its end"});
    }

    SECTION(".npy shapes must be Python tuples") {
        // The shape parser dropped the spaces between digits: "(1 2)" read as (12,), and
        // "(2)3)" as (2, 3).
        const std::string f4 = "{'descr': '<f4', 'fortran_order': False, 'shape': ";
        expect_error<IOError>(".npy header with shape (1 2)",
                              [&] { nn::decode_npy(npy_with_header(f4 + "(1 2), }", 48), "s"); },
                              {"decode_npy: s: malformed shape (1 2)"});
        expect_error<IOError>(".npy header with shape (2)3)",
                              [&] { nn::decode_npy(npy_with_header(f4 + "(2)3), }", 24), "s"); },
                              {"malformed shape (2)3)"});
        require_throws<IOError>([&] { nn::decode_npy(npy_with_header(f4 + "(,), }", 4), "s"); },
                                {"malformed shape (,)"});
        // What numpy writes still reads, Python 2's long integers too.
        REQUIRE(nn::decode_npy(npy_with_header(f4 + "(2, 3), }", 24), "s").shape() == Shape{2, 3});
        REQUIRE(nn::decode_npy(npy_with_header(f4 + "(4,), }", 16), "s").shape() == Shape{4});
        REQUIRE(nn::decode_npy(npy_with_header(f4 + "(2L, 1L), }", 8), "s").shape() == Shape{2, 1});
        REQUIRE(nn::decode_npy(npy_with_header(f4 + "(), }", 4), "s").shape() == Shape{});
    }

    SECTION("a gzipped IDX file that inflates far beyond its header") {
        // read_idx inflated the whole file (up to 16 GB) before looking at the header, so a few
        // kilobytes of gzip could take gigabytes of memory. It now reads the header, then the
        // data the header announces, and stops at the first byte too many (it counted up to
        // 1 MB more at first): here a header announcing one byte, followed by 64 MB of zeros in
        // 64 gzip members of 1 KB each.
        std::vector<unsigned char> file = gzip_member({0, 0, 8, 1, 0, 0, 0, 1, 42});
        const auto mb = gzip_member(std::vector<unsigned char>(1 << 20, 0));
        for (int i = 0; i < 64; ++i) file.insert(file.end(), mb.begin(), mb.end());
        REQUIRE(file.size() < 128 * 1024);
        write_bytes(tmp.file("bomb.gz"), file);
        expect_error<IOError>("gzipped IDX file: a 1-byte header, then 64 MB (in 70 KB of gzip)",
                              [&] { read_idx(tmp.file("bomb.gz")); },
                              {tmp.file("bomb.gz"),
                               "trailing data: sizes 1 of uint8 need 1 bytes of data, the file "
                               "has at least 2"});
    }

    SECTION("zlib's messages do not repeat the file name") {
        const std::string path = idx_seed("broken-bad-crc.idx.gz");
        try {
            read_idx(path);
            FAIL("read a gzip file with a wrong CRC-32");
        } catch (const IOError& e) {
            const std::string msg = e.what();
            REQUIRE(msg == "read_idx: " + path + ": corrupt gzip data: incorrect data check");
        }
    }
}

TEST_CASE("memory bombs are refused before they are inflated", "[errors][files][bombs]") {
    // Each file announces or holds gigabytes in a few megabytes of deflate. The readers ran
    // until killed (16 GB resident) or took gigabytes and seconds before refusing; now they
    // refuse from the headers, within 256 MB more address space than the test already has.
    constexpr std::uint64_t kMiB = std::uint64_t(1) << 20;
    constexpr std::size_t kLimit = 256 << 20;
    TempDir tmp;

    SECTION("the bomb builders make valid files") {
        // Small enough to read: the same builders give files that read back as what they hold.
        write_bytes(tmp.file("zeros.idx.gz"), gzip_zeros(idx_u8_header({8, 1024, 1024}), 8 * kMiB));
        const IdxArray a = read_idx(tmp.file("zeros.idx.gz"));
        REQUIRE(a.dims == std::vector<std::size_t>{8, 1024, 1024});
        REQUIRE(std::count(a.bytes.begin(), a.bytes.end(), 0) == 8 * 1024 * 1024);
        const auto npy =
            npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (131072,), }", 0);
        PackedEntry e{"w.npy", {}, 0, npy.size() + kMiB};
        e.packed = deflate_zeros({npy.begin(), npy.end()}, kMiB, e.crc);
        write_bytes(tmp.file("zeros.npz"), zip_of(std::vector<PackedEntry>{e}));
        const auto loaded = nn::load_npz(tmp.file("zeros.npz"));
        REQUIRE(loaded.size() == 1);
        REQUIRE(loaded[0].second.to_vector() == std::vector<double>(131072, 0.0));
    }

    SECTION("a gzipped IDX file announcing more than its gzip data can hold") {
        // 3.5 GB announced (under the 4 GiB limit), 512 MB held in 0.5 MB: read_idx inflated
        // all 512 MB (and would have taken 3.5 GB from a larger file) before it found the file
        // truncated. 3.5 GB is more than 1032 times the file's size.
        const std::string path = tmp.file("announces.idx.gz");
        const auto gz = gzip_zeros(idx_u8_header({3500, 1000, 1000}), 512 * kMiB);
        write_bytes(path, gz);
        const std::string why =
            "truncated: sizes 3500x1000x1000 of uint8 need 3500000000 bytes "
            "of data, more than " +
            std::to_string(gz.size()) + " bytes of gzip data can hold";
        REQUIRE(within_memory(kLimit, [&] {
            if (!throws_error<IOError>([&] { read_idx(path); }, why)) throw std::runtime_error("");
        }));
        expect_error<IOError>("gzipped IDX file announcing 3.5 GB, holding 512 MB in 0.5 MB",
                              [&] { read_idx(path); }, {path, why, "deflate expands at most 1032"});
    }

    SECTION("a gzipped IDX file over the size limit, whose gzip data can hold it") {
        // 4.3 GB announced and held, in 4.2 MB: read_idx inflated it all (a 17 MB file holding
        // 17.2 GB took 16 GB before the process was killed). Over kIdxMaxBytes (4 GiB), it is
        // refused from its header; a larger max_bytes would read it.
        const std::string path = tmp.file("holds.idx.gz");
        write_bytes(path, gzip_zeros(idx_u8_header({4352, 1024, 1024}), 4352 * kMiB));
        REQUIRE(within_memory(kLimit, [&] {
            if (!throws_error<IOError>([&] { read_idx(path); }, "over the limit"))
                throw std::runtime_error("");
        }));
        expect_error<IOError>("gzipped IDX file holding 4.3 GB in 4.2 MB", [&] { read_idx(path); },
                              {path,
                               "sizes 4352x1024x1024 of uint8 are absurdly large: they need "
                               "4563402752 bytes of data, over the limit of 4294967296 bytes"});
        // The limit is a parameter: a file over a smaller one is refused the same way.
        const std::string small = idx_seed("images-u8-3x4x4.idx");
        require_throws<IOError>([&] { read_idx(small, 47); },
                                {"they need 48 bytes of data, over the limit of 47 bytes"});
        REQUIRE(read_idx(small, 48).bytes.size() == 48);
    }

    SECTION("a checkpoint entry of the wrong shape holding 2 GiB") {
        // A 2 MB archive of the fuzz module's tensors whose 0.weight is 2 GiB of zeros of shape
        // [536870912]: nn::load inflated it (4.2 GB, 12.5 s) before it compared shapes. The
        // .npy header is read first now, and the shape refused.
        const std::string path = tmp.file("shape-bomb.npz");
        std::vector<PackedEntry> entries;
        for (const auto& [name, t] : fuzz_module()->state()) {
            PackedEntry e{name + ".npy", {}, 0, 0};
            std::vector<std::uint8_t> npy = nn::encode_npy(t);
            if (name == "0.weight") {
                npy = npy_with_header(
                    "{'descr': '<f4', 'fortran_order': False, 'shape': (536870912,), }", 0);
                e.size = npy.size() + (std::uint64_t(2) << 30);
                e.packed = deflate_zeros({npy.begin(), npy.end()}, std::uint64_t(2) << 30, e.crc);
            } else {
                e.size = npy.size();
                e.packed = deflate_zeros({npy.begin(), npy.end()}, 0, e.crc);
            }
            entries.push_back(e);
        }
        write_bytes(path, zip_of(entries));
        REQUIRE(read_bytes(path).size() < 3 * kMiB);
        const std::string why = "0.weight is [536870912] in the file but [2, 3] in the module";
        REQUIRE(within_memory(kLimit, [&] {
            auto net = fuzz_module();
            if (!throws_error<ShapeError>([&] { nn::load(*net, path); }, why))
                throw std::runtime_error("");
        }));
        auto net = fuzz_module();
        const auto before = values_of(*net);
        expect_error<ShapeError>("checkpoint whose 0.weight is 2 GiB of the wrong shape, in 2 MB",
                                 [&] { nn::load(*net, path); }, {path, "shapes differ: " + why});
        REQUIRE(values_of(*net) == before);
        // An entry whose .npy header announces less than the archive says it holds is refused
        // before it is inflated too (load_npz allocated and inflated the 2 GiB first).
        const auto small =
            npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 0);
        entries[0].packed =
            deflate_zeros({small.begin(), small.end()}, std::uint64_t(2) << 30, entries[0].crc);
        entries[0].size = small.size() + (std::uint64_t(2) << 30);
        write_bytes(path, zip_of(entries));
        const std::string trailing =
            "0.weight.npy: trailing data: shape [2, 3] needs 24 bytes of data, found 2147483648";
        REQUIRE(within_memory(kLimit, [&] {
            if (!throws_error<IOError>([&] { nn::load_npz(path); }, trailing))
                throw std::runtime_error("");
        }));
        expect_error<IOError>("checkpoint entry of shape [2, 3] holding 2 GiB, in 2 MB",
                              [&] { nn::load_npz(path); }, {path, trailing});
    }
}

TEST_CASE("gzip data ends where its last member ends", "[errors][files][idx]") {
    // zlib's gzread stopped at the end of the last gzip member and ignored whatever followed, so
    // a gzipped IDX file with trailing bytes read, while a plain one is refused. Members back to
    // back still read as one stream (RFC 1952, and gzip(1)); anything else after them is
    // refused, zeros included (gzip(1) only warns about them).
    TempDir tmp;
    const std::vector<unsigned char> labels = {0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1};
    const auto gz = gzip_member(labels);
    auto with = [&](const std::vector<unsigned char>& tail) {
        std::vector<unsigned char> b = gz;
        b.insert(b.end(), tail.begin(), tail.end());
        return b;
    };
    write_bytes(tmp.file("garbage.idx.gz"), with({'j', 'u', 'n', 'k'}));
    expect_error<IOError>("gzipped IDX file followed by 4 bytes of text",
                          [&] { read_idx(tmp.file("garbage.idx.gz")); },
                          {"read_idx: " + tmp.file("garbage.idx.gz"),
                           "trailing garbage: 4 bytes after the end of the gzip data (at byte " +
                               std::to_string(gz.size()) + ") that are not a gzip member"});
    write_bytes(tmp.file("zeros.idx.gz"), with(std::vector<unsigned char>(512, 0)));
    expect_error<IOError>("gzipped IDX file followed by 512 zero bytes",
                          [&] { read_idx(tmp.file("zeros.idx.gz")); },
                          {"trailing garbage: 512 bytes after the end of the gzip data"});
    write_bytes(tmp.file("one.idx.gz"), with({0x1f}));
    expect_error<IOError>("gzipped IDX file followed by half a gzip magic number",
                          [&] { read_idx(tmp.file("one.idx.gz")); },
                          {"trailing garbage: 1 bytes after the end of the gzip data"});
    // A second member cut short is a truncated gzip file; a second member of no data, a gzip
    // file still.
    const auto empty = gzip_member({});
    write_bytes(tmp.file("cut.idx.gz"), with({empty.begin(), empty.begin() + 12}));
    expect_error<IOError>("gzipped IDX file followed by a gzip member cut short",
                          [&] { read_idx(tmp.file("cut.idx.gz")); },
                          {"truncated gzip data (unexpected end of file)"});
    write_bytes(tmp.file("two.idx.gz"), with(empty));
    REQUIRE(read_idx(tmp.file("two.idx.gz")).bytes == std::vector<std::uint8_t>{7, 2, 1});
    // Trailing bytes after the data inside the gzip stream are trailing data, as in a plain file.
    write_bytes(tmp.file("long.idx.gz"), gzip_member({0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1, 9}));
    expect_error<IOError>("gzipped IDX file holding one byte more than its header announces",
                          [&] { read_idx(tmp.file("long.idx.gz")); },
                          {"trailing data: sizes 3 of uint8 need 3 bytes of data, the file has "
                           "at least 4"});
}
