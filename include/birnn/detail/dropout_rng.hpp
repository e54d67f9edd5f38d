#pragma once
/// @file
/// The random numbers of Keras's `dropout` and `recurrent_dropout` in training: a portable
/// generator of dropout masks, and the rules that derive seeds.
///
/// Portability: the bits come from `std::mt19937_64`, whose output sequence for a given seed
/// the C++ standard fixes; they are turned into uniforms and masks by the arithmetic below,
/// not by `std::uniform_real_distribution` or `std::bernoulli_distribution` (whose algorithms
/// each standard library chooses). So a seed gives the same masks with every compiler and
/// standard library.

#include <Eigen/Core>

#include <cstdint>
#include <random>
#include <string_view>

namespace birnn::detail {

/// The SplitMix64 finaliser: a bijection of 64-bit words that spreads every input bit over
/// the output; used to derive independent seeds from one.
constexpr std::uint64_t mix_seed(std::uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// The seed of a layer whose options give none (Keras `seed=None`): the 64-bit FNV-1a hash
/// of its name, mixed. Deterministic, and different for differently named layers.
constexpr std::uint64_t seed_from_name(std::string_view name) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : name) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return mix_seed(h);
}

/// The seed of the backward direction of a `Bidirectional` built from one layer whose seed
/// is `forward_seed`: another stream, so that the two directions draw independent masks.
constexpr std::uint64_t backward_direction_seed(std::uint64_t forward_seed) noexcept {
  return mix_seed(forward_seed ^ 0x6a09e667f3bcc909ULL);
}

/// Draws Keras's inverted-dropout masks: each entry is 0 with probability `rate` and
/// `1 / (1 - rate)` otherwise.
class DropoutRng {
 public:
  explicit DropoutRng(std::uint64_t seed = 0) : engine_(seed) {}

  /// Restarts the sequence of draws from `seed`.
  void seed(std::uint64_t seed) { engine_.seed(seed); }

  /// A uniform number in [0, 1): the top 53 bits of one 64-bit draw, times 2^-53 (exact in double).
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

  /// Fills `m` (already sized) row by row: 0 where a uniform draw is below `rate`, else
  /// `1 / (1 - rate)` (computed in double, rounded once to the scalar type). `rate` is in [0, 1).
  template <class Derived>
  void fill(Eigen::MatrixBase<Derived>& m, double rate) {
    using Scalar = typename Derived::Scalar;
    const Scalar keep = static_cast<Scalar>(1.0 / (1.0 - rate));
    for (Eigen::Index r = 0; r < m.rows(); ++r)
      for (Eigen::Index c = 0; c < m.cols(); ++c) m(r, c) = uniform() < rate ? Scalar(0) : keep;
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace birnn::detail
