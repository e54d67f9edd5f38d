#pragma once
/// @file
/// The recurrent layers of a runtime `Model`: `RecurrentLayer<Cell>` (Keras `SimpleRNN`,
/// `LSTM`, `GRU`) and `BidirectionalLayer<Cell, BackwardCell>`. `return_sequences`,
/// `return_state` and the merge mode are runtime settings here; each layer dispatches to the
/// compile-time `Rnn` / `Bidirectional` instantiation for them, so the maths is the
/// templates'. The mask passes on when the layer returns sequences (Keras's rule).
///
/// Dropout: the layers take Keras's `dropout`, `recurrent_dropout` and `seed` in their
/// `LayerOptions` (a `BidirectionalLayer` in the wrapped layer's options, or per direction).
/// `call_train` (what `Model::forward_train` runs) applies them; `call` (`predict`) ignores them.

#include "birnn/detail/merge_outputs.hpp"
#include "birnn/layers/bidirectional.hpp"
#include "birnn/layers/rnn.hpp"
#include "birnn/model/layer.hpp"

#include <Eigen/Core>

#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace birnn {
namespace detail {

/// States [first, first + state_count) of Keras's list of initial states (the caller checked the count).
template <class Cell>
typename Cell::State state_from_list(const std::vector<Batch<typename Cell::Scalar>>& list, std::size_t first) {
  typename Cell::State s;
  for (std::size_t k = 0; k < s.size(); ++k) s[k] = list[first + k];
  return s;
}

/// Appends elements [From, To) of a result tuple (states) as rank-2 values.
template <std::size_t From, std::size_t To, class Tuple, class Scalar>
void append_values(const Tuple& t, std::vector<Value<Scalar>>& out) {
  if constexpr (From < To) {
    out.push_back(Value<Scalar>::of(Batch<Scalar>(std::get<From>(t))));
    append_values<From + 1, To>(t, out);
  }
}

inline std::string recurrent_label(const char* cls, const std::string& name) {
  return cat("birnn::", cls, " '", name, "'");
}

/// Keras's `unit_forget_bias` at initialization: the forget block `[u, 2u)` of an LSTM's
/// bias (the weight at `first + 2`) set to 1. Other cells have no such setting.
template <class Cell, class Scalar>
void apply_unit_forget_bias(const typename Cell::Config& c, std::vector<Tensor<Scalar>>& w, std::size_t first) {
  if constexpr (std::is_same_v<Cell, LSTM<typename Cell::Scalar, Cell::input_size_at_compile_time,
                                          Cell::units_at_compile_time>>) {
    if (!c.use_bias || !c.unit_forget_bias) return;
    auto& bias = w.at(first + 2).values;
    for (Eigen::Index k = c.units; k < 2 * c.units; ++k) bias.at(static_cast<std::size_t>(k)) = Scalar(1);
  }
}

}  // namespace detail

/// A Keras `SimpleRNN`, `LSTM` or `GRU` layer in a runtime model.
template <class Cell>
class RecurrentLayer final : public Layer<typename Cell::Scalar> {
 public:
  using Scalar = typename Cell::Scalar;
  using Config = typename Cell::Config;

  /// @param options  name, `go_backwards`, `zero_output_for_mask`, dropout rates and seed.
  /// @throws config_error as `Rnn`'s constructor (also for a dropout rate outside [0, 1)).
  RecurrentLayer(Eigen::Index input_size, const Config& config, LayerOptions options, bool return_sequences,
                 bool return_state)
      : return_state_(return_state), rnn_(make(input_size, config, std::move(options), return_sequences)) {}

