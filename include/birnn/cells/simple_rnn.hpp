#pragma once
/// @file
/// `SimpleRNN`: the fully connected recurrent cell, `h_t = act(x_t W + h_{t-1} U + b)`.
/// Keras counterpart: `keras.layers.SimpleRNNCell`. One gate; state `[h]`;
/// parameters `input*u + u*u + u` (SimpleRNN(5) on 32 features: 190).

#include "birnn/cells/cell_traits.hpp"
#include "birnn/detail/keras_weights.hpp"
#include "birnn/fwd.hpp"
#include "birnn/math/activation.hpp"
#include "birnn/math/activation_derivative.hpp"

#include <Eigen/Core>

#include <array>

namespace birnn {

/// The Keras SimpleRNN cell.
/// @tparam Scalar     float or double.
/// @tparam InputSize  input features at compile time (default `Eigen::Dynamic`).
/// @tparam Units      units at compile time (default `Eigen::Dynamic`).
template <class Scalar_, int InputSize, int Units>
struct SimpleRNN {
  static_assert(detail::check_cell_parameters<Scalar_, InputSize, Units>());
  using Scalar = Scalar_;
  static constexpr int input_size_at_compile_time = InputSize;
  static constexpr int units_at_compile_time = Units;
  static constexpr int gates = 1;
  static constexpr int gate_width = Units;
  static constexpr int state_count = 1;  // Keras state order: [h]
  static constexpr const char* keras_name = "SimpleRNN";

  using Hidden = Batch<Scalar, Units>;
  using Gates = Batch<Scalar, gate_width>;
  using State = std::array<Hidden, state_count>;
  using Weights = detail::KerasWeights<Scalar, InputSize, Units, gates>;

  struct Config {
    Eigen::Index units = Units == Eigen::Dynamic ? 0 : Units;
    Activation activation = Activation::tanh;
    bool use_bias = true;
  };
  struct Workspace {
    Gates z;
    Eigen::Matrix<Scalar, Eigen::Dynamic, 1> gemm;  // scratch of the recurrent product
  };

  static int bias_rows(const Config& c) noexcept { return c.use_bias ? 1 : 0; }
  static void prepare(Workspace& ws, Eigen::Index batch, const Config& c) {
    ws.z.resize(batch, c.units);
    ws.gemm.resize(Weights::scratch_size(batch, c.units));
  }

  /// One step for the whole batch: `next.h = act(projected + prev.h U)`.
  template <class P>
  static void step(const Weights& w, const Config& c, const Eigen::MatrixBase<P>& projected, const State& prev,
                   State& next, Workspace& ws) noexcept {
    w.recurrent_plus(prev[0], projected, ws.z, ws.gemm);
    detail::activate(c.activation, ws.z);
    next[0] = ws.z;
  }

  /// `step` with Keras's recurrent dropout (training): `next.h = act(projected + (prev.h * masks[0]) U)`.
  /// `masks` points at one `(batch, units)` mask; `dropped` is scratch space of that shape.
  template <class P>
  static void step(const Weights& w, const Config& c, const Eigen::MatrixBase<P>& projected, const State& prev,
                   State& next, Workspace& ws, const Hidden* masks, Hidden& dropped) noexcept {
    dropped.array() = prev[0].array() * masks[0].array();
    ws.z = projected;
    ws.z.noalias() += dropped * w.recurrent_kernel;
    detail::activate(c.activation, ws.z);
    next[0] = ws.z;
  }

  /// What a recorded forward keeps of a step besides the previous states: the new `h`.
  static const Gates& recorded(const Workspace& ws) noexcept { return ws.z; }

  /// Scratch space of `step_backward`, sized once per backward pass by `prepare_backward`.
  struct BackwardWorkspace {
    Gates dz;
    Hidden dropped;  // prev.h * mask (recurrent dropout)
  };
  static void prepare_backward(BackwardWorkspace& ws, Eigen::Index batch, const Config& c) {
    ws.dz.resize(batch, c.units);
    ws.dropped.resize(batch, c.units);
  }

  /// The backward of `step`: from `d_next` (the gradient w.r.t. the step's new states; used as
  /// scratch), `gates` (what `recorded` kept) and `prev`, writes `d_prev`, the gradient w.r.t.
  /// the projected input `d_projected`, and adds the recurrent weights' gradient to `d_weights`.
  template <class G, class DP>
  static void step_backward(const Weights& w, const Config& c, const Eigen::MatrixBase<G>& gates, const State& prev,
                            State& d_next, State& d_prev, Eigen::MatrixBase<DP>& d_projected, Weights& d_weights,
                            BackwardWorkspace& ws) noexcept {
    ws.dz = d_next[0];
    detail::backprop_activation(c.activation, gates, ws.dz);
    d_projected = ws.dz;
    d_weights.recurrent_kernel.noalias() += prev[0].transpose() * ws.dz;
    d_prev[0].noalias() = ws.dz * w.recurrent_kernel.transpose();
  }

  /// The backward of the recurrent-dropout `step` (same `masks`): `dU += (h * r)^T dz` and
  /// `d_prev.h = (dz U^T) * r`.
  template <class G, class DP>
  static void step_backward(const Weights& w, const Config& c, const Eigen::MatrixBase<G>& gates, const State& prev,
                            State& d_next, State& d_prev, Eigen::MatrixBase<DP>& d_projected, Weights& d_weights,
                            BackwardWorkspace& ws, const Hidden* masks) noexcept {
    ws.dz = d_next[0];
    detail::backprop_activation(c.activation, gates, ws.dz);
    d_projected = ws.dz;
    ws.dropped.array() = prev[0].array() * masks[0].array();
    d_weights.recurrent_kernel.noalias() += ws.dropped.transpose() * ws.dz;
    d_prev[0].noalias() = ws.dz * w.recurrent_kernel.transpose();
    d_prev[0].array() *= masks[0].array();
  }
};

}  // namespace birnn
