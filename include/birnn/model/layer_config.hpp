#pragma once
/// @file
/// Keras layers as values, to build a runtime `Model` the way Keras code reads:
/// ```cpp
/// namespace k = birnn::keras;
/// auto model = k::Sequential<float>({k::Input({T}), k::Embedding(V, 16).mask_zero(),
///                                    k::Bidirectional(k::LSTM(16).return_sequences().dropout(0.2)),
///                                    k::Dense(tags).activation("softmax")});
/// ```
/// Each class holds what Keras's constructor takes (its `get_config()` without weights), set
/// by chained setters named as Keras's arguments, with Keras's defaults. None of them holds
/// an input size: the builder (`model/build_layer.hpp`) infers it from the layer before, as
/// Keras's `build(input_shape)` does, and also the backward layer's `go_backwards` and every
/// name Keras would give (`lstm`, `lstm_1`, `forward_lstm`, ...). `LayerConfig` holds any
/// of them; `Model::add` and `keras::Sequential` take it, and the Keras file readers in `io/`
/// produce it, so there is one way to make a model.
///
/// Each setting has a setter (a flag's defaults to true: `.return_sequences()`) and a getter
/// of the same name, the `const` overload: read a value through a const reference
/// (`std::as_const(lstm).return_sequences()`), as the builder does.
///
/// A setter given a value Keras would refuse (a rate outside [0, 1), an unknown activation
/// or merge mode, a non-positive size) throws `config_error` at once, naming the layer class.

#include "birnn/errors.hpp"
#include "birnn/math/activation.hpp"
#include "birnn/model/merge_layer_config.hpp"
#include "birnn/model/utility_layer_config.hpp"
#include "birnn/policies/merge.hpp"
#include "birnn/types/value.hpp"

