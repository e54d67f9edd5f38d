#pragma once
/// @file
/// `train::FitOptions`: the settings of `Model::fit`.

#include "birnn/train/progress.hpp"

#include <Eigen/Core>

#include <cstdint>
#include <iostream>
#include <ostream>

namespace birnn::train {

/// The settings of `Model::fit`; Keras's `fit` arguments, with Keras's defaults.
struct FitOptions {
  int epochs = 1;
  Eigen::Index batch_size = 32;
  /// The last fraction of the samples (taken before shuffling) that validates instead of training.
  double validation_split = 0.0;
  /// Reorder the training samples at the start of every epoch.
  bool shuffle = true;
  /// Seeds the shuffling (and nothing else: dropout has its own per-layer seeds).
  std::uint64_t seed = 0;
  Verbosity verbose = Verbosity::automatic;
  /// Where the progress and the per-epoch lines go.
  std::ostream* out = &std::cout;
};

}  // namespace birnn::train
