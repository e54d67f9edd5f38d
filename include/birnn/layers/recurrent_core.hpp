#pragma once
/// @file
/// The time loop shared by `Rnn`, `Bidirectional` and the runtime model: one recurrent layer's
/// configuration, weights and workspace, and `run()`, which applies Keras's rules for
/// `go_backwards`, masks, initial states and `zero_output_for_mask`.
///
/// Shape of the work: one matrix product projects the input of every step of every sequence
/// (`Cell::Weights::project`); then each step adds one small product for the recurrence
/// (`Cell::step`). All buffers live in the core and are resized before the loop, so the loop
/// allocates nothing, and calls with the same shapes reuse them.
///
/// Training: with `set_recording(true)` the loop also keeps, per step, what the backward pass
/// needs (the cell's post-activation gates, the previous states; the mask is copied once), in
/// buffers sized before the loop; without it the loop pays one branch per step. `backward_recur`
/// is backpropagation through time over that record, with the same Keras rules in reverse.
///
/// Dropout (Keras `dropout`, `recurrent_dropout`; training passes only, i.e. while recording):
/// the masks are drawn once per pass from the core's own generator (`detail/dropout_rng.hpp`)
/// and reused at every step. With `recurrent_dropout == 0` one input mask `(batch, input)` is
/// shared by all gates (Keras's implementation 2): the core projects `x * m`, the mask
/// broadcast over time, with the usual single product. With `recurrent_dropout > 0`, LSTM and
/// GRU switch to Keras's implementation 1: gate block k has its own input mask (one product
/// per gate block over all steps) and its own recurrent mask `r_k`, which the cell's
/// dropout `step` overload applies to `h_{t-1}` in gate k's recurrent product. SimpleRNN has
/// one mask of each kind. Inference and passes with both rates 0 run exactly the code above.

#include "birnn/cells/cell_traits.hpp"
#include "birnn/detail/dropout_rng.hpp"
#include "birnn/detail/strided.hpp"
#include "birnn/errors.hpp"
#include "birnn/math/activation_derivative.hpp"
#include "birnn/types/size.hpp"
#include "birnn/types/tensor.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace birnn {

/// The settings of a recurrent layer besides its cell's: Keras's layer arguments.
struct LayerOptions {
  std::string name;                   ///< the Keras layer name, used in error messages and summaries
  bool go_backwards = false;          ///< walk time from the last step to the first
  bool zero_output_for_mask = false;  ///< masked steps output zeros instead of the previous output
  /// Keras `dropout`: the fraction of the input features dropped in training (`forward_train`),
  /// in [0, 1). Inference ignores it, as Keras does.
  double dropout = 0;
  /// Keras `recurrent_dropout`: the fraction of the previous `h` dropped in the recurrent
  /// products in training, in [0, 1). Inference ignores it.
  double recurrent_dropout = 0;
  /// Keras `seed`: where the layer's stream of dropout masks starts; the same seed gives the
  /// same masks, and each `forward_train` draws the next ones. Unset (Keras `None`): derived
  /// from `name` (`detail::seed_from_name`), so runs repeat and differently named layers draw
  /// independent masks.
  std::optional<std::uint64_t> seed = std::nullopt;
};

namespace detail {

/// Where a run writes its output sequence: `data` points at column 0 of row 0 of a
/// sequence-major `(batch * time, ld)` buffer (offset to the direction's columns).
/// Keras returns a layer's outputs in processing order (reversed for `go_backwards`);
/// `flip` reverses them, as `Bidirectional` does to its backward layer's sequence.
template <class Scalar>
struct SequenceSink {
  Scalar* data = nullptr;
  Eigen::Index ld = 0;
  bool flip = false;
};

/// Where a backward pass reads the cotangent of an output sequence: the layout of a
/// `SequenceSink` (`data` null: no sequence output).
template <class Scalar>
struct SequenceSource {
  const Scalar* data = nullptr;
  Eigen::Index ld = 0;
  bool flip = false;
};

template <class Cell>
class RecurrentCore {
 public:
  using Scalar = typename Cell::Scalar;
  using Config = typename Cell::Config;
  using Weights = typename Cell::Weights;
  using State = typename Cell::State;
  using Hidden = typename Cell::Hidden;
  using Gates = typename Cell::Gates;
  static constexpr int input_size_at_compile_time = Cell::input_size_at_compile_time;
  static constexpr int units_at_compile_time = Cell::units_at_compile_time;

