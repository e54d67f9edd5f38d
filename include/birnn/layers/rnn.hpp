#pragma once
/// @file
/// `Rnn`: a recurrent layer that runs a cell over time. Keras counterpart: `keras.layers.RNN`
/// with a cell, i.e. `SimpleRNN`, `LSTM`, `GRU` as layers.
///
/// ```cpp
/// birnn::Rnn<birnn::LSTM<float>, birnn::sequences::all, birnn::state::keep> lstm(16, {32});
/// lstm.set_weights(keras_weights);           // kernel, recurrent_kernel, bias
/// auto [y, h, c] = lstm.forward(x);          // y: (batch, time, 32), h and c: (batch, 32)
/// ```
/// The policies fix the result type: `sequences::all` returns a `Sequence`, `sequences::last`
/// a `Batch` (batch, units); `state::keep` adds the final states in Keras's order (a tuple);
/// `mask::masked` makes `forward` take a mask. `go_backwards` and the layer name are runtime
/// `LayerOptions`. Keras's rules: see docs/keras-semantics.md.
///
/// Training: `forward_train` runs like `call` and records what `backward` needs; `backward`
/// takes the cotangents of the outputs and returns `train::Gradients` (input, weights in Keras
/// order, initial states) by backpropagation through time:
/// ```cpp
/// auto y = lstm.forward_train(x);                  // as forward(x), recorded
/// birnn::train::Gradients<float> g = lstm.backward(dy);   // dy: dL/dy, shaped like y
/// ```
///
/// Dropout: Keras's `dropout`, `recurrent_dropout` and `seed` are `LayerOptions` fields. They
/// act in `forward_train` only (each call draws new masks, reused at every step, and
/// `backward` differentiates through them); `forward`/`call` ignore them, as Keras's inference does:
/// ```cpp
/// birnn::LayerOptions o;
/// o.dropout = 0.2;  o.recurrent_dropout = 0.1;  o.seed = 7;   // unset seed: from the name
/// birnn::Rnn<birnn::LSTM<float>> lstm(16, {32}, o);
/// lstm.forward_train(x);   // lstm.core().dropout_masks() holds this pass's masks
/// ```

#include "birnn/cells/cell_traits.hpp"
#include "birnn/detail/state_tuple.hpp"
#include "birnn/fwd.hpp"
#include "birnn/layers/recurrent_core.hpp"
#include "birnn/policies/mask.hpp"
#include "birnn/policies/sequences.hpp"
#include "birnn/policies/state.hpp"
#include "birnn/train/gradients.hpp"
#include "birnn/types/sequence.hpp"
#include "birnn/types/tensor.hpp"

#include <Eigen/Core>

#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

namespace birnn {

/// A Keras recurrent layer over `Cell`.
/// @tparam Cell    `SimpleRNN<...>`, `LSTM<...>` or `GRU<...>`.
/// @tparam Seq     `sequences::last` (default) or `sequences::all`: Keras `return_sequences`.
/// @tparam States  `state::discard` (default) or `state::keep`: Keras `return_state`.
/// @tparam Mask    `mask::none` (default) or `mask::masked`: whether `forward` takes a mask.
template <class Cell, class Seq, class States, class MaskPolicy>
class Rnn {
  static_assert(is_cell_v<Cell>, "birnn::Rnn<Cell, ...> requires 'Cell' to be a cell: SimpleRNN, LSTM or GRU");
  static_assert(is_sequences_policy_v<Seq>,
                "birnn::Rnn<Cell, Seq, ...> requires 'Seq' to be sequences::last or sequences::all");
  static_assert(is_state_policy_v<States>,
                "birnn::Rnn<Cell, Seq, States, ...> requires 'States' to be state::discard or state::keep");
  static_assert(is_mask_policy_v<MaskPolicy>,
                "birnn::Rnn<Cell, Seq, States, Mask> requires 'Mask' to be mask::none or mask::masked");

 public:
  using cell_type = Cell;
  using Scalar = typename Cell::Scalar;
  using Config = typename Cell::Config;
  using State = typename Cell::State;
  using Hidden = typename Cell::Hidden;
  static constexpr int input_size_at_compile_time = Cell::input_size_at_compile_time;
  static constexpr int units_at_compile_time = Cell::units_at_compile_time;
  static constexpr bool return_sequences = Seq::return_sequences;
  static constexpr bool return_state = States::return_state;
  static constexpr bool masked = MaskPolicy::takes_mask;

  /// `Sequence` (batch, time, units) with `sequences::all`, else `Batch` (batch, units).
  using Output = std::conditional_t<return_sequences, Sequence<Scalar, units_at_compile_time>, Hidden>;
  /// `Output`, or with `state::keep` a tuple: output, then the states (`h`, and `c` for LSTM).
  using Result = std::conditional_t<return_state, detail::prepend_t<Output, detail::state_tuple_t<Cell>>, Output>;

