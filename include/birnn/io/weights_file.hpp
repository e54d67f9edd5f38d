#pragma once
/// @file
/// Saving and loading a list of weights (Keras `get_weights()` order) in birnn's own small
/// binary format, so that a trained model can be stored and read back exactly:
/// `io::save_weights(model, path)` / `io::load_weights(model, path)`. Keras counterpart:
/// `model.save_weights("x.weights.h5")` (HDF5, which birnn does not read; import Keras
/// weights through `birnn::keras::weights_from_json` instead).
///
/// Format (all integers little-endian): the 8 bytes `BIRNNW01`, a `uint32` value size (4 for
/// float, 8 for double), a `uint64` tensor count, then per tensor a `uint64` rank, `rank`
/// `int64` dimensions and the values in row-major order (IEEE 754, little-endian). A file
/// written in one precision loads in the other (values are converted). `parse_weights` reads
/// the same format from memory; sizes are checked against the real bytes before allocating.
/// `save_weights` replaces a file atomically: an interrupted save leaves the old file whole.
/// (The format's code is `detail/weights_format.hpp`, below `model/`, because `fit`'s
/// checkpoints write it too.)

#include "birnn/detail/atomic_file.hpp"
#include "birnn/detail/weights_format.hpp"
#include "birnn/errors.hpp"
#include "birnn/model/model.hpp"
#include "birnn/types/tensor.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <type_traits>
#include <vector>

namespace birnn::io {

/// Writes `weights` to `path`.
/// @throws io_error when the file cannot be written; weight_error for a tensor whose value
///         count does not match its shape.
template <class Scalar>
void save_weights(const std::string& path, const std::vector<Tensor<Scalar>>& weights) {
  const std::string label = birnn::detail::cat("birnn::io::save_weights '", path, "'");
  birnn::detail::write_file_atomically(path, label,
                                       [&](std::ostream& os) { birnn::detail::write_weights_file(os, weights, label); });
}

/// Reads a weight list in birnn's format held in memory (`size` bytes at `bytes`), converting
/// to `Scalar` if needed; `label` names it in messages. Every count and dimension is checked
/// against the bytes that remain before anything is allocated, so a header that claims a
/// huge tensor is an `io_error`, not an allocation.
/// @throws io_error when the bytes are not a birnn weights file, or are cut short.
template <class Scalar>
std::vector<Tensor<Scalar>> parse_weights(const unsigned char* bytes, std::size_t size, const std::string& label) {
  return birnn::detail::parse_weights_file<Scalar>(bytes, size,
                                                   birnn::detail::cat("birnn::io::load_weights '", label, "'"));
}

/// Reads a weight list written by `save_weights`, converting to `Scalar` if needed.
/// @throws io_error when the file cannot be read, is not a birnn weights file, or is cut short.
template <class Scalar>
std::vector<Tensor<Scalar>> load_weights(const std::string& path) {
  static_assert(std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>,
                "birnn::io::load_weights requires float or double weights");
  std::ifstream is(path, std::ios::binary);
  if (!is) throw io_error(birnn::detail::cat("birnn::io::load_weights '", path, "': cannot open the file for reading"));
  // The whole file (its real size, so nothing a header claims is allocated), then the parser.
  const std::vector<char> bytes((std::istreambuf_iterator<char>(is)), std::istreambuf_iterator<char>());
  if (is.bad()) throw io_error(birnn::detail::cat("birnn::io::load_weights '", path, "': reading failed"));
  return parse_weights<Scalar>(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), path);
}

/// Writes every weight of `model` (Keras `get_weights()` order) to `path`: Keras's
/// `model.save_weights`, in birnn's format.
/// @throws io_error when the file cannot be written.
template <class Scalar>
void save_weights(const Model<Scalar>& model, const std::string& path) {
  save_weights(path, model.get_weights());
}

/// Reads weights written by `save_weights` into `model`: Keras's `model.load_weights`.
/// @throws io_error for an unreadable file; weight_error when they do not fit the model
///         (the model is then unchanged).
template <class Scalar>
void load_weights(Model<Scalar>& model, const std::string& path) {
  model.set_weights(load_weights<Scalar>(path));
}

}  // namespace birnn::io
