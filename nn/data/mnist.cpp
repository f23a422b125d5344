#include "nn/data/mnist.hpp"

#include <sys/stat.h>

#include <vector>

#include "autograd/errors.hpp"

namespace tg::nn::data {

namespace {

bool is_file(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::vector<std::string> candidates(const std::string& dir, Split split, bool labels) {
    const std::string prefix = split == Split::train ? "train" : "t10k";
    const std::string kind = labels ? "labels" : "images";
    const std::string idx = labels ? "idx1-ubyte" : "idx3-ubyte";
    const std::string base = dir.empty() || dir.back() == '/' ? dir : dir + "/";
    std::vector<std::string> out;
    for (const std::string sep : {"-", "."}) {
        for (const std::string ext : {"", ".gz"})
            out.push_back(base + prefix + "-" + kind + sep + idx + ext);
    }
    return out;
}

}  // namespace

std::string mnist_file(const std::string& dir, Split split, bool labels) {
    const auto names = candidates(dir, split, labels);
    for (const auto& p : names)
        if (is_file(p)) return p;
    std::string tried;
    for (const auto& p : names) tried += (tried.empty() ? "" : ", ") + p;
    throw IOError("load_mnist: no " + std::string(split == Split::train ? "training" : "test") +
                  (labels ? " labels" : " images") + " in " + dir + " (tried " + tried + ")");
}

bool has_mnist_split(const std::string& dir, Split split) {
    for (bool labels : {false, true}) {
        bool found = false;
        for (const auto& p : candidates(dir, split, labels)) found = found || is_file(p);
        if (!found) return false;
    }
    return true;
}

Dataset load_mnist(const std::string& dir, Split split) {
    const std::string images = mnist_file(dir, split, false);
    const std::string labels = mnist_file(dir, split, true);
    Dataset raw = Dataset::from_idx(images, labels, 10);
    const Shape& s = raw.example_shape();
    if (s.size() != 2) {
        throw IOError("load_mnist: " + images + ": images of shape " + shape_str(s) +
                      "; expected [rows, columns]");
    }
    raw.reshape_examples(Shape{1, s[0], s[1]});  // the channel axis
    return raw;
}

}  // namespace tg::nn::data
