#pragma once
/// @file
/// `train::FitOptions`: the settings of `Model::fit`.

#include "birnn/train/progress.hpp"

#include <Eigen/Core>

#include <cstdint>
#include <iostream>
#include <ostream>
#include <string>

namespace birnn::train {

/// Where `fit` keeps its last good state on disk; an empty path keeps nothing there.
struct Checkpoint {
  /// The weights (birnn's weights file; `io::load_weights(model, path)` reads it back).
  std::string weights;
  /// The history of the finished epochs (CSV, as `History::write_csv` writes it).
  std::string history;
};

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
  /// Written after every epoch whose losses are finite, each file replaced atomically, so an
  /// interrupted `fit` leaves the last good epoch on disk (Keras's `ModelCheckpoint` with
  /// `save_weights_only`, plus `CSVLogger`).
  Checkpoint checkpoint;
};

}  // namespace birnn::train
