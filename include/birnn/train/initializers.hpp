#pragma once
/// @file
/// Keras's weight initializers and the seeded random generator they draw from. Keras
/// counterparts: `keras.initializers.GlorotUniform`, `Orthogonal`, `Zeros`, `Ones`,
/// `RandomUniform` (Embedding's "uniform"), `keras.initializers.get(name)`, the helper
/// `compute_fans`, and the LSTM bias with `unit_forget_bias=True`.
///
/// The distributions are Keras's; the random streams are birnn's own (Keras's depend on the
/// backend), so a seed gives the same weights on every platform but not Keras's numbers.
/// `Rng` takes its bits from `std::mt19937_64`, whose output the C++ standard fixes, and turns
/// them into doubles itself (`std::uniform_real_distribution` and `std::normal_distribution`
/// differ between standard libraries): uniform doubles are exact functions of the bits; normal
/// draws go through `std::log`, `std::sqrt`, `std::cos` and `std::sin` (Box-Muller), which agree
/// across C libraries to the last bit or so. Values are drawn in double and rounded to Scalar.

#include "birnn/errors.hpp"
#include "birnn/types/tensor.hpp"

#include <Eigen/Core>
#include <Eigen/QR>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace birnn::train {

/// A seeded, portable random generator: the same seed gives the same sequence everywhere.
class Rng {
 public:
  /// A generator seeded with `seed`.
  explicit Rng(std::uint64_t seed = 0) : seed_(seed), engine_(seed) {}

  /// The seed this generator started from.
  std::uint64_t seed() const noexcept { return seed_; }

  /// The next 64 random bits.
  std::uint64_t bits() { return engine_(); }

  /// A uniform double in [0, 1): the top 53 bits of one draw times 2^-53.
  double uniform() { return static_cast<double>(bits() >> 11) * 0x1.0p-53; }

  /// A uniform double in [lo, hi): `lo + (hi - lo) * uniform()`.
  /// @throws value_error unless lo <= hi, both finite.
  double uniform(double lo, double hi) {
    if (!(std::isfinite(lo) && std::isfinite(hi) && lo <= hi))
      throw value_error(birnn::detail::cat("birnn::train::Rng::uniform: bounds: expected finite lo <= hi, got [", lo,
                                           ", ", hi, ")"));
    return lo + (hi - lo) * uniform();
  }

  /// A normal draw, Box-Muller on two uniforms; the second value of each pair is kept for the
  /// next call.
  /// @throws value_error for a negative or non-finite stddev, or a non-finite mean.
  double normal(double mean = 0.0, double stddev = 1.0) {
    if (!(std::isfinite(mean) && std::isfinite(stddev) && stddev >= 0))
      throw value_error(birnn::detail::cat("birnn::train::Rng::normal: stddev: expected a finite number >= 0 "
                                           "(and a finite mean), got mean ",
                                           mean, ", stddev ", stddev));
    return mean + stddev * standard_normal();
  }

  /// True with probability p (`uniform() < p`).
  /// @throws value_error for p outside [0, 1].
  bool bernoulli(double p) {
    if (!(p >= 0 && p <= 1))
      throw value_error(birnn::detail::cat("birnn::train::Rng::bernoulli: p: expected a number in [0, 1], got ", p));
    return uniform() < p;
  }

  /// A child generator whose seed is derived from this one's next draw (mixed by SplitMix64),
  /// so the child and the parent's following draws are independent streams. Deterministic.
  Rng split() { return Rng(mix(bits())); }

  /// `k` children, as `k` calls to `split()`.
  std::vector<Rng> fork(std::size_t k) {
    std::vector<Rng> children;
    children.reserve(k);
    for (std::size_t i = 0; i < k; ++i) children.push_back(split());
    return children;
  }

 private:
  /// SplitMix64's finaliser: decorrelates a child's seed from the parent's stream.
  static std::uint64_t mix(std::uint64_t z) {
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  double standard_normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = 1.0 - uniform();  // (0, 1]: log(u1) is finite
    const double u2 = uniform();
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double angle = 6.283185307179586476925286766559 * u2;
    spare_ = radius * std::sin(angle);
    has_spare_ = true;
    return radius * std::cos(angle);
  }

  std::uint64_t seed_;
  std::mt19937_64 engine_;
  bool has_spare_ = false;
  double spare_ = 0.0;
};

/// Keras's `(fan_in, fan_out)` of a weight shape.
struct Fans {
  Eigen::Index fan_in = 1;
  Eigen::Index fan_out = 1;
};

}  // namespace birnn::train

