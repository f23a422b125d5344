// Checkpoints: the .npy encoding byte for byte, .npz round trips of parameters and buffers, and
// clear failures on mismatched or corrupt files.

#include <zlib.h>

#include "nn_helpers.hpp"

using namespace tgtest;
using namespace tg;

namespace {

std::shared_ptr<nn::Sequential> small_net(Generator& gen, std::size_t hidden = 4) {
    return std::make_shared<nn::Sequential>(
        std::make_shared<nn::Conv2d>(nn::Conv2dOptions(1, 2, 3), gen),
        std::make_shared<nn::BatchNorm2d>(nn::BatchNormOptions(2)), std::make_shared<nn::ReLU>(),
        std::make_shared<nn::Flatten>(),
        std::make_shared<nn::Linear>(nn::LinearOptions(8, hidden), gen));
}

std::uint32_t le32(const std::vector<unsigned char>& b, std::size_t at) {
    return b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (std::uint32_t(b[at + 3]) << 24);
}

}  // namespace

TEST_CASE(".npy encoding follows numpy's format 1.0", "[nn][serialize]") {
    const Tensor t = from_vector({1.5, -2.0}, {2, 1}, kFloat32);
    const auto bytes = nn::encode_npy(t);
    // Magic (6 bytes), version 1.0, header length (2 bytes, little-endian), then the header
    // dict (59 characters here), padded with spaces and ended by a newline so that the data
    // starts at a multiple of 64: 10 + 59 + 1 = 70, padded to 128.
    const std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1), }";
    REQUIRE(header.size() == 59);
    REQUIRE(bytes.size() == 128 + 8);
    REQUIRE(std::string(bytes.begin(), bytes.begin() + 6) == "\x93NUMPY");
    REQUIRE(bytes[6] == 1);
    REQUIRE(bytes[7] == 0);
    REQUIRE(bytes[8] + 256 * bytes[9] == 128 - 10);
    const std::string h(bytes.begin() + 10, bytes.begin() + 128);
    REQUIRE(h == header + std::string(128 - 10 - 59 - 1, ' ') + "\n");
    // 1.5f = 0x3fc00000, little-endian.
    REQUIRE(std::vector<std::uint8_t>(bytes.begin() + 128, bytes.begin() + 132) ==
            std::vector<std::uint8_t>{0, 0, 0xc0, 0x3f});
    // Shapes of rank 0 and 1 are written as Python tuples.
    const auto scalar = nn::encode_npy(scalar_tensor(2.0, kFloat64));
    REQUIRE(std::string(scalar.begin() + 10, scalar.begin() + 70).find("'shape': (), }") !=
            std::string::npos);
    const auto vec = nn::encode_npy(zeros({5}));
    REQUIRE(std::string(vec.begin() + 10, vec.begin() + 70).find("'shape': (5,), }") !=
            std::string::npos);
    // And decode_npy reads them back, including a big-endian float64 written by hand.
    require_close_tensors(nn::decode_npy(bytes, "t"), t, 0);
    std::string be = "{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }";
    std::string text = std::string("\x93NUMPY\x01", 7) + '\0' + static_cast<char>(be.size()) +
                       '\0' + be + "\x40\x09\x21\xfb\x54\x44\x2d\x18";  // pi, big-endian
    const std::vector<std::uint8_t> raw(text.begin(), text.end());
    REQUIRE(nn::decode_npy(raw, "pi").item() == 3.141592653589793);
    require_throws<IOError>([&] { nn::decode_npy({1, 2, 3}, "junk"); }, {"junk", "bad magic"});
}

