#pragma once
/// @file
/// `GRU`: the gated recurrent unit. Keras counterpart: `keras.layers.GRUCell`.
/// Gate order z, r, h (Keras); state [h].
///
/// `reset_after=true` (Keras 3's default; PyTorch's and cuDNN's variant): the reset gate
/// multiplies the recurrent projection *after* the matrix product, and the bias is `(2, 3u)`:
/// row 0 on the input side, row 1 on the recurrent side. Parameters `3 (input*u + u*u) + 6u`.
///
///     a = x_t W + b0, q = h_{t-1} U + b1
///     z = ract(a_z + q_z), r = ract(a_r + q_r), hh = act(a_h + r * q_h)
///     h_t = z * h_{t-1} + (1 - z) * hh
///
/// `reset_after=false`: `hh = act(x_t W_h + (r * h_{t-1}) U_h + b_h)`, bias `(3u)`,
/// parameters `3 (input*u + u*u + u)`.

#include "birnn/cells/cell_traits.hpp"
#include "birnn/detail/keras_weights.hpp"
#include "birnn/fwd.hpp"
#include "birnn/math/activation.hpp"
#include "birnn/math/activation_derivative.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <array>

namespace birnn {

/// The Keras GRU cell.
/// @tparam Scalar     float or double.
/// @tparam InputSize  input features at compile time (default `Eigen::Dynamic`).
/// @tparam Units      units at compile time (default `Eigen::Dynamic`).
template <class Scalar_, int InputSize, int Units>
struct GRU {
  static_assert(detail::check_cell_parameters<Scalar_, InputSize, Units>());
  using Scalar = Scalar_;
  static constexpr int input_size_at_compile_time = InputSize;
  static constexpr int units_at_compile_time = Units;
  static constexpr int gates = 3;  // Keras gate order: z, r, h
  static constexpr int gate_width = detail::times(gates, Units);
  static constexpr int state_count = 1;  // Keras state order: [h]
  static constexpr const char* keras_name = "GRU";

  using Hidden = Batch<Scalar, Units>;
  using Gates = Batch<Scalar, gate_width>;
  using State = std::array<Hidden, state_count>;
  using Weights = detail::KerasWeights<Scalar, InputSize, Units, gates>;

  struct Config {
    Eigen::Index units = Units == Eigen::Dynamic ? 0 : Units;
    Activation activation = Activation::tanh;
    Activation recurrent_activation = Activation::sigmoid;
    bool use_bias = true;
    bool reset_after = true;  ///< Keras 3's default
  };
  struct Workspace {
    Gates q;       // recurrent projection h U (+ b1)
    Hidden reset;  // r * h_{t-1} (reset_after=false)
    Eigen::Matrix<Scalar, Eigen::Dynamic, 1> gemm;  // scratch of the recurrent product
  };

  static int bias_rows(const Config& c) noexcept { return c.use_bias ? (c.reset_after ? 2 : 1) : 0; }
  static void prepare(Workspace& ws, Eigen::Index batch, const Config& c) {
    ws.q.resize(batch, gates * c.units);
    ws.reset.resize(batch, c.units);
    ws.gemm.resize(Weights::scratch_size(batch, c.units));
  }

  /// One step for the whole batch; `projected` holds `x_t W + b` (row 0 of the bias when reset_after).
  template <class P>
  static void step(const Weights& w, const Config& c, const Eigen::MatrixBase<P>& projected, const State& prev,
                   State& next, Workspace& ws) noexcept {
    const Eigen::Index u = c.units;
    auto& q = ws.q;
    const auto& h = prev[0];
    if (c.reset_after) {
      w.recurrent_plus_bias(h, q, ws.gemm);  // q = b1 + h U
      reset_after_gates(w, c, projected, q, false);
    } else {
      auto zr = q.leftCols(2 * u);
      zr = projected.leftCols(2 * u);
      zr.noalias() += h * w.recurrent_kernel.leftCols(2 * u);
      reset_before_gates(w, c, projected, h, ws);
    }
    mix(c, h, q, next);
  }

