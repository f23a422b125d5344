#pragma once
// MNIST-format directories (MNIST, Fashion-MNIST, KMNIST, or your own IDX files laid out the
// same way): train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
// t10k-labels-idx1-ubyte, each optionally gzipped (.gz). The variant names with a dot before
// "idx" (train-images.idx3-ubyte) are found too.

#include <string>

#include "dataset.hpp"

namespace tg::nn::data {

enum class Split { train, test };

// The path of a split's images or labels in dir; IOError listing the names tried if none exists.
std::string mnist_file(const std::string& dir, Split split, bool labels);
// Whether dir holds both files of the split.
bool has_mnist_split(const std::string& dir, Split split);

// The split as a Dataset of [1, 28, 28] examples (channel first, ready for Conv2d) with 10
// classes. IOError naming the file if anything is missing or malformed.
Dataset load_mnist(const std::string& dir, Split split);

// Normalisation constants of the training sets (pixels scaled to [0, 1]).
constexpr double kMnistMean = 0.1307, kMnistStd = 0.3081;
constexpr double kFashionMnistMean = 0.2860, kFashionMnistStd = 0.3530;

}  // namespace tg::nn::data