  /// The dropout masks of a training pass, each entry 0 or `1 / (1 - rate)`.
  using InputMask = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  struct DropoutMasks {
    /// None (`dropout == 0`), one shared by all gates, or `Cell::gates` (LSTM and GRU with
    /// `recurrent_dropout > 0`, gate order), each `(batch, input)`.
    std::vector<InputMask> input;
    /// None (`recurrent_dropout == 0`) or `Cell::gates` (SimpleRNN: 1), each `(batch, units)`.
    std::vector<Hidden> recurrent;
  };

  /// @throws config_error for a non-positive size, one that contradicts the template, or a
  ///         dropout rate outside [0, 1).
  RecurrentCore(Eigen::Index input_size, const Config& config, LayerOptions options)
      : config_(config),
        options_(std::move(options)),
        weights_(checked(input_size, config, options_)),
        seed_(options_.seed ? *options_.seed : seed_from_name(options_.name)),
        rng_(seed_) {}

  const Config& config() const noexcept { return config_; }
  const LayerOptions& options() const noexcept { return options_; }
  /// Write access to the options (dropout rates changed here are checked by the next
  /// training pass; `seed` is read at construction and by `reseed`).
  LayerOptions& options() noexcept { return options_; }
  const Weights& weights() const noexcept { return weights_; }
  /// Write access to the weights; counts as a change (see `version()`).
  Weights& weights() noexcept {
    ++version_;
    return weights_;
  }
  /// Grows whenever the weights may have changed, so that layers can keep derived copies
  /// (such as a fused kernel) and rebuild them only then.
  std::uint64_t version() const noexcept { return version_; }
  Eigen::Index input_size() const noexcept { return weights_.input_size(); }
  Eigen::Index units() const noexcept { return config_.units; }

  /// "birnn::LSTM 'forward_lstm'": how errors name this layer.
  std::string label() const { return label(options_); }

  std::vector<WeightSpec> weight_specs() const {
    auto specs = Weights::specs(input_size(), units(), Cell::bias_rows(config_));
    return specs;
  }
  Eigen::Index count_params() const { return Weights::count_params(input_size(), units(), Cell::bias_rows(config_)); }
  void set_weights(const std::vector<Tensor<Scalar>>& w) {
    ++version_;
    weights_.set(label(), w, Cell::bias_rows(config_));
  }
  std::vector<Tensor<Scalar>> get_weights() const { return weights_.get(Cell::bias_rows(config_)); }

  /// Checks an input of `batch` sequences of `time` steps of `features` values, a mask and initial states.
  /// @throws shape_error, mask_error
  void validate(Eigen::Index batch, Eigen::Index time, Eigen::Index features, const Mask* mask,
                const State* initial) const {
    // The label is built only for a message: a valid call allocates nothing here.
    if (features != input_size()) require_equal(label(), "input features", input_size(), features);
    if (time <= 0) throw shape_error(cat(label(), ": time steps: expected at least 1, got ", time));
    if (mask) {
      if (mask->rows() != batch || mask->cols() != time)
        throw mask_error(cat(label(), ": mask shape: expected (", batch, ", ", time, "), got (", mask->rows(), ", ",
                             mask->cols(), ")"));
    }
    if (initial) {
      for (std::size_t k = 0; k < initial->size(); ++k) {
        const auto& s = (*initial)[k];
        if (s.rows() != batch || s.cols() != units())
          throw shape_error(cat(label(), ": initial state ", k, " shape: expected (", batch, ", ", units(),
                                "), got (", s.rows(), ", ", s.cols(), ")"));
      }
    }
  }

  /// Runs the layer over `x`, `(batch * time, input)` sequence-major, after `validate()`.
  /// Writes the output sequence to `sink` when it has data; afterwards `last_output()` and
  /// `final_state()` hold Keras's last output and final states.
  /// While recording with dropout, it draws the pass's masks and projects the masked input.
  /// @throws config_error when recording with a dropout rate outside [0, 1).
  template <class X>
  void run(const Eigen::MatrixBase<X>& x, Eigen::Index batch, Eigen::Index time, const Mask* mask,
           const State* initial, SequenceSink<Scalar> sink) {
    const Eigen::Index width = Cell::gates * units();
    projected_.resize(batch * time, width);
    if (recording_) {
      draw_masks(batch, true);
      project_recorded(x, time);
    } else {
      weights_.project(x, projected_);
    }
    loop(projected_.data(), width, batch, time, mask, initial, sink);
  }

