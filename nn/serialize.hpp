#pragma once
// Saving and loading a module's parameters and buffers by name, in an .npz archive that numpy
// reads: numpy.load("model.npz")["features.0.weight"]. The format is described in
// docs/checkpoint-format.md.
//
// Saving is atomic: the archive is written to a temporary file that is renamed over the target.
// Loading checks the archive (every entry's CRC-32 and .npy header) and the names and shapes
// against the module before it writes a single value, so a failed load leaves the module as it
// was.

#include <string>

#include "nn/module.hpp"

namespace tg::nn {

// Writes every tensor of module.state() (parameters, then buffers) as "<name>.npy".
void save(const Module& module, const std::string& path);

// Reads an archive written by save() (or by numpy.savez / savez_compressed) into the module's
// parameters and buffers, in place; values are converted to each tensor's dtype.
// - tg::IOError naming the file if it cannot be read or is corrupt;
// - tg::ValueError listing the names if the archive lacks one of the module's tensors or holds
//   one the module does not have;
// - tg::ShapeError listing each tensor whose shape differs.
void load(Module& module, const std::string& path);

// The archive format without a module: tensors by name, in order.
void save_npz(const NamedTensors& tensors, const std::string& path);
NamedTensors load_npz(const std::string& path);

}  // namespace tg::nn
