#pragma once
/// @file
/// The loss of one batch in `Model::fit` / `evaluate`: the output against its targets, the
/// gradient with respect to the output, and the accuracy count. The mask that reached a
/// sequence output leaves masked steps out, as Keras does.

#include "birnn/errors.hpp"
#include "birnn/train/losses.hpp"
#include "birnn/types/value.hpp"

#include <optional>
#include <string>
#include <utility>

namespace birnn::train {

/// The loss of `out` against `y`; with `d` (shaped like `out`) also dL/d out; adds to
/// `accuracy` when not null. @throws shape_error, naming `label`, for targets of another shape.
template <class Scalar>
Scalar batch_objective(const Loss<Scalar>& loss, AccuracyCount* accuracy, const std::optional<Mask>& output_mask,
                       const Value<Scalar>& out, const Value<Scalar>& y, Value<Scalar>* d, const std::string& label) {
  if (out.rank != y.rank || out.batch() != y.batch() || (out.rank == 3 && out.sequence.time() != y.sequence.time()))
    throw shape_error(detail::cat(label, ": targets shape: expected ", shape_string(out.shape()),
                                  " (the output's, with k features or 1 class id), got ", shape_string(y.shape())));
  const Mask* mask = out.rank == 3 && output_mask ? &*output_mask : nullptr;
  const auto& pred = out.rank == 3 ? out.sequence.matrix() : out.matrix;
  const auto& target = y.rank == 3 ? y.sequence.matrix() : y.matrix;
  Batch<Scalar> g;
  const Scalar l = loss(pred, target, nullptr, d ? &g : nullptr, mask);
  if (d) {
    if (d->rank == 3)
      d->sequence.matrix() = std::move(g);
    else
      d->matrix = std::move(g);
  }
  if (accuracy) *accuracy += loss.accuracy(pred, target, nullptr, mask);
  return l;
}

}  // namespace birnn::train
