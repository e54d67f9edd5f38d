#pragma once
/// @file
/// `Sequence`: a batch of sequences `(batch, time, features)`, the input and the
/// `return_sequences` output of every recurrent layer. Keras counterpart: a 3-D tensor.
///
/// The data are row-major in Keras's order (batch, then time, then features), held as one
/// `(batch * time, features)` matrix, so the input projection of every step of every sequence
/// is a single matrix product (`sequence.matrix() * kernel`).

#include "birnn/errors.hpp"
#include "birnn/fwd.hpp"
#include "birnn/types/size.hpp"

#include <Eigen/Core>

namespace birnn {

/// A batch of sequences, `(batch, time, features)`, row-major.
/// @tparam Scalar    float or double.
/// @tparam Features  the feature count at compile time, or `Eigen::Dynamic` (the default).
template <class Scalar, int Features>
class Sequence {
 public:
  /// The storage: one row per (sequence, step), sequence-major.
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Features, detail::row_major(Features)>;
  using Index = Eigen::Index;

  Sequence() : Sequence(0, 0, Features == Eigen::Dynamic ? 0 : Features) {}
  /// A zero-filled batch of `batch` sequences of `time` steps of `features` values.
  /// @throws shape_error when a size is negative or `features` contradicts `Features`.
  Sequence(Index batch, Index time, Index features) {
    resize(batch, time, features);
    data_.setZero();
  }
  /// Wraps `data`, a `(batch * time, features)` matrix in sequence-major order.
  /// @throws shape_error when `data` has not `batch * time` rows.
  Sequence(Index batch, Index time, Matrix data) : batch_(batch), time_(time), data_(std::move(data)) {
    if (batch < 0 || time < 0)
      throw shape_error(detail::cat("birnn::Sequence: sizes must not be negative, got (", batch, ", ", time, ")"));
    detail::require_equal("birnn::Sequence", "rows (batch * time)", batch * time, data_.rows());
  }

  /// Gives the batch the shape `(batch, time, features)`, keeping the storage when the number
  /// of values stays the same (a layer's `forward_into` writes into a reused output this way).
  /// The values are unspecified afterwards.
  /// @throws shape_error when a size is negative or `features` contradicts `Features`.
  void resize(Index batch, Index time, Index features) {
    if (batch < 0 || time < 0 || features < 0)
      throw shape_error(detail::cat("birnn::Sequence: sizes must not be negative, got (", batch, ", ", time,
                                    ", ", features, ")"));
    if (Features != Eigen::Dynamic) detail::require_equal("birnn::Sequence", "features", Features, features);
    data_.resize(batch * time, features);
    batch_ = batch;
    time_ = time;
  }

  Index batch() const noexcept { return batch_; }
  Index time() const noexcept { return time_; }
  Index features() const noexcept { return data_.cols(); }

  Scalar& operator()(Index b, Index t, Index f) noexcept { return data_(b * time_ + t, f); }
  const Scalar& operator()(Index b, Index t, Index f) const noexcept { return data_(b * time_ + t, f); }

  /// All steps of all sequences, `(batch * time, features)`; row `b * time + t` is step t of sequence b.
  Matrix& matrix() noexcept { return data_; }
  const Matrix& matrix() const noexcept { return data_; }
  Scalar* data() noexcept { return data_.data(); }
  const Scalar* data() const noexcept { return data_.data(); }

  /// The steps of sequence `b`, `(time, features)`.
  auto sequence(Index b) noexcept { return data_.middleRows(b * time_, time_); }
  auto sequence(Index b) const noexcept { return data_.middleRows(b * time_, time_); }

  /// Step `t` of every sequence, `(batch, features)`: a strided view.
  auto step(Index t) noexcept {
    return data_(Eigen::seqN(t, batch_, time_), Eigen::all);
  }
  auto step(Index t) const noexcept {
    return data_(Eigen::seqN(t, batch_, time_), Eigen::all);
  }

 private:
  Index batch_ = 0;
  Index time_ = 0;
  Matrix data_;
};

}  // namespace birnn