  /// The time loop over an input that is already projected: row `b * time + t` of
  /// `projected` (row stride `ld`) holds `x_t W + b` of sequence b, as `run` computes it.
  /// `Bidirectional` projects both directions with one product and calls this for each.
  /// The caller's projection drops nothing: while recording, this draws only the recurrent
  /// masks, so a caller must use `run` when `drops_input()`.
  /// @throws config_error when recording with a dropout rate outside [0, 1).
  void recur(const Scalar* projected, Eigen::Index ld, Eigen::Index batch, Eigen::Index time, const Mask* mask,
             const State* initial, SequenceSink<Scalar> sink) {
    if (recording_) draw_masks(batch, false);
    loop(projected, ld, batch, time, mask, initial, sink);
  }

  /// Whether a training pass drops input features (`dropout > 0`), so that its input
  /// projection must be made by `run` from the masked input.
  bool drops_input() const noexcept { return options_.dropout > 0; }
  /// The seed the stream of dropout masks started from: `options().seed`, or the one derived from the name.
  std::uint64_t seed() const noexcept { return seed_; }
  /// Restarts the stream of dropout masks from `seed` (also stored in `options().seed`): the
  /// training passes that follow draw the same masks as after any other `reseed(seed)`.
  void reseed(std::uint64_t seed) {
    seed_ = seed;
    options_.seed = seed;
    rng_.seed(seed);
  }
  /// The dropout masks of the last recorded pass (empty lists for a rate of 0).
  const DropoutMasks& dropout_masks() const noexcept { return masks_; }

  const Hidden& last_output() const noexcept { return last_output_; }
  const State& final_state() const noexcept { return current_; }

  /// Whether `run`/`recur` record what `backward_recur` needs (off by default).
  void set_recording(bool on) noexcept { recording_ = on; }
  bool recording() const noexcept { return recording_; }
  /// Whether a recorded forward pass is available for a backward pass.
  bool recorded() const noexcept { return tape_time_ > 0; }
  Eigen::Index recorded_batch() const noexcept { return tape_batch_; }
  Eigen::Index recorded_time() const noexcept { return tape_time_; }

  /// Backpropagation through time over the last recorded pass.
  ///
  /// The cotangents: `dy` of the output sequence (in the layout its sink had; null data: none),
  /// `d_last` of `last_output()` and `d_final` of `final_state()` (null: zero). Writes the
  /// gradient w.r.t. the projected input to `d_projected` (row `b * time + t`, row stride
  /// `ld`, as `recur` read `projected`), adds the recurrent kernel's (and GRU's recurrent
  /// bias's) gradient to `d_weights`, and sets `d_initial` to the gradient w.r.t. the initial
  /// states (zeros when none were given). Masked steps pass the state gradient through
  /// unchanged; outputs that repeat an earlier output send their gradient to that step.
  /// @throws config_error for an activation whose derivative birnn does not provide.
  void backward_recur(SequenceSource<Scalar> dy, const Hidden* d_last, const State* d_final, Scalar* d_projected,
                      Eigen::Index ld, Weights& d_weights, State& d_initial) {
    check_differentiable();
    const Eigen::Index batch = tape_batch_, time = tape_time_, u = units();
    const Eigen::Index width = Cell::gates * u;
    Cell::prepare_backward(backward_workspace_, batch, config_);
    for (std::size_t k = 0; k < d_state_.size(); ++k) {
      if (d_final)
        d_state_[k] = (*d_final)[k];
      else
        d_state_[k].setZero(batch, u);
      d_prev_[k].resize(batch, u);
      d_keep_[k].resize(batch, u);
      prev_[k].resize(batch, u);
    }
    d_last_.setZero(batch, u);
    if (d_last) {
      if (tape_masked_)
        d_last_ = *d_last;
      else
        d_state_[0] += *d_last;  // without a mask, the last output is the final h
    }
    for (Eigen::Index s = time - 1; s >= 0; --s) {
      const Eigen::Index t = options_.go_backwards ? time - 1 - s : s;
      if (dy.data) {
        const Eigen::Index row = dy.flip ? time - 1 - s : s;
        const auto g = strided_rows<Hidden>(dy.data + row * dy.ld, batch, u, time * dy.ld);
        if (tape_masked_)
          d_last_ += g;
        else
          d_state_[0] += g;
      }
      if (tape_masked_) {
        for (Eigen::Index b = 0; b < batch; ++b) {
          if (tape_mask_(b, t)) {
            // The output after this step was the new h.
            d_state_[0].row(b) += d_last_.row(b);
            d_last_.row(b).setZero();
          } else {
            // The states passed through; the output was the previous one (or zeros).
            if (options_.zero_output_for_mask) d_last_.row(b).setZero();
            for (std::size_t k = 0; k < d_state_.size(); ++k) {
              d_keep_[k].row(b) = d_state_[k].row(b);
              d_state_[k].row(b).setZero();
            }
          }
        }
      }
      for (std::size_t k = 0; k < prev_.size(); ++k) prev_[k] = tape_prev_[k].middleRows(s * batch, batch);
      auto d_projected_t = strided_rows<Gates>(d_projected + t * ld, batch, width, time * ld);
      if (masks_.recurrent.empty())
        Cell::step_backward(weights_, config_, tape_gates_.middleRows(s * batch, batch), prev_, d_state_, d_prev_,
                            d_projected_t, d_weights, backward_workspace_);
      else
        Cell::step_backward(weights_, config_, tape_gates_.middleRows(s * batch, batch), prev_, d_state_, d_prev_,
                            d_projected_t, d_weights, backward_workspace_, masks_.recurrent.data());
      if (tape_masked_) {
        for (Eigen::Index b = 0; b < batch; ++b)
          if (!tape_mask_(b, t))
            for (std::size_t k = 0; k < d_prev_.size(); ++k) d_prev_[k].row(b) = d_keep_[k].row(b);
      }
      d_state_.swap(d_prev_);
    }
    d_initial = d_state_;
  }