  /// `step` with Keras's recurrent dropout (training; Keras's implementation 1): gate k's
  /// recurrent product reads `h_{t-1} * masks[k]`. reset_after: `q_k = (h * r_k) U_k + b1_k`,
  /// `hh = act(a_h + r * q_h)`; reset_after=false: `hh = act(x_t W_h + b_h + (r * (h * r_h)) U_h)`.
  /// `h_t = z * h_{t-1} + (1 - z) * hh` uses the undropped `h_{t-1}`. `masks` points at 3
  /// `(batch, units)` masks (z, r, h); `dropped` is scratch space of that shape.
  template <class P>
  static void step(const Weights& w, const Config& c, const Eigen::MatrixBase<P>& projected, const State& prev,
                   State& next, Workspace& ws, const Hidden* masks, Hidden& dropped) noexcept {
    const Eigen::Index u = c.units;
    auto& q = ws.q;
    const auto& h = prev[0];
    if (c.reset_after) {
      for (int k = 0; k < gates; ++k) {
        dropped.array() = h.array() * masks[k].array();
        detail::gate<Units>(q, k, u).noalias() = dropped * detail::gate<Units>(w.recurrent_kernel, k, u);
      }
      reset_after_gates(w, c, projected, q, true);
    } else {
      q.leftCols(2 * u) = projected.leftCols(2 * u);
      for (int k = 0; k < 2; ++k) {
        dropped.array() = h.array() * masks[k].array();
        detail::gate<Units>(q, k, u).noalias() += dropped * detail::gate<Units>(w.recurrent_kernel, k, u);
      }
      dropped.array() = h.array() * masks[2].array();
      reset_before_gates(w, c, projected, dropped, ws);
    }
    mix(c, h, q, next);
  }

 private:
  // reset_after, once q holds the recurrent products (h U, or per gate with dropout), plus
  // b1 unless add_bias: z, r = ract(projected + q + b1); hh = act(projected_h + r * (q_h + b1_h)).
  template <class P>
  static void reset_after_gates(const Weights& w, const Config& c, const Eigen::MatrixBase<P>& projected, Gates& q,
                                bool add_bias) noexcept {
    // A few rows (about 1.5K gate values) at a time, so that they stay in L1 through the passes.
    const Eigen::Index u = c.units, batch = q.rows();
    const Eigen::Index chunk = std::max<Eigen::Index>(1, 512 / u);
    for (Eigen::Index b0 = 0; b0 < batch; b0 += chunk) {
      const Eigen::Index rows = std::min(chunk, batch - b0);
      auto qc = q.middleRows(b0, rows);
      const auto pc = projected.middleRows(b0, rows);
      if (add_bias) qc.rowwise() += w.recurrent_bias;
      auto zr = qc.leftCols(2 * u);
      zr += pc.leftCols(2 * u);
      detail::activate(c.recurrent_activation, zr);
      auto hh = detail::gate<Units>(qc, 2, u);
      hh.array() = detail::gate<Units>(pc, 2, u).array() + detail::gate<Units>(qc, 1, u).array() * hh.array();
      detail::activate(c.activation, hh);
    }
  }
  // reset_after=False, once q's z and r blocks hold their pre-activations:
  // hh = act(projected_h + (r * h_candidate) U_h), h_candidate = h (or h * mask_h with dropout).
  template <class P>
  static void reset_before_gates(const Weights& w, const Config& c, const Eigen::MatrixBase<P>& projected,
                                 const Hidden& h_candidate, Workspace& ws) noexcept {
    const Eigen::Index u = c.units;
    auto& q = ws.q;
    auto zr = q.leftCols(2 * u);
    detail::activate(c.recurrent_activation, zr);
    ws.reset.array() = detail::gate<Units>(q, 1, u).array() * h_candidate.array();
    auto hh = detail::gate<Units>(q, 2, u);
    hh = detail::gate<Units>(projected, 2, u);
    hh.noalias() += ws.reset * detail::gate<Units>(w.recurrent_kernel, 2, u);
    detail::activate(c.activation, hh);
  }
  // h_t = z * h_{t-1} + (1 - z) * hh, with the undropped h_{t-1}.
  static void mix(const Config& c, const Hidden& h, const Gates& q, State& next) noexcept {
    const Eigen::Index u = c.units;
    const auto z = detail::gate<Units>(q, 0, u).array();
    const auto hh = detail::gate<Units>(q, 2, u).array();
    next[0].array() = z * h.array() + (Scalar(1) - z) * hh;
  }