  const std::string& name() const override { return std::visit([](auto& r) -> const std::string& { return r.name(); }, rnn_); }
  std::string class_name() const override { return Cell::keras_name; }
  bool return_sequences() const noexcept { return rnn_.index() == 0; }
  bool return_state() const noexcept { return return_state_; }
  /// The layer's options: name, `go_backwards`, dropout rates, seed.
  const LayerOptions& options() const {
    return std::visit([](auto& r) -> const LayerOptions& { return r.options(); }, rnn_);
  }
  /// The dropout masks of the last `call_train`.
  const typename detail::RecurrentCore<Cell>::DropoutMasks& dropout_masks() const {
    return std::visit([](auto& r) -> const auto& { return r.core().dropout_masks(); }, rnn_);
  }
  /// Restarts the stream of dropout masks from `seed`.
  void reseed(std::uint64_t seed) {
    std::visit([&](auto& r) { r.reseed(seed); }, rnn_);
  }
  Eigen::Index units() const { return std::visit([](auto& r) { return r.units(); }, rnn_); }
  Eigen::Index count_params() const override { return std::visit([](auto& r) { return r.count_params(); }, rnn_); }
  /// Keras's default initializers (see `Layer::initialize`), with LSTM's `unit_forget_bias`.
  void initialize(train::Rng& rng) override {
    Layer<Scalar>::initialize(rng);
    auto w = get_weights();
    std::visit([&](auto& r) { detail::apply_unit_forget_bias<Cell>(r.config(), w, 0); }, rnn_);
    set_weights(w);
  }
  std::vector<WeightSpec> weight_specs() const override {
    return std::visit([](auto& r) { return r.weight_specs(); }, rnn_);
  }
  void set_weights(const std::vector<Tensor<Scalar>>& w) override {
    std::visit([&](auto& r) { r.set_weights(w); }, rnn_);
  }
  std::vector<Tensor<Scalar>> get_weights() const override {
    return std::visit([](auto& r) { return r.get_weights(); }, rnn_);
  }
  std::vector<Shape> output_shapes(const Shape& input) const override {
    const auto label = detail::recurrent_label(Cell::keras_name, name());
    if (input.size() != 2) throw shape_error(detail::cat(label, ": input rank: expected 3, got ", input.size() + 1));
    const Eigen::Index in = std::visit([](auto& r) { return r.input_size(); }, rnn_);
    if (input[1] >= 0) detail::require_equal(label, "input features", in, input[1]);
    std::vector<Shape> out{return_sequences() ? Shape{input[0], units()} : Shape{units()}};
    if (return_state_)
      for (int k = 0; k < Cell::state_count; ++k) out.push_back({units()});
    return out;
  }
  Flow<Scalar> call(const Flow<Scalar>& in, const std::vector<Batch<Scalar>>* initial_state) override {
    return run(in, initial_state, false);
  }
  Flow<Scalar> call_train(const Flow<Scalar>& in, const std::vector<Batch<Scalar>>* initial_state) override {
    return run(in, initial_state, true);
  }
  LayerGradients<Scalar> backward(const std::vector<Value<Scalar>>& cotangents) override {
    const auto label = detail::recurrent_label(Cell::keras_name, name());
    LayerGradients<Scalar> g;
    std::visit(
        [&](auto& r) {
          using R = std::decay_t<decltype(r)>;
          const auto& core = r.core();
          detail::require_recorded(core.recorded(), label);
          const Eigen::Index batch = core.recorded_batch(), time = core.recorded_time(), u = units();
          std::vector<Eigen::Index> shape{batch, u};
          if constexpr (R::return_sequences) shape = {batch, time, u};
          const auto& d = detail::first_cotangent(label, cotangents, shape);
          typename Cell::State ds;
          const bool has_states = cotangents.size() > 1;
          if (has_states)
            for (std::size_t k = 0; k < ds.size(); ++k)
              ds[k] = k + 1 < cotangents.size() ? cotangents[k + 1].matrix : Batch<Scalar>(Batch<Scalar>::Zero(batch, u));
          train::Gradients<Scalar> t;
          if constexpr (R::return_sequences)
            t = r.backward(d.sequence, has_states ? &ds : nullptr);
          else
            t = r.backward(d.matrix, has_states ? &ds : nullptr);
          g.input = Value<Scalar>::of(std::move(t.inputs));
          g.weights = std::move(t.weights);
          g.initial_state = std::move(t.initial_state);
        },
        rnn_);
    return g;
  }

