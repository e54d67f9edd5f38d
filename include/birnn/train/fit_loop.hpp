#pragma once
/// @file
/// The epochs of `Model::fit`: Keras's `fit` loop over shuffled batches, with its progress
/// bar, the mean batch loss (weighted by batch size), accuracy and the validation split.
///
/// Nothing is lost when an epoch fails. `fit_loop` keeps the model's weights and its
/// optimizer's state as they were at the end of the last good epoch (or at the start). When
/// an epoch throws (a NaN prediction is a `value_error` of the loss) or gives a loss that is
/// not finite, the model gets that state back before the error goes on, and the checkpoint
/// files (`FitOptions::checkpoint`) still hold that epoch. Keras has no such guard: its
/// `TerminateOnNaN` stops with the NaN weights in the model.

#include "birnn/detail/atomic_file.hpp"
#include "birnn/detail/weights_format.hpp"
#include "birnn/errors.hpp"
#include "birnn/train/batches.hpp"
#include "birnn/train/fit_options.hpp"
#include "birnn/train/history.hpp"
#include "birnn/train/losses.hpp"
#include "birnn/train/progress.hpp"
#include "birnn/types/tensor.hpp"
#include "birnn/types/value.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace birnn::train {

/// Writes the checkpoint files of `o` that have a path: `weights`, then the history.
template <class Scalar>
void write_checkpoint(const Checkpoint& c, const std::vector<Tensor<Scalar>>& weights, const History& history,
                      const std::string& label) {
  if (!c.weights.empty()) {
    const std::string who = detail::cat(label, ": checkpoint '", c.weights, "'");
    detail::write_file_atomically(c.weights, who, [&](std::ostream& os) { detail::write_weights_file(os, weights, who); });
  }
  if (!c.history.empty())
    detail::write_file_atomically(c.history, detail::cat(label, ": checkpoint '", c.history, "'"),
                                  [&](std::ostream& os) { history.write_csv(os); });
}

/// Runs `o.epochs` epochs of `step(x_batch, mask_batch_or_null, y_batch, &accuracy)` (one
/// training step of `model`, returning the batch loss) over the samples of `x`, then
/// `validate(rows)` (returning {"loss", "accuracy"}) on the validation split. `model` has
/// `get_weights`, `set_weights` and `optimizer()` (its state is kept with the weights).
/// `label` names the model in errors.
/// @throws config_error for bad options; value_error for a loss that is not finite; whatever
///         a step throws (the model then has its last good weights back, as the file says).
template <class Scalar, class M, class X, class Step, class Validate>
History fit_loop(M& model, const X& x, const Mask* mask, const Value<Scalar>& y, const FitOptions& o, bool accuracy,
                 const std::string& label, Step&& step, Validate&& validate) {
  if (o.epochs < 0) throw config_error(detail::cat(label, ": epochs: expected at least 0, got ", o.epochs));
  if (o.batch_size <= 0) throw config_error(detail::cat(label, ": batch_size: expected at least 1, got ", o.batch_size));
  // The state of the last good epoch, given back when an epoch fails.
  std::vector<Tensor<Scalar>> good_weights = model.get_weights();
  auto good_optimizer = model.optimizer().state();
  const auto finite = [&](double v, const std::string& what, int epoch) {
    if (!std::isfinite(v))
      throw value_error(detail::cat(label, ": epoch ", epoch + 1, ": ", what, ": expected a finite number, got ", v));
  };
  // Named, not bound: C++17 lambdas cannot capture structured bindings.
  auto split = split_rows(samples(x), o.validation_split, label);
  Rows& train_rows = split.first;
  const Rows& validation_rows = split.second;
  std::uint64_t shuffle_state = o.seed * 0x9E3779B97F4A7C15ULL + 1;
  std::ostream& os = o.out ? *o.out : std::cout;
  History history;
  const auto batch = static_cast<std::size_t>(o.batch_size);
  const auto steps = (train_rows.size() + batch - 1) / batch;
  // One epoch: its batches, then the validation split; returns the epoch's metrics.
  const auto run_epoch = [&](int epoch) {
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
      finite(static_cast<double>(l), detail::cat("batch ", s + 1, " loss"), epoch);
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
      finite(v.at("loss"), "val_loss", epoch);
      epoch_metrics.emplace_back("val_loss", v.at("loss"));
      if (accuracy) epoch_metrics.emplace_back("val_accuracy", v.at("accuracy"));
    }
    progress.finish(epoch_metrics);
    return epoch_metrics;
  };
  // Gives the model the state of the last good epoch back.
  const auto restore = [&] {
    model.set_weights(good_weights);
    model.optimizer().set_state(std::move(good_optimizer));
  };
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    std::vector<std::pair<std::string, double>> metrics;
    try {
      metrics = run_epoch(epoch);
    } catch (const value_error& e) {
      restore();
      const std::string kept = epoch == 0 ? "it started with" : detail::cat("of the end of epoch ", epoch);
      throw value_error(detail::cat(e.what(), "; fit stopped in epoch ", epoch + 1, ", the model has the weights ", kept,
                                    o.checkpoint.weights.empty() ? "" : " (as the checkpoint has)"));
    } catch (...) {
      restore();
      throw;
    }
    for (const auto& [k, value] : metrics) history.add(k, value);
    good_weights = model.get_weights();
    good_optimizer = model.optimizer().state();
    write_checkpoint(o.checkpoint, good_weights, history, label);
  }
  return history;
}

}  // namespace birnn::train