  /// A layer with zero weights.
  /// @param input_size  features per step (must equal `InputSize` when that is fixed).
  /// @param config      the cell's settings: units, activations, bias.
  /// @param options     name, `go_backwards`, `zero_output_for_mask`, dropout rates and seed.
  /// @throws config_error for a non-positive size, one that contradicts the template, or a
  ///         dropout rate outside [0, 1).
  Rnn(Eigen::Index input_size, const Config& config, LayerOptions options = {})
      : core_(input_size, config, with_default_name(std::move(options))) {}

  const Config& config() const noexcept { return core_.config(); }
  const LayerOptions& options() const noexcept { return core_.options(); }
  const std::string& name() const noexcept { return core_.options().name; }
  Eigen::Index input_size() const noexcept { return core_.input_size(); }
  Eigen::Index units() const noexcept { return core_.units(); }

  /// The weights in Keras layout (`kernel`, `recurrent_kernel`, `bias`), to read or write directly.
  /// The layer keeps a packed copy of the recurrent kernel and rebuilds it on the next call after
  /// this accessor was used, so write through the reference before the next `forward`, and keep
  /// no reference across calls.
  typename Cell::Weights& weights() noexcept { return core_.weights(); }
  const typename Cell::Weights& weights() const noexcept { return core_.weights(); }
  /// Sets the weights from Keras `get_weights()` order and shapes.
  /// @throws weight_error for a wrong count or shape; the weights are unchanged then.
  void set_weights(const std::vector<Tensor<Scalar>>& w) { core_.set_weights(w); }
  std::vector<Tensor<Scalar>> get_weights() const { return core_.get_weights(); }
  std::vector<WeightSpec> weight_specs() const { return core_.weight_specs(); }
  /// Keras's `count_params()`.
  Eigen::Index count_params() const { return core_.count_params(); }

  /// Runs the layer over `x` (batch, time, features) from zero states.
  /// @throws shape_error for a wrong feature count or zero time steps.
  template <class S, int F>
  Result forward(const Sequence<S, F>& x) {
    check_input<S, F>();
    static_assert(!masked || sizeof(S) == 0,
                  "birnn::Rnn<Cell, Seq, States, mask::masked>::forward(x) needs a mask: call forward(x, mask)");
    return call(x, nullptr, nullptr);
  }
  /// Runs the layer from `initial_state` (Keras order: h, and c for LSTM; each (batch, units)).
  template <class S, int F>
  Result forward(const Sequence<S, F>& x, const State& initial_state) {
    check_input<S, F>();
    static_assert(!masked || sizeof(S) == 0,
                  "birnn::Rnn<Cell, Seq, States, mask::masked>::forward(x, state) needs a mask: call "
                  "forward(x, mask, state)");
    return call(x, nullptr, &initial_state);
  }
  /// Runs the layer with a mask (batch, time), true = keep the step.
  /// @throws mask_error for a mask of the wrong shape.
  template <class S, int F>
  Result forward(const Sequence<S, F>& x, const Mask& mask) {
    check_input<S, F>();
    static_assert(masked || sizeof(S) == 0,
                  "birnn::Rnn<Cell, Seq, States, mask::none>::forward takes no mask: declare the layer with "
                  "mask::masked to pass one");
    return call(x, &mask, nullptr);
  }
  template <class S, int F>
  Result forward(const Sequence<S, F>& x, const Mask& mask, const State& initial_state) {
    check_input<S, F>();
    static_assert(masked || sizeof(S) == 0,
                  "birnn::Rnn<Cell, Seq, States, mask::none>::forward takes no mask: declare the layer with "
                  "mask::masked to pass one");
    return call(x, &mask, &initial_state);
  }

  /// Restarts the stream of dropout masks from `seed` (see `LayerOptions::seed`).
  void reseed(std::uint64_t seed) { core_.reseed(seed); }

  /// The core that runs the time loop (for layers built on this one); also the dropout masks
  /// of the last training pass (`core().dropout_masks()`).
  detail::RecurrentCore<Cell>& core() noexcept { return core_; }
  const detail::RecurrentCore<Cell>& core() const noexcept { return core_; }

  /// The dynamic entry, as Keras's `call(inputs, mask=None, initial_state=None)`: `mask` and
  /// `initial_state` may be null whatever the policies say (the runtime model uses this).
  /// @throws shape_error, mask_error as `forward`.
  template <class S, int F>
  Result call(const Sequence<S, F>& x, const Mask* mask, const State* initial) {
    Output output;
    call_into(x, mask, initial, output);
    if constexpr (return_state)
      return std::tuple_cat(std::make_tuple(std::move(output)), detail::to_tuple<Cell>(core_.final_state()));
    else
      return output;
  }

  /// `forward(x)` written into `out`, whose storage is reused when its size fits: a loop of
  /// calls on inputs of one shape then allocates nothing. With `state::keep` the final states
  /// are `core().final_state()`.
  /// @throws shape_error as `forward`, and when `out` is `x` itself.
  template <class S, int F>
  void forward_into(const Sequence<S, F>& x, Output& out) {
    check_input<S, F>();
    static_assert(!masked || sizeof(S) == 0,
                  "birnn::Rnn<..., mask::masked, ...>::forward_into(x, out) needs a mask: call forward_into(x, mask, out)");
    call_into(x, nullptr, nullptr, out);
  }
  /// `forward(x, mask)` written into `out`, as `forward_into(x, out)`.
  template <class S, int F>
  void forward_into(const Sequence<S, F>& x, const Mask& mask, Output& out) {
    check_input<S, F>();
    static_assert(masked || sizeof(S) == 0,
                  "birnn::Rnn<..., mask::none, ...>::forward_into takes no mask: declare the layer with mask::masked "
                  "to pass one");
    call_into(x, &mask, nullptr, out);
  }

