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
};

}  // namespace birnn