 private:
  Flow<Scalar> run(const Flow<Scalar>& in, const std::vector<Batch<Scalar>>* initial_state, bool train) {
    const auto label = detail::recurrent_label(Cell::keras_name, name());
    const auto& v = detail::single_input(label, in);
    if (v.rank != 3) throw shape_error(detail::cat(label, ": input rank: expected 3, got ", v.rank));
    typename Cell::State init;
    if (initial_state) {
      detail::require_equal(label, "initial state count", static_cast<std::size_t>(Cell::state_count),
                            initial_state->size());
      init = detail::state_from_list<Cell>(*initial_state, 0);
    }
    Flow<Scalar> out;
    std::visit(
        [&](auto& r) {
          const Mask* m = in.mask ? &*in.mask : nullptr;
          auto result = train ? r.forward_train(v.sequence, m, initial_state ? &init : nullptr)
                              : r.call(v.sequence, m, initial_state ? &init : nullptr);
          out.values.push_back(Value<Scalar>::of(std::move(std::get<0>(result))));
          if (return_state_) detail::append_values<1, 1 + Cell::state_count>(result, out.values);
        },
        rnn_);
    if (return_sequences()) out.mask = in.mask;
    return out;
  }

  using AllSteps = Rnn<Cell, sequences::all, state::keep, mask::masked>;
  using LastStep = Rnn<Cell, sequences::last, state::keep, mask::masked>;

  static std::variant<AllSteps, LastStep> make(Eigen::Index input_size, const Config& config, LayerOptions options,
                                               bool return_sequences) {
    if (return_sequences) return std::variant<AllSteps, LastStep>(std::in_place_index<0>, input_size, config, std::move(options));
    return std::variant<AllSteps, LastStep>(std::in_place_index<1>, input_size, config, std::move(options));
  }

  bool return_state_;
  std::variant<AllSteps, LastStep> rnn_;
};

/// A Keras `Bidirectional` layer in a runtime model.
template <class Cell, class BackwardCell = Cell>
class BidirectionalLayer final : public Layer<typename Cell::Scalar> {
 public:
  using Scalar = typename Cell::Scalar;

  /// A Bidirectional layer whose backward layer copies the forward configuration (as Keras
  /// builds it from one `layer`): names "forward_<cell>" and "backward_<cell>". (A template
  /// only so that an explicit instantiation of a pair of different cells skips it.)
  template <class B = BackwardCell>
  BidirectionalLayer(Eigen::Index input_size, const typename Cell::Config& config, MergeMode merge_mode,
                     bool return_sequences, bool return_state = false, std::string name = "bidirectional")
      : BidirectionalLayer(input_size, config, LayerOptions{}, merge_mode, return_sequences, return_state,
                           std::move(name)) {}

  /// The same from the wrapped layer's options `layer` (name, dropout rates, seed), which go to
  /// both directions as `detail::bidirectional_options` says: "forward_<name>" and
  /// "backward_<name>", the backward direction's seed derived from the forward one's.
  /// @throws config_error also for a dropout rate outside [0, 1).
  template <class B = BackwardCell>
  BidirectionalLayer(Eigen::Index input_size, const typename Cell::Config& config, const LayerOptions& layer,
                     MergeMode merge_mode, bool return_sequences, bool return_state = false,
                     std::string name = "bidirectional")
      : BidirectionalLayer(input_size, config, detail::bidirectional_options(layer, Cell::keras_name),
                           same_config<B>(config), merge_mode, return_sequences, return_state, std::move(name)) {}

  BidirectionalLayer(Eigen::Index input_size, const typename Cell::Config& forward_config, LayerOptions forward_options,
                     const typename BackwardCell::Config& backward_config, LayerOptions backward_options,
                     MergeMode merge_mode, bool return_sequences, bool return_state,
                     std::string name = "bidirectional")
      : merge_(merge_mode),
        return_state_(return_state),
        bi_(make(input_size, forward_config, std::move(forward_options), backward_config, std::move(backward_options),
                 return_sequences, std::move(name))) {
    if (merge_ == MergeMode::sum || merge_ == MergeMode::mul || merge_ == MergeMode::ave)
      detail::require_equal<config_error>(label(), "backward layer units (merge needs equal widths)",
                                          forward_units(), backward_units());
  }

