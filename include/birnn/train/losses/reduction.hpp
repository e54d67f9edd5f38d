#pragma once
/// @file
/// How per-row losses become one value (`Reduction`, sample weights as `RowWeights`, masks),
/// and the input checks every loss and accuracy metric shares: shapes, NaNs, sample weights,
/// masks and class ids. Keras counterparts: the `reduction` argument of `keras.losses.Loss`,
/// and `reduce_weighted_values` and `apply_mask` of `keras/src/losses/loss.py`.
///
/// Weights and masks follow Keras 3 (`keras/src/losses/loss.py`, `reduce_weighted_values` and
/// `apply_mask`). With per-row losses `l_i`, sample weights `w_i` (default 1), a mask `m_i` in
/// {0, 1} (default 1), `n` rows and `v = sum m_i` valid rows:
/// - `Reduction::sum_over_batch_size` (Keras's default): without a mask `sum(l w) / n`, so sample
///   weights do NOT change the divisor; with a mask Keras scales the mask by `n / v`, which
///   gives `sum(l w m) / v` (0 when v = 0).
/// - `Reduction::sum`: `sum(l w m)`.
/// - `Reduction::none`: Keras returns the vector `l w m` (see `row_losses`); the scalar returned
///   here is its sum, the value whose gradient `tape.gradient` takes.
/// The gradient written to `grad` is that of the returned scalar.

#include "birnn/errors.hpp"
#include "birnn/types/size.hpp"
#include "birnn/types/tensor.hpp"

#include <Eigen/Core>

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

namespace birnn::train {

/// How per-row losses are combined; Keras's `reduction` argument.
enum class Reduction {
  sum_over_batch_size,  ///< Keras's default (also its "mean"): see the file comment.
  sum,                  ///< The weighted sum.
  none,                 ///< No reduction: per-row values (the scalar is their sum).
};

/// The Keras name of a reduction: "sum_over_batch_size", "sum" or "none".
inline std::string to_string(Reduction r) {
  switch (r) {
    case Reduction::sum_over_batch_size: return "sum_over_batch_size";
    case Reduction::sum: return "sum";
    case Reduction::none: return "none";
  }
  return "none";
}

/// A reduction from its Keras name; "mean" is Keras's synonym of "sum_over_batch_size".
/// @throws config_error for another name.
inline Reduction reduction_from_name(const std::string& name) {
  if (name == "sum_over_batch_size" || name == "mean") return Reduction::sum_over_batch_size;
  if (name == "sum") return Reduction::sum;
  if (name == "none") return Reduction::none;
  throw config_error(birnn::detail::cat("birnn::train::Loss: reduction: expected one of sum_over_batch_size, mean, "
                                        "sum, none, got '",
                                        name, "'"));
}

/// One weight (or loss) per row of the predictions.
template <class Scalar>
using RowWeights = Eigen::Array<Scalar, Eigen::Dynamic, 1>;

}  // namespace birnn::train

