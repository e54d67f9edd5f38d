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

#include "birnn/cells/cell_traits.hpp"
#include "birnn/detail/size.hpp"
#include "birnn/detail/strided.hpp"
#include "birnn/errors.hpp"
#include "birnn/tensor.hpp"

#include <Eigen/Core>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace birnn {

/// The settings of a recurrent layer besides its cell's: Keras's layer arguments.
struct LayerOptions {
  std::string name;                   ///< the Keras layer name, used in error messages and summaries
  bool go_backwards = false;          ///< walk time from the last step to the first
  bool zero_output_for_mask = false;  ///< masked steps output zeros instead of the previous output
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

  RecurrentCore(Eigen::Index input_size, const Config& config, LayerOptions options)
      : config_(config), options_(std::move(options)), weights_(checked(input_size, config, options_)) {}

  const Config& config() const noexcept { return config_; }
  const LayerOptions& options() const noexcept { return options_; }
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
    require_equal(label(), "input features", input_size(), features);
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
  template <class X>
  void run(const Eigen::MatrixBase<X>& x, Eigen::Index batch, Eigen::Index time, const Mask* mask,
           const State* initial, SequenceSink<Scalar> sink) {
    const Eigen::Index width = Cell::gates * units();
    projected_.resize(batch * time, width);
    weights_.project(x, projected_);
    recur(projected_.data(), width, batch, time, mask, initial, sink);
  }

  /// The time loop over an input that is already projected: row `b * time + t` of
  /// `projected` (row stride `ld`) holds `x_t W + b` of sequence b, as `run` computes it.
  /// `Bidirectional` projects both directions with one product and calls this for each.
  void recur(const Scalar* projected, Eigen::Index ld, Eigen::Index batch, Eigen::Index time, const Mask* mask,
             const State* initial, SequenceSink<Scalar> sink) {
    const Eigen::Index u = units();
    const Eigen::Index width = Cell::gates * u;
    for (std::size_t k = 0; k < current_.size(); ++k) {
      if (initial)
        current_[k] = (*initial)[k];
      else
        current_[k].setZero(batch, u);
      next_[k].resize(batch, u);
    }
    last_output_.setZero(batch, u);
    Cell::prepare(workspace_, batch, config_);

    for (Eigen::Index s = 0; s < time; ++s) {
      const Eigen::Index t = options_.go_backwards ? time - 1 - s : s;
      const auto projected_t = strided_rows<Gates>(projected + t * ld, batch, width, time * ld);
      Cell::step(weights_, config_, projected_t, current_, next_, workspace_);
      if (mask) apply_mask(*mask, t);
      current_.swap(next_);
      if (sink.data) {
        const Eigen::Index row = sink.flip ? time - 1 - s : s;
        auto out = strided_rows<Hidden>(sink.data + row * sink.ld, batch, u, time * sink.ld);
        if (mask)
          out = last_output_;
        else
          out = current_[0];
      }
    }
    if (!mask) last_output_ = current_[0];
  }

  const Hidden& last_output() const noexcept { return last_output_; }
  const State& final_state() const noexcept { return current_; }

 private:
  static std::string label(const LayerOptions& o) { return cat("birnn::", Cell::keras_name, " '", o.name, "'"); }

  static Weights checked(Eigen::Index input_size, const Config& c, const LayerOptions& o) {
    check_size(label(o), "input features", input_size_at_compile_time, input_size);
    check_size(label(o), "units", units_at_compile_time, c.units);
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
  // Workspace, reused across calls.
  Gates projected_;
  State current_, next_;
  Hidden last_output_;
  typename Cell::Workspace workspace_;
};

}  // namespace detail
}  // namespace birnn