namespace birnn::detail::train_init {

inline void check_shape(const char* fn, const std::vector<Eigen::Index>& shape) {
  for (auto d : shape)
    if (d < 0)
      throw shape_error(cat("birnn::train::", fn, ": shape: expected sizes >= 0, got ", shape_string(shape)));
}

template <class Scalar>
Tensor<Scalar> filled(const char* fn, const std::vector<Eigen::Index>& shape, Scalar value) {
  check_shape(fn, shape);
  Tensor<Scalar> t(shape, {});
  t.values.assign(static_cast<std::size_t>(t.size()), value);
  return t;
}

}  // namespace birnn::detail::train_init

namespace birnn::train {

/// Keras's `compute_fans`: rank 0: (1, 1); rank 1: (n, n); rank 2: (rows, cols); higher ranks
/// (convolution kernels `(..., in, out)`): both times the product of the leading sizes.
/// @throws shape_error for a negative size.
inline Fans compute_fans(const std::vector<Eigen::Index>& shape) {
  birnn::detail::train_init::check_shape("compute_fans", shape);
  const std::size_t rank = shape.size();
  if (rank == 0) return {1, 1};
  if (rank == 1) return {shape[0], shape[0]};
  if (rank == 2) return {shape[0], shape[1]};
  Eigen::Index receptive = 1;
  for (std::size_t i = 0; i + 2 < rank; ++i) receptive *= shape[i];
  return {shape[rank - 2] * receptive, shape[rank - 1] * receptive};
}

/// Keras's Glorot (Xavier) uniform limit `sqrt(3 / max(1, (fan_in + fan_out) / 2))`, i.e.
/// `sqrt(6 / (fan_in + fan_out))` for any real weight.
inline double glorot_uniform_limit(const std::vector<Eigen::Index>& shape) {
  const Fans f = compute_fans(shape);
  const double avg = std::max(1.0, static_cast<double>(f.fan_in + f.fan_out) / 2.0);
  return std::sqrt(3.0 / avg);
}

/// Keras's `Zeros`.
/// @throws shape_error for a negative size.
template <class Scalar>
Tensor<Scalar> zeros(const std::vector<Eigen::Index>& shape) {
  return birnn::detail::train_init::filled<Scalar>("zeros", shape, Scalar(0));
}

/// Keras's `Ones`.
/// @throws shape_error for a negative size.
template <class Scalar>
Tensor<Scalar> ones(const std::vector<Eigen::Index>& shape) {
  return birnn::detail::train_init::filled<Scalar>("ones", shape, Scalar(1));
}

/// Keras's `RandomUniform(minval, maxval)`; its defaults (-0.05, 0.05) are Embedding's
/// "uniform" initializer. Values in row-major order.
/// @throws shape_error for a negative size; value_error unless minval <= maxval.
template <class Scalar>
Tensor<Scalar> random_uniform(const std::vector<Eigen::Index>& shape, Rng& rng, double minval = -0.05,
                              double maxval = 0.05) {
  Tensor<Scalar> t = zeros<Scalar>(shape);
  for (Scalar& v : t.values) v = static_cast<Scalar>(rng.uniform(minval, maxval));
  return t;
}

/// Keras's `GlorotUniform` (the default kernel initializer of Dense and the recurrent layers):
/// uniform in `[-limit, limit)` with `limit = glorot_uniform_limit(shape)`.
/// @throws shape_error for a negative size.
template <class Scalar>
Tensor<Scalar> glorot_uniform(const std::vector<Eigen::Index>& shape, Rng& rng) {
  const double limit = glorot_uniform_limit(shape);
  return random_uniform<Scalar>(shape, rng, -limit, limit);
}

/// Keras's `Orthogonal(gain)` (the default recurrent_kernel initializer): the shape is
/// flattened to `(rows, cols) = (prod(shape[:-1]), shape[-1])`; a standard normal matrix of
/// shape `(max(rows, cols), min(rows, cols))` is factored `A = QR` (Householder), Q (thin) is
/// multiplied column-wise by `sign(diag(R))` and transposed when rows < cols, then times gain.
/// The result has orthonormal columns (rows >= cols) or rows (rows < cols).
/// @throws shape_error for a rank below 2 (as Keras) or a negative size.
template <class Scalar>
Tensor<Scalar> orthogonal(const std::vector<Eigen::Index>& shape, Rng& rng, double gain = 1.0) {
  namespace d = birnn::detail::train_init;
  d::check_shape("orthogonal", shape);
  if (shape.size() < 2)
    throw shape_error(birnn::detail::cat("birnn::train::orthogonal: rank: expected at least 2, got ", shape.size(),
                                         " (shape ", shape_string(shape), ")"));
  Eigen::Index rows = 1;
  for (std::size_t i = 0; i + 1 < shape.size(); ++i) rows *= shape[i];
  const Eigen::Index cols = shape.back();
  Tensor<Scalar> t = zeros<Scalar>(shape);
  if (rows == 0 || cols == 0) return t;

  const Eigen::Index m = std::max(rows, cols), n = std::min(rows, cols);
  Eigen::MatrixXd a(m, n);
  for (Eigen::Index r = 0; r < m; ++r)
    for (Eigen::Index c = 0; c < n; ++c) a(r, c) = rng.normal();
  const Eigen::HouseholderQR<Eigen::MatrixXd> qr(a);
  Eigen::MatrixXd q = qr.householderQ() * Eigen::MatrixXd::Identity(m, n);
  const Eigen::VectorXd d_r = qr.matrixQR().diagonal();
  for (Eigen::Index c = 0; c < n; ++c) {
    const double s = d_r(c) > 0 ? 1.0 : (d_r(c) < 0 ? -1.0 : 0.0);  // ops.sign
    q.col(c) *= s;
  }
  // Row-major (rows, cols): q itself when rows >= cols, its transpose otherwise.
  std::size_t k = 0;
  for (Eigen::Index r = 0; r < rows; ++r)
    for (Eigen::Index c = 0; c < cols; ++c)
      t.values[k++] = static_cast<Scalar>(gain * (rows >= cols ? q(r, c) : q(c, r)));
  return t;
}

/// The LSTM bias Keras builds, shape `(4 * units)` in gate order i, f, c, o: zeros, with the
/// forget block `[units, 2 * units)` set to 1 when `unit_forget_bias` (Keras's default).
/// @throws shape_error for negative units.
template <class Scalar>
Tensor<Scalar> lstm_bias(Eigen::Index units, bool unit_forget_bias = true) {
  if (units < 0)
    throw shape_error(birnn::detail::cat("birnn::train::lstm_bias: units: expected a number >= 0, got ", units));
  Tensor<Scalar> t = zeros<Scalar>({4 * units});
  if (unit_forget_bias)
    for (Eigen::Index i = units; i < 2 * units; ++i) t.values[static_cast<std::size_t>(i)] = Scalar(1);
  return t;
}

/// The initializer Keras's `initializers.get(name)` gives, with its default arguments:
/// "glorot_uniform" ("GlorotUniform"), "orthogonal" ("Orthogonal"), "zeros" ("Zeros"),
/// "ones" ("Ones"), "uniform" / "random_uniform" ("RandomUniform").
/// @throws config_error for another name; as the initializer for a bad shape.
template <class Scalar>
Tensor<Scalar> initialize(const std::string& name, const std::vector<Eigen::Index>& shape, Rng& rng) {
  if (name == "glorot_uniform" || name == "GlorotUniform") return glorot_uniform<Scalar>(shape, rng);
  if (name == "orthogonal" || name == "Orthogonal") return orthogonal<Scalar>(shape, rng);
  if (name == "zeros" || name == "Zeros") return zeros<Scalar>(shape);
  if (name == "ones" || name == "Ones") return ones<Scalar>(shape);
  if (name == "uniform" || name == "random_uniform" || name == "RandomUniform")
    return random_uniform<Scalar>(shape, rng);
  throw config_error(birnn::detail::cat("birnn::train::initialize: initializer name: expected one of glorot_uniform, "
                                        "orthogonal, zeros, ones, uniform, random_uniform, got '",
                                        name, "'"));
}

/// In-place forms: fill `t` (keeping its shape) as the functions above do.
/// @throws shape_error for a negative size (and for orthogonal a rank below 2).
template <class Scalar>
void glorot_uniform(Tensor<Scalar>& t, Rng& rng) { t = glorot_uniform<Scalar>(t.shape, rng); }
/// @copydoc glorot_uniform(Tensor<Scalar>&, Rng&)
template <class Scalar>
void orthogonal(Tensor<Scalar>& t, Rng& rng, double gain = 1.0) { t = orthogonal<Scalar>(t.shape, rng, gain); }
/// @copydoc glorot_uniform(Tensor<Scalar>&, Rng&)
template <class Scalar>
void random_uniform(Tensor<Scalar>& t, Rng& rng, double minval = -0.05, double maxval = 0.05) {
  t = random_uniform<Scalar>(t.shape, rng, minval, maxval);
}

}  // namespace birnn::train