  const std::string& name() const override { return std::visit([](auto& b) -> const std::string& { return b.name(); }, bi_); }
  std::string class_name() const override { return "Bidirectional"; }
  MergeMode merge_mode() const noexcept { return merge_; }
  bool return_sequences() const noexcept { return bi_.index() == 0; }
  bool return_state() const noexcept { return return_state_; }
  /// The directions' options: names, `go_backwards`, dropout rates, seeds.
  const LayerOptions& forward_options() const {
    return std::visit([](auto& b) -> const LayerOptions& { return b.forward_layer().options(); }, bi_);
  }
  const LayerOptions& backward_options() const {
    return std::visit([](auto& b) -> const LayerOptions& { return b.backward_layer().options(); }, bi_);
  }
  /// Restarts both directions' streams of dropout masks (see `Bidirectional::reseed`).
  void reseed(std::uint64_t seed) {
    std::visit([&](auto& b) { b.reseed(seed); }, bi_);
  }
  Eigen::Index forward_units() const { return std::visit([](auto& b) { return b.forward_layer().units(); }, bi_); }
  Eigen::Index backward_units() const { return std::visit([](auto& b) { return b.backward_layer().units(); }, bi_); }
  Eigen::Index count_params() const override { return std::visit([](auto& b) { return b.count_params(); }, bi_); }
  /// Keras's default initializers (see `Layer::initialize`) for both directions, with LSTM's
  /// `unit_forget_bias`.
  void initialize(train::Rng& rng) override {
    Layer<Scalar>::initialize(rng);
    auto w = get_weights();
    std::visit(
        [&](auto& b) {
          detail::apply_unit_forget_bias<Cell>(b.forward_layer().config(), w, 0);
          detail::apply_unit_forget_bias<BackwardCell>(b.backward_layer().config(), w,
                                                       b.forward_layer().weight_specs().size());
        },
        bi_);
    set_weights(w);
  }
  std::vector<WeightSpec> weight_specs() const override {
    return std::visit(
        [](auto& b) {
          auto s = b.forward_layer().weight_specs();
          for (auto& w : s) w.name = b.forward_layer().options().name + "/" + w.name;
          for (auto w : b.backward_layer().weight_specs()) {
            w.name = b.backward_layer().options().name + "/" + w.name;
            s.push_back(std::move(w));
          }
          return s;
        },
        bi_);
  }
  void set_weights(const std::vector<Tensor<Scalar>>& w) override {
    std::visit([&](auto& b) { b.set_weights(w); }, bi_);
  }
  void set_worker(Worker* worker) override {
    std::visit([&](auto& b) { b.set_worker(worker); }, bi_);
  }
  std::vector<Tensor<Scalar>> get_weights() const override {
    return std::visit([](auto& b) { return b.get_weights(); }, bi_);
  }
  std::vector<Shape> output_shapes(const Shape& input) const override {
    if (input.size() != 2) throw shape_error(detail::cat(label(), ": input rank: expected 3, got ", input.size() + 1));
    const Eigen::Index in = std::visit([](auto& b) { return b.input_size(); }, bi_);
    if (input[1] >= 0) detail::require_equal(label(), "input features", in, input[1]);
    const auto shape = [&](Eigen::Index u) { return return_sequences() ? Shape{input[0], u} : Shape{u}; };
    std::vector<Shape> out;
    if (merge_ == MergeMode::none) {
      out = {shape(forward_units()), shape(backward_units())};
    } else {
      out = {shape(merge_ == MergeMode::concat ? forward_units() + backward_units() : forward_units())};
    }
    if (return_state_) {
      for (int k = 0; k < Cell::state_count; ++k) out.push_back({forward_units()});
      for (int k = 0; k < BackwardCell::state_count; ++k) out.push_back({backward_units()});
    }
    return out;
  }
  Flow<Scalar> call(const Flow<Scalar>& in, const std::vector<Batch<Scalar>>* initial_state) override {
    return run(in, initial_state, false);
  }
  Flow<Scalar> call_train(const Flow<Scalar>& in, const std::vector<Batch<Scalar>>* initial_state) override {
    return run(in, initial_state, true);
  }
  /// Splits the merged cotangent into the two directions' (concat: columns; sum: both;
  /// ave: halves; mul: times the other direction's recorded output), then the template's backward.
  LayerGradients<Scalar> backward(const std::vector<Value<Scalar>>& cotangents) override {
    LayerGradients<Scalar> g;
    std::visit(
        [&](auto& b) {
          using Bi = std::decay_t<decltype(b)>;
          detail::require_recorded(b.forward_layer().recorded() && b.backward_layer().recorded(), label());
          const Eigen::Index batch = b.forward_layer().recorded_batch(), time = b.forward_layer().recorded_time();
          const Eigen::Index uf = forward_units(), ub = backward_units();
          const Eigen::Index merged = merge_ == MergeMode::concat ? uf + ub : uf;
          auto shape = [&](Eigen::Index u) {
            return Bi::return_sequences ? std::vector<Eigen::Index>{batch, time, u} : std::vector<Eigen::Index>{batch, u};
          };
          auto rows = [](const Value<Scalar>& v) -> const Batch<Scalar>& {
            return v.rank == 3 ? v.sequence.matrix() : v.matrix;
          };
          Batch<Scalar> df, db;
          std::size_t next = 1;
          if (merge_ == MergeMode::none) {
            df = rows(detail::first_cotangent(label(), cotangents, shape(uf)));
            const std::vector<Value<Scalar>> rest(cotangents.begin() + (cotangents.size() > 1 ? 1 : 0), cotangents.end());
            if (cotangents.size() > 1) {
              db = rows(detail::first_cotangent(label(), rest, shape(ub)));
            } else {
              db = Batch<Scalar>::Zero(df.rows(), ub);
            }
            next = 2;
          } else {
            const Batch<Scalar>& d = rows(detail::first_cotangent(label(), cotangents, shape(merged)));
            switch (merge_) {
              case MergeMode::concat:
                df = d.leftCols(uf);
                db = d.rightCols(ub);
                break;
              case MergeMode::sum:
                df = d;
                db = d;
                break;
              case MergeMode::ave:
                df = d * Scalar(0.5);
                db = df;
                break;
              default:  // mul
                df = d.cwiseProduct(recorded_backward_);
                db = d.cwiseProduct(recorded_forward_);
                break;
            }
          }
          typename Bi::Output d_out;
          if constexpr (Bi::return_sequences) {
            d_out.forward = Sequence<Scalar>(batch, time, std::move(df));
            d_out.backward = Sequence<Scalar>(batch, time, std::move(db));
          } else {
            d_out.forward = std::move(df);
            d_out.backward = std::move(db);
          }
          typename Bi::InitialState ds;
          const bool has_states = cotangents.size() > next;
          if (has_states) {
            auto state = [&](std::size_t k, Eigen::Index u) {
              return next + k < cotangents.size() ? cotangents[next + k].matrix : Batch<Scalar>(Batch<Scalar>::Zero(batch, u));
            };
            for (std::size_t k = 0; k < ds.forward.size(); ++k) ds.forward[k] = state(k, uf);
            for (std::size_t k = 0; k < ds.backward.size(); ++k) ds.backward[k] = state(ds.forward.size() + k, ub);
          }
          auto t = b.backward(d_out, has_states ? &ds : nullptr);
          g.input = Value<Scalar>::of(std::move(t.inputs));
          g.weights = std::move(t.weights);
          g.initial_state = std::move(t.initial_state);
        },
        bi_);
    return g;
  }

