#pragma once
/// @file
/// `Bidirectional`: a forward and a backward recurrent layer over the same input, merged.
/// Keras counterpart: `keras.layers.Bidirectional`.
///
/// ```cpp
/// using BiLSTM = birnn::Bidirectional<birnn::LSTM<float>, birnn::merge::concat, birnn::sequences::all>;
/// BiLSTM bi(32, {64});                    // 32 features in, 64 units each way
/// bi.set_weights(keras_weights);          // forward layer's weights, then the backward layer's
/// birnn::Sequence<float> y = bi.forward(x);   // (batch, time, 128)
/// ```
/// Keras's rules: the backward layer walks time from the end (`go_backwards`); with
/// `sequences::all` its sequence is put back in time order before merging, and masked steps
/// output zeros (Keras forces `zero_output_for_mask`). `state::keep` returns, in Keras's
/// order, the output(s), the forward states, then the backward states. An initial state is
/// split: `{forward states, backward states}`. The backward layer may be another cell type
/// or configuration (`BackwardCell`, and the five-argument constructor), as Keras's
/// `backward_layer` allows.
///
/// Training: `forward_train` runs like `call` and records; `backward(d_output, d_states)`
/// returns `train::Gradients` (input, both layers' weights in Keras order, initial states
/// `{forward, backward}`). The input-side gradient follows the fused projection: each direction's
/// kernel gradient is `X^T dP_dir`, and `dX = [dP_f | dP_b] [W_f | W_b]^T`, in two halves of rows.
///
/// Dropout (Keras `dropout`, `recurrent_dropout`, `seed` of the wrapped layer; training only):
/// each direction draws its own masks from its own generator. Built from one layer
/// (`LayerOptions` constructor), the backward direction's seed is derived from the forward
/// one's (`detail::backward_direction_seed`), so the two directions' masks are independent.
/// A training pass with `dropout > 0` projects each direction's masked input separately
/// instead of the fused product; inference always uses the fused product.

#include "birnn/cells/cell_traits.hpp"
#include "birnn/detail/dropout_rng.hpp"
#include "birnn/detail/merge_outputs.hpp"
#include "birnn/detail/packed_gemm.hpp"
#include "birnn/detail/recurrent_core.hpp"
#include "birnn/detail/state_tuple.hpp"
#include "birnn/fwd.hpp"
#include "birnn/parallel/worker.hpp"
#include "birnn/policies/mask.hpp"
#include "birnn/policies/merge.hpp"
#include "birnn/policies/sequences.hpp"
#include "birnn/policies/state.hpp"
#include "birnn/sequence.hpp"
#include "birnn/tensor.hpp"
#include "birnn/train/gradients.hpp"

#include <Eigen/Core>

#include <array>
#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace birnn {

namespace detail {

/// The options of the two directions Keras builds from one layer whose options are `layer`
/// (its cell named `keras_name`): "forward_<name>" and "backward_<name>" (the name defaults to
/// the cell's Keras name, and a "forward_" prefix is not repeated), the same rates, the
/// backward one walking time the other way. The forward direction keeps `layer.seed`; when
/// it is set, the backward one gets `backward_direction_seed(*layer.seed)` (unset, both
/// derive theirs from their different names), so the directions draw independent masks.
inline std::pair<LayerOptions, LayerOptions> bidirectional_options(LayerOptions layer, const char* keras_name) {
  std::string name = layer.name.empty() ? default_layer_name(keras_name) : layer.name;
  if (name.rfind("forward_", 0) == 0) name.erase(0, 8);
  LayerOptions backward = layer;
  layer.name = "forward_" + name;
  backward.name = "backward_" + name;
  backward.go_backwards = !layer.go_backwards;
  if (layer.seed) backward.seed = backward_direction_seed(*layer.seed);
  return {std::move(layer), std::move(backward)};
}

}  // namespace detail

/// The two outputs of a `Bidirectional` with `merge::none` (Keras `merge_mode=None`).
template <class Forward, class Backward>
struct Directions {
  Forward forward;
  Backward backward;
};

