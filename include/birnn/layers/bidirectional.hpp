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

#include "birnn/cells/cell_traits.hpp"
#include "birnn/detail/merge_outputs.hpp"
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

#include <Eigen/Core>

#include <array>
#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace birnn {

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
  /// Keras builds it from one `layer`. Names: "forward_<name>" and "backward_<name>".
  /// @throws config_error for a non-positive size or one that contradicts the template.
  Bidirectional(Eigen::Index input_size, const ForwardConfig& config, std::string name = "bidirectional")
      : Bidirectional(input_size, config, direction_options("forward_", false),
                      backward_copy(config), direction_options("backward_", true), std::move(name)) {}

  /// A Bidirectional layer with an explicit backward layer (Keras `backward_layer`), which may
  /// be another cell type or configuration. Keras's rule: the two must differ in `go_backwards`.
  /// `zero_output_for_mask` is set on both to `return_sequences`, as Keras does.
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

  detail::RecurrentCore<Cell>& forward_layer() noexcept { return forward_; }
  const detail::RecurrentCore<Cell>& forward_layer() const noexcept { return forward_; }
  detail::RecurrentCore<BackwardCell>& backward_layer() noexcept { return backward_; }
  const detail::RecurrentCore<BackwardCell>& backward_layer() const noexcept { return backward_; }

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
    check_input<S, F>();
    forward_.validate(x.batch(), x.time(), x.features(), mask, initial ? &initial->forward : nullptr);
    backward_.validate(x.batch(), x.time(), x.features(), mask, initial ? &initial->backward : nullptr);
    const Eigen::Index uf = forward_.units(), ub = backward_.units();
    const Eigen::Index batch = x.batch(), time = x.time();
    Output output;
    if constexpr (return_sequences) {
      detail::SequenceSink<Scalar> fs, bs;
      if constexpr (Merge::mode == MergeMode::none) {
        output.forward = ForwardOutput(batch, time, uf);
        output.backward = BackwardOutput(batch, time, ub);
        fs = {output.forward.data(), uf, false};
        bs = {output.backward.data(), ub, true};
      } else if constexpr (Merge::mode == MergeMode::concat) {
        output = Output(batch, time, uf + ub);
        fs = {output.data(), uf + ub, false};
        bs = {output.data() + uf, uf + ub, true};
      } else {
        output = Output(batch, time, uf);
        backward_sequence_.resize(batch * time, ub);
        fs = {output.data(), uf, false};
        bs = {backward_sequence_.data(), ub, true};
      }
      run_directions(x, mask, initial, fs, bs);
      if constexpr (Merge::mode != MergeMode::none && Merge::mode != MergeMode::concat)
        detail::merge_into(Merge::mode, output.matrix(), backward_sequence_);
    } else {
      run_directions(x, mask, initial, {}, {});
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
    if constexpr (return_state) {
      return std::tuple_cat(detail::output_tuple<Merge, Output>::make(std::move(output)),
                            detail::to_tuple<Cell>(forward_.final_state()),
                            detail::to_tuple<BackwardCell>(backward_.final_state()));
    } else {
      return output;
    }
  }

 private:
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

  static LayerOptions direction_options(const char* prefix, bool go_backwards) {
    LayerOptions o;
    o.name = std::string(prefix) + detail::default_layer_name(Cell::keras_name);
    o.go_backwards = go_backwards;
    return o;
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
      // Same cell type: one product projects the input of every step for both directions.
      refresh_fused_weights();
      const Eigen::Index wf = std::as_const(forward_).weights().kernel.cols();
      const Eigen::Index ld = fused_kernel_.cols();
      projected_.resize(batch * time, ld);
      projected_.noalias() = x.matrix() * fused_kernel_;
      projected_.rowwise() += fused_bias_;
      auto forward = [&] { forward_.recur(projected_.data(), ld, batch, time, mask, fi, fs); };
      auto backward = [&] { backward_.recur(projected_.data() + wf, ld, batch, time, mask, bi, bs); };
      run_both(forward, backward);
    } else {
      auto forward = [&] { forward_.run(x.matrix(), batch, time, mask, fi, fs); };
      auto backward = [&] { backward_.run(x.matrix(), batch, time, mask, bi, bs); };
      run_both(forward, backward);
    }
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
  Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> projected_;
};

}  // namespace birnn