namespace birnn::detail::train_losses {

using Index = Eigen::Index;

template <class Scalar>
using ConstRef = Eigen::Ref<const Batch<Scalar>>;

inline std::string who(const std::string& name) { return "birnn::train::" + name; }

inline std::string shape2(Index rows, Index cols) { return shape_string({rows, cols}); }

template <class Scalar>
void check_no_nan(const std::string& who, const char* what, const ConstRef<Scalar>& m) {
  for (Index r = 0; r < m.rows(); ++r)
    for (Index c = 0; c < m.cols(); ++c)
      if (std::isnan(m(r, c)))
        throw value_error(cat(who, ": ", what, ": expected no NaN, got NaN at row ", r, ", column ", c));
}

template <class Scalar>
void check_predictions(const std::string& who, const ConstRef<Scalar>& y_pred) {
  if (y_pred.cols() < 1)
    throw shape_error(cat(who, ": y_pred columns: expected at least 1, got ", y_pred.cols(), " (shape ",
                          shape2(y_pred.rows(), y_pred.cols()), ")"));
  check_no_nan<Scalar>(who, "y_pred", y_pred);
}

template <class Scalar>
void check_same_shape(const std::string& who, const ConstRef<Scalar>& y_pred, const ConstRef<Scalar>& y_true) {
  if (y_true.rows() != y_pred.rows() || y_true.cols() != y_pred.cols())
    throw shape_error(cat(who, ": y_true shape: expected ", shape2(y_pred.rows(), y_pred.cols()), ", got ",
                          shape2(y_true.rows(), y_true.cols())));
  check_no_nan<Scalar>(who, "y_true", y_true);
}

template <class Scalar>
void check_weighting(const std::string& who, Index rows, const train::RowWeights<Scalar>* sample_weight,
                     const Mask* mask) {
  if (sample_weight) {
    if (sample_weight->size() != rows)
      throw shape_error(cat(who, ": sample_weight length: expected ", rows, ", got ", sample_weight->size()));
    for (Index i = 0; i < rows; ++i)
      if (std::isnan((*sample_weight)(i)))
        throw value_error(cat(who, ": sample_weight: expected no NaN, got NaN at row ", i));
  }
  if (mask && mask->size() != rows)
    throw mask_error(cat(who, ": mask size: expected ", rows, " (one per row of y_pred), got ", mask->size(),
                         " (shape ", shape2(mask->rows(), mask->cols()), ")"));
}

/// Mask entry i in row-major order (row b * time + t of a `(batch, time)` mask).
inline bool mask_at(const Mask& mask, Index i) { return mask(i / mask.cols(), i % mask.cols()); }

inline void check_labels(const std::string& who, const std::vector<int>& labels, Index rows, Index classes) {
  if (static_cast<Index>(labels.size()) != rows)
    throw shape_error(cat(who, ": y_true length (class ids): expected ", rows, ", got ", labels.size()));
  for (std::size_t r = 0; r < labels.size(); ++r)
    if (labels[r] < 0 || labels[r] >= classes)
      throw value_error(cat(who, ": class id at row ", r, ": expected an integer in [0, ", classes, "), got ",
                            labels[r]));
}

/// Class ids from a `(rows, 1)` matrix of whole numbers.
template <class Scalar>
std::vector<int> labels_from_matrix(const std::string& who, const ConstRef<Scalar>& y_true, Index rows,
                                    Index classes) {
  if (y_true.rows() != rows || y_true.cols() != 1)
    throw shape_error(cat(who, ": y_true shape (class ids): expected ", shape2(rows, 1), ", got ",
                          shape2(y_true.rows(), y_true.cols())));
  std::vector<int> labels(static_cast<std::size_t>(rows));
  for (Index r = 0; r < rows; ++r) {
    const Scalar v = y_true(r, 0);
    if (!(v == std::floor(v)) || v < 0 || v >= static_cast<Scalar>(classes))
      throw value_error(cat(who, ": class id at row ", r, ": expected an integer in [0, ", classes, "), got ", v));
    labels[static_cast<std::size_t>(r)] = static_cast<int>(v);
  }
  return labels;
}

/// Combines per-row losses as Keras's `reduce_weighted_values` does, scales the per-row
/// gradients in `grad` (if any) to match, and writes `l w m` to `row_losses` (if any).
template <class Scalar>
Scalar reduce(const train::RowWeights<Scalar>& losses, const train::RowWeights<Scalar>* sample_weight,
              const Mask* mask, train::Reduction reduction, Batch<Scalar>* grad,
              train::RowWeights<Scalar>* row_losses) {
  const Index n = losses.size();
  train::RowWeights<Scalar> m = train::RowWeights<Scalar>::Ones(n);
  if (mask)
    for (Index i = 0; i < n; ++i) m(i) = mask_at(*mask, i) ? Scalar(1) : Scalar(0);
  const train::RowWeights<Scalar> w = sample_weight ? *sample_weight : train::RowWeights<Scalar>::Ones(n);
  if (row_losses) *row_losses = losses * (w * m);

  // Keras's apply_mask: for sum_over_batch_size the mask becomes m * n / v (divide_no_nan).
  train::RowWeights<Scalar> coefficient = w * m;
  Scalar divisor = 1;
  if (reduction == train::Reduction::sum_over_batch_size) {
    if (mask) {
      const Scalar valid = m.sum();
      const Scalar scale = valid == 0 ? Scalar(0) : static_cast<Scalar>(n) / valid;
      coefficient = w * (m * scale);
    }
    divisor = static_cast<Scalar>(n);
  }
  if (n == 0) return Scalar(0);
  const Scalar total = (losses * coefficient).sum() / divisor;
  if (grad)
    for (Index i = 0; i < n; ++i) grad->row(i) *= coefficient(i) / divisor;
  return total;
}

}  // namespace birnn::detail::train_losses