/// A Keras Bidirectional layer.
/// @tparam Cell          the forward layer's cell: `SimpleRNN<...>`, `LSTM<...>` or `GRU<...>`.
/// @tparam Merge         `merge::concat` (default), `sum`, `mul`, `ave` or `none`.
/// @tparam Seq           `sequences::last` (default) or `sequences::all`: Keras `return_sequences`.
/// @tparam States        `state::discard` (default) or `state::keep`: Keras `return_state`.
/// @tparam Mask          `mask::none` (default) or `mask::masked`: whether `forward` takes a mask.
/// @tparam BackwardCell  the backward layer's cell (default `Cell`); another one needs the
///                       constructor that takes the backward layer's configuration.
template <class Cell, class Merge, class Seq, class States, class MaskPolicy, class BackwardCell>
class Bidirectional {
  static_assert(is_cell_v<Cell>, "birnn::Bidirectional<Cell, ...> requires 'Cell' to be a cell: SimpleRNN, LSTM or GRU");
  static_assert(is_merge_mode_v<Merge>,
                "birnn::Bidirectional<Cell, Merge, ...> requires 'Merge' to be merge::concat, sum, mul, ave or none");
  static_assert(is_sequences_policy_v<Seq>,
                "birnn::Bidirectional<Cell, Merge, Seq, ...> requires 'Seq' to be sequences::last or sequences::all");
  static_assert(is_state_policy_v<States>,
                "birnn::Bidirectional<Cell, Merge, Seq, States, ...> requires 'States' to be state::discard or "
                "state::keep");
  static_assert(is_mask_policy_v<MaskPolicy>,
                "birnn::Bidirectional<Cell, Merge, Seq, States, Mask, ...> requires 'Mask' to be mask::none or "
                "mask::masked");
  static_assert(is_cell_v<BackwardCell>,
                "birnn::Bidirectional<..., BackwardCell> requires 'BackwardCell' to be a cell: SimpleRNN, LSTM or GRU");
  static_assert(std::is_same_v<typename Cell::Scalar, typename BackwardCell::Scalar>,
                "birnn::Bidirectional<Cell, ..., BackwardCell> requires both cells to have the same Scalar");
  static_assert(Cell::input_size_at_compile_time == Eigen::Dynamic ||
                    BackwardCell::input_size_at_compile_time == Eigen::Dynamic ||
                    Cell::input_size_at_compile_time == BackwardCell::input_size_at_compile_time,
                "birnn::Bidirectional<Cell, ..., BackwardCell> requires both cells to read the same InputSize");
  static_assert(std::is_same_v<Merge, merge::concat> || std::is_same_v<Merge, merge::none> ||
                    Cell::units_at_compile_time == Eigen::Dynamic ||
                    BackwardCell::units_at_compile_time == Eigen::Dynamic ||
                    Cell::units_at_compile_time == BackwardCell::units_at_compile_time,
                "birnn::Bidirectional<Cell, Merge, ..., BackwardCell>: merge::sum, mul and ave require both cells "
                "to have the same Units; use merge::concat or merge::none");

 public:
  using Scalar = typename Cell::Scalar;
  using ForwardConfig = typename Cell::Config;
  using BackwardConfig = typename BackwardCell::Config;
  static constexpr int input_size_at_compile_time = Cell::input_size_at_compile_time != Eigen::Dynamic
                                                        ? Cell::input_size_at_compile_time
                                                        : BackwardCell::input_size_at_compile_time;
  static constexpr bool return_sequences = Seq::return_sequences;
  static constexpr bool return_state = States::return_state;
  static constexpr bool masked = MaskPolicy::takes_mask;
  static constexpr MergeMode merge_mode = Merge::mode;

  /// The initial states: the forward layer's, then the backward layer's (Keras splits its list so).
  struct InitialState {
    typename Cell::State forward;
    typename BackwardCell::State backward;
  };

  template <int Units>
  using DirectionOutput =
      std::conditional_t<return_sequences, Sequence<Scalar, Units>, Batch<Scalar, Units>>;
  using ForwardOutput = DirectionOutput<Cell::units_at_compile_time>;
  using BackwardOutput = DirectionOutput<BackwardCell::units_at_compile_time>;
  /// The merged output; `Directions<ForwardOutput, BackwardOutput>` for `merge::none`.
  using Output = typename detail::merged_output<Merge, ForwardOutput, BackwardOutput, DirectionOutput,
                                                Cell::units_at_compile_time,
                                                BackwardCell::units_at_compile_time>::type;
  /// `Output`, or with `state::keep` a tuple in Keras's order: output (forward and backward
  /// outputs for `merge::none`), forward states, backward states.
  using Result = std::conditional_t<
      return_state,
      decltype(std::tuple_cat(std::declval<typename detail::output_tuple<Merge, Output>::type>(),
                              std::declval<detail::state_tuple_t<Cell>>(),
                              std::declval<detail::state_tuple_t<BackwardCell>>())),
      Output>;

  /// A Bidirectional layer whose backward layer copies the forward layer's configuration, as
  /// Keras builds it from one `layer`. Names: "forward_<cell>" and "backward_<cell>" ("lstm").
  /// @throws config_error for a non-positive size or one that contradicts the template.
  Bidirectional(Eigen::Index input_size, const ForwardConfig& config, std::string name = "bidirectional")
      : Bidirectional(input_size, config, LayerOptions{}, std::move(name)) {}