TEST_CASE("save then load restores parameters and buffers by name", "[nn][serialize]") {
    TempDir tmp;
    Generator g1(1), g2(2);
    auto a = small_net(g1), b = small_net(g2);
    // One training step, so that the batch norm's running statistics are not the defaults.
    a->train();
    sum((*a)(rand({4, 1, 4, 4}, g1))).backward();
    const std::string path = tmp.file("model.npz");
    nn::save(*a, path);
    // Only the archive remains: the temporary file was renamed into place.
    REQUIRE(tmp.list() == std::vector<std::string>{"model.npz"});
    nn::load(*b, path);
    const auto sa = a->state(), sb = b->state();
    REQUIRE(sa.size() == sb.size());
    for (std::size_t i = 0; i < sa.size(); ++i) {
        INFO(sa[i].first);
        require_close_tensors(sa[i].second, sb[i].second, 0);
    }
    // Loaded parameters are still the module's trainable leaves.
    REQUIRE(b->parameters()[0].requires_grad());
    REQUIRE(b->parameters()[0].same(b->at<nn::Conv2d>(0)->weight));
    // The archive lists every tensor under its path, parameters then buffers.
    const auto stored = nn::load_npz(path);
    std::vector<std::string> names;
    for (const auto& [n, t] : stored) names.push_back(n);
    REQUIRE(names == std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias",
                                              "4.weight", "4.bias", "1.running_mean",
                                              "1.running_var"});
    // Saving again over the file replaces it.
    nn::save(*b, path);
    REQUIRE(tmp.list().size() == 1);
    // A float64 model loads a float32 checkpoint (values converted).
    auto d = std::make_shared<nn::Linear>(nn::LinearOptions(8, 4).dtype(kFloat64), g2);
    nn::save_npz({{"weight", a->at<nn::Linear>(4)->weight}, {"bias", a->at<nn::Linear>(4)->bias}},
                 tmp.file("lin.npz"));
    nn::load(*d, tmp.file("lin.npz"));
    require_close(d->weight, a->at<nn::Linear>(4)->weight.to_vector(), 0);
}

TEST_CASE("loading a checkpoint of another model fails and changes nothing",
          "[nn][serialize][errors]") {
    TempDir tmp;
    Generator gen(3);
    auto a = small_net(gen);
    nn::save(*a, tmp.file("a.npz"));
    // Shapes differ: the last layer has 5 outputs instead of 4.
    auto wider = small_net(gen, 5);
    const auto before = wider->at<nn::Linear>(4)->weight.to_vector();
    const auto conv_before = wider->at<nn::Conv2d>(0)->weight.to_vector();
    require_throws<ShapeError>(
        [&] { nn::load(*wider, tmp.file("a.npz")); },
        {tmp.file("a.npz"), "4.weight is [4, 8] in the file but [5, 8] in the module",
         "4.bias is [4]"});
    REQUIRE(wider->at<nn::Linear>(4)->weight.to_vector() == before);
    REQUIRE(wider->at<nn::Conv2d>(0)->weight.to_vector() == conv_before);
    // Names differ: a network without batch norm.
    auto other = std::make_shared<nn::Sequential>(
        std::make_shared<nn::Conv2d>(nn::Conv2dOptions(1, 2, 3), gen),
        std::make_shared<nn::ReLU>());
    require_throws<ValueError>(
        [&] { nn::load(*other, tmp.file("a.npz")); },
        {"not in the module: 1.weight, 1.bias, 4.weight, 4.bias, 1.running_mean"});
    nn::save(*other, tmp.file("other.npz"));
    require_throws<ValueError>([&] { nn::load(*a, tmp.file("other.npz")); },
                               {"missing from the file: 1.weight"});
}

TEST_CASE("corrupt checkpoints give an IOError naming the file", "[nn][serialize][errors]") {
    TempDir tmp;
    Generator gen(4);
    auto net = small_net(gen);
    nn::save(*net, tmp.file("good.npz"));
    const auto good = read_bytes(tmp.file("good.npz"));

    write_bytes(tmp.file("cut.npz"), std::vector<unsigned char>(good.begin(), good.begin() + 100));
    require_throws<IOError>([&] { nn::load(*net, tmp.file("cut.npz")); },
                            {tmp.file("cut.npz"), "not a valid .npz archive"});

    // Flip one bit of the first tensor's data (after its 128-byte .npy header): its CRC-32
    // no longer matches.
    auto flipped = good;
    const std::size_t name_len = flipped[26] | (flipped[27] << 8);
    flipped[30 + name_len + 128 + 3] ^= 0x01;
    write_bytes(tmp.file("flip.npz"), flipped);
    require_throws<IOError>([&] { nn::load(*net, tmp.file("flip.npz")); },
                            {"entry 0.weight.npy fails its CRC-32 check"});

    write_bytes(tmp.file("text.npz"), std::vector<unsigned char>(200, 'x'));
    require_throws<IOError>([&] { nn::load(*net, tmp.file("text.npz")); },
                            {"no end-of-central-directory record"});
    require_throws<IOError>([&] { nn::load(*net, tmp.file("absent.npz")); },
                            {"absent.npz", "cannot open"});
    require_throws<IOError>([&] { nn::save(*net, tmp.file("no/such/dir/model.npz")); },
                            {"no/such/dir/model.npz", "cannot create"});
}