 public:

  /// What a recorded forward keeps of a step besides the previous states: z, r and the
  /// candidate hh after their activations. (With `reset_after`, the backward recomputes the
  /// recurrent candidate projection `h U_h + b1_h` rather than recording it.)
  static const Gates& recorded(const Workspace& ws) noexcept { return ws.q; }

  /// Scratch space of `step_backward`, sized once per backward pass by `prepare_backward`.
  struct BackwardWorkspace {
    Gates dp;      // gradient w.r.t. the pre-activations, input side
    Gates dq;      // gradient w.r.t. the recurrent projection (reset_after)
    Hidden qh;     // h U_h + b1_h (reset_after) or r * h (reset_after=false)
    Hidden drh;    // gradient w.r.t. r * h (reset_after=false)
    Hidden dropped, dh;  // recurrent dropout: h * mask_k, and a gate's part of d_prev before its mask
  };
  static void prepare_backward(BackwardWorkspace& ws, Eigen::Index batch, const Config& c) {
    ws.dp.resize(batch, gates * c.units);
    ws.dq.resize(batch, gates * c.units);
    ws.qh.resize(batch, c.units);
    ws.drh.resize(batch, c.units);
    ws.dropped.resize(batch, c.units);
    ws.dh.resize(batch, c.units);
  }

  /// The backward of `step`: from `d_next` (gradient w.r.t. the new h; used as scratch), the
  /// recorded gates and `prev`, writes `d_prev`, the gradient w.r.t. the projected input
  /// `d_projected`, and adds the recurrent kernel's (and recurrent bias's) gradient to `d_weights`.
  template <class G, class DP>
  static void step_backward(const Weights& w, const Config& c, const Eigen::MatrixBase<G>& gates_, const State& prev,
                            State& d_next, State& d_prev, Eigen::MatrixBase<DP>& d_projected, Weights& d_weights,
                            BackwardWorkspace& ws) noexcept {
    const Eigen::Index u = c.units;
    const auto& h = prev[0];
    const auto r = detail::gate<Units>(gates_, 1, u);
    auto dr = detail::gate<Units>(ws.dp, 1, u);
    auto dhh = detail::gate<Units>(ws.dp, 2, u);
    mix_gradients(c, gates_, prev, d_next, d_prev, ws);
    if (c.reset_after) {
      // hh = act(a_h + r * (h U_h + b1_h))
      ws.qh.noalias() = h * detail::gate<Units>(w.recurrent_kernel, 2, u);
      ws.qh.rowwise() += detail::gate<Units>(w.recurrent_bias, 2, u);
      dr.array() = dhh.array() * ws.qh.array();
      detail::backprop_activation(c.recurrent_activation, r, dr);
      ws.dq.leftCols(2 * u) = ws.dp.leftCols(2 * u);
      detail::gate<Units>(ws.dq, 2, u).array() = dhh.array() * r.array();
      d_weights.recurrent_kernel.noalias() += h.transpose() * ws.dq;
      d_weights.recurrent_bias += ws.dq.colwise().sum();
      d_prev[0].noalias() += ws.dq * w.recurrent_kernel.transpose();
    } else {
      // hh = act(a_h + (r * h) U_h)
      ws.drh.noalias() = dhh * detail::gate<Units>(w.recurrent_kernel, 2, u).transpose();
      dr.array() = ws.drh.array() * h.array();
      detail::backprop_activation(c.recurrent_activation, r, dr);
      ws.qh.array() = r.array() * h.array();
      d_weights.recurrent_kernel.leftCols(2 * u).noalias() += h.transpose() * ws.dp.leftCols(2 * u);
      detail::gate<Units>(d_weights.recurrent_kernel, 2, u).noalias() += ws.qh.transpose() * dhh;
      d_prev[0].array() += ws.drh.array() * r.array();
      d_prev[0].noalias() += ws.dp.leftCols(2 * u) * w.recurrent_kernel.leftCols(2 * u).transpose();
    }
    d_projected = ws.dp;
  }