  /// The same from the wrapped layer's options `layer` (Keras's `layer` argument): its name,
  /// dropout rates, seed and `go_backwards` go to both directions as
  /// `detail::bidirectional_options` says ("forward_<name>", "backward_<name>", the backward
  /// direction's seed derived from the forward one's).
  /// ```cpp
  /// birnn::LayerOptions lstm;
  /// lstm.dropout = 0.2;  lstm.recurrent_dropout = 0.1;  lstm.seed = 7;
  /// birnn::Bidirectional<birnn::LSTM<float>> bi(32, {64}, lstm);
  /// ```
  /// @throws config_error for a non-positive size, one that contradicts the template, or a
  ///         dropout rate outside [0, 1).
  Bidirectional(Eigen::Index input_size, const ForwardConfig& config, const LayerOptions& layer,
                std::string name = "bidirectional")
      : Bidirectional(input_size, config, detail::bidirectional_options(layer, Cell::keras_name), backward_copy(config),
                      std::move(name)) {}

  /// A Bidirectional layer with an explicit backward layer (Keras `backward_layer`), which may
  /// be another cell type or configuration. Keras's rule: the two must differ in `go_backwards`.
  /// `zero_output_for_mask` is set on both to `return_sequences`, as Keras does. Each
  /// direction's dropout rates and seed are its options'.
  /// @throws config_error when both walk time in the same direction, or merge sum/mul/ave meets
  ///         two different widths.
  Bidirectional(Eigen::Index input_size, const ForwardConfig& forward_config, LayerOptions forward_options,
                const BackwardConfig& backward_config, LayerOptions backward_options,
                std::string name = "bidirectional")
      : name_(std::move(name)),
        forward_(input_size, forward_config, forced(std::move(forward_options))),
        backward_(input_size, backward_config, forced(std::move(backward_options))) {
    if (forward_.options().go_backwards == backward_.options().go_backwards)
      throw config_error(detail::cat(label(), ": backward_layer.go_backwards: expected ",
                                     !forward_.options().go_backwards ? "true" : "false", " (the opposite of the forward layer's), got ",
                                     backward_.options().go_backwards ? "true" : "false"));
    if constexpr (Merge::mode == MergeMode::sum || Merge::mode == MergeMode::mul || Merge::mode == MergeMode::ave)
      detail::require_equal<config_error>(label(), "backward layer units (merge needs equal widths)",
                                          forward_.units(), backward_.units());
  }

  const std::string& name() const noexcept { return name_; }
  Eigen::Index input_size() const noexcept { return forward_.input_size(); }
  /// The output width: `u_f + u_b` for concat, `u` for sum, mul and ave, `u_f` for none.
  Eigen::Index units() const noexcept {
    return Merge::mode == MergeMode::concat ? forward_.units() + backward_.units() : forward_.units();
  }

  /// The two directions, to read (configuration, options, weights in Keras layout).
  /// Also their dropout masks of the last training pass (`dropout_masks()`) and seeds.
  const detail::RecurrentCore<Cell>& forward_layer() const noexcept { return forward_; }
  const detail::RecurrentCore<BackwardCell>& backward_layer() const noexcept { return backward_; }

  /// Restarts both directions' streams of dropout masks: the forward one from `seed`, the
  /// backward one from `detail::backward_direction_seed(seed)` (as the one-layer constructor
  /// seeds them).
  void reseed(std::uint64_t seed) {
    forward_.reseed(seed);
    backward_.reseed(detail::backward_direction_seed(seed));
  }
  /// Changes the weights in place: calls `f(forward_weights, backward_weights)` (Keras layout,
  /// see `Cell::Weights`). The layer keeps a fused copy of both input kernels, so the weights
  /// are writable only inside `f`, after which the copy is rebuilt; keep no reference to them.
  template <class F>
  void update_weights(F&& f) {
    f(forward_.weights(), backward_.weights());
    fused_kernel_.resize(0, 0);  // rebuilt on the next call
  }

  /// Runs the backward direction on `worker`'s thread while the forward one runs on the
  /// caller's (nullptr, the default: one after the other). Results are identical either way.
  void set_worker(Worker* worker) noexcept { worker_ = worker; }
  Worker* worker() const noexcept { return worker_; }

