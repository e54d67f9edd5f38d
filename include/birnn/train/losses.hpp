#pragma once
/// @file
/// Keras's losses and its "accuracy" metric, each returning its value and, for the losses, the
/// gradient `dL/dy_pred`. Keras counterparts: `keras.losses.binary_crossentropy`,
/// `categorical_crossentropy`, `sparse_categorical_crossentropy`, `mean_squared_error`, the
/// reductions of `keras.losses.Loss`, and `keras.metrics.binary_accuracy`,
/// `categorical_accuracy`, `sparse_categorical_accuracy` as `compile(metrics=["accuracy"])`
/// resolves them.
///
/// This header is the front: `Loss` (which loss, `from_logits`, the reduction; `from_name`),
/// which checks the inputs and dispatches to its family, and the free functions that build one.
/// Each family's maths has its own header, included here:
/// - `losses/reduction.hpp`: `Reduction`, sample weights and masks, and the shared input checks;
/// - `losses/crossentropy.hpp`: binary, categorical and sparse categorical crossentropy;
/// - `losses/mean_squared_error.hpp`: mean_squared_error;
/// - `losses/accuracy.hpp`: the accuracy metrics and `AccuracyCount`.
///
/// Predictions are a row-major matrix `y_pred` of shape `(rows, k)`: one prediction vector per
/// row, where rows is the batch, or batch * time for a `return_sequences` output
/// (`Sequence::matrix()`, row `b * time + t`). Targets have the same shape, except for the
/// sparse loss, whose targets are class ids: a `std::vector<int>` of `rows` ids, or a
/// `(rows, 1)` matrix of Scalar holding whole numbers (as Keras takes them).
///
/// Bad input throws before anything is written: `shape_error` for a y_true, y_pred or
/// sample-weight shape that does not fit, `mask_error` for a mask whose size is not `rows`,
/// `value_error` for a NaN in y_pred, y_true or the weights, for a class id out of range or not a
/// whole number, and for a probability row without a positive sum (categorical losses);
/// `config_error` for an unknown loss or reduction name, `from_logits` on mean_squared_error,
/// or integer class ids given to a loss other than the sparse one. Messages name the loss (or
/// metric: `birnn::train::binary_crossentropy: ...`), the expected and the actual value.

#include "birnn/errors.hpp"
#include "birnn/train/losses/accuracy.hpp"
#include "birnn/train/losses/crossentropy.hpp"
#include "birnn/train/losses/mean_squared_error.hpp"
#include "birnn/train/losses/reduction.hpp"
#include "birnn/types/size.hpp"

#include <Eigen/Core>

#include <string>
#include <vector>

namespace birnn::train {

/// The losses birnn implements.
enum class LossKind {
  binary_crossentropy,
  categorical_crossentropy,
  sparse_categorical_crossentropy,
  mean_squared_error,
};

/// The Keras function name of a loss, e.g. "binary_crossentropy".
inline std::string to_string(LossKind k) {
  switch (k) {
    case LossKind::binary_crossentropy: return "binary_crossentropy";
    case LossKind::categorical_crossentropy: return "categorical_crossentropy";
    case LossKind::sparse_categorical_crossentropy: return "sparse_categorical_crossentropy";
    case LossKind::mean_squared_error: return "mean_squared_error";
  }
  return "mean_squared_error";
}

}  // namespace birnn::train

namespace birnn::detail::train_losses {

/// `check_positive_row_sums` for the losses that need it: the categorical ones on probabilities.
template <class Scalar>
void check_row_sums(const std::string& who, train::LossKind kind, bool from_logits, const ConstRef<Scalar>& p) {
  if (from_logits || (kind != train::LossKind::categorical_crossentropy &&
                      kind != train::LossKind::sparse_categorical_crossentropy))
    return;
  check_positive_row_sums<Scalar>(who, p);
}

/// Per-row losses and (when `grad`) their gradients, for targets of y_pred's shape. The inputs
/// have been checked (shapes, NaNs, row sums).
template <class Scalar>
void dense_rows(train::LossKind kind, bool from_logits, const ConstRef<Scalar>& p, const ConstRef<Scalar>& t,
                train::RowWeights<Scalar>& loss, Batch<Scalar>* grad) {
  switch (kind) {
    case train::LossKind::binary_crossentropy:
      binary_crossentropy_rows<Scalar>(from_logits, p, t, loss, grad);
      break;
    case train::LossKind::mean_squared_error:
      mean_squared_error_rows<Scalar>(p, t, loss, grad);
      break;
    case train::LossKind::categorical_crossentropy:
    case train::LossKind::sparse_categorical_crossentropy:
      categorical_crossentropy_rows<Scalar>(from_logits, p, t, loss, grad);
      break;
  }
}

}  // namespace birnn::detail::train_losses

