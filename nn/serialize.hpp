#pragma once
// Saving and loading a module's parameters and buffers by name, in an .npz archive that numpy
// reads: numpy.load("model.npz")["features.0.weight"]. The format is described in
// docs/checkpoint-format.md.
//
// Saving is atomic: the archive is written to a temporary file that is renamed over the target
// (and the temporary files that killed saves of that target left behind are removed).
// Loading checks the archive (its records, every entry's .npy header, the CRC-32 of stored
// entries) and the names and shapes against the module before it inflates any tensor data, and
// every tensor (CRC-32 included) before it writes a single value, so a failed load leaves the
// module as it was and a mismatched entry costs no memory.

#include <string>

#include "module.hpp"

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

// The archive format without a module: tensors by name, in order. IOError if a name appears
// twice.
void save_npz(const NamedTensors& tensors, const std::string& path);
NamedTensors load_npz(const std::string& path);

}  // namespace tg::nn