  /// `backward_recur` for a pass made by `run` (the core's own projection), then the input
  /// side: `d_weights.kernel = X^T dP`, `d_weights.bias = sum of dP's rows`, and
  /// `d_input += dP W^T` (`d_input` is `(batch * time, input)`, sequence-major). With input
  /// dropout X is the masked input and `dX` is masked the same way; with one mask per gate
  /// block, block k of the kernel's gradient is `(X * m_k)^T dP_k` and `dX = sum_k (dP_k W_k^T) * m_k`.
  template <class DX>
  void backward(SequenceSource<Scalar> dy, const Hidden* d_last, const State* d_final, Weights& d_weights,
                State& d_initial, Eigen::MatrixBase<DX>& d_input) {
    const Eigen::Index u = units(), width = Cell::gates * u, time = tape_time_;
    d_projected_.resize(tape_batch_ * tape_time_, width);
    backward_recur(dy, d_last, d_final, d_projected_.data(), width, d_weights, d_initial);
    const auto& in = masks_.input;
    if (in.size() <= 1) {
      // input_ is what was projected: x, or x times the shared mask.
      d_weights.kernel.noalias() = input_.transpose() * d_projected_;
      d_weights.bias = d_projected_.colwise().sum();
      if (in.empty()) {
        d_input.noalias() += d_projected_ * weights_.kernel.transpose();
      } else {
        d_masked_.noalias() = d_projected_ * weights_.kernel.transpose();
        add_masked_rows(d_masked_, in[0], time, d_input);
      }
      return;
    }
    for (int k = 0; k < Cell::gates; ++k) {
      const auto dp_k = gate<Units>(d_projected_, k, u);
      mask_rows(input_, in[static_cast<std::size_t>(k)], time, masked_);
      gate<Units>(d_weights.kernel, k, u).noalias() = masked_.transpose() * dp_k;
      d_masked_.noalias() = dp_k * gate<Units>(weights_.kernel, k, u).transpose();
      add_masked_rows(d_masked_, in[static_cast<std::size_t>(k)], time, d_input);
    }
    d_weights.bias = d_projected_.colwise().sum();
  }

  /// @throws config_error when an activation of the cell has no derivative in birnn.
  void check_differentiable() const {
    train::require_differentiable(config_.activation, label());
    if constexpr (Cell::gates > 1) train::require_differentiable(config_.recurrent_activation, label());
  }

 private:
  static constexpr int Units = Cell::units_at_compile_time;