namespace birnn::train {

/// A loss as `Model::compile` holds it: which loss, `from_logits` and the reduction. A value
/// type; copy it freely.
/// @tparam Scalar  float or double.
template <class Scalar>
struct Loss {
  /// The predictions and targets, `(rows, k)`, row-major.
  using Matrix = Batch<Scalar>;
  /// Any row-major `(rows, k)` matrix or block of Scalar binds without a copy.
  using ConstRef = Eigen::Ref<const Matrix>;

  LossKind kind = LossKind::mean_squared_error;
  /// Whether y_pred holds logits (binary: before the sigmoid; categorical: before the softmax).
  bool from_logits = false;
  Reduction reduction = Reduction::sum_over_batch_size;

  /// Keras's `loss="mean_squared_error"`.
  Loss() = default;
  /// @throws config_error for `from_logits` on mean_squared_error, which has no such option.
  explicit Loss(LossKind k, bool logits = false, Reduction r = Reduction::sum_over_batch_size)
      : kind(k), from_logits(logits), reduction(r) {
    check_config();
  }

  /// The loss Keras's `losses.get(name)` gives: "binary_crossentropy" ("bce", "BCE",
  /// "BinaryCrossentropy"), "categorical_crossentropy" ("CategoricalCrossentropy"),
  /// "sparse_categorical_crossentropy" ("SparseCategoricalCrossentropy"),
  /// "mean_squared_error" ("mse", "MSE", "MeanSquaredError").
  /// @throws config_error for another name, or `from_logits` with mean_squared_error.
  static Loss from_name(const std::string& name, bool from_logits = false,
                        Reduction reduction = Reduction::sum_over_batch_size) {
    if (name == "binary_crossentropy" || name == "bce" || name == "BCE" || name == "BinaryCrossentropy")
      return Loss(LossKind::binary_crossentropy, from_logits, reduction);
    if (name == "categorical_crossentropy" || name == "CategoricalCrossentropy")
      return Loss(LossKind::categorical_crossentropy, from_logits, reduction);
    if (name == "sparse_categorical_crossentropy" || name == "SparseCategoricalCrossentropy")
      return Loss(LossKind::sparse_categorical_crossentropy, from_logits, reduction);
    if (name == "mean_squared_error" || name == "mse" || name == "MSE" || name == "MeanSquaredError")
      return Loss(LossKind::mean_squared_error, from_logits, reduction);
    throw config_error(birnn::detail::cat(
        "birnn::train::Loss: loss name: expected one of binary_crossentropy, categorical_crossentropy, "
        "sparse_categorical_crossentropy, mean_squared_error, mse, got '",
        name, "'"));
  }

  /// The Keras function name, e.g. "binary_crossentropy".
  std::string name() const { return to_string(kind); }

  /// The loss of `y_pred` against `y_true` (for the sparse loss: a `(rows, 1)` matrix of class
  /// ids), reduced with `reduction`; see `losses/reduction.hpp` for weights and masks.
  /// @param sample_weight  one weight per row, or null (Keras's `sample_weight`).
  /// @param grad           if not null, receives `dL/dy_pred`, shape `(rows, k)`.
  /// @param mask           if not null, `rows` entries in row-major order, true = keep (a
  ///                       `(batch, time)` mask fits a sequence output's `(batch * time, k)`).
  /// @param row_losses     if not null, receives `l w m` per row (Keras's `reduction="none"`).
  /// @throws shape_error, mask_error, value_error, config_error (see the file comment).
  Scalar operator()(const ConstRef& y_pred, const ConstRef& y_true, const RowWeights<Scalar>* sample_weight = nullptr,
                    Matrix* grad = nullptr, const Mask* mask = nullptr,
                    RowWeights<Scalar>* row_losses = nullptr) const {
    namespace d = birnn::detail::train_losses;
    check_config();
    const std::string who = d::who(name());
    d::check_predictions<Scalar>(who, y_pred);
    if (kind == LossKind::sparse_categorical_crossentropy)
      return sparse(who, y_pred, d::labels_from_matrix<Scalar>(who, y_true, y_pred.rows(), y_pred.cols()),
                    sample_weight, grad, mask, row_losses);
    d::check_same_shape<Scalar>(who, y_pred, y_true);
    d::check_weighting<Scalar>(who, y_pred.rows(), sample_weight, mask);
    RowWeights<Scalar> losses;
    d::check_row_sums<Scalar>(who, kind, from_logits, y_pred);
    d::dense_rows<Scalar>(kind, from_logits, y_pred, y_true, losses, grad);
    return d::reduce<Scalar>(losses, sample_weight, mask, reduction, grad, row_losses);
  }

