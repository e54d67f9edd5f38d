#pragma once
/// @file
/// The accuracy metrics Keras picks for `compile(metrics=["accuracy"])`, as a weighted count
/// (`AccuracyCount`) that several batches add up. Keras counterparts:
/// `keras.metrics.binary_accuracy`, `categorical_accuracy` and `sparse_categorical_accuracy`
/// inside a `Mean` metric; `Loss::accuracy` (`train/losses.hpp`) picks the one for its loss.

#include "birnn/train/losses/reduction.hpp"
#include "birnn/types/size.hpp"

#include <Eigen/Core>

#include <cstddef>
#include <string>
#include <vector>

namespace birnn::train {

/// The accuracy metrics Keras picks for the string "accuracy".
enum class AccuracyKind { binary, categorical, sparse_categorical };

/// The Keras name of an accuracy metric, e.g. "binary_accuracy".
inline std::string to_string(AccuracyKind k) {
  switch (k) {
    case AccuracyKind::binary: return "binary_accuracy";
    case AccuracyKind::categorical: return "categorical_accuracy";
    case AccuracyKind::sparse_categorical: return "sparse_categorical_accuracy";
  }
  return "categorical_accuracy";
}

/// The running state of a Keras `Mean` metric: the weighted sum of per-row accuracies
/// (`correct`) and the sum of the weights (`total`; the row count without weights). Add the
/// counts of several batches with `+=`; `result()` is Keras's `metric.result()`.
struct AccuracyCount {
  double correct = 0;  ///< sum over rows of weight * accuracy of the row
  double total = 0;    ///< sum over rows of the weight
  /// `correct / total`, 0 when total is 0 (Keras's `divide_no_nan`).
  double result() const noexcept { return total == 0 ? 0.0 : correct / total; }
  AccuracyCount& operator+=(const AccuracyCount& o) noexcept {
    correct += o.correct;
    total += o.total;
    return *this;
  }
};

}  // namespace birnn::train

namespace birnn::detail::train_losses {

/// Index of the first largest value of row r (NumPy's argmax).
template <class Scalar>
Index argmax_row(const ConstRef<Scalar>& m, Index r) {
  Index best = 0;
  for (Index j = 1; j < m.cols(); ++j)
    if (m(r, j) > m(r, best)) best = j;
  return best;
}

/// Accumulates per-row accuracies with weights w * m (Keras's metrics leave the mask unscaled).
template <class Scalar>
train::AccuracyCount accumulate(const std::vector<double>& per_row, const train::RowWeights<Scalar>* sample_weight,
                                const Mask* mask) {
  train::AccuracyCount count;
  for (std::size_t i = 0; i < per_row.size(); ++i) {
    const Index r = static_cast<Index>(i);
    double weight = sample_weight ? static_cast<double>((*sample_weight)(r)) : 1.0;
    if (mask && !mask_at(*mask, r)) weight = 0;
    count.correct += weight * per_row[i];
    count.total += weight;
  }
  return count;
}

template <class Scalar>
train::AccuracyCount binary_accuracy(const std::string& who, const ConstRef<Scalar>& y_pred,
                                     const ConstRef<Scalar>& y_true, Scalar threshold,
                                     const train::RowWeights<Scalar>* sample_weight, const Mask* mask) {
  check_predictions<Scalar>(who, y_pred);
  check_same_shape<Scalar>(who, y_pred, y_true);
  check_weighting<Scalar>(who, y_pred.rows(), sample_weight, mask);
  std::vector<double> per_row(static_cast<std::size_t>(y_pred.rows()));
  for (Index r = 0; r < y_pred.rows(); ++r) {
    Index hits = 0;
    for (Index j = 0; j < y_pred.cols(); ++j)
      hits += (y_true(r, j) == (y_pred(r, j) > threshold ? Scalar(1) : Scalar(0))) ? 1 : 0;
    per_row[static_cast<std::size_t>(r)] = static_cast<double>(hits) / static_cast<double>(y_pred.cols());
  }
  return accumulate<Scalar>(per_row, sample_weight, mask);
}

template <class Scalar>
train::AccuracyCount categorical_accuracy(const std::string& who, const ConstRef<Scalar>& y_pred,
                                          const ConstRef<Scalar>& y_true,
                                          const train::RowWeights<Scalar>* sample_weight, const Mask* mask) {
  check_predictions<Scalar>(who, y_pred);
  check_same_shape<Scalar>(who, y_pred, y_true);
  check_weighting<Scalar>(who, y_pred.rows(), sample_weight, mask);
  std::vector<double> per_row(static_cast<std::size_t>(y_pred.rows()));
  for (Index r = 0; r < y_pred.rows(); ++r)
    per_row[static_cast<std::size_t>(r)] = argmax_row<Scalar>(y_true, r) == argmax_row<Scalar>(y_pred, r) ? 1.0 : 0.0;
  return accumulate<Scalar>(per_row, sample_weight, mask);
}

template <class Scalar>
train::AccuracyCount sparse_accuracy(const std::string& who, const ConstRef<Scalar>& y_pred,
                                     const std::vector<int>& labels, const train::RowWeights<Scalar>* sample_weight,
                                     const Mask* mask) {
  check_predictions<Scalar>(who, y_pred);
  check_labels(who, labels, y_pred.rows(), y_pred.cols());
  check_weighting<Scalar>(who, y_pred.rows(), sample_weight, mask);
  std::vector<double> per_row(labels.size());
  for (std::size_t r = 0; r < labels.size(); ++r)
    per_row[r] = argmax_row<Scalar>(y_pred, static_cast<Index>(r)) == labels[r] ? 1.0 : 0.0;
  return accumulate<Scalar>(per_row, sample_weight, mask);
}

}  // namespace birnn::detail::train_losses