  void loop(const Scalar* projected, Eigen::Index ld, Eigen::Index batch, Eigen::Index time, const Mask* mask,
            const State* initial, SequenceSink<Scalar> sink) {
    const Eigen::Index u = units();
    for (std::size_t k = 0; k < current_.size(); ++k) {
      if (initial)
        current_[k] = (*initial)[k];
      else
        current_[k].setZero(batch, u);
      next_[k].resize(batch, u);
    }
    last_output_.setZero(batch, u);
    Cell::prepare(workspace_, batch, config_);
    if (packed_version_ != version_ || weights_.packs_for(batch) == weights_.packed_recurrent.empty()) {
      weights_.pack_recurrent(batch);  // once per change of the weights (or when the batch crosses packs_for)
      packed_version_ = version_;
    }
    if (recording_) start_tape(batch, time, mask);
    if (recording_ && !masks_.recurrent.empty()) {
      dropped_.resize(batch, u);
      steps<true>(projected, ld, batch, time, mask, sink);
    } else {
      steps<false>(projected, ld, batch, time, mask, sink);
    }
    if (!mask) last_output_ = current_[0];
  }

  // The steps; RecurrentDropout: the cell's step reads the recurrent masks.
  template <bool RecurrentDropout>
  void steps(const Scalar* projected, Eigen::Index ld, Eigen::Index batch, Eigen::Index time, const Mask* mask,
             SequenceSink<Scalar> sink) {
    // An empty batch has nothing to step. Its matrices' data() may be null, and Eigen blocks
    // of them (projected + t * ld, the cells' gate columns) offset a null pointer: UB.
    if (batch == 0) return;
    const Eigen::Index u = units();
    const Eigen::Index width = Cell::gates * u;
    for (Eigen::Index s = 0; s < time; ++s) {
      const Eigen::Index t = options_.go_backwards ? time - 1 - s : s;
      const auto projected_t = strided_rows<Gates>(projected + t * ld, batch, width, time * ld);
      if constexpr (RecurrentDropout)
        Cell::step(weights_, config_, projected_t, current_, next_, workspace_, masks_.recurrent.data(), dropped_);
      else
        Cell::step(weights_, config_, projected_t, current_, next_, workspace_);
      if (recording_) record_step(s, batch);
      if (mask) apply_mask(*mask, t);
      current_.swap(next_);
      if (sink.data) {
        // Row by row: each is contiguous in the sink, which the strided view's copy does not know.
        const Eigen::Index row = sink.flip ? time - 1 - s : s;
        const Hidden& from = mask ? last_output_ : current_[0];
        Scalar* to = sink.data + row * sink.ld;
        for (Eigen::Index b = 0; b < batch; ++b) std::copy_n(from.row(b).data(), u, to + b * time * sink.ld);
      }
    }
  }

  // The masks of a training pass: input ones only for `run` (its own projection), recurrent
  // ones always; LSTM and GRU take one per gate block when recurrent_dropout > 0 (Keras's
  // implementation 1). Draw order: input masks, then recurrent masks, each row by row.
  void draw_masks(Eigen::Index batch, bool input) {
    check_rates(label(), options_);
    const std::size_t gates = static_cast<std::size_t>(Cell::gates);
    const std::size_t n_input = !input || options_.dropout == 0 ? 0 : options_.recurrent_dropout > 0 ? gates : 1;
    masks_.input.resize(n_input);
    for (auto& m : masks_.input) {
      m.resize(batch, input_size());
      rng_.fill(m, options_.dropout);
    }
    masks_.recurrent.resize(options_.recurrent_dropout > 0 ? gates : 0);
    for (auto& m : masks_.recurrent) {
      m.resize(batch, units());
      rng_.fill(m, options_.recurrent_dropout);
    }
  }

  // The projection of a recorded pass (masks drawn): with one input mask, of x * m (kept as
  // the input the kernel's gradient reads); with one per gate block, block k of x * m_k.
  template <class X>
  void project_recorded(const Eigen::MatrixBase<X>& x, Eigen::Index time) {
    const auto& in = masks_.input;
    if (in.size() == 1) {
      mask_rows(x, in[0], time, input_);
      weights_.project(input_, projected_);
      return;
    }
    input_ = x;
    if (in.empty()) {
      weights_.project(x, projected_);
      return;
    }
    const Eigen::Index u = units();
    for (int k = 0; k < Cell::gates; ++k) {
      mask_rows(input_, in[static_cast<std::size_t>(k)], time, masked_);
      gate<Units>(projected_, k, u).noalias() = masked_ * gate<Units>(weights_.kernel, k, u);
    }
    projected_.rowwise() += weights_.bias;
  }

