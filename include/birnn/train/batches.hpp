#pragma once
/// @file
/// The data side of `Model::fit` and `Model::evaluate`: taking the rows (samples) of a data
/// set in a given order, for mini-batches, shuffling and the validation split. A sample is
/// a row of token ids `(batch, time)`, a sequence of a `Sequence` `(batch, time, features)`,
/// a row of a `Mask`, or a row of a target `Value` (rank 2 `(batch, k)` or rank 3
/// `(batch, time, k)`).
///
/// Keras's rules: `validation_split` takes the LAST fraction of the samples, before any
/// shuffling; `shuffle` reorders the training samples at the start of every epoch.

#include "birnn/errors.hpp"
#include "birnn/types/sequence.hpp"
#include "birnn/types/size.hpp"
#include "birnn/types/value.hpp"

#include <Eigen/Core>

#include <cstdint>
#include <numeric>
#include <optional>
#include <utility>
#include <vector>

namespace birnn::train {

using Rows = std::vector<Eigen::Index>;

/// Rows `rows` of token ids.
inline TokenIds take(const TokenIds& ids, const Rows& rows) {
  TokenIds out(static_cast<Eigen::Index>(rows.size()), ids.cols());
  for (std::size_t k = 0; k < rows.size(); ++k) out.row(static_cast<Eigen::Index>(k)) = ids.row(rows[k]);
  return out;
}
/// Rows `rows` of a mask.
inline Mask take(const Mask& m, const Rows& rows) {
  Mask out(static_cast<Eigen::Index>(rows.size()), m.cols());
  for (std::size_t k = 0; k < rows.size(); ++k) out.row(static_cast<Eigen::Index>(k)) = m.row(rows[k]);
  return out;
}
/// Sequences `rows` of `x`.
template <class Scalar, int F>
Sequence<Scalar, F> take(const Sequence<Scalar, F>& x, const Rows& rows) {
  Sequence<Scalar, F> out(static_cast<Eigen::Index>(rows.size()), x.time(), x.features());
  for (std::size_t k = 0; k < rows.size(); ++k) out.sequence(static_cast<Eigen::Index>(k)) = x.sequence(rows[k]);
  return out;
}
/// Samples `rows` of a rank-2 or rank-3 value.
template <class Scalar>
Value<Scalar> take(const Value<Scalar>& v, const Rows& rows) {
  if (v.rank == 3) return Value<Scalar>::of(take(v.sequence, rows));
  Batch<Scalar> out(static_cast<Eigen::Index>(rows.size()), v.matrix.cols());
  for (std::size_t k = 0; k < rows.size(); ++k) out.row(static_cast<Eigen::Index>(k)) = v.matrix.row(rows[k]);
  return Value<Scalar>::of(std::move(out));
}

/// The number of samples (rows) of each kind of data.
inline Eigen::Index samples(const TokenIds& ids) noexcept { return ids.rows(); }
template <class Scalar, int F>
Eigen::Index samples(const Sequence<Scalar, F>& x) noexcept {
  return x.batch();
}

/// The training and validation rows of `n` samples for Keras's `validation_split`: the
/// first `n - floor(n * split)` samples train, the rest validate.
/// @throws config_error for a split outside [0, 1) or one that leaves no training sample.
inline std::pair<Rows, Rows> split_rows(Eigen::Index n, double validation_split, const std::string& who) {
  if (!(validation_split >= 0.0 && validation_split < 1.0))
    throw config_error(detail::cat(who, ": validation_split: expected a value in [0, 1), got ", validation_split));
  const auto val = static_cast<Eigen::Index>(static_cast<double>(n) * validation_split);
  if (n - val <= 0)
    throw config_error(detail::cat(who, ": validation_split ", validation_split, " of ", n,
                                   " samples: expected at least 1 training sample, got 0"));
  Rows train(static_cast<std::size_t>(n - val)), validation(static_cast<std::size_t>(val));
  std::iota(train.begin(), train.end(), Eigen::Index{0});
  std::iota(validation.begin(), validation.end(), n - val);
  return {std::move(train), std::move(validation)};
}

/// A permutation of `rows` from a seeded 64-bit generator (Fisher-Yates with an LCG, so the
/// order is the same with every standard library).
inline void shuffle_rows(Rows& rows, std::uint64_t& state) {
  for (std::size_t i = rows.size(); i > 1; --i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    const auto j = static_cast<std::size_t>((state >> 33) % i);
    std::swap(rows[i - 1], rows[j]);
  }
}

}  // namespace birnn::train
