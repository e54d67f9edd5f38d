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
/// `{forward, backward}`). The input-side gradient follows the fused projection
/// (`layers/bidirectional_projection.hpp`).
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
#include "birnn/fwd.hpp"
#include "birnn/layers/bidirectional_merge.hpp"
#include "birnn/layers/bidirectional_projection.hpp"
#include "birnn/layers/bidirectional_state.hpp"
#include "birnn/layers/recurrent_core.hpp"
#include "birnn/parallel/worker.hpp"
#include "birnn/policies/mask.hpp"
#include "birnn/policies/merge.hpp"
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
#include <utility>
#include <vector>

namespace birnn {

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
  using Result = detail::bidirectional_result_t<return_state, Merge, Output, Cell, BackwardCell>;

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
    fused_.invalidate();  // rebuilt on the next call
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
      return detail::with_states<Merge, Cell, BackwardCell>(std::move(output), forward_.final_state(),
                                                            backward_.final_state());
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
    if constexpr (return_sequences) {
      const auto [fs, bs] = detail::sequence_sinks<Merge>(output, batch, time, uf, ub, merge_);
      run_directions(x, mask, initial, fs, bs);
      detail::merge_sequences<Merge>(output, recording_, merge_);
    } else {
      run_directions(x, mask, initial, {}, {});
      detail::merge_last<Merge>(output, forward_.last_output(), backward_.last_output(), batch, uf, ub, recording_,
                                merge_);
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
    detail::check_merged_cotangent<Merge, return_sequences>(
        d, batch, time, uf, ub, units(),
        [this](const char* what, std::vector<Eigen::Index> expected, std::vector<Eigen::Index> got) {
          check_cotangent(what, std::move(expected), std::move(got));
        });
    if constexpr (return_sequences) {
      std::tie(fs, bs) = detail::sequence_cotangents<Merge>(d, uf, ub, merge_);
    } else {
      detail::last_cotangents<Merge>(d, uf, ub, merge_);
      dlf = &merge_.d_last_forward;
      dlb = &merge_.d_last_backward;
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
        fused_.refresh(forward_, backward_);
        const Eigen::Index wf = std::as_const(forward_).weights().kernel.cols();
        const Eigen::Index ld = fused_.width();
        Scalar* const d_projected = fused_.d_projected(batch * time);
        // The directions write disjoint columns of dP: with a worker they run at the same time.
        auto forward = [&] { forward_.backward_recur(fs, dlf, dsf, d_projected, ld, dwf, dif); };
        auto backward = [&] { backward_.backward_recur(bs, dlb, dsb, d_projected + wf, ld, dwb, dib); };
        detail::run_both(worker_, forward, backward);
        fused_.backward(wf, dwf, dwb, d_input.matrix(), worker_);
      } else {
        separate();
      }
    } else {
      separate();
    }
    return detail::bidirectional_gradients<Cell, BackwardCell>(std::move(d_input), dwf, forward_.config(), dwb,
                                                                backward_.config(), dif, dib);
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
    detail::run_both(worker_, forward, backward);
  }

  // Both directions over the fused projection (same cell type only).
  template <class S, int F>
  void fused_directions(const Sequence<S, F>& x, const Mask* mask, const typename Cell::State* fi,
                        const typename BackwardCell::State* bi, detail::SequenceSink<Scalar> fs,
                        detail::SequenceSink<Scalar> bs) {
    const Eigen::Index batch = x.batch(), time = x.time();
    fused_.refresh(forward_, backward_);
    const Eigen::Index wf = std::as_const(forward_).weights().kernel.cols();
    const Eigen::Index ld = fused_.width();
    fused_.project(x.matrix(), recording_, worker_);
    auto forward = [&] { forward_.recur(fused_.projected(), ld, batch, time, mask, fi, fs); };
    // An empty input projects to an empty matrix, whose data() may be null: no offset then.
    const Scalar* projected = batch * time == 0 ? fused_.projected() : fused_.projected() + wf;
    auto backward = [&] { backward_.recur(projected, ld, batch, time, mask, bi, bs); };
    detail::run_both(worker_, forward, backward);
  }

  std::string name_;
  detail::RecurrentCore<Cell> forward_;
  detail::RecurrentCore<BackwardCell> backward_;
  Worker* worker_ = nullptr;
  // The fused input projection of both directions (same cell type only).
  detail::FusedProjection<Scalar, Cell::input_size_at_compile_time> fused_;
  detail::MergeBuffers<Scalar, typename Cell::Hidden, typename BackwardCell::Hidden> merge_;
  bool recording_ = false;
  bool fused_pass_ = false;  // the recorded pass used the fused projection (fused_ holds its input)
};

}  // namespace birnn
