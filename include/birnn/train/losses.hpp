#pragma once
/// @file
/// Keras's losses and its "accuracy" metric, each returning its value and, for the losses, the
/// gradient `dL/dy_pred`. Keras counterparts: `keras.losses.binary_crossentropy`,
/// `categorical_crossentropy`, `sparse_categorical_crossentropy`, `mean_squared_error`, the
/// reductions of `keras.losses.Loss`, and `keras.metrics.binary_accuracy`,
/// `categorical_accuracy`, `sparse_categorical_accuracy` as `compile(metrics=["accuracy"])`
/// resolves them.
///
/// Predictions are a row-major matrix `y_pred` of shape `(rows, k)`: one prediction vector per
/// row, where rows is the batch, or batch * time for a `return_sequences` output
/// (`Sequence::matrix()`, row `b * time + t`). Targets have the same shape, except for the
/// sparse loss, whose targets are class ids: a `std::vector<int>` of `rows` ids, or a
/// `(rows, 1)` matrix of Scalar holding whole numbers (as Keras takes them).
///
/// Per-row losses, as Keras computes them along the last axis:
/// - binary_crossentropy: the mean over the k outputs of `-(t log p + (1 - t) log(1 - p))`, with
///   p clipped to `[1e-7, 1 - 1e-7]`; from logits `max(x, 0) - x t + log(1 + exp(-|x|))`.
/// - categorical_crossentropy: `-sum_j t_j log q_j`, where `q = p / sum(p)` (Keras normalises the
///   row first) clipped to `[1e-7, 1 - 1e-7]`; from logits `q = softmax(x)` via log-sum-exp.
/// - sparse_categorical_crossentropy: the same with t the one-hot vector of the class id.
/// - mean_squared_error: the mean over the k outputs of `(p - t)^2`.
/// Clipping has Keras's gradient: zero where p (or q) lies outside the clip range.
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
///
/// Bad input throws before anything is written: `shape_error` for a y_true, y_pred or
/// sample-weight shape that does not fit, `mask_error` for a mask whose size is not `rows`,
/// `value_error` for a NaN in y_pred, y_true or the weights, for a class id out of range or not a
/// whole number, and for a probability row without a positive sum (categorical losses);
/// `config_error` for an unknown loss or reduction name, `from_logits` on mean_squared_error,
/// or integer class ids given to a loss other than the sparse one. Messages name the loss (or
/// metric: `birnn::train::binary_crossentropy: ...`), the expected and the actual value.

#include "birnn/detail/size.hpp"
#include "birnn/errors.hpp"
#include "birnn/tensor.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

namespace birnn::train {

/// Keras's `backend.epsilon()`: the clip margin of probabilities.
inline constexpr double keras_epsilon = 1e-7;

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

/// One weight (or loss) per row of the predictions.
template <class Scalar>
using RowWeights = Eigen::Array<Scalar, Eigen::Dynamic, 1>;

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

/// The categorical losses on probabilities normalise each row: its sum must be positive.
template <class Scalar>
void check_row_sums(const std::string& who, train::LossKind kind, bool from_logits, const ConstRef<Scalar>& p) {
  if (from_logits || (kind != train::LossKind::categorical_crossentropy &&
                      kind != train::LossKind::sparse_categorical_crossentropy))
    return;
  for (Index r = 0; r < p.rows(); ++r) {
    const Scalar s = p.row(r).sum();
    if (!(s > 0))
      throw value_error(cat(who, ": y_pred row ", r, ": expected probabilities with a positive sum, got sum ", s));
  }
}

/// Per-row losses and (when `grad`) their gradients, for targets of y_pred's shape. The inputs
/// have been checked (shapes, NaNs, row sums).
template <class Scalar>
void dense_rows(train::LossKind kind, bool from_logits, const ConstRef<Scalar>& p, const ConstRef<Scalar>& t,
                train::RowWeights<Scalar>& loss, Batch<Scalar>* grad) {
  using std::abs, std::exp, std::log, std::log1p, std::max;
  const Index n = p.rows(), k = p.cols();
  const Scalar eps = static_cast<Scalar>(train::keras_epsilon);
  const Scalar hi = static_cast<Scalar>(1.0 - train::keras_epsilon);
  const Scalar kk = static_cast<Scalar>(k);
  loss.resize(n);
  if (grad) grad->resize(n, k);
  for (Index r = 0; r < n; ++r) {
    Scalar acc = 0;
    switch (kind) {
      case train::LossKind::binary_crossentropy:
        for (Index j = 0; j < k; ++j) {
          const Scalar x = p(r, j), z = t(r, j);
          if (from_logits) {
            acc += max(x, Scalar(0)) - x * z + log1p(exp(-abs(x)));
            if (grad) {
              const Scalar s = x >= 0 ? Scalar(1) / (Scalar(1) + exp(-x)) : exp(x) / (Scalar(1) + exp(x));
              (*grad)(r, j) = (s - z) / kk;
            }
          } else {
            const Scalar c = std::clamp(x, eps, hi);
            acc += -(z * log(c) + (Scalar(1) - z) * log(Scalar(1) - c));
            if (grad)
              (*grad)(r, j) = (x < eps || x > hi) ? Scalar(0) : (-z / c + (Scalar(1) - z) / (Scalar(1) - c)) / kk;
          }
        }
        loss(r) = acc / kk;
        break;
      case train::LossKind::mean_squared_error:
        for (Index j = 0; j < k; ++j) {
          const Scalar d = p(r, j) - t(r, j);
          acc += d * d;
          if (grad) (*grad)(r, j) = Scalar(2) * d / kk;
        }
        loss(r) = acc / kk;
        break;
      case train::LossKind::categorical_crossentropy:
      case train::LossKind::sparse_categorical_crossentropy:
        if (from_logits) {
          const Scalar mx = p.row(r).maxCoeff();
          const Scalar lse = mx + log((p.row(r).array() - mx).exp().sum());
          const Scalar tsum = t.row(r).sum();
          for (Index j = 0; j < k; ++j) acc -= t(r, j) * (p(r, j) - lse);
          if (grad)
            for (Index j = 0; j < k; ++j) (*grad)(r, j) = exp(p(r, j) - lse) * tsum - t(r, j);
        } else {
          const Scalar s = p.row(r).sum();  // positive: checked by check_row_sums
          Scalar gq = 0;  // sum_j g_j q_j, g = dL/dq
          for (Index j = 0; j < k; ++j) {
            const Scalar q = p(r, j) / s;
            const Scalar c = std::clamp(q, eps, hi);
            acc -= t(r, j) * log(c);
            const Scalar g = (q < eps || q > hi) ? Scalar(0) : -t(r, j) / c;
            if (grad) (*grad)(r, j) = g;
            gq += g * q;
          }
          if (grad)
            for (Index j = 0; j < k; ++j) (*grad)(r, j) = ((*grad)(r, j) - gq) / s;
        }
        loss(r) = acc;
        break;
    }
  }
}

template <class Scalar>
Batch<Scalar> one_hot(const std::vector<int>& labels, Index classes) {
  Batch<Scalar> t = Batch<Scalar>::Zero(static_cast<Index>(labels.size()), classes);
  for (std::size_t r = 0; r < labels.size(); ++r) t(static_cast<Index>(r), labels[r]) = Scalar(1);
  return t;
}

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
  /// ids), reduced with `reduction`; see the file comment for weights and masks.
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
