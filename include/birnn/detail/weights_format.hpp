#pragma once
/// @file
/// birnn's weights file format, written to a stream and parsed from memory: the engine of
/// `io::save_weights` / `io::load_weights` (`io/weights_file.hpp`) and of `fit`'s checkpoints
/// (`train/fit_loop.hpp`), which is why it sits below both.
///
/// The format is described in `io/weights_file.hpp`. Sizes are checked against the real
/// bytes before anything is allocated.

#include "birnn/errors.hpp"
#include "birnn/types/tensor.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ostream>
#include <string>
#include <type_traits>
#include <vector>

namespace birnn::detail {

inline constexpr char weights_magic[8] = {'B', 'I', 'R', 'N', 'N', 'W', '0', '1'};

inline void put_u64(std::ostream& os, std::uint64_t v) {
  char b[8];
  for (int k = 0; k < 8; ++k) b[k] = static_cast<char>((v >> (8 * k)) & 0xFF);
  os.write(b, 8);
}

/// Writes `weights` to `os` in birnn's format; `label` starts every message
/// (`birnn::io::save_weights 'w.bin'`).
/// @throws weight_error for a tensor whose value count does not match its shape (before
///         anything is written); io_error when the stream fails.
template <class Scalar>
void write_weights_file(std::ostream& os, const std::vector<Tensor<Scalar>>& weights, const std::string& label) {
  static_assert(std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>,
                "birnn::io::save_weights requires float or double weights");
  for (const auto& t : weights)
    if (static_cast<Eigen::Index>(t.values.size()) != t.size())
      throw weight_error(cat(label, ": a tensor of shape ", shape_string(t.shape), " needs ", t.size(),
                             " values, got ", t.values.size()));
  os.write(weights_magic, 8);
  const std::uint32_t size = sizeof(Scalar);
  char sb[4];
  for (int k = 0; k < 4; ++k) sb[k] = static_cast<char>((size >> (8 * k)) & 0xFF);
  os.write(sb, 4);
  put_u64(os, weights.size());
  for (const auto& t : weights) {
    put_u64(os, t.shape.size());
    for (auto d : t.shape) put_u64(os, static_cast<std::uint64_t>(d));
    for (Scalar v : t.values) {
      using Bits = std::conditional_t<sizeof(Scalar) == 4, std::uint32_t, std::uint64_t>;
      Bits bits;
      std::memcpy(&bits, &v, sizeof bits);
      char b[sizeof(Bits)];
      for (std::size_t k = 0; k < sizeof(Bits); ++k) b[k] = static_cast<char>((bits >> (8 * k)) & 0xFF);
      os.write(b, sizeof b);
    }
  }
  if (!os) throw io_error(cat(label, ": writing failed"));
}

/// Reads a weight list in birnn's format held in memory (`size` bytes at `bytes`), converting
/// to `Scalar` if needed; `label` starts every message (`birnn::io::load_weights 'w.bin'`).
/// Every count and dimension is checked against the bytes that remain before anything is
/// allocated, so a header that claims a huge tensor is an `io_error`, not an allocation.
/// @throws io_error when the bytes are not a birnn weights file, or are cut short.
template <class Scalar>
std::vector<Tensor<Scalar>> parse_weights_file(const unsigned char* bytes, std::size_t size, const std::string& label) {
  static_assert(std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>,
                "birnn::io::parse_weights requires float or double weights");
  const auto fail = [&](const std::string& why) { return io_error(cat(label, ": ", why)); };
  std::size_t at = 0;
  const auto left = [&] { return static_cast<std::uint64_t>(size - at); };
  const auto u64 = [&] {
    if (left() < 8) throw fail("the file ends early");
    std::uint64_t v = 0;
    for (int k = 0; k < 8; ++k) v |= static_cast<std::uint64_t>(bytes[at + k]) << (8 * k);
    at += 8;
    return v;
  };
  if (size < 8 || std::memcmp(bytes, weights_magic, 8) != 0)
    throw fail("expected a birnn weights file (starting with BIRNNW01), got something else");
  at = 8;
  if (left() < 4) throw fail("the file ends early");
  const unsigned char* sb = bytes + at;
  const std::uint32_t value_size = sb[0] | (sb[1] << 8) | (sb[2] << 16) | (static_cast<std::uint32_t>(sb[3]) << 24);
  at += 4;
  if (value_size != 4 && value_size != 8) throw fail(cat("value size: expected 4 or 8, got ", value_size));
  const std::uint64_t count = u64();
  if (count > (1u << 20)) throw fail(cat("tensor count: expected at most 1048576, got ", count));
  // Every tensor takes at least its 8-byte rank.
  if (count > left() / 8)
    throw fail(cat("tensor count: ", count, " tensors need at least ", count * 8, " bytes, the file holds ", left(),
                   " more: the file ends early"));
  std::vector<Tensor<Scalar>> out;
  out.reserve(static_cast<std::size_t>(count));
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::uint64_t rank = u64();
    if (rank > 8) throw fail(cat("tensor ", i, " rank: expected at most 8, got ", rank));
    Tensor<Scalar> t;
    // n: the value count; nonzero: the product of the nonzero dimensions, bounded too, so
    // that no product of the shape (Tensor::size, a layer's checks) can overflow, even
    // where a zero makes the tensor empty ([2^32, 2^32, 0]).
    std::uint64_t n = 1, nonzero = 1;
    for (std::uint64_t k = 0; k < rank; ++k) {
      const std::uint64_t d = u64();
      if (d > (std::uint64_t{1} << 32)) throw fail(cat("tensor ", i, " dimension too large: ", d));
      if (d != 0) {
        if (nonzero > (std::uint64_t{1} << 34) / d) throw fail(cat("tensor ", i, " is too large"));
        nonzero *= d;
      }
      n *= d;
      t.shape.push_back(static_cast<Eigen::Index>(d));
    }
    // Checked before allocating: the values must be in the file.
    if (n > left() / value_size)
      throw fail(cat("tensor ", i, " of shape ", shape_string(t.shape), " needs ", n * value_size,
                     " bytes, the file holds ", left(), " more: the file ends early"));
    t.values.resize(static_cast<std::size_t>(n));
    for (std::uint64_t k = 0; k < n; ++k, at += value_size) {
      const unsigned char* b = bytes + at;
      if (value_size == 4) {
        std::uint32_t bits = 0;
        for (int j = 0; j < 4; ++j) bits |= static_cast<std::uint32_t>(b[j]) << (8 * j);
        float f;
        std::memcpy(&f, &bits, 4);
        t.values[static_cast<std::size_t>(k)] = static_cast<Scalar>(f);
      } else {
        std::uint64_t bits = 0;
        for (int j = 0; j < 8; ++j) bits |= static_cast<std::uint64_t>(b[j]) << (8 * j);
        double d;
        std::memcpy(&d, &bits, 8);
        t.values[static_cast<std::size_t>(k)] = static_cast<Scalar>(d);
      }
    }
    out.push_back(std::move(t));
  }
  if (at != size) throw fail("unexpected bytes after the last tensor");
  return out;
}

}  // namespace birnn::detail