  // out = x with rows [b * time, (b + 1) * time) times row b of the mask: sequence b's mask at every step.
  template <class X, class M, class Out>
  static void mask_rows(const Eigen::MatrixBase<X>& x, const Eigen::MatrixBase<M>& mask, Eigen::Index time,
                        Out& out) {
    out.resize(x.rows(), x.cols());
    for (Eigen::Index b = 0; b < mask.rows(); ++b)
      out.middleRows(b * time, time).array() = x.middleRows(b * time, time).array().rowwise() * mask.row(b).array();
  }
  // out += x masked as in mask_rows.
  template <class X, class M, class Out>
  static void add_masked_rows(const Eigen::MatrixBase<X>& x, const Eigen::MatrixBase<M>& mask, Eigen::Index time,
                              Eigen::MatrixBase<Out>& out) {
    for (Eigen::Index b = 0; b < mask.rows(); ++b)
      out.middleRows(b * time, time).array() += x.middleRows(b * time, time).array().rowwise() * mask.row(b).array();
  }

  static void check_rates(const std::string& label, const LayerOptions& o) {
    check_rate(label, "dropout", o.dropout);
    check_rate(label, "recurrent_dropout", o.recurrent_dropout);
  }
  static void check_rate(const std::string& label, const char* what, double rate) {
    if (!(rate >= 0 && rate < 1))  // also rejects NaN
      throw config_error(cat(label, ": ", what, ": expected a rate in [0, 1), got ", rate));
  }

  void start_tape(Eigen::Index batch, Eigen::Index time, const Mask* mask) {
    tape_gates_.resize(batch * time, Cell::gates * units());
    for (auto& p : tape_prev_) p.resize(batch * time, units());
    tape_batch_ = batch;
    tape_time_ = time;
    tape_masked_ = mask != nullptr;
    if (mask) tape_mask_ = *mask;
  }
  // Before the mask is applied and the states swapped: current_ holds the previous states.
  void record_step(Eigen::Index s, Eigen::Index batch) noexcept {
    tape_gates_.middleRows(s * batch, batch) = Cell::recorded(workspace_);
    for (std::size_t k = 0; k < current_.size(); ++k) tape_prev_[k].middleRows(s * batch, batch) = current_[k];
  }

  static std::string label(const LayerOptions& o) { return cat("birnn::", Cell::keras_name, " '", o.name, "'"); }

  static Weights checked(Eigen::Index input_size, const Config& c, const LayerOptions& o) {
    check_size(label(o), "input features", input_size_at_compile_time, input_size);
    check_size(label(o), "units", units_at_compile_time, c.units);
    check_rates(label(o), o);
    return Weights(input_size, c.units);
  }

  // A masked step (in row b) keeps every state of the previous step; its output is the
  // previous output, or zero with zero_output_for_mask. Unmasked rows output the new h.
  void apply_mask(const Mask& mask, Eigen::Index t) noexcept {
    for (Eigen::Index b = 0; b < mask.rows(); ++b) {
      if (mask(b, t)) {
        last_output_.row(b) = next_[0].row(b);
      } else {
        for (std::size_t k = 0; k < next_.size(); ++k) next_[k].row(b) = current_[k].row(b);
        if (options_.zero_output_for_mask) last_output_.row(b).setZero();
      }
    }
  }

  Config config_;
  LayerOptions options_;
  Weights weights_;
  std::uint64_t version_ = 0;
  // The version of the weights `weights_.packed_recurrent` was packed from (none yet).
  std::uint64_t packed_version_ = ~std::uint64_t(0);
  // Workspace, reused across calls.
  Gates projected_;
  State current_, next_;
  Hidden last_output_;
  typename Cell::Workspace workspace_;
  // Dropout: the masks' generator, the masks of the last training pass, scratch space.
  std::uint64_t seed_;
  DropoutRng rng_;
  DropoutMasks masks_;
  Hidden dropped_;  // h_{t-1} * r_k in the time loop
  Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> masked_, d_masked_;
  // The record of a training pass (step s in processing order: rows [s * batch, (s + 1) * batch)).
  bool recording_ = false;
  Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> input_;  // run()'s input
  Gates tape_gates_;
  State tape_prev_;
  Mask tape_mask_;
  bool tape_masked_ = false;
  Eigen::Index tape_batch_ = 0, tape_time_ = 0;
  // Backward workspace.
  Gates d_projected_;
  State d_state_, d_prev_, d_keep_, prev_;
  Hidden d_last_;
  typename Cell::BackwardWorkspace backward_workspace_;
};

}  // namespace detail
}  // namespace birnn