namespace birnn::train {

/// Keras's `binary_accuracy`: per row, the fraction of the k outputs where
/// `y_true == (y_pred > threshold)`; weighted by `sample_weight * mask`.
template <class DP, class DT>
AccuracyCount binary_accuracy(const Eigen::MatrixBase<DP>& y_pred, const Eigen::MatrixBase<DT>& y_true,
                              typename DP::Scalar threshold = typename DP::Scalar(0.5),
                              const RowWeights<typename DP::Scalar>* sample_weight = nullptr,
                              const Mask* mask = nullptr) {
  using S = typename DP::Scalar;
  return birnn::detail::train_losses::binary_accuracy<S>("birnn::train::binary_accuracy", y_pred.derived(),
                                                         y_true.derived(), threshold, sample_weight, mask);
}

/// Keras's `categorical_accuracy`: 1 where the first argmax of y_true and y_pred agree.
template <class DP, class DT>
AccuracyCount categorical_accuracy(const Eigen::MatrixBase<DP>& y_pred, const Eigen::MatrixBase<DT>& y_true,
                                   const RowWeights<typename DP::Scalar>* sample_weight = nullptr,
                                   const Mask* mask = nullptr) {
  using S = typename DP::Scalar;
  return birnn::detail::train_losses::categorical_accuracy<S>("birnn::train::categorical_accuracy", y_pred.derived(),
                                                              y_true.derived(), sample_weight, mask);
}

/// Keras's `sparse_categorical_accuracy`: 1 where the first argmax of y_pred is the class id.
template <class DP>
AccuracyCount sparse_categorical_accuracy(const Eigen::MatrixBase<DP>& y_pred, const std::vector<int>& labels,
                                          const RowWeights<typename DP::Scalar>* sample_weight = nullptr,
                                          const Mask* mask = nullptr) {
  using S = typename DP::Scalar;
  return birnn::detail::train_losses::sparse_accuracy<S>("birnn::train::sparse_categorical_accuracy",
                                                         y_pred.derived(), labels, sample_weight, mask);
}

}  // namespace birnn::train