  /// `call` written into `out` (see `forward_into`).
  template <class S, int F>
  void call_into(const Sequence<S, F>& x, const Mask* mask, const State* initial, Output& output) {
    check_input<S, F>();
    if constexpr (std::is_same_v<Output, Sequence<S, F>>) {
      if (&output == &x)
        throw shape_error(detail::cat(core_.label(), ": forward_into: the output must not be the input"));
    }
    core_.validate(x.batch(), x.time(), x.features(), mask, initial);
    detail::SequenceSink<Scalar> sink;
    if constexpr (return_sequences) {
      output.resize(x.batch(), x.time(), units());  // every value is written by the time loop
      sink = {output.data(), units(), false};
    }
    core_.run(x.matrix(), x.batch(), x.time(), mask, initial, sink);
    if constexpr (!return_sequences) output = core_.last_output();
  }


  /// Runs like `call` and records what `backward` needs (the input, per step the gates and
  /// previous states, the mask, the dropout masks). With dropout rates above 0 it draws this
  /// pass's masks and applies them as Keras's training mode does. The record stays until the
  /// next `forward_train`; the weights must not change before `backward`.
  /// @throws shape_error, mask_error as `forward`.
  template <class S, int F>
  Result forward_train(const Sequence<S, F>& x, const Mask* mask = nullptr, const State* initial = nullptr) {
    core_.set_recording(true);
    try {
      Result r = call(x, mask, initial);
      core_.set_recording(false);
      return r;
    } catch (...) {
      core_.set_recording(false);
      throw;
    }
  }

  /// The gradients of `L = sum(output * d_output) + sum over states of sum(state * d_states[k])`
  /// after `forward_train`: `d_output` is shaped like the output (`(batch, time, units)` with
  /// `sequences::all`, else `(batch, units)`); `d_states` (Keras order, each `(batch, units)`;
  /// null: zero) are the cotangents of the final states.
  /// @throws error when no forward pass was recorded; shape_error for a cotangent of the
  ///         wrong shape; config_error for an activation without a derivative in birnn.
  train::Gradients<Scalar> backward(const Output& d_output, const State* d_states = nullptr) {
    if (!core_.recorded())
      throw error(detail::cat(core_.label(), ": backward: expected a recorded forward pass (call forward_train "
                              "first), got none"));
    const Eigen::Index batch = core_.recorded_batch(), time = core_.recorded_time(), u = units();
    detail::SequenceSource<Scalar> dy;
    const Hidden* d_last = nullptr;
    if constexpr (return_sequences) {
      check_cotangent("output", {batch, time, u}, {d_output.batch(), d_output.time(), d_output.features()});
      dy = {d_output.data(), u, false};
    } else {
      check_cotangent("output", {batch, u}, {d_output.rows(), d_output.cols()});
      d_last = &d_output;
    }
    if (d_states)
      for (std::size_t k = 0; k < d_states->size(); ++k)
        check_cotangent("state", {batch, u}, {(*d_states)[k].rows(), (*d_states)[k].cols()});
    typename Cell::Weights d_weights(input_size(), u);
    State d_initial;
    Sequence<Scalar> d_input(batch, time, input_size());
    core_.backward(dy, d_last, d_states, d_weights, d_initial, d_input.matrix());
    train::Gradients<Scalar> g;
    g.inputs = std::move(d_input);
    g.weights = d_weights.get(Cell::bias_rows(config()));
    g.initial_state.assign(d_initial.begin(), d_initial.end());
    return g;
  }

 private:
  void check_cotangent(const char* what, std::vector<Eigen::Index> expected, std::vector<Eigen::Index> got) const {
    if (expected != got)
      throw shape_error(detail::cat(core_.label(), ": backward: ", what, " cotangent shape: expected ",
                                    shape_string(expected), ", got ", shape_string(got)));
  }

  template <class S, int F>
  static constexpr void check_input() {
    static_assert(std::is_same_v<S, Scalar>,
                  "birnn::Rnn<Cell, ...>::forward requires the input's Scalar to be the cell's Scalar");
    static_assert(F == Eigen::Dynamic || input_size_at_compile_time == Eigen::Dynamic ||
                      F == input_size_at_compile_time,
                  "birnn::Rnn<Cell, ...>::forward: the input's Features differ from the cell's InputSize");
  }

  static LayerOptions with_default_name(LayerOptions o) {
    if (o.name.empty()) o.name = detail::default_layer_name(Cell::keras_name);
    return o;
  }


  detail::RecurrentCore<Cell> core_;
};

}  // namespace birnn