  /// The sparse loss with class ids given as integers, one per row.
  /// @throws config_error when this is not sparse_categorical_crossentropy; otherwise as above.
  Scalar operator()(const ConstRef& y_pred, const std::vector<int>& labels,
                    const RowWeights<Scalar>* sample_weight = nullptr, Matrix* grad = nullptr,
                    const Mask* mask = nullptr, RowWeights<Scalar>* row_losses = nullptr) const {
    namespace d = birnn::detail::train_losses;
    check_config();
    const std::string who = d::who(name());
    if (kind != LossKind::sparse_categorical_crossentropy)
      throw config_error(birnn::detail::cat(who, ": y_true: expected a (rows, ", y_pred.cols(),
                                            ") matrix, got class ids (only sparse_categorical_crossentropy takes "
                                            "them)"));
    d::check_predictions<Scalar>(who, y_pred);
    return sparse(who, y_pred, labels, sample_weight, grad, mask, row_losses);
  }

  /// The metric Keras 3 gives `metrics=["accuracy"]` for this loss's targets and `classes`
  /// (y_pred columns), by shape as `compile_utils.get_metric` does: one column: binary_accuracy;
  /// class-id targets (the sparse loss): sparse_categorical_accuracy; otherwise
  /// categorical_accuracy (also for binary_crossentropy on several columns).
  AccuracyKind accuracy_kind(Eigen::Index classes) const noexcept {
    if (classes == 1) return AccuracyKind::binary;
    if (kind == LossKind::sparse_categorical_crossentropy) return AccuracyKind::sparse_categorical;
    return AccuracyKind::categorical;
  }
  /// The binary_accuracy threshold: Keras's 0.5 on probabilities. With `from_logits` it is 0
  /// on the logits (the same decision as 0.5 on the sigmoid), which deviates from Keras: Keras
  /// compares the logits themselves with 0.5.
  Scalar accuracy_threshold() const noexcept { return from_logits ? Scalar(0) : Scalar(0.5); }

  /// Keras's "accuracy" for this loss (see `accuracy_kind`) over one batch. Keras applies
  /// `sample_weight` only for `weighted_metrics`; pass null to match `metrics=`. The mask
  /// weights rows with 0 or 1 (not rescaled).
  /// @throws shape_error, mask_error, value_error as the loss does.
  AccuracyCount accuracy(const ConstRef& y_pred, const ConstRef& y_true,
                         const RowWeights<Scalar>* sample_weight = nullptr, const Mask* mask = nullptr) const {
    namespace d = birnn::detail::train_losses;
    const AccuracyKind a = accuracy_kind(y_pred.cols());
    const std::string who = d::who(to_string(a));
    if (kind == LossKind::sparse_categorical_crossentropy) {
      d::check_predictions<Scalar>(who, y_pred);
      const auto labels = d::labels_from_matrix<Scalar>(who, y_true, y_pred.rows(), y_pred.cols());
      if (a == AccuracyKind::binary)
        return d::binary_accuracy<Scalar>(who, y_pred, y_true, accuracy_threshold(), sample_weight, mask);
      return d::sparse_accuracy<Scalar>(who, y_pred, labels, sample_weight, mask);
    }
    if (a == AccuracyKind::binary)
      return d::binary_accuracy<Scalar>(who, y_pred, y_true, accuracy_threshold(), sample_weight, mask);
    return d::categorical_accuracy<Scalar>(who, y_pred, y_true, sample_weight, mask);
  }
  /// As above with integer class ids (sparse loss only).
  /// @throws config_error for another loss.
  AccuracyCount accuracy(const ConstRef& y_pred, const std::vector<int>& labels,
                         const RowWeights<Scalar>* sample_weight = nullptr, const Mask* mask = nullptr) const {
    namespace d = birnn::detail::train_losses;
    if (kind != LossKind::sparse_categorical_crossentropy)
      throw config_error(birnn::detail::cat(d::who(name()), ": accuracy: expected a (rows, ", y_pred.cols(),
                                            ") matrix of targets, got class ids"));
    const AccuracyKind a = accuracy_kind(y_pred.cols());
    const std::string who = d::who(to_string(a));
    if (a == AccuracyKind::binary) {
      d::check_predictions<Scalar>(who, y_pred);
      d::check_labels(who, labels, y_pred.rows(), y_pred.cols());
      const Matrix t = Matrix::Zero(y_pred.rows(), 1);  // the only valid class id is 0
      return d::binary_accuracy<Scalar>(who, y_pred, t, accuracy_threshold(), sample_weight, mask);
    }
    return d::sparse_accuracy<Scalar>(who, y_pred, labels, sample_weight, mask);
  }

 private:
  void check_config() const {
    if (kind == LossKind::mean_squared_error && from_logits)
      throw config_error("birnn::train::mean_squared_error: from_logits: expected false, got true "
                         "(Keras's mean_squared_error has no from_logits)");
  }

