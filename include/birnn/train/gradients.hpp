#pragma once
/// @file
/// `train::Gradients`: what a backward pass returns. For a scalar loss `L` whose gradient
/// w.r.t. the outputs of the last recorded forward pass (`forward_train`) is given as
/// cotangents, it holds `dL/d inputs`, `dL/d weights` in Keras `get_weights()` order and
/// shapes (so `weights[i]` matches `get_weights()[i]`), and `dL/d initial states` in Keras's
/// state order. `Rnn::backward`, `Bidirectional::backward` and `Model::backward` return it.
/// Keras counterpart: `tape.gradient(L, [inputs] + layer.weights + initial_state)`.

#include "birnn/types/sequence.hpp"
#include "birnn/types/size.hpp"
#include "birnn/types/tensor.hpp"

#include <Eigen/Core>

#include <vector>

namespace birnn::train {

/// Gradients of a scalar loss after a backward pass.
/// @tparam Scalar  float or double.
template <class Scalar>
struct Gradients {
  /// `dL/dx`, `(batch, time, features)` like the input; empty (0 x 0 x 0) when the input was token ids.
  Sequence<Scalar> inputs;
  /// `dL/dw` for every weight, in Keras `get_weights()` order and shapes.
  std::vector<Tensor<Scalar>> weights;
  /// `dL/d initial state` for every state the (first) recurrent layer started from, Keras
  /// order (`h`, `c`; Bidirectional: forward states, then backward states). The gradient is
  /// taken at the states used, so it is there too when they defaulted to zeros.
  std::vector<Batch<Scalar>> initial_state;
};

}  // namespace birnn::train
