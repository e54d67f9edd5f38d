#pragma once
/// @file
/// `LSTM`: the long short-term memory cell. Keras counterpart: `keras.layers.LSTMCell`.
/// Gate order i, f, c, o (Keras); state order [h, c]; parameters `4 * (input*u + u*u + u)`.
///
///     z = x_t W + h_{t-1} U + b,  i = ract(z_i), f = ract(z_f), o = ract(z_o)
///     c_t = f * c_{t-1} + i * act(z_c),  h_t = o * act(c_t)

#include "birnn/activation.hpp"
#include "birnn/cells/cell_traits.hpp"
#include "birnn/detail/keras_weights.hpp"
#include "birnn/fwd.hpp"
#include "birnn/train/activation_derivative.hpp"

#include <Eigen/Core>

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
  };

  static int bias_rows(const Config& c) noexcept { return c.use_bias ? 1 : 0; }
  static void prepare(Workspace& ws, Eigen::Index batch, const Config& c) { ws.z.resize(batch, gates * c.units); }

  /// One step for the whole batch; `projected` holds `x_t W + b` for every sequence.
  template <class P>
  static void step(const Weights& w, const Config& c, const Eigen::MatrixBase<P>& projected, const State& prev,
                   State& next, Workspace& ws) noexcept {
    const Eigen::Index u = c.units;
    auto& z = ws.z;
    z = projected;
    z.noalias() += prev[0] * w.recurrent_kernel;
    auto i = detail::gate<Units>(z, 0, u);
    auto f = detail::gate<Units>(z, 1, u);
    auto g = detail::gate<Units>(z, 2, u);
    auto o = detail::gate<Units>(z, 3, u);
    detail::activate(c.recurrent_activation, i);
    detail::activate(c.recurrent_activation, f);
    detail::activate(c.activation, g);
    detail::activate(c.recurrent_activation, o);
    next[1].array() = f.array() * prev[1].array() + i.array() * g.array();
    next[0] = next[1];
    detail::activate(c.activation, next[0]);
    next[0].array() *= o.array();
  }

  /// What a recorded forward keeps of a step besides the previous states: the gates i, f,
  /// c, o after their activations (the new c is recomputed from them and the previous c).
  static const Gates& recorded(const Workspace& ws) noexcept { return ws.z; }

  /// Scratch space of `step_backward`, sized once per backward pass by `prepare_backward`.
  struct BackwardWorkspace {
    Gates dz;
    Hidden c, ac, dc;
  };
  static void prepare_backward(BackwardWorkspace& ws, Eigen::Index batch, const Config& c) {
    ws.dz.resize(batch, gates * c.units);
    ws.c.resize(batch, c.units);
    ws.ac.resize(batch, c.units);
    ws.dc.resize(batch, c.units);
  }

  /// The backward of `step`: from `d_next` (gradients w.r.t. the new h and c; used as
  /// scratch), the recorded gates and `prev`, writes `d_prev`, the gradient w.r.t. the
  /// projected input `d_projected`, and adds the recurrent kernel's gradient to `d_weights`.
  template <class G, class DP>
  static void step_backward(const Weights& w, const Config& c, const Eigen::MatrixBase<G>& gates_, const State& prev,
                            State& d_next, State& d_prev, Eigen::MatrixBase<DP>& d_projected, Weights& d_weights,
                            BackwardWorkspace& ws) noexcept {
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
    d_projected = dz;
    d_weights.recurrent_kernel.noalias() += prev[0].transpose() * dz;
    d_prev[0].noalias() = dz * w.recurrent_kernel.transpose();
    d_prev[1].array() = ws.dc.array() * f.array();
  }
};

}  // namespace birnn
