#pragma once
/// @file
/// The crossentropy losses' per-row values and gradients: binary, categorical and sparse
/// categorical (the categorical one against the one-hot vectors of the class ids). Keras
/// counterparts: `keras.losses.binary_crossentropy`, `categorical_crossentropy` and
/// `sparse_categorical_crossentropy`; `birnn::train::Loss` (`train/losses.hpp`) checks,
/// dispatches and reduces them.
///
/// Per-row losses, as Keras computes them along the last axis:
/// - binary_crossentropy: the mean over the k outputs of `-(t log p + (1 - t) log(1 - p))`, with
///   p clipped to `[1e-7, 1 - 1e-7]`; from logits `max(x, 0) - x t + log(1 + exp(-|x|))`.
/// - categorical_crossentropy: `-sum_j t_j log q_j`, where `q = p / sum(p)` (Keras normalises the
///   row first) clipped to `[1e-7, 1 - 1e-7]`; from logits `q = softmax(x)` via log-sum-exp.
/// - sparse_categorical_crossentropy: the same with t the one-hot vector of the class id.
/// Clipping has Keras's gradient: zero where p (or q) lies outside the clip range.

#include "birnn/errors.hpp"
#include "birnn/train/losses/reduction.hpp"
#include "birnn/types/size.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

namespace birnn::train {

/// Keras's `backend.epsilon()`: the clip margin of probabilities.
inline constexpr double keras_epsilon = 1e-7;

}  // namespace birnn::train

namespace birnn::detail::train_losses {

/// The categorical losses on probabilities normalise each row: its sum must be positive.
template <class Scalar>
void check_positive_row_sums(const std::string& who, const ConstRef<Scalar>& p) {
  for (Index r = 0; r < p.rows(); ++r) {
    const Scalar s = p.row(r).sum();
    if (!(s > 0))
      throw value_error(cat(who, ": y_pred row ", r, ": expected probabilities with a positive sum, got sum ", s));
  }
}

/// binary_crossentropy's per-row losses and (when `grad`) their gradients, for targets of
/// y_pred's shape. The inputs have been checked (shapes, NaNs).
template <class Scalar>
void binary_crossentropy_rows(bool from_logits, const ConstRef<Scalar>& p, const ConstRef<Scalar>& t,
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
  }
}

/// categorical_crossentropy's per-row losses and (when `grad`) their gradients, for targets of
/// y_pred's shape (the sparse loss passes `one_hot` of its class ids). The inputs have been
/// checked (shapes, NaNs, row sums).
template <class Scalar>
void categorical_crossentropy_rows(bool from_logits, const ConstRef<Scalar>& p, const ConstRef<Scalar>& t,
                                   train::RowWeights<Scalar>& loss, Batch<Scalar>* grad) {
  using std::exp, std::log;
  const Index n = p.rows(), k = p.cols();
  const Scalar eps = static_cast<Scalar>(train::keras_epsilon);
  const Scalar hi = static_cast<Scalar>(1.0 - train::keras_epsilon);
  loss.resize(n);
  if (grad) grad->resize(n, k);
  for (Index r = 0; r < n; ++r) {
    Scalar acc = 0;
    if (from_logits) {
      const Scalar mx = p.row(r).maxCoeff();
      const Scalar lse = mx + log((p.row(r).array() - mx).exp().sum());
      const Scalar tsum = t.row(r).sum();
      for (Index j = 0; j < k; ++j) acc -= t(r, j) * (p(r, j) - lse);
      if (grad)
        for (Index j = 0; j < k; ++j) (*grad)(r, j) = exp(p(r, j) - lse) * tsum - t(r, j);
    } else {
      const Scalar s = p.row(r).sum();  // positive: checked by check_positive_row_sums
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
  }
}

/// The targets of the sparse loss: row r is the one-hot vector of class id `labels[r]`.
template <class Scalar>
Batch<Scalar> one_hot(const std::vector<int>& labels, Index classes) {
  Batch<Scalar> t = Batch<Scalar>::Zero(static_cast<Index>(labels.size()), classes);
  for (std::size_t r = 0; r < labels.size(); ++r) t(static_cast<Index>(r), labels[r]) = Scalar(1);
  return t;
}

}  // namespace birnn::detail::train_losses