  /// Keras's `count_params()`: both layers'.
  Eigen::Index count_params() const { return forward_.count_params() + backward_.count_params(); }
  /// The forward layer's weights, then the backward layer's, Keras `get_weights()` order.
  std::vector<Tensor<Scalar>> get_weights() const {
    auto w = forward_.get_weights();
    for (auto& t : backward_.get_weights()) w.push_back(std::move(t));
    return w;
  }
  /// Sets both layers' weights from Keras `get_weights()` order.
  /// @throws weight_error for a wrong count or shape; no weight changes then.
  void set_weights(const std::vector<Tensor<Scalar>>& w) {
    const std::size_t nf = forward_.weight_specs().size(), nb = backward_.weight_specs().size();
    detail::check_weight_count(label(), w, nf + nb);
    const std::vector<Tensor<Scalar>> wf(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(nf));
    const std::vector<Tensor<Scalar>> wb(w.begin() + static_cast<std::ptrdiff_t>(nf), w.end());
    auto f = forward_.weights();
    f.set(forward_.label(), wf, Cell::bias_rows(forward_.config()));
    backward_.set_weights(wb);
    forward_.weights() = std::move(f);
  }

  /// Runs both directions over `x` (batch, time, features) from zero states.
  template <class S, int F>
  Result forward(const Sequence<S, F>& x) {
    check_input<S, F>();
    static_assert(!masked || sizeof(S) == 0,
                  "birnn::Bidirectional<..., mask::masked, ...>::forward(x) needs a mask: call forward(x, mask)");
    return call(x, nullptr, nullptr);
  }
  /// Runs both directions from `initial_state` ({forward states, backward states}).
  template <class S, int F>
  Result forward(const Sequence<S, F>& x, const InitialState& initial_state) {
    check_input<S, F>();
    static_assert(!masked || sizeof(S) == 0,
                  "birnn::Bidirectional<..., mask::masked, ...>::forward(x, state) needs a mask: call "
                  "forward(x, mask, state)");
    return call(x, nullptr, &initial_state);
  }
  /// Runs both directions with a mask (batch, time), true = keep the step.
  template <class S, int F>
  Result forward(const Sequence<S, F>& x, const Mask& mask) {
    check_input<S, F>();
    static_assert(masked || sizeof(S) == 0,
                  "birnn::Bidirectional<..., mask::none, ...>::forward takes no mask: declare the layer with "
                  "mask::masked to pass one");
    return call(x, &mask, nullptr);
  }
  template <class S, int F>
  Result forward(const Sequence<S, F>& x, const Mask& mask, const InitialState& initial_state) {
    check_input<S, F>();
    static_assert(masked || sizeof(S) == 0,
                  "birnn::Bidirectional<..., mask::none, ...>::forward takes no mask: declare the layer with "
                  "mask::masked to pass one");
    return call(x, &mask, &initial_state);
  }

  /// The dynamic entry, as Keras's `call(inputs, mask=None, initial_state=None)`: `mask` and
  /// `initial_state` may be null whatever the policies say (the runtime model uses this).
  /// @throws shape_error, mask_error as `forward`.
  template <class S, int F>
  Result call(const Sequence<S, F>& x, const Mask* mask, const InitialState* initial) {
    Output output;
    call_into(x, mask, initial, output);
    if constexpr (return_state) {
      return std::tuple_cat(detail::output_tuple<Merge, Output>::make(std::move(output)),
                            detail::to_tuple<Cell>(forward_.final_state()),
                            detail::to_tuple<BackwardCell>(backward_.final_state()));
    } else {
      return output;
    }
  }

  /// `forward(x)` written into `out`, whose storage is reused when its size fits: a loop of
  /// calls on inputs of one shape then allocates nothing. With `state::keep` the final states
  /// are `forward_layer().final_state()` and `backward_layer().final_state()`.
  /// @throws shape_error as `forward`, and when `out` is `x` itself.
  template <class S, int F>
  void forward_into(const Sequence<S, F>& x, Output& out) {
    check_input<S, F>();
    static_assert(!masked || sizeof(S) == 0,
                  "birnn::Bidirectional<..., mask::masked, ...>::forward_into(x, out) needs a mask: call "
                  "forward_into(x, mask, out)");
    call_into(x, nullptr, nullptr, out);
  }
  /// `forward(x, mask)` written into `out`, as `forward_into(x, out)`.
  template <class S, int F>
  void forward_into(const Sequence<S, F>& x, const Mask& mask, Output& out) {
    check_input<S, F>();
    static_assert(masked || sizeof(S) == 0,
                  "birnn::Bidirectional<..., mask::none, ...>::forward_into takes no mask: declare the layer with "
                  "mask::masked to pass one");
    call_into(x, &mask, nullptr, out);
  }

