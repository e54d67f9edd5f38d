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
/// written in one precision loads in the other (values are converted).

#include "birnn/errors.hpp"
#include "birnn/model/model.hpp"
#include "birnn/types/tensor.hpp"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <type_traits>
#include <vector>

namespace birnn::io {
namespace detail {

inline constexpr char weights_magic[8] = {'B', 'I', 'R', 'N', 'N', 'W', '0', '1'};

inline void put_u64(std::ostream& os, std::uint64_t v) {
  char b[8];
  for (int k = 0; k < 8; ++k) b[k] = static_cast<char>((v >> (8 * k)) & 0xFF);
  os.write(b, 8);
}
inline std::uint64_t get_u64(std::istream& is, const std::string& path) {
  unsigned char b[8];
  if (!is.read(reinterpret_cast<char*>(b), 8))
    throw io_error(birnn::detail::cat("birnn::io::load_weights '", path, "': the file ends early"));
  std::uint64_t v = 0;
  for (int k = 0; k < 8; ++k) v |= static_cast<std::uint64_t>(b[k]) << (8 * k);
  return v;
}

}  // namespace detail

/// Writes `weights` to `path`.
/// @throws io_error when the file cannot be written.
template <class Scalar>
void save_weights(const std::string& path, const std::vector<Tensor<Scalar>>& weights) {
  static_assert(std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>,
                "birnn::io::save_weights requires float or double weights");
  std::ofstream os(path, std::ios::binary);
  if (!os) throw io_error(birnn::detail::cat("birnn::io::save_weights '", path, "': cannot open the file for writing"));
  os.write(detail::weights_magic, 8);
  const std::uint32_t size = sizeof(Scalar);
  char sb[4];
  for (int k = 0; k < 4; ++k) sb[k] = static_cast<char>((size >> (8 * k)) & 0xFF);
  os.write(sb, 4);
  detail::put_u64(os, weights.size());
  for (const auto& t : weights) {
    if (static_cast<Eigen::Index>(t.values.size()) != t.size())
      throw weight_error(birnn::detail::cat("birnn::io::save_weights '", path, "': a tensor of shape ",
                                            shape_string(t.shape), " needs ", t.size(), " values, got ",
                                            t.values.size()));
    detail::put_u64(os, t.shape.size());
    for (auto d : t.shape) detail::put_u64(os, static_cast<std::uint64_t>(d));
    for (Scalar v : t.values) {
      using Bits = std::conditional_t<sizeof(Scalar) == 4, std::uint32_t, std::uint64_t>;
      Bits bits;
      std::memcpy(&bits, &v, sizeof bits);
      char b[sizeof(Bits)];
      for (std::size_t k = 0; k < sizeof(Bits); ++k) b[k] = static_cast<char>((bits >> (8 * k)) & 0xFF);
      os.write(b, sizeof b);
    }
  }
  if (!os) throw io_error(birnn::detail::cat("birnn::io::save_weights '", path, "': writing failed"));
}

/// Reads a weight list written by `save_weights`, converting to `Scalar` if needed.
/// @throws io_error when the file cannot be read, is not a birnn weights file, or is cut short.
template <class Scalar>
std::vector<Tensor<Scalar>> load_weights(const std::string& path) {
  static_assert(std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>,
                "birnn::io::load_weights requires float or double weights");
  const auto fail = [&](const std::string& why) {
    return io_error(birnn::detail::cat("birnn::io::load_weights '", path, "': ", why));
  };
  std::ifstream is(path, std::ios::binary);
  if (!is) throw fail("cannot open the file for reading");
  char magic[8];
  if (!is.read(magic, 8) || std::memcmp(magic, detail::weights_magic, 8) != 0)
    throw fail("expected a birnn weights file (starting with BIRNNW01), got something else");
  unsigned char sb[4];
  if (!is.read(reinterpret_cast<char*>(sb), 4)) throw fail("the file ends early");
  const std::uint32_t size = sb[0] | (sb[1] << 8) | (sb[2] << 16) | (static_cast<std::uint32_t>(sb[3]) << 24);
  if (size != 4 && size != 8) throw fail(birnn::detail::cat("value size: expected 4 or 8, got ", size));
  const std::uint64_t count = detail::get_u64(is, path);
  if (count > (1u << 20)) throw fail(birnn::detail::cat("tensor count: expected at most 1048576, got ", count));
  std::vector<Tensor<Scalar>> out;
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::uint64_t rank = detail::get_u64(is, path);
    if (rank > 8) throw fail(birnn::detail::cat("tensor ", i, " rank: expected at most 8, got ", rank));
    Tensor<Scalar> t;
    std::uint64_t n = 1;
    for (std::uint64_t k = 0; k < rank; ++k) {
      const std::uint64_t d = detail::get_u64(is, path);
      if (d > (std::uint64_t{1} << 32)) throw fail(birnn::detail::cat("tensor ", i, " dimension too large: ", d));
      n *= d;
      if (n > (std::uint64_t{1} << 34)) throw fail(birnn::detail::cat("tensor ", i, " is too large"));
      t.shape.push_back(static_cast<Eigen::Index>(d));
    }
    t.values.reserve(static_cast<std::size_t>(n));
    for (std::uint64_t k = 0; k < n; ++k) {
      unsigned char b[8];
      if (!is.read(reinterpret_cast<char*>(b), size)) throw fail("the file ends early");
      if (size == 4) {
        std::uint32_t bits = 0;
        for (int j = 0; j < 4; ++j) bits |= static_cast<std::uint32_t>(b[j]) << (8 * j);
        float f;
        std::memcpy(&f, &bits, 4);
        t.values.push_back(static_cast<Scalar>(f));
      } else {
        std::uint64_t bits = 0;
        for (int j = 0; j < 8; ++j) bits |= static_cast<std::uint64_t>(b[j]) << (8 * j);
        double d;
        std::memcpy(&d, &bits, 8);
        t.values.push_back(static_cast<Scalar>(d));
      }
    }
    out.push_back(std::move(t));
  }
  if (is.peek() != std::char_traits<char>::eof()) throw fail("unexpected bytes after the last tensor");
  return out;
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
