#pragma once
/// @file
/// `LSTM`: the long short-term memory cell. Keras counterpart: `keras.layers.LSTMCell`.
/// Gate order i, f, c, o (Keras); state order [h, c]; parameters `4 * (input*u + u*u + u)`.
///
///     z = x_t W + h_{t-1} U + b,  i = ract(z_i), f = ract(z_f), o = ract(z_o)
///     c_t = f * c_{t-1} + i * act(z_c),  h_t = o * act(c_t)

#include "birnn/cells/cell_traits.hpp"
#include "birnn/detail/keras_weights.hpp"
#include "birnn/fwd.hpp"
#include "birnn/math/activation.hpp"
#include "birnn/math/activation_derivative.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <array>

namespace birnn {

/// The Keras LSTM cell.
/// @tparam Scalar     float or double.
/// @tparam InputSize  input features at compile time (default `Eigen::Dynamic`).
/// @tparam Units      units at compile time (default `Eigen::Dynamic`).
template <class Scalar_, int InputSize, int Units>
struct LSTM {
  static_assert(detail::check_cell_parameters<Scalar_, InputSize, Units>());
  using Scalar = Scalar_;
  static constexpr int input_size_at_compile_time = InputSize;
  static constexpr int units_at_compile_time = Units;
  static constexpr int gates = 4;  // Keras gate order: i, f, c, o
  static constexpr int gate_width = detail::times(gates, Units);
  static constexpr int state_count = 2;  // Keras state order: [h, c]
  static constexpr const char* keras_name = "LSTM";

  using Hidden = Batch<Scalar, Units>;
  using Gates = Batch<Scalar, gate_width>;
  using State = std::array<Hidden, state_count>;
  using Weights = detail::KerasWeights<Scalar, InputSize, Units, gates>;

  struct Config {
    Eigen::Index units = Units == Eigen::Dynamic ? 0 : Units;
    Activation activation = Activation::tanh;
    Activation recurrent_activation = Activation::sigmoid;
    bool use_bias = true;
    bool unit_forget_bias = true;  ///< only changes the initial bias (forget block = 1), not loaded weights
  };
  struct Workspace {
    Gates z;
    Eigen::Matrix<Scalar, Eigen::Dynamic, 1> gemm;  // scratch of the recurrent product
  };

  static int bias_rows(const Config& c) noexcept { return c.use_bias ? 1 : 0; }
  static void prepare(Workspace& ws, Eigen::Index batch, const Config& c) {
    ws.z.resize(batch, gates * c.units);
    ws.gemm.resize(Weights::scratch_size(batch, c.units));
  }

  /// One step for the whole batch; `projected` holds `x_t W + b` for every sequence.
  template <class P>
  static void step(const Weights& w, const Config& c, const Eigen::MatrixBase<P>& projected, const State& prev,
                   State& next, Workspace& ws) noexcept {
    w.recurrent_plus(prev[0], projected, ws.z, ws.gemm);
    finish_step(c, prev, next, ws.z);
  }

  /// `step` with Keras's recurrent dropout (training; Keras's implementation 1): gate k adds
  /// `(h_{t-1} * masks[k]) U_k`; the carry uses the undropped `c_{t-1}`. `masks` points at 4
  /// `(batch, units)` masks (i, f, c, o); `dropped` is scratch space of that shape.
  template <class P>
  static void step(const Weights& w, const Config& c, const Eigen::MatrixBase<P>& projected, const State& prev,
                   State& next, Workspace& ws, const Hidden* masks, Hidden& dropped) noexcept {
    const Eigen::Index u = c.units;
    auto& z = ws.z;
    z = projected;
    for (int k = 0; k < gates; ++k) {
      dropped.array() = prev[0].array() * masks[k].array();
      detail::gate<Units>(z, k, u).noalias() += dropped * detail::gate<Units>(w.recurrent_kernel, k, u);
    }
    finish_step(c, prev, next, z);
  }

  /// What a recorded forward keeps of a step besides the previous states: the gates i, f,
  /// c, o after their activations (the new c is recomputed from them and the previous c).
  static const Gates& recorded(const Workspace& ws) noexcept { return ws.z; }

  /// Scratch space of `step_backward`, sized once per backward pass by `prepare_backward`.
  struct BackwardWorkspace {
    Gates dz;
    Hidden c, ac, dc;
    Hidden dropped, dh;  // recurrent dropout: h * mask_k, and dz_k U_k^T
  };
  static void prepare_backward(BackwardWorkspace& ws, Eigen::Index batch, const Config& c) {
    ws.dz.resize(batch, gates * c.units);
    ws.c.resize(batch, c.units);
    ws.ac.resize(batch, c.units);
    ws.dc.resize(batch, c.units);
    ws.dropped.resize(batch, c.units);
    ws.dh.resize(batch, c.units);
  }