  /// `call` written into `out` (see `forward_into`).
  template <class S, int F>
  void call_into(const Sequence<S, F>& x, const Mask* mask, const InitialState* initial, Output& output) {
    check_input<S, F>();
    if constexpr (std::is_same_v<Output, Sequence<S, F>>) {
      if (&output == &x) throw shape_error(detail::cat(label(), ": forward_into: the output must not be the input"));
    }
    forward_.validate(x.batch(), x.time(), x.features(), mask, initial ? &initial->forward : nullptr);
    backward_.validate(x.batch(), x.time(), x.features(), mask, initial ? &initial->backward : nullptr);
    const Eigen::Index uf = forward_.units(), ub = backward_.units();
    const Eigen::Index batch = x.batch(), time = x.time();
    // Every value of a sequence output is written below (each direction writes each of its
    // rows at every step), so the output is resized without being cleared first.
    if constexpr (return_sequences) {
      detail::SequenceSink<Scalar> fs, bs;
      if constexpr (Merge::mode == MergeMode::none) {
        output.forward.resize(batch, time, uf);
        output.backward.resize(batch, time, ub);
        fs = {output.forward.data(), uf, false};
        bs = {output.backward.data(), ub, true};
      } else if constexpr (Merge::mode == MergeMode::concat) {
        output.resize(batch, time, uf + ub);
        fs = {output.data(), uf + ub, false};
        bs = {output.data() + uf, uf + ub, true};
      } else {
        output.resize(batch, time, uf);
        backward_sequence_.resize(batch * time, ub);
        fs = {output.data(), uf, false};
        bs = {backward_sequence_.data(), ub, true};
      }
      run_directions(x, mask, initial, fs, bs);
      if constexpr (Merge::mode == MergeMode::mul) {
        if (recording_) {  // the backward of a product needs both factors
          recorded_forward_ = output.matrix();
          recorded_backward_ = backward_sequence_;
        }
      }
      if constexpr (Merge::mode != MergeMode::none && Merge::mode != MergeMode::concat)
        detail::merge_into(Merge::mode, output.matrix(), backward_sequence_);
    } else {
      run_directions(x, mask, initial, {}, {});
      if constexpr (Merge::mode == MergeMode::mul) {
        if (recording_) {
          recorded_forward_ = forward_.last_output();
          recorded_backward_ = backward_.last_output();
        }
      }
      if constexpr (Merge::mode == MergeMode::none) {
        output.forward = forward_.last_output();
        output.backward = backward_.last_output();
      } else {
        output.resize(batch, Merge::mode == MergeMode::concat ? uf + ub : uf);
        if constexpr (Merge::mode == MergeMode::concat) {
          output.leftCols(uf) = forward_.last_output();
          output.rightCols(ub) = backward_.last_output();
        } else {
          output = forward_.last_output();
          detail::merge_into(Merge::mode, output, backward_.last_output());
        }
      }
    }
  }

  /// Runs like `call` and records what `backward` needs (both directions' steps, the input,
  /// for `merge::mul` both directions' outputs, the dropout masks). With dropout rates above
  /// 0, each direction draws this pass's masks (`forward_layer().dropout_masks()`,
  /// `backward_layer().dropout_masks()`) and applies them. The record stays until the next
  /// `forward_train`; the weights must not change before `backward`.
  /// @throws shape_error, mask_error as `forward`.
  template <class S, int F>
  Result forward_train(const Sequence<S, F>& x, const Mask* mask = nullptr, const InitialState* initial = nullptr) {
    set_recording(true);
    try {
      Result r = call(x, mask, initial);
      set_recording(false);
      return r;
    } catch (...) {
      set_recording(false);
      throw;
    }
  }