TEST_CASE("the archive is a plain zip: stored entries with valid CRCs", "[nn][serialize]") {
    TempDir tmp;
    const Tensor t = from_vector({1, 2, 3}, {3}, kFloat64);
    nn::save_npz({{"x", t}}, tmp.file("x.npz"));
    const auto b = read_bytes(tmp.file("x.npz"));
    // Local header: signature, method 0 (stored), CRC and sizes of the entry "x.npy".
    REQUIRE(le32(b, 0) == 0x04034b50);
    REQUIRE((b[8] | (b[9] << 8)) == 0);
    const auto npy = nn::encode_npy(t);
    REQUIRE(le32(b, 18) == npy.size());
    REQUIRE(std::string(b.begin() + 30, b.begin() + 35) == "x.npy");
    REQUIRE(le32(b, 14) == crc32(0, npy.data(), static_cast<uInt>(npy.size())));
    // The end record counts one entry.
    REQUIRE(le32(b, b.size() - 22) == 0x06054b50);
    REQUIRE((b[b.size() - 22 + 10] | (b[b.size() - 22 + 11] << 8)) == 1);
}

namespace {
void put(std::vector<unsigned char>& b, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) b.push_back(static_cast<unsigned char>(v >> (8 * i)));
}
}  // namespace

TEST_CASE("archives with deflated entries and zip64 fields load too", "[nn][serialize]") {
    // What numpy.savez_compressed writes through Python's zipfile: deflated entries whose
    // sizes sit in zip64 extra fields (0xffffffff in the 32-bit fields), built here by hand.
    const Tensor t = from_vector({0.5, -1.25, 3.0, 8.0, -2.0, 1.0}, {2, 3}, kFloat64);
    const std::vector<std::uint8_t> npy = nn::encode_npy(t);
    std::vector<unsigned char> packed(compressBound(static_cast<uLong>(npy.size())) + 64);
    z_stream z{};
    REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    z.next_in = const_cast<Bytef*>(npy.data());
    z.avail_in = static_cast<uInt>(npy.size());
    z.next_out = packed.data();
    z.avail_out = static_cast<uInt>(packed.size());
    REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
    packed.resize(z.total_out);
    deflateEnd(&z);
    const std::uint32_t crc = crc32(0, npy.data(), static_cast<uInt>(npy.size()));
    const std::string name = "w.npy";

    std::vector<unsigned char> b;
    put(b, 0x04034b50, 4);
    put(b, 45, 2);
    put(b, 0, 2);
    put(b, 8, 2);  // deflate
    put(b, 0, 4);  // time, date
    put(b, crc, 4);
    put(b, 0xffffffff, 4);
    put(b, 0xffffffff, 4);
    put(b, name.size(), 2);
    put(b, 20, 2);  // zip64 extra: id, size, then uncompressed and compressed sizes
    b.insert(b.end(), name.begin(), name.end());
    put(b, 1, 2);
    put(b, 16, 2);
    put(b, npy.size(), 8);
    put(b, packed.size(), 8);
    b.insert(b.end(), packed.begin(), packed.end());
    const std::size_t cd = b.size();
    put(b, 0x02014b50, 4);
    put(b, 45, 2);
    put(b, 45, 2);
    put(b, 0, 2);
    put(b, 8, 2);
    put(b, 0, 4);
    put(b, crc, 4);
    put(b, 0xffffffff, 4);
    put(b, 0xffffffff, 4);
    put(b, name.size(), 2);
    put(b, 20, 2);
    put(b, 0, 2);  // comment
    put(b, 0, 2);  // disk
    put(b, 0, 2);
    put(b, 0, 4);
    put(b, 0, 4);  // local header offset
    b.insert(b.end(), name.begin(), name.end());
    put(b, 1, 2);
    put(b, 16, 2);
    put(b, npy.size(), 8);
    put(b, packed.size(), 8);
    const std::size_t cd_size = b.size() - cd;
    put(b, 0x06054b50, 4);
    put(b, 0, 4);
    put(b, 1, 2);
    put(b, 1, 2);
    put(b, cd_size, 4);
    put(b, cd, 4);
    put(b, 0, 2);

    TempDir tmp;
    write_bytes(tmp.file("c.npz"), b);
    const auto loaded = nn::load_npz(tmp.file("c.npz"));
    REQUIRE(loaded.size() == 1);
    REQUIRE(loaded[0].first == "w");
    require_close_tensors(loaded[0].second, t, 0);
    // A corrupted deflate stream is caught.
    auto bad = b;
    bad[30 + name.size() + 20 + 5] ^= 0xff;
    write_bytes(tmp.file("bad.npz"), bad);
    require_throws<IOError>([&] { nn::load_npz(tmp.file("bad.npz")); }, {"w.npy"});
}