 private:
  Flow<Scalar> run(const Flow<Scalar>& in, const std::vector<Batch<Scalar>>* initial_state, bool train) {
    const auto& v = detail::single_input(label(), in);
    if (v.rank != 3) throw shape_error(detail::cat(label(), ": input rank: expected 3, got ", v.rank));
    Flow<Scalar> out;
    std::visit(
        [&](auto& b) {
          using Bi = std::decay_t<decltype(b)>;
          typename Bi::InitialState init;
          if (initial_state) {
            // Keras gives the first half of the list to the forward layer, the rest to the backward one.
            detail::require_equal(label(), "initial state count",
                                  static_cast<std::size_t>(Cell::state_count + BackwardCell::state_count),
                                  initial_state->size());
            init.forward = detail::state_from_list<Cell>(*initial_state, 0);
            init.backward = detail::state_from_list<BackwardCell>(*initial_state, Cell::state_count);
          }
          const Mask* m = in.mask ? &*in.mask : nullptr;
          auto result = train ? b.forward_train(v.sequence, m, initial_state ? &init : nullptr)
                              : b.call(v.sequence, m, initial_state ? &init : nullptr);
          if (train && merge_ == MergeMode::mul) {  // the backward of a product needs both factors
            recorded_forward_ = rows_of(std::get<0>(result));
            recorded_backward_ = rows_of(std::get<1>(result));
          }
          merge_into_values(std::get<0>(result), std::get<1>(result), out.values);
          if (return_state_)
            detail::append_values<2, 2 + Cell::state_count + BackwardCell::state_count>(result, out.values);
        },
        bi_);
    if (return_sequences()) out.mask = in.mask;
    return out;
  }

