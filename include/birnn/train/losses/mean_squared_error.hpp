#pragma once
/// @file
/// mean_squared_error's per-row values and gradients: per row, the mean over the k outputs of
/// `(p - t)^2`. Keras counterpart: `keras.losses.mean_squared_error` (which has no
/// `from_logits`); `birnn::train::Loss` (`train/losses.hpp`) checks, dispatches and reduces it.

#include "birnn/train/losses/reduction.hpp"
#include "birnn/types/size.hpp"

#include <Eigen/Core>

namespace birnn::detail::train_losses {

/// mean_squared_error's per-row losses and (when `grad`) their gradients, for targets of
/// y_pred's shape. The inputs have been checked (shapes, NaNs).
template <class Scalar>
void mean_squared_error_rows(const ConstRef<Scalar>& p, const ConstRef<Scalar>& t, train::RowWeights<Scalar>& loss,
                             Batch<Scalar>* grad) {
  const Index n = p.rows(), k = p.cols();
  const Scalar kk = static_cast<Scalar>(k);
  loss.resize(n);
  if (grad) grad->resize(n, k);
  for (Index r = 0; r < n; ++r) {
    Scalar acc = 0;
    for (Index j = 0; j < k; ++j) {
      const Scalar d = p(r, j) - t(r, j);
      acc += d * d;
      if (grad) (*grad)(r, j) = Scalar(2) * d / kk;
    }
    loss(r) = acc / kk;
  }
}

}  // namespace birnn::detail::train_losses