  /// The gradients of `L = sum(output * d_output) + sum(states * d_states)` after
  /// `forward_train`. `d_output` is shaped like the output (for `merge::none` both
  /// directions' outputs); `d_states` (null: zero) are the cotangents of the final states,
  /// `{forward, backward}`, Keras order.
  /// @throws error when no forward pass was recorded; shape_error for a cotangent of the
  ///         wrong shape; config_error for an activation without a derivative in birnn.
  train::Gradients<Scalar> backward(const Output& d, const InitialState* d_states = nullptr) {
    if (!forward_.recorded() || !backward_.recorded())
      throw error(detail::cat(label(), ": backward: expected a recorded forward pass (call forward_train first), "
                              "got none"));
    const Eigen::Index batch = forward_.recorded_batch(), time = forward_.recorded_time();
    const Eigen::Index uf = forward_.units(), ub = backward_.units();
    detail::SequenceSource<Scalar> fs, bs;
    const typename Cell::Hidden* dlf = nullptr;
    const typename BackwardCell::Hidden* dlb = nullptr;
    // Each direction's cotangent from the merged one.
    if constexpr (return_sequences) {
      if constexpr (Merge::mode == MergeMode::none) {
        check_cotangent("forward output", {batch, time, uf}, {d.forward.batch(), d.forward.time(), d.forward.features()});
        check_cotangent("backward output", {batch, time, ub},
                        {d.backward.batch(), d.backward.time(), d.backward.features()});
        fs = {d.forward.data(), uf, false};
        bs = {d.backward.data(), ub, true};
      } else {
        check_cotangent("output", {batch, time, units()}, {d.batch(), d.time(), d.features()});
        if constexpr (Merge::mode == MergeMode::concat) {
          fs = {d.data(), uf + ub, false};
          bs = {d.data() + uf, uf + ub, true};
        } else if constexpr (Merge::mode == MergeMode::sum) {
          fs = {d.data(), uf, false};
          bs = {d.data(), uf, true};
        } else if constexpr (Merge::mode == MergeMode::ave) {
          d_forward_ = d.matrix() * Scalar(0.5);
          fs = {d_forward_.data(), uf, false};
          bs = {d_forward_.data(), uf, true};
        } else {
          d_forward_ = d.matrix().array() * recorded_backward_.array();
          d_backward_ = d.matrix().array() * recorded_forward_.array();
          fs = {d_forward_.data(), uf, false};
          bs = {d_backward_.data(), uf, true};
        }
      }
    } else {
      if constexpr (Merge::mode == MergeMode::none) {
        check_cotangent("forward output", {batch, uf}, {d.forward.rows(), d.forward.cols()});
        check_cotangent("backward output", {batch, ub}, {d.backward.rows(), d.backward.cols()});
        d_last_forward_ = d.forward;
        d_last_backward_ = d.backward;
      } else {
        check_cotangent("output", {batch, units()}, {d.rows(), d.cols()});
        if constexpr (Merge::mode == MergeMode::concat) {
          d_last_forward_ = d.leftCols(uf);
          d_last_backward_ = d.rightCols(ub);
        } else if constexpr (Merge::mode == MergeMode::sum) {
          d_last_forward_ = d;
          d_last_backward_ = d;
        } else if constexpr (Merge::mode == MergeMode::ave) {
          d_last_forward_ = d * Scalar(0.5);
          d_last_backward_ = d * Scalar(0.5);
        } else {
          d_last_forward_ = d.array() * recorded_backward_.array();
          d_last_backward_ = d.array() * recorded_forward_.array();
        }
      }
      dlf = &d_last_forward_;
      dlb = &d_last_backward_;
    }
    if (d_states) {
      for (const auto& s : d_states->forward) check_cotangent("forward state", {batch, uf}, {s.rows(), s.cols()});
      for (const auto& s : d_states->backward) check_cotangent("backward state", {batch, ub}, {s.rows(), s.cols()});
    }
    typename Cell::Weights dwf(input_size(), uf);
    typename BackwardCell::Weights dwb(input_size(), ub);
    typename Cell::State dif;
    typename BackwardCell::State dib;
    Sequence<Scalar> d_input(batch, time, input_size());
    const auto* dsf = d_states ? &d_states->forward : nullptr;
    const auto* dsb = d_states ? &d_states->backward : nullptr;
    // Each direction projected its own input (another cell type, or a pass with input dropout).
    auto separate = [&] {
      forward_.backward(fs, dlf, dsf, dwf, dif, d_input.matrix());
      backward_.backward(bs, dlb, dsb, dwb, dib, d_input.matrix());
    };
    if constexpr (std::is_same_v<Cell, BackwardCell>) {
      if (fused_pass_) {
        // The fused projection's backward: one product for the kernels of both directions, one for dX.
        refresh_fused_weights();
        const Eigen::Index wf = std::as_const(forward_).weights().kernel.cols();
        const Eigen::Index ld = fused_kernel_.cols();
        d_projected_.resize(batch * time, ld);
        // The directions write disjoint columns of dP: with a worker they run at the same time.
        auto forward = [&] { forward_.backward_recur(fs, dlf, dsf, d_projected_.data(), ld, dwf, dif); };
        auto backward = [&] { backward_.backward_recur(bs, dlb, dsb, d_projected_.data() + wf, ld, dwb, dib); };
        run_both(forward, backward);
        // Each half: one direction's kernel and bias gradient, and half of the rows of dX.
        const Eigen::Index rows = batch * time, half = split_rows(rows);
        auto first = [&] {
          dwf.kernel.noalias() = input_.transpose() * d_projected_.leftCols(wf);
          dwf.bias = d_projected_.leftCols(wf).colwise().sum();
          d_input.matrix().topRows(half).noalias() = d_projected_.topRows(half) * fused_kernel_.transpose();
        };
        auto second = [&] {
          dwb.kernel.noalias() = input_.transpose() * d_projected_.rightCols(ld - wf);
          dwb.bias = d_projected_.rightCols(ld - wf).colwise().sum();
          d_input.matrix().bottomRows(rows - half).noalias() =
              d_projected_.bottomRows(rows - half) * fused_kernel_.transpose();
        };
        run_both(first, second);
      } else {
        separate();
      }
    } else {
      separate();
    }
    train::Gradients<Scalar> g;
    g.inputs = std::move(d_input);
    g.weights = dwf.get(Cell::bias_rows(forward_.config()));
    for (auto& t : dwb.get(BackwardCell::bias_rows(backward_.config()))) g.weights.push_back(std::move(t));
    g.initial_state.assign(dif.begin(), dif.end());
    g.initial_state.insert(g.initial_state.end(), dib.begin(), dib.end());
    return g;
  }