  /// The backward of `step`: from `d_next` (gradients w.r.t. the new h and c; used as
  /// scratch), the recorded gates and `prev`, writes `d_prev`, the gradient w.r.t. the
  /// projected input `d_projected`, and adds the recurrent kernel's gradient to `d_weights`.
  template <class G, class DP>
  static void step_backward(const Weights& w, const Config& c, const Eigen::MatrixBase<G>& gates_, const State& prev,
                            State& d_next, State& d_prev, Eigen::MatrixBase<DP>& d_projected, Weights& d_weights,
                            BackwardWorkspace& ws) noexcept {
    gate_gradients(c, gates_, prev, d_next, ws);
    d_projected = ws.dz;
    d_weights.recurrent_kernel.noalias() += prev[0].transpose() * ws.dz;
    d_prev[0].noalias() = ws.dz * w.recurrent_kernel.transpose();
    d_prev[1].array() = ws.dc.array() * detail::gate<Units>(gates_, 1, c.units).array();
  }

  /// The backward of the recurrent-dropout `step` (same `masks`): per gate block k,
  /// `dU_k += (h * r_k)^T dz_k`, and `d_prev.h = sum_k (dz_k U_k^T) * r_k`.
  template <class G, class DP>
  static void step_backward(const Weights& w, const Config& c, const Eigen::MatrixBase<G>& gates_, const State& prev,
                            State& d_next, State& d_prev, Eigen::MatrixBase<DP>& d_projected, Weights& d_weights,
                            BackwardWorkspace& ws, const Hidden* masks) noexcept {
    const Eigen::Index u = c.units;
    gate_gradients(c, gates_, prev, d_next, ws);
    d_projected = ws.dz;
    d_prev[0].setZero();
    for (int k = 0; k < gates; ++k) {
      const auto dz_k = detail::gate<Units>(ws.dz, k, u);
      ws.dropped.array() = prev[0].array() * masks[k].array();
      detail::gate<Units>(d_weights.recurrent_kernel, k, u).noalias() += ws.dropped.transpose() * dz_k;
      ws.dh.noalias() = dz_k * detail::gate<Units>(w.recurrent_kernel, k, u).transpose();
      d_prev[0].array() += ws.dh.array() * masks[k].array();
    }
    d_prev[1].array() = ws.dc.array() * detail::gate<Units>(gates_, 1, u).array();
  }

 private:
  // The gates' activations and the new states, from the pre-activations z, a few rows (about
  // 2K gate values) at a time, so that those rows' gates and states stay in L1 through all the
  // passes below instead of streaming the whole batch through L2 for each of them.
  static void finish_step(const Config& c, const State& prev, State& next, Gates& z) noexcept {
    const Eigen::Index u = c.units, batch = z.rows();
    const Eigen::Index chunk = std::max<Eigen::Index>(1, 512 / u);
    for (Eigen::Index b0 = 0; b0 < batch; b0 += chunk) {
      const Eigen::Index rows = std::min(chunk, batch - b0);
      auto zc = z.middleRows(b0, rows);
      auto i = detail::gate<Units>(zc, 0, u);
      auto f = detail::gate<Units>(zc, 1, u);
      auto g = detail::gate<Units>(zc, 2, u);
      auto o = detail::gate<Units>(zc, 3, u);
      detail::activate(c.recurrent_activation, i);
      detail::activate(c.recurrent_activation, f);
      detail::activate(c.activation, g);
      detail::activate(c.recurrent_activation, o);
      auto c_next = next[1].middleRows(b0, rows);
      auto h_next = next[0].middleRows(b0, rows);
      c_next.array() = f.array() * prev[1].middleRows(b0, rows).array() + i.array() * g.array();
      h_next = c_next;
      detail::activate(c.activation, h_next);
      h_next.array() *= o.array();
    }
  }

  // ws.dz: the gradient w.r.t. the gates' pre-activations; ws.dc: w.r.t. the new c.
  template <class G>
  static void gate_gradients(const Config& c, const Eigen::MatrixBase<G>& gates_, const State& prev,
                             const State& d_next, BackwardWorkspace& ws) noexcept {
    const Eigen::Index u = c.units;
    const auto i = detail::gate<Units>(gates_, 0, u);
    const auto f = detail::gate<Units>(gates_, 1, u);
    const auto g = detail::gate<Units>(gates_, 2, u);
    const auto o = detail::gate<Units>(gates_, 3, u);
    ws.c.array() = f.array() * prev[1].array() + i.array() * g.array();
    ws.ac = ws.c;
    detail::activate(c.activation, ws.ac);
    // dc = d_next.c + d_next.h * o * act'(c)
    ws.dc.array() = d_next[0].array() * o.array();
    detail::backprop_activation(c.activation, ws.ac, ws.dc);
    ws.dc += d_next[1];
    auto& dz = ws.dz;
    detail::gate<Units>(dz, 0, u).array() = ws.dc.array() * g.array();
    detail::gate<Units>(dz, 1, u).array() = ws.dc.array() * prev[1].array();
    detail::gate<Units>(dz, 2, u).array() = ws.dc.array() * i.array();
    detail::gate<Units>(dz, 3, u).array() = d_next[0].array() * ws.ac.array();
    detail::backprop_activation(c.recurrent_activation, i, detail::gate<Units>(dz, 0, u));
    detail::backprop_activation(c.recurrent_activation, f, detail::gate<Units>(dz, 1, u));
    detail::backprop_activation(c.activation, g, detail::gate<Units>(dz, 2, u));
    detail::backprop_activation(c.recurrent_activation, o, detail::gate<Units>(dz, 3, u));
  }
};

}  // namespace birnn