  /// The backward of the recurrent-dropout `step` (same `masks`): per gate block k, the
  /// recurrent kernel's gradient reads `h * r_k` and the recurrent part of `d_prev` is
  /// `(dq_k U_k^T) * r_k`; the gradient through `z * h_{t-1}` is not masked.
  template <class G, class DP>
  static void step_backward(const Weights& w, const Config& c, const Eigen::MatrixBase<G>& gates_, const State& prev,
                            State& d_next, State& d_prev, Eigen::MatrixBase<DP>& d_projected, Weights& d_weights,
                            BackwardWorkspace& ws, const Hidden* masks) noexcept {
    const Eigen::Index u = c.units;
    const auto& h = prev[0];
    const auto r = detail::gate<Units>(gates_, 1, u);
    auto dr = detail::gate<Units>(ws.dp, 1, u);
    auto dhh = detail::gate<Units>(ws.dp, 2, u);
    mix_gradients(c, gates_, prev, d_next, d_prev, ws);
    // Adds block k of `dg` (the gradient w.r.t. gate k's recurrent product) to the recurrent
    // kernel's gradient and, through the mask, to d_prev.
    const auto recurrent_block = [&](const auto& dg, int k) {
      ws.dropped.array() = h.array() * masks[k].array();
      detail::gate<Units>(d_weights.recurrent_kernel, k, u).noalias() += ws.dropped.transpose() * dg;
      ws.dh.noalias() = dg * detail::gate<Units>(w.recurrent_kernel, k, u).transpose();
      d_prev[0].array() += ws.dh.array() * masks[k].array();
    };
    if (c.reset_after) {
      // hh = act(a_h + r * ((h * r_h) U_h + b1_h))
      ws.dropped.array() = h.array() * masks[2].array();
      ws.qh.noalias() = ws.dropped * detail::gate<Units>(w.recurrent_kernel, 2, u);
      ws.qh.rowwise() += detail::gate<Units>(w.recurrent_bias, 2, u);
      dr.array() = dhh.array() * ws.qh.array();
      detail::backprop_activation(c.recurrent_activation, r, dr);
      ws.dq.leftCols(2 * u) = ws.dp.leftCols(2 * u);
      detail::gate<Units>(ws.dq, 2, u).array() = dhh.array() * r.array();
      for (int k = 0; k < gates; ++k) recurrent_block(detail::gate<Units>(ws.dq, k, u), k);
      d_weights.recurrent_bias += ws.dq.colwise().sum();
    } else {
      // hh = act(a_h + (r * (h * r_h)) U_h)
      ws.drh.noalias() = dhh * detail::gate<Units>(w.recurrent_kernel, 2, u).transpose();
      ws.dropped.array() = h.array() * masks[2].array();
      dr.array() = ws.drh.array() * ws.dropped.array();
      detail::backprop_activation(c.recurrent_activation, r, dr);
      ws.qh.array() = r.array() * ws.dropped.array();
      detail::gate<Units>(d_weights.recurrent_kernel, 2, u).noalias() += ws.qh.transpose() * dhh;
      d_prev[0].array() += ws.drh.array() * r.array() * masks[2].array();
      for (int k = 0; k < 2; ++k) recurrent_block(detail::gate<Units>(ws.dp, k, u), k);
    }
    d_projected = ws.dp;
  }

 private:
  // Through h_t = z * h + (1 - z) * hh: the gradients w.r.t. the pre-activations of z and of
  // the candidate (into ws.dp), and d_prev = dh * z.
  template <class G>
  static void mix_gradients(const Config& c, const Eigen::MatrixBase<G>& gates_, const State& prev,
                            const State& d_next, State& d_prev, BackwardWorkspace& ws) noexcept {
    const Eigen::Index u = c.units;
    const auto& h = prev[0];
    const auto& dh = d_next[0];
    const auto z = detail::gate<Units>(gates_, 0, u);
    const auto hh = detail::gate<Units>(gates_, 2, u);
    auto dz = detail::gate<Units>(ws.dp, 0, u);
    auto dhh = detail::gate<Units>(ws.dp, 2, u);
    dz.array() = dh.array() * (h.array() - hh.array());
    dhh.array() = dh.array() * (Scalar(1) - z.array());
    detail::backprop_activation(c.recurrent_activation, z, dz);
    detail::backprop_activation(c.activation, hh, dhh);
    d_prev[0].array() = dh.array() * z.array();
  }
};

}  // namespace birnn
