#pragma once
// Dataset: labelled examples of 8-bit pixels, such as MNIST's images. Pixels are kept as bytes
// (Fashion-MNIST's 60,000 training images take 47 MB) and become tensors, scaled to [0, 1] and
// normalised, only a batch at a time (see DataLoader).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "../../autograd/tensor.hpp"

namespace tg::nn::data {

class Dataset {
  public:
    Dataset() = default;
    // pixels: size() * prod(example_shape) bytes, example after example. labels in
    // [0, num_classes). ValueError if the sizes disagree or a label is out of range.
    Dataset(std::vector<std::uint8_t> pixels, Shape example_shape, std::vector<std::int64_t> labels,
            std::size_t num_classes);

    // An IDX image file [n, ...] (uint8) and an IDX label file [n] (uint8); num_classes = 1 +
    // the largest label unless given. IOError naming the file if they do not fit together.
    static Dataset from_idx(const std::string& images_path, const std::string& labels_path,
                            std::size_t num_classes = 0);

    std::size_t size() const { return labels_.size(); }
    const Shape& example_shape() const { return example_shape_; }
    std::size_t example_numel() const { return example_numel_; }
    std::size_t num_classes() const { return num_classes_; }
    const std::vector<std::int64_t>& labels() const { return labels_; }
    const std::vector<std::uint8_t>& pixels() const { return pixels_; }
    const std::uint8_t* example(std::size_t i) const { return pixels_.data() + i * example_numel_; }

    // Mean and standard deviation of all pixels scaled to [0, 1]: the numbers to normalise with.
    std::pair<double, double> pixel_mean_std() const;
    // Views every example with another shape of the same size: [28, 28] -> [1, 28, 28].
    void reshape_examples(Shape example_shape);
    // Examples begin..end-1 as a dataset of their own.
    Dataset slice(std::size_t begin, std::size_t end) const;

  private:
    std::vector<std::uint8_t> pixels_;
    Shape example_shape_;
    std::size_t example_numel_ = 0;
    std::vector<std::int64_t> labels_;
    std::size_t num_classes_ = 0;
};

}  // namespace tg::nn::data
