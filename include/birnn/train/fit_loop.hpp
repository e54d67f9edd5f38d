#pragma once
/// @file
/// The epochs of `Model::fit`: Keras's `fit` loop over shuffled batches, with its progress
/// bar, the mean batch loss (weighted by batch size), accuracy and the validation split.

#include "birnn/errors.hpp"
#include "birnn/train/batches.hpp"
#include "birnn/train/fit_options.hpp"
#include "birnn/train/history.hpp"
#include "birnn/train/losses.hpp"
#include "birnn/train/progress.hpp"
#include "birnn/types/value.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace birnn::train {

/// Runs `o.epochs` epochs of `step(x_batch, mask_batch_or_null, y_batch, &accuracy)` (one
/// training step, returning the batch loss) over the samples of `x`, then
/// `validate(rows)` (returning {"loss", "accuracy"}) on the validation split. `label` names
/// the model in errors. @throws config_error for bad options.
template <class Scalar, class X, class Step, class Validate>
History fit_loop(const X& x, const Mask* mask, const Value<Scalar>& y, const FitOptions& o, bool accuracy,
                 const std::string& label, Step&& step, Validate&& validate) {
  if (o.epochs < 0) throw config_error(detail::cat(label, ": epochs: expected at least 0, got ", o.epochs));
  if (o.batch_size <= 0) throw config_error(detail::cat(label, ": batch_size: expected at least 1, got ", o.batch_size));
  auto [train_rows, validation_rows] = split_rows(samples(x), o.validation_split, label);
  std::uint64_t shuffle_state = o.seed * 0x9E3779B97F4A7C15ULL + 1;
  std::ostream& os = o.out ? *o.out : std::cout;
  History history;
  const auto batch = static_cast<std::size_t>(o.batch_size);
  const auto steps = (train_rows.size() + batch - 1) / batch;
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    if (o.shuffle) shuffle_rows(train_rows, shuffle_state);
    Progress progress(os, o.verbose, steps);
    if (progress.prints()) os << "Epoch " << epoch + 1 << '/' << o.epochs << '\n';
    double loss_sum = 0, weight_sum = 0;
    AccuracyCount acc;
    for (std::size_t s = 0; s < steps; ++s) {
      const auto first = s * batch, last = std::min(train_rows.size(), first + batch);
      const Rows rows(train_rows.begin() + static_cast<std::ptrdiff_t>(first),
                      train_rows.begin() + static_cast<std::ptrdiff_t>(last));
      const auto xb = take(x, rows);
      const auto yb = take(y, rows);
      Scalar l;
      if (mask) {
        const Mask mb = take(*mask, rows);
        l = step(xb, &mb, yb, &acc);
      } else {
        l = step(xb, nullptr, yb, &acc);
      }
      // Keras's progress bar: the mean of the batch losses, weighted by batch size.
      loss_sum += static_cast<double>(l) * static_cast<double>(rows.size());
      weight_sum += static_cast<double>(rows.size());
      std::vector<std::pair<std::string, double>> now{{"loss", loss_sum / weight_sum}};
      if (accuracy) now.emplace_back("accuracy", acc.result());
      progress.update(s + 1, now);
    }
    std::vector<std::pair<std::string, double>> epoch_metrics{{"loss", loss_sum / weight_sum}};
    if (accuracy) epoch_metrics.emplace_back("accuracy", acc.result());
    if (!validation_rows.empty()) {
      const std::map<std::string, double> v = validate(validation_rows);
      epoch_metrics.emplace_back("val_loss", v.at("loss"));
      if (accuracy) epoch_metrics.emplace_back("val_accuracy", v.at("accuracy"));
    }
    for (const auto& [k, value] : epoch_metrics) history.add(k, value);
    progress.finish(epoch_metrics);
  }
  return history;
}

}  // namespace birnn::train