#include <Eigen/Core>

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace birnn::keras {

/// Keras's `None` in a shape: a length known only at run time (`Input({None, 8})`).
inline constexpr Eigen::Index None = -1;

namespace detail {
using birnn::detail::cat;

inline Eigen::Index positive(const char* cls, const char* what, Eigen::Index n) {
  if (n <= 0) throw config_error(cat("birnn::keras::", cls, ": ", what, ": expected a positive number, got ", n));
  return n;
}
inline double rate(const char* cls, const char* what, double r) {
  if (!(r >= 0 && r < 1)) throw config_error(cat("birnn::keras::", cls, ": ", what, ": expected a rate in [0, 1), got ", r));
  return r;
}
inline birnn::Activation activation(const char* cls, const char* what, const std::string& name) {
  try {
    return activation_from_string(name);
  } catch (const config_error& e) {
    throw config_error(cat("birnn::keras::", cls, ": ", what, ": ", e.what()));
  }
}
}  // namespace detail

/// Keras `Input(shape)`: the model's input without the batch axis, `{time}` of token ids
/// before `Embedding`, else `{time, features}`; `None` for a length known only at run time.
class Input {
 public:
  static constexpr const char* keras_name = "InputLayer";
  explicit Input(Shape shape) : shape_(std::move(shape)) {
    if (shape_.empty()) throw config_error("birnn::keras::Input: shape: expected at least one axis, got none");
    for (auto d : shape_)
      if (d == 0 || d < None)
        throw config_error(detail::cat("birnn::keras::Input: shape ", keras_shape_string(shape_),
                                       ": expected positive sizes or None"));
  }
  Input& name(std::string n) { name_ = std::move(n); return *this; }
  const Shape& shape() const noexcept { return shape_; }
  const std::string& name() const noexcept { return name_; }

 private:
  Shape shape_;
  std::string name_;
};

/// Keras `Embedding(input_dim, output_dim, mask_zero=False)`: token ids to vectors.
class Embedding {
 public:
  static constexpr const char* keras_name = "Embedding";
  Embedding(Eigen::Index input_dim, Eigen::Index output_dim)
      : input_dim_(detail::positive("Embedding", "input_dim", input_dim)),
        output_dim_(detail::positive("Embedding", "output_dim", output_dim)) {}
  /// Id 0 is padding: the layer's mask is `id != 0`, and it flows on to the layers after it.
  Embedding& mask_zero(bool on = true) { mask_zero_ = on; return *this; }
  Embedding& name(std::string n) { name_ = std::move(n); return *this; }
  Eigen::Index input_dim() const noexcept { return input_dim_; }
  Eigen::Index output_dim() const noexcept { return output_dim_; }
  bool mask_zero() const noexcept { return mask_zero_; }
  const std::string& name() const noexcept { return name_; }

 private:
  Eigen::Index input_dim_, output_dim_;
  bool mask_zero_ = false;
  std::string name_;
};

/// Keras `Masking(mask_value=0.0)`: a step whose features all equal `mask_value` is masked.
class Masking {
 public:
  static constexpr const char* keras_name = "Masking";
  explicit Masking(double mask_value = 0.0) : mask_value_(mask_value) {}
  Masking& name(std::string n) { name_ = std::move(n); return *this; }
  double mask_value() const noexcept { return mask_value_; }
  const std::string& name() const noexcept { return name_; }

 private:
  double mask_value_;
  std::string name_;
};

/// Keras `Dense(units, activation=None, use_bias=True)`, applied to every step of a sequence.
class Dense {
 public:
  static constexpr const char* keras_name = "Dense";
  explicit Dense(Eigen::Index units) : units_(detail::positive("Dense", "units", units)) {}
  Dense& activation(birnn::Activation a) { activation_ = a; return *this; }
  /// By Keras name: "softmax", "relu", ... (`config_error` for an unknown one).
  Dense& activation(const std::string& a) { return activation(detail::activation("Dense", "activation", a)); }
  Dense& use_bias(bool on = true) { use_bias_ = on; return *this; }
  Dense& name(std::string n) { name_ = std::move(n); return *this; }
  Eigen::Index units() const noexcept { return units_; }
  birnn::Activation activation() const noexcept { return activation_; }
  bool use_bias() const noexcept { return use_bias_; }
  const std::string& name() const noexcept { return name_; }

 private:
  Eigen::Index units_;
  birnn::Activation activation_ = birnn::Activation::linear;
  bool use_bias_ = true;
  std::string name_;
};

/// What Keras's `SimpleRNN`, `LSTM` and `GRU` share: their base `RNN`'s arguments and the
/// cell's `units`, `activation`, `use_bias`, `dropout`, `recurrent_dropout` and `seed`.
/// @tparam Derived  the layer class (the setters return it, so they chain).
template <class Derived>
class Recurrent {
 public:
  Derived& activation(birnn::Activation a) { activation_ = a; return self(); }
  Derived& activation(const std::string& a) {
    return activation(detail::activation(Derived::keras_name, "activation", a));
  }
  Derived& use_bias(bool on = true) { use_bias_ = on; return self(); }
  /// Keras `return_sequences`: output every step `(batch, time, units)`, not only the last.
  Derived& return_sequences(bool on = true) { return_sequences_ = on; return self(); }
  /// Keras `return_state`: also output the final states (Keras's order: h, then c for LSTM).
  Derived& return_state(bool on = true) { return_state_ = on; return self(); }
  /// Keras `go_backwards`. Inside a `Bidirectional` there is no need to set it: the builder
  /// gives the backward layer the opposite of the forward one's.
  Derived& go_backwards(bool on = true) { go_backwards_ = on; return self(); }
  Derived& zero_output_for_mask(bool on = true) { zero_output_for_mask_ = on; return self(); }
  /// Keras `dropout`: the fraction of the input features dropped in training, in [0, 1).
  Derived& dropout(double r) { dropout_ = detail::rate(Derived::keras_name, "dropout", r); return self(); }
  /// Keras `recurrent_dropout`: the fraction of the recurrent state dropped in training, in [0, 1).
  Derived& recurrent_dropout(double r) {
    recurrent_dropout_ = detail::rate(Derived::keras_name, "recurrent_dropout", r);
    return self();
  }
  /// Keras `seed` of the dropout masks; unset, the layer derives one from its name.
  Derived& seed(std::uint64_t s) { seed_ = s; return self(); }
  Derived& name(std::string n) { name_ = std::move(n); return self(); }

  Eigen::Index units() const noexcept { return units_; }
  birnn::Activation activation() const noexcept { return activation_; }
  bool use_bias() const noexcept { return use_bias_; }
  bool return_sequences() const noexcept { return return_sequences_; }
  bool return_state() const noexcept { return return_state_; }
  /// Unset unless a setter set it (the builder infers it inside a `Bidirectional`).
  const std::optional<bool>& go_backwards() const noexcept { return go_backwards_; }
  bool zero_output_for_mask() const noexcept { return zero_output_for_mask_; }
  double dropout() const noexcept { return dropout_; }
  double recurrent_dropout() const noexcept { return recurrent_dropout_; }
  const std::optional<std::uint64_t>& seed() const noexcept { return seed_; }
  const std::string& name() const noexcept { return name_; }

 protected:
  explicit Recurrent(Eigen::Index units) : units_(detail::positive(Derived::keras_name, "units", units)) {}

 private:
  Derived& self() noexcept { return static_cast<Derived&>(*this); }

  Eigen::Index units_;
  birnn::Activation activation_ = birnn::Activation::tanh;
  bool use_bias_ = true;
  bool return_sequences_ = false;
  bool return_state_ = false;
  std::optional<bool> go_backwards_;
  bool zero_output_for_mask_ = false;
  double dropout_ = 0;
  double recurrent_dropout_ = 0;
  std::optional<std::uint64_t> seed_;
  std::string name_;
};

/// Keras `SimpleRNN(units)`.
class SimpleRNN : public Recurrent<SimpleRNN> {
 public:
  static constexpr const char* keras_name = "SimpleRNN";
  explicit SimpleRNN(Eigen::Index units) : Recurrent(units) {}
};

/// What Keras's gated layers (`LSTM`, `GRU`) add: `recurrent_activation`, sigmoid by default.
template <class Derived>
class Gated : public Recurrent<Derived> {
 public:
  Derived& recurrent_activation(birnn::Activation a) {
    recurrent_activation_ = a;
    return static_cast<Derived&>(*this);
  }
  Derived& recurrent_activation(const std::string& a) {
    return recurrent_activation(detail::activation(Derived::keras_name, "recurrent_activation", a));
  }
  birnn::Activation recurrent_activation() const noexcept { return recurrent_activation_; }

 protected:
  using Recurrent<Derived>::Recurrent;

 private:
  birnn::Activation recurrent_activation_ = birnn::Activation::sigmoid;
};

/// Keras `LSTM(units)`; gate order i, f, c, o.
class LSTM : public Gated<LSTM> {
 public:
  static constexpr const char* keras_name = "LSTM";
  explicit LSTM(Eigen::Index units) : Gated(units) {}
  /// Only the initial weights change (forget block of the bias at 1), not loaded ones.
  LSTM& unit_forget_bias(bool on = true) { unit_forget_bias_ = on; return *this; }
  bool unit_forget_bias() const noexcept { return unit_forget_bias_; }

 private:
  bool unit_forget_bias_ = true;
};

/// Keras `GRU(units)`; gate order z, r, h; `reset_after=True` is Keras 3's default.
class GRU : public Gated<GRU> {
 public:
  static constexpr const char* keras_name = "GRU";
  explicit GRU(Eigen::Index units) : Gated(units) {}
  GRU& reset_after(bool on = true) { reset_after_ = on; return *this; }
  bool reset_after() const noexcept { return reset_after_; }

 private:
  bool reset_after_ = true;
};

/// One of Keras's recurrent layers.
using RecurrentConfig = std::variant<SimpleRNN, LSTM, GRU>;

template <class T>
inline constexpr bool is_recurrent_v =
    std::is_same_v<T, SimpleRNN> || std::is_same_v<T, LSTM> || std::is_same_v<T, GRU>;

/// Keras `Bidirectional(layer, merge_mode="concat", backward_layer=None)`. Without a
/// `backward_layer`, the backward direction is `layer` walking time the other way; the
/// directions are named "forward_<name>" and "backward_<name>", as Keras names them.
class Bidirectional {
 public:
  static constexpr const char* keras_name = "Bidirectional";
  template <class R>
  explicit Bidirectional(const R& layer) : layer_(layer) {
    static_assert(is_recurrent_v<R>,
                  "birnn::keras::Bidirectional(layer) requires 'layer' to be a keras::SimpleRNN, LSTM or GRU");
  }
  Bidirectional& merge_mode(MergeMode m) { merge_mode_ = m; return *this; }
  /// By Keras name: "concat", "sum", "mul", "ave", or "None" (no merge: two outputs).
  Bidirectional& merge_mode(const std::string& m) {
    for (auto mode : {MergeMode::concat, MergeMode::sum, MergeMode::mul, MergeMode::ave, MergeMode::none})
      if (m == to_string(mode)) return merge_mode(mode);
    throw config_error(
        detail::cat("birnn::keras::Bidirectional: merge_mode: expected concat, sum, mul, ave or None, got '", m, "'"));
  }
  /// Keras `backward_layer`: another layer for the backward direction (its `go_backwards`,
  /// when not set, is inferred as the opposite of the forward layer's).
  template <class R>
  Bidirectional& backward_layer(const R& layer) {
    static_assert(is_recurrent_v<R>,
                  "birnn::keras::Bidirectional::backward_layer(layer) requires 'layer' to be a keras::SimpleRNN, "
                  "LSTM or GRU");
    backward_layer_ = layer;
    return *this;
  }
  Bidirectional& name(std::string n) { name_ = std::move(n); return *this; }

  const RecurrentConfig& layer() const noexcept { return layer_; }
  const std::optional<RecurrentConfig>& backward_layer() const noexcept { return backward_layer_; }
  MergeMode merge_mode() const noexcept { return merge_mode_; }
  const std::string& name() const noexcept { return name_; }

 private:
  RecurrentConfig layer_;
  std::optional<RecurrentConfig> backward_layer_;
  MergeMode merge_mode_ = MergeMode::concat;
  std::string name_;
};

/// A layer that `TimeDistributed` applies to each step on its own.
using StepConfig = std::variant<Dense, Activation, Dropout, LayerNormalization>;

template <class T>
inline constexpr bool is_step_layer_v = std::is_same_v<T, Dense> || std::is_same_v<T, Activation> ||
                                        std::is_same_v<T, Dropout> || std::is_same_v<T, LayerNormalization>;

/// Keras `TimeDistributed(layer)`: `layer` on every step of `(batch, time, ...)`. birnn
/// applies a `Dense`, `Activation`, `Dropout` or `LayerNormalization` to each step of a
/// sequence by itself, so this wrapper gives the same numbers as the layer alone; it keeps
/// Keras's structure (names, summary, the weights' place in a file). Passes the mask on.
class TimeDistributed {
 public:
  static constexpr const char* keras_name = "TimeDistributed";
  template <class L>
  explicit TimeDistributed(const L& layer) : layer_(layer) {
    static_assert(is_step_layer_v<L>,
                  "birnn::keras::TimeDistributed(layer) requires 'layer' to be a keras::Dense, Activation, Dropout or "
                  "LayerNormalization");
  }
  TimeDistributed& name(std::string n) { name_ = std::move(n); return *this; }
  const StepConfig& layer() const noexcept { return layer_; }
  const std::string& name() const noexcept { return name_; }

 private:
  StepConfig layer_;
  std::string name_;
};

/// Any of the layers above: what `Model::add` and `keras::Sequential` take.
class LayerConfig {
 public:
  using Variant = std::variant<Input, Embedding, Masking, Dense, SimpleRNN, LSTM, GRU, Bidirectional, Dropout,
                               SpatialDropout1D, GaussianNoise, GaussianDropout, Activation, GlobalAveragePooling1D,
                               GlobalMaxPooling1D, Flatten, Reshape, RepeatVector, LayerNormalization,
                               BatchNormalization, TimeDistributed, Concatenate, Add, Average, Multiply>;
  template <class L, class = std::enable_if_t<std::is_constructible_v<Variant, const L&>>>
  LayerConfig(const L& layer) : layer_(layer) {}  // NOLINT(google-explicit-constructor): lists of layers read as Keras's

  const Variant& get() const noexcept { return layer_; }
  /// The Keras class name ("LSTM", "Bidirectional", "InputLayer").
  const char* class_name() const noexcept {
    return std::visit([](const auto& l) { return std::decay_t<decltype(l)>::keras_name; }, layer_);
  }
  /// The name set by `.name(...)`, empty when Keras's default applies.
  const std::string& name() const {
    return std::visit([](const auto& l) -> const std::string& { return l.name(); }, layer_);
  }

 private:
  Variant layer_;
};

}  // namespace birnn::keras