  static const Batch<Scalar>& rows_of(const Sequence<Scalar>& s) { return s.matrix(); }
  static const Batch<Scalar>& rows_of(const Batch<Scalar>& m) { return m; }

  using AllSteps = Bidirectional<Cell, merge::none, sequences::all, state::keep, mask::masked, BackwardCell>;
  using LastStep = Bidirectional<Cell, merge::none, sequences::last, state::keep, mask::masked, BackwardCell>;

  std::string label() const { return detail::cat("birnn::Bidirectional '", name(), "'"); }

  // The directions' pair of options, delegated to the constructor that takes both.
  BidirectionalLayer(Eigen::Index input_size, const typename Cell::Config& config,
                     std::pair<LayerOptions, LayerOptions> options, const typename BackwardCell::Config& backward_config,
                     MergeMode merge_mode, bool return_sequences, bool return_state, std::string name)
      : BidirectionalLayer(input_size, config, std::move(options.first), backward_config, std::move(options.second),
                           merge_mode, return_sequences, return_state, std::move(name)) {}
  template <class B>
  static const typename B::Config& same_config(const typename Cell::Config& c) {
    static_assert(std::is_same_v<Cell, B>,
                  "birnn::BidirectionalLayer<Cell, BackwardCell>: with another BackwardCell, give the backward "
                  "layer's configuration to the constructor");
    return c;
  }

  static std::variant<AllSteps, LastStep> make(Eigen::Index input_size, const typename Cell::Config& fc,
                                               LayerOptions fo, const typename BackwardCell::Config& bc,
                                               LayerOptions bo, bool return_sequences, std::string name) {
    if (return_sequences)
      return std::variant<AllSteps, LastStep>(std::in_place_index<0>, input_size, fc, std::move(fo), bc, std::move(bo),
                                              std::move(name));
    return std::variant<AllSteps, LastStep>(std::in_place_index<1>, input_size, fc, std::move(fo), bc, std::move(bo),
                                            std::move(name));
  }

  // The runtime merge of the two outputs the template returned unmerged (merge::none).
  void merge_into_values(Sequence<Scalar>& f, Sequence<Scalar>& b, std::vector<Value<Scalar>>& out) const {
    if (merge_ == MergeMode::none) {
      out.push_back(Value<Scalar>::of(std::move(f)));
      out.push_back(Value<Scalar>::of(std::move(b)));
    } else if (merge_ == MergeMode::concat) {
      Sequence<Scalar> y(f.batch(), f.time(), f.features() + b.features());
      if (y.matrix().size() != 0) {  // an empty batch or time: no column block of a null matrix
        y.matrix().leftCols(f.features()) = f.matrix();
        y.matrix().rightCols(b.features()) = b.matrix();
      }
      out.push_back(Value<Scalar>::of(std::move(y)));
    } else {
      detail::merge_into(merge_, f.matrix(), b.matrix());
      out.push_back(Value<Scalar>::of(std::move(f)));
    }
  }
  template <class F, class B>
  void merge_into_values(F& f, B& b, std::vector<Value<Scalar>>& out) const {
    if (merge_ == MergeMode::none) {
      out.push_back(Value<Scalar>::of(Batch<Scalar>(f)));
      out.push_back(Value<Scalar>::of(Batch<Scalar>(b)));
    } else if (merge_ == MergeMode::concat) {
      Batch<Scalar> y(f.rows(), f.cols() + b.cols());
      if (y.size() != 0) y << f, b;
      out.push_back(Value<Scalar>::of(std::move(y)));
    } else {
      Batch<Scalar> y = f;
      detail::merge_into(merge_, y, b);
      out.push_back(Value<Scalar>::of(std::move(y)));
    }
  }

  MergeMode merge_;
  bool return_state_;
  std::variant<AllSteps, LastStep> bi_;
  Batch<Scalar> recorded_forward_, recorded_backward_;  // the directions' outputs (merge mul, training)
};

}  // namespace birnn
