#include "nn/data/dataset.hpp"

#include <algorithm>
#include <cmath>

#include "autograd/errors.hpp"
#include "nn/data/idx.hpp"

namespace tg::nn::data {

Dataset::Dataset(std::vector<std::uint8_t> pixels, Shape example_shape,
                 std::vector<std::int64_t> labels, std::size_t num_classes)
    : pixels_(std::move(pixels)),
      example_shape_(std::move(example_shape)),
      labels_(std::move(labels)),
      num_classes_(num_classes) {
    example_numel_ = 1;
    for (auto d : example_shape_) example_numel_ *= d;
    if (example_numel_ == 0) {
        throw ValueError("Dataset: empty example shape " + shape_str(example_shape_));
    }
    if (pixels_.size() != labels_.size() * example_numel_) {
        throw ValueError("Dataset: " + std::to_string(pixels_.size()) + " pixels for " +
                         std::to_string(labels_.size()) + " examples of shape " +
                         shape_str(example_shape_));
    }
    for (std::size_t i = 0; i < labels_.size(); ++i) {
        if (labels_[i] < 0 || static_cast<std::size_t>(labels_[i]) >= num_classes_) {
            throw ValueError("Dataset: label " + std::to_string(labels_[i]) + " of example " +
                             std::to_string(i) + " is outside [0, " + std::to_string(num_classes_) +
                             ")");
        }
    }
}

Dataset Dataset::from_idx(const std::string& images_path, const std::string& labels_path,
                          std::size_t num_classes) {
    IdxArray images = read_idx(images_path);
    const IdxArray labels = read_idx(labels_path);
    if (images.type != IdxType::u8) {
        throw IOError("Dataset::from_idx: " + images_path + ": images of " +
                      idx_type_name(images.type) + "; expected uint8 pixels");
    }
    if (images.dims.size() < 2) {
        throw IOError("Dataset::from_idx: " + images_path + ": rank " +
                      std::to_string(images.dims.size()) +
                      "; expected [examples, ...] with at least 2 dimensions");
    }
    if (labels.type != IdxType::u8 || labels.dims.size() != 1) {
        throw IOError("Dataset::from_idx: " + labels_path + ": expected a rank-1 uint8 array of " +
                      "labels, got rank " + std::to_string(labels.dims.size()) + " of " +
                      idx_type_name(labels.type));
    }
    if (labels.dims[0] != images.dims[0]) {
        throw IOError("Dataset::from_idx: " + labels_path + " has " +
                      std::to_string(labels.dims[0]) + " labels but " + images_path + " has " +
                      std::to_string(images.dims[0]) + " images");
    }
    std::vector<std::int64_t> y(labels.bytes.begin(), labels.bytes.end());
    const std::int64_t largest = *std::max_element(y.begin(), y.end());
    if (num_classes == 0) num_classes = static_cast<std::size_t>(largest) + 1;
    if (static_cast<std::size_t>(largest) >= num_classes) {
        throw IOError("Dataset::from_idx: " + labels_path + ": label " + std::to_string(largest) +
                      " is outside [0, " + std::to_string(num_classes) + ")");
    }
    Shape example(images.dims.begin() + 1, images.dims.end());
    return Dataset(std::move(images.bytes), std::move(example), std::move(y), num_classes);
}

std::pair<double, double> Dataset::pixel_mean_std() const {
    if (pixels_.empty()) throw ValueError("Dataset::pixel_mean_std: empty dataset");
    // Exact integer sums: no rounding however many pixels there are.
    std::uint64_t sum = 0, sum_sq = 0;
    for (std::uint8_t p : pixels_) {
        sum += p;
        sum_sq += std::uint64_t(p) * p;
    }
    const double n = static_cast<double>(pixels_.size());
    const double mean = static_cast<double>(sum) / n;
    const double var = static_cast<double>(sum_sq) / n - mean * mean;
    return {mean / 255.0, std::sqrt(std::max(var, 0.0)) / 255.0};
}

void Dataset::reshape_examples(Shape example_shape) {
    std::size_t n = 1;
    for (auto d : example_shape) n *= d;
    if (n != example_numel_) {
        throw ShapeError("Dataset::reshape_examples: examples of shape " +
                         shape_str(example_shape_) + " cannot be viewed as " +
                         shape_str(example_shape));
    }
    example_shape_ = std::move(example_shape);
}

Dataset Dataset::slice(std::size_t begin, std::size_t end) const {
    if (begin > end || end > size()) {
        throw ValueError("Dataset::slice: [" + std::to_string(begin) + ", " + std::to_string(end) +
                         ") of " + std::to_string(size()) + " examples");
    }
    std::vector<std::uint8_t> px(example(begin), example(begin) + (end - begin) * example_numel_);
    std::vector<std::int64_t> y(labels_.begin() + static_cast<std::ptrdiff_t>(begin),
                                labels_.begin() + static_cast<std::ptrdiff_t>(end));
    return Dataset(std::move(px), example_shape_, std::move(y), num_classes_);
}

}  // namespace tg::nn::data