 private:
  // The directions' pair of options, delegated to the five-argument constructor.
  Bidirectional(Eigen::Index input_size, const ForwardConfig& config, std::pair<LayerOptions, LayerOptions> options,
                const BackwardConfig& backward_config, std::string name)
      : Bidirectional(input_size, config, std::move(options.first), backward_config, std::move(options.second),
                      std::move(name)) {}

  void set_recording(bool on) noexcept {
    recording_ = on;
    forward_.set_recording(on);
    backward_.set_recording(on);
  }
  void check_cotangent(const char* what, std::vector<Eigen::Index> expected, std::vector<Eigen::Index> got) const {
    if (expected != got)
      throw shape_error(detail::cat(label(), ": backward: ", what, " cotangent shape: expected ",
                                    shape_string(expected), ", got ", shape_string(got)));
  }

  std::string label() const {
    return detail::cat("birnn::Bidirectional<", Cell::keras_name, "> '", name_, "'");
  }

  template <class S, int F>
  static constexpr void check_input() {
    static_assert(std::is_same_v<S, Scalar>,
                  "birnn::Bidirectional<Cell, ...>::forward requires the input's Scalar to be the cell's Scalar");
    static_assert(F == Eigen::Dynamic || input_size_at_compile_time == Eigen::Dynamic ||
                      F == input_size_at_compile_time,
                  "birnn::Bidirectional<Cell, ...>::forward: the input's Features differ from the cell's InputSize");
  }

  static BackwardConfig backward_copy(const ForwardConfig& c) {
    static_assert(std::is_same_v<Cell, BackwardCell>,
                  "birnn::Bidirectional<Cell, ..., BackwardCell>: with another BackwardCell, give the backward "
                  "layer's configuration to the constructor");
    return c;
  }
  static LayerOptions forced(LayerOptions o) {
    o.zero_output_for_mask = return_sequences;  // Keras forces it inside Bidirectional
    return o;
  }


  template <class S, int F>
  void run_directions(const Sequence<S, F>& x, const Mask* mask, const InitialState* initial,
                      detail::SequenceSink<Scalar> fs, detail::SequenceSink<Scalar> bs) {
    const Eigen::Index batch = x.batch(), time = x.time();
    const typename Cell::State* fi = initial ? &initial->forward : nullptr;
    const typename BackwardCell::State* bi = initial ? &initial->backward : nullptr;
    if constexpr (std::is_same_v<Cell, BackwardCell>) {
      // Same cell type: one product projects the input of every step for both directions,
      // except in a training pass that drops input features (each direction masks its own).
      const bool fused = !recording_ || (!forward_.drops_input() && !backward_.drops_input());
      if (recording_) fused_pass_ = fused;
      if (fused) {
        fused_directions(x, mask, fi, bi, fs, bs);
        return;
      }
    }
    auto forward = [&] { forward_.run(x.matrix(), batch, time, mask, fi, fs); };
    auto backward = [&] { backward_.run(x.matrix(), batch, time, mask, bi, bs); };
    run_both(forward, backward);
  }