  Scalar sparse(const std::string& who, const ConstRef& y_pred, const std::vector<int>& labels,
                const RowWeights<Scalar>* sample_weight, Matrix* grad, const Mask* mask,
                RowWeights<Scalar>* row_losses) const {
    namespace d = birnn::detail::train_losses;
    d::check_labels(who, labels, y_pred.rows(), y_pred.cols());
    d::check_weighting<Scalar>(who, y_pred.rows(), sample_weight, mask);
    const Matrix t = d::one_hot<Scalar>(labels, y_pred.cols());
    RowWeights<Scalar> losses;
    d::check_row_sums<Scalar>(who, kind, from_logits, y_pred);
    d::dense_rows<Scalar>(kind, from_logits, y_pred, t, losses, grad);
    return d::reduce<Scalar>(losses, sample_weight, mask, reduction, grad, row_losses);
  }
};

/// Keras's `binary_crossentropy`, reduced (see `Loss::operator()` for the pointer arguments).
template <class DP, class DT>
typename DP::Scalar binary_crossentropy(const Eigen::MatrixBase<DP>& y_pred, const Eigen::MatrixBase<DT>& y_true,
                                        bool from_logits = false, Reduction reduction = Reduction::sum_over_batch_size,
                                        const RowWeights<typename DP::Scalar>* sample_weight = nullptr,
                                        Batch<typename DP::Scalar>* grad = nullptr, const Mask* mask = nullptr) {
  using S = typename DP::Scalar;
  return Loss<S>(LossKind::binary_crossentropy, from_logits, reduction)(y_pred.derived(), y_true.derived(),
                                                                        sample_weight, grad, mask);
}

/// Keras's `categorical_crossentropy` (one-hot or soft targets), reduced.
template <class DP, class DT>
typename DP::Scalar categorical_crossentropy(const Eigen::MatrixBase<DP>& y_pred, const Eigen::MatrixBase<DT>& y_true,
                                             bool from_logits = false,
                                             Reduction reduction = Reduction::sum_over_batch_size,
                                             const RowWeights<typename DP::Scalar>* sample_weight = nullptr,
                                             Batch<typename DP::Scalar>* grad = nullptr, const Mask* mask = nullptr) {
  using S = typename DP::Scalar;
  return Loss<S>(LossKind::categorical_crossentropy, from_logits, reduction)(y_pred.derived(), y_true.derived(),
                                                                             sample_weight, grad, mask);
}

/// Keras's `sparse_categorical_crossentropy` with one class id per row, reduced.
template <class DP>
typename DP::Scalar sparse_categorical_crossentropy(const Eigen::MatrixBase<DP>& y_pred,
                                                    const std::vector<int>& labels, bool from_logits = false,
                                                    Reduction reduction = Reduction::sum_over_batch_size,
                                                    const RowWeights<typename DP::Scalar>* sample_weight = nullptr,
                                                    Batch<typename DP::Scalar>* grad = nullptr,
                                                    const Mask* mask = nullptr) {
  using S = typename DP::Scalar;
  return Loss<S>(LossKind::sparse_categorical_crossentropy, from_logits, reduction)(y_pred.derived(), labels,
                                                                                    sample_weight, grad, mask);
}

/// Keras's `sparse_categorical_crossentropy` with class ids as a `(rows, 1)` matrix of whole numbers.
template <class DP, class DT>
typename DP::Scalar sparse_categorical_crossentropy(const Eigen::MatrixBase<DP>& y_pred,
                                                    const Eigen::MatrixBase<DT>& y_true, bool from_logits = false,
                                                    Reduction reduction = Reduction::sum_over_batch_size,
                                                    const RowWeights<typename DP::Scalar>* sample_weight = nullptr,
                                                    Batch<typename DP::Scalar>* grad = nullptr,
                                                    const Mask* mask = nullptr) {
  using S = typename DP::Scalar;
  return Loss<S>(LossKind::sparse_categorical_crossentropy, from_logits, reduction)(
      y_pred.derived(), y_true.derived(), sample_weight, grad, mask);
}

/// Keras's `mean_squared_error`, reduced.
template <class DP, class DT>
typename DP::Scalar mean_squared_error(const Eigen::MatrixBase<DP>& y_pred, const Eigen::MatrixBase<DT>& y_true,
                                       Reduction reduction = Reduction::sum_over_batch_size,
                                       const RowWeights<typename DP::Scalar>* sample_weight = nullptr,
                                       Batch<typename DP::Scalar>* grad = nullptr, const Mask* mask = nullptr) {
  using S = typename DP::Scalar;
  return Loss<S>(LossKind::mean_squared_error, false, reduction)(y_pred.derived(), y_true.derived(), sample_weight,
                                                                 grad, mask);
}

}  // namespace birnn::train