  // Both directions over the fused projection (same cell type only).
  template <class S, int F>
  void fused_directions(const Sequence<S, F>& x, const Mask* mask, const typename Cell::State* fi,
                        const typename BackwardCell::State* bi, detail::SequenceSink<Scalar> fs,
                        detail::SequenceSink<Scalar> bs) {
    const Eigen::Index batch = x.batch(), time = x.time(), rows = batch * time;
    refresh_fused_weights();
    const Eigen::Index wf = std::as_const(forward_).weights().kernel.cols();
    const Eigen::Index ld = fused_kernel_.cols();
    if (recording_) input_ = x.matrix();
    projected_.resize(rows, ld);
    const Eigen::Index half = split_rows(rows);
    for (int part = 0; part < 2; ++part) {
      const Eigen::Index count = part == 0 ? half : rows - half;
      if (projection_scratch_[part].size() < fused_packed_.scratch_size(count))
        projection_scratch_[part].resize(fused_packed_.scratch_size(count));
    }
    auto top = [&] { project_rows(x.matrix(), 0, half, projection_scratch_[0]); };
    auto bottom = [&] { project_rows(x.matrix(), half, rows - half, projection_scratch_[1]); };
    run_both(top, bottom);
    auto forward = [&] { forward_.recur(projected_.data(), ld, batch, time, mask, fi, fs); };
    auto backward = [&] { backward_.recur(projected_.data() + wf, ld, batch, time, mask, bi, bs); };
    run_both(forward, backward);
  }

  // The fused projection, and its backward, run as two halves (rows of x and dX, columns of
  // the kernels' gradient), one per thread with a worker and one after the other without:
  // the same products either way, so the results are identical. Below 64 rows one half is empty.
  static Eigen::Index split_rows(Eigen::Index rows) noexcept { return rows < 64 ? rows : rows / 2 / 16 * 16; }

  // Rows [first, first + count) of the projection: [b_f | b_b] + x [W_f | W_b].
  template <class X>
  void project_rows(const X& x, Eigen::Index first, Eigen::Index count,
                    Eigen::Matrix<Scalar, Eigen::Dynamic, 1>& scratch) {
    if (count == 0) return;
    const Eigen::Index ld = projected_.cols();
    fused_packed_.multiply(x.data() + first * x.cols(), x.cols(), count, projected_.data() + first * ld, ld,
                           scratch.data(), fused_bias_.data(), 0);
  }

  // The directions share nothing but the input and the projection: with a worker they run
  // at the same time, with identical results.
  template <class F, class B>
  void run_both(F& forward, B& backward) {
    if (worker_) {
      worker_->run_pair(backward, forward);
    } else {
      forward();
      backward();
    }
  }

  // [W_f | W_b] and [b_f | b_b], rebuilt only when a direction's weights may have changed.
  void refresh_fused_weights() {
    const auto& f = std::as_const(forward_).weights();
    const auto& b = std::as_const(backward_).weights();
    if (fused_versions_[0] == forward_.version() && fused_versions_[1] == backward_.version() &&
        fused_kernel_.size() != 0)
      return;
    fused_kernel_.resize(f.kernel.rows(), f.kernel.cols() + b.kernel.cols());
    fused_kernel_ << f.kernel, b.kernel;
    fused_bias_.resize(1, f.bias.cols() + b.bias.cols());
    fused_bias_ << f.bias, b.bias;
    // Packed once here rather than by every call's product; blocked for large inputs.
    fused_packed_.pack(fused_kernel_.data(), fused_kernel_.rows(), fused_kernel_.cols(), fused_kernel_.cols(),
                       Eigen::Index(1) << 14);
    fused_versions_ = {forward_.version(), backward_.version()};
  }

  std::string name_;
  detail::RecurrentCore<Cell> forward_;
  detail::RecurrentCore<BackwardCell> backward_;
  typename BackwardCell::Hidden backward_sequence_;  // the backward sequence before sum/mul/ave
  Worker* worker_ = nullptr;
  // The fused input projection of both directions (same cell type only).
  Eigen::Matrix<Scalar, Cell::input_size_at_compile_time, Eigen::Dynamic, Eigen::RowMajor> fused_kernel_;
  Eigen::Matrix<Scalar, 1, Eigen::Dynamic> fused_bias_;
  std::array<std::uint64_t, 2> fused_versions_{};
  detail::PackedRight<Scalar> fused_packed_;  // fused_kernel_, packed for the projection
  std::array<Eigen::Matrix<Scalar, Eigen::Dynamic, 1>, 2> projection_scratch_;  // one per half
  Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> projected_;
  // Training: the record (input of the fused projection; both outputs for merge::mul) and
  // the backward's buffers.
  using Buffer = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  bool recording_ = false;
  bool fused_pass_ = false;  // the recorded pass used the fused projection (input_ holds its input)
  Buffer input_, recorded_forward_, recorded_backward_;
  Buffer d_forward_, d_backward_, d_projected_;
  typename Cell::Hidden d_last_forward_;
  typename BackwardCell::Hidden d_last_backward_;
};

}  // namespace birnn
