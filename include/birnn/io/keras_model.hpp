#pragma once
/// @file
/// Builds a runtime `Model` from the JSON Keras writes: `model.to_json()` of a `Sequential`
/// model, or a list of layers as `layer.get_config()` gives them (each
/// `{class_name, config, build_config}`), plus weights in `get_weights()` order.
///
/// This is the only header of birnn that needs nlohmann_json (Debian `nlohmann-json3-dev`;
/// CMake target `birnn::keras`). It reads each layer's config into a `keras::LayerConfig`
/// (`model/layer_config.hpp`) and builds the model with `Model::add`, as code does: the
/// builder infers every input size. Every layer it makes dispatches to the compile-time
/// templates. Settings birnn does not support are rejected with a `config_error`, never
/// ignored: `stateful`, `unroll`, `time_major`, an unknown activation or layer class.
/// Initializers, regularizers and constraints are accepted and ignored (they do not change
/// loaded weights). A recurrent layer's `dropout`, `recurrent_dropout` and `seed` are read
/// into its `LayerOptions`: they act in training (`Model::forward_train`) and not in
/// `predict`, as in Keras. A rate outside [0, 1) is a `config_error` (Keras clamps it to
/// [0, 1]; a rate of 1 would drop everything). `seed: null` (Keras's default) leaves the
/// seed unset, so the layer derives it from its name (`detail::seed_from_name`): masks are
/// reproducible from run to run, unlike Keras's random default. A `Bidirectional` without a
/// `backward_layer` gives its backward direction the seed
/// `detail::backward_direction_seed(seed)` (or, without a seed, the one of its own name
/// "backward_..."), so the directions draw independent masks.

#include "birnn/errors.hpp"
#include "birnn/math/activation.hpp"
#include "birnn/model/build_layer.hpp"
#include "birnn/model/layer_config.hpp"
#include "birnn/model/model.hpp"

#include <nlohmann/json.hpp>

#include <Eigen/Core>

#include <fstream>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

namespace birnn::keras {

/// Which Keras wrote a config, where the versions differ in meaning (not only in spelling).
/// The file loaders set it from the file's `keras_version`; JSON read directly is Keras 3's.
struct Dialect {
  /// 3: Keras 3. 2: tf.keras 2.x, whose `hard_sigmoid` is `clip(0.2 x + 0.5, 0, 1)`
  /// (`birnn::Activation::hard_sigmoid_keras2`).
  int keras_major = 3;
  /// A GRU config without `reset_after`: Keras 2.3 and later (and Keras 3) default to True,
  /// Keras 2.2 and earlier to False.
  bool gru_reset_after_default = true;
};

namespace detail {

using json = nlohmann::json;
using birnn::detail::cat;

inline std::string label_of(const json& layer) {
  const std::string cls = layer.is_object() && layer.contains("class_name") && layer["class_name"].is_string()
                              ? layer["class_name"].get<std::string>()
                              : std::string("?");
  std::string name = "?";
  if (layer.contains("config") && layer["config"].is_object() && layer["config"].contains("name") &&
      layer["config"]["name"].is_string())
    name = layer["config"]["name"].get<std::string>();
  return cat("birnn::keras: ", cls, " '", name, "'");
}

template <class T>
struct is_integer_list : std::false_type {};
template <class I, class A>
struct is_integer_list<std::vector<I, A>> : std::is_integral<I> {};

/// Whether `v` is an integer, or a list of integers, as `T` asks: nlohmann converts a JSON
/// float to an integer type with a cast, which is undefined for one out of range (1e30).
template <class T>
bool holds_integers_for(const json& v) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    return v.is_number_integer();
  } else if constexpr (is_integer_list<T>::value) {
    if (!v.is_array()) return false;
    for (const auto& e : v)
      if (!e.is_number_integer()) return false;
    return true;
  } else {
    return true;
  }
}

template <class T>
T get(const json& config, const char* key, const T& fallback, const std::string& label) {
  if (!config.contains(key) || config[key].is_null()) return fallback;
  const json& v = config[key];
  const auto wrong = [&] {
    return config_error(cat(label, ": '", key, "' has the wrong type: ", v.dump().substr(0, 120)));
  };
  if (!holds_integers_for<T>(v)) throw wrong();
  try {
    return v.get<T>();
  } catch (const json::exception&) {
    throw wrong();
  }
}

inline birnn::Activation activation(const json& config, const char* key, birnn::Activation fallback, const std::string& label,
                             const Dialect& dialect = {}) {
  if (!config.contains(key)) return fallback;
  if (config[key].is_null()) return birnn::Activation::linear;  // Keras: activation=None is linear
  if (!config[key].is_string())
    throw config_error(cat(label, ": '", key, "': expected an activation name, got ", config[key].dump()));
  try {
    const birnn::Activation a = activation_from_string(config[key].get<std::string>());
    return a == birnn::Activation::hard_sigmoid && dialect.keras_major < 3 ? birnn::Activation::hard_sigmoid_keras2 : a;
  } catch (const config_error& e) {
    throw config_error(cat(label, ": '", key, "': ", e.what()));
  }
}

/// Rejects what birnn does not run.
inline void check_recurrent(const json& c, const std::string& label) {
  if (get(c, "stateful", false, label)) throw config_error(cat(label, ": stateful=True is not supported by birnn"));
  if (get(c, "unroll", false, label)) throw config_error(cat(label, ": unroll=True is not supported by birnn"));
  if (get(c, "time_major", false, label)) throw config_error(cat(label, ": time_major=True is not supported by birnn"));
  if (!c.contains("units") || !c["units"].is_number_integer() || c["units"].get<long long>() <= 0)
    throw config_error(cat(label, ": units: expected a positive integer, got ", c.contains("units") ? c["units"].dump() : "nothing"));
}

/// Keras's `seed`: null (or absent) is unset; an integer (negative ones wrap to 64 bits).
inline std::optional<std::uint64_t> seed(const json& c, const std::string& label) {
  if (!c.contains("seed") || c["seed"].is_null()) return std::nullopt;
  const json& s = c["seed"];
  if (s.is_number_unsigned()) return s.get<std::uint64_t>();
  if (s.is_number_integer()) return static_cast<std::uint64_t>(s.get<std::int64_t>());
  throw config_error(cat(label, ": 'seed': expected an integer or null, got ", s.dump()));
}

/// Runs `make` (a layer's setters) and gives a `config_error` it throws the label of the
/// layer in the file ("birnn::keras: LSTM 'big': dropout: ...") instead of the class's.
template <class F>
decltype(auto) labelled(const std::string& label, const char* cls, F&& make) {
  try {
    return make();
  } catch (const config_error& e) {
    std::string why = e.what();
    const std::string prefix = cat("birnn::keras::", cls, ": ");
    if (why.rfind(prefix, 0) == 0) why.erase(0, prefix.size());
    throw config_error(cat(label, ": ", why));
  }
}

/// A Keras recurrent layer's config (`SimpleRNN`, `LSTM`, `GRU`) as a keras:: layer.
template <class R>
R recurrent(const json& c, const std::string& label, const Dialect& dialect) {
  check_recurrent(c, label);
  const auto units = c["units"].get<Eigen::Index>();
  const birnn::Activation act = activation(c, "activation", birnn::Activation::tanh, label, dialect);
  const double dropout = get(c, "dropout", 0.0, label), recurrent_dropout = get(c, "recurrent_dropout", 0.0, label);
  return labelled(label, R::keras_name, [&] {
    R r(units);
    r.activation(act)
        .use_bias(get(c, "use_bias", true, label))
        .return_sequences(get(c, "return_sequences", false, label))
        .return_state(get(c, "return_state", false, label))
        .zero_output_for_mask(get(c, "zero_output_for_mask", false, label))
        .dropout(dropout)
        .recurrent_dropout(recurrent_dropout)
        .name(get(c, "name", std::string(), label));
    // Absent, it is inferred (inside a Bidirectional, the opposite of the other direction).
    if (c.contains("go_backwards") && !c["go_backwards"].is_null()) r.go_backwards(get(c, "go_backwards", false, label));
    if (const auto s = seed(c, label)) r.seed(*s);
    if constexpr (!std::is_same_v<R, SimpleRNN>)
      r.recurrent_activation(activation(c, "recurrent_activation", birnn::Activation::sigmoid, label, dialect));
    if constexpr (std::is_same_v<R, LSTM>) r.unit_forget_bias(get(c, "unit_forget_bias", true, label));
    if constexpr (std::is_same_v<R, GRU>) r.reset_after(get(c, "reset_after", dialect.gru_reset_after_default, label));
    return r;
  });
}

inline const json& config_of(const json& layer, const std::string& label) {
  if (!layer.is_object() || !layer.contains("config") || !layer["config"].is_object())
    throw config_error(cat(label, ": expected an object with 'class_name' and 'config'"));
  return layer["config"];
}

/// A wrapped recurrent layer (`Bidirectional`'s `layer` or `backward_layer`).
inline RecurrentConfig recurrent_layer(const json& layer, const Dialect& dialect) {
  const std::string label = label_of(layer);
  const json& c = config_of(layer, label);
  const std::string cls = layer.value("class_name", "");
  if (cls == "SimpleRNN") return recurrent<SimpleRNN>(c, label, dialect);
  if (cls == "LSTM") return recurrent<LSTM>(c, label, dialect);
  if (cls == "GRU") return recurrent<GRU>(c, label, dialect);
  // tf.keras 2's cuDNN layers compute LSTM, and GRU with reset_after=True, with the default
  // activations (tanh, sigmoid); their configs have no activation settings.
  if (cls == "CuDNNLSTM" || cls == "CuDNNGRU") {
    json plain = c;
    for (const char* key : {"activation", "recurrent_activation", "reset_after", "use_bias"}) plain.erase(key);
    if (cls == "CuDNNGRU") plain["reset_after"] = true;
    return cls == "CuDNNLSTM" ? RecurrentConfig(recurrent<LSTM>(plain, label, dialect))
                              : RecurrentConfig(recurrent<GRU>(plain, label, dialect));
  }
  throw config_error(cat(label, ": expected a recurrent layer (SimpleRNN, LSTM, GRU, CuDNNLSTM, CuDNNGRU), got '",
                         cls, "'"));
}

inline MergeMode merge_mode(const json& c, const std::string& label) {
  if (!c.contains("merge_mode") || c["merge_mode"].is_null()) {
    // Keras's default is "concat"; an explicit null means no merge.
    return c.contains("merge_mode") ? MergeMode::none : MergeMode::concat;
  }
  const auto m = get(c, "merge_mode", std::string(), label);
  if (m == "concat") return MergeMode::concat;
  if (m == "sum") return MergeMode::sum;
  if (m == "mul") return MergeMode::mul;
  if (m == "ave") return MergeMode::ave;
  throw config_error(cat(label, ": merge_mode: expected concat, sum, mul, ave or None, got '", m, "'"));
}

inline Bidirectional bidirectional(const json& c, const std::string& label, const Dialect& dialect) {
  if (!c.contains("layer")) throw config_error(cat(label, ": expected the wrapped 'layer'"));
  Bidirectional bi = std::visit([](const auto& r) { return Bidirectional(r); }, recurrent_layer(c["layer"], dialect));
  if (c.contains("backward_layer") && !c["backward_layer"].is_null())
    std::visit([&](const auto& r) { bi.backward_layer(r); }, recurrent_layer(c["backward_layer"], dialect));
  bi.merge_mode(merge_mode(c, label)).name(get(c, "name", std::string(), label));
  return bi;
}

/// Keras's normalization `axis`: an integer or a list of one (-1, or the last axis's index).
inline int normalization_axis(const json& c, const std::string& label) {
  if (!c.contains("axis") || c["axis"].is_null()) return -1;
  const json& a = c["axis"];
  const json& one = a.is_array() && a.size() == 1 ? a[0] : a;
  if (!one.is_number_integer())
    throw config_error(cat(label, ": axis: expected the last axis (-1 or a list of it), got ", a.dump()));
  const auto v = one.get<long long>();
  if (v < -1 || v == 0 || v > 64)
    throw config_error(cat(label, ": axis: expected the last axis (-1), got ", a.dump()));
  return static_cast<int>(v);
}

/// Throws unless `c[key]` is absent, null or `expected`: an option birnn runs only one way.
inline void require_default(const json& c, const char* key, const json& expected, const std::string& label) {
  if (c.contains(key) && !c[key].is_null() && c[key] != expected)
    throw config_error(cat(label, ": ", key, "=", c[key].dump(), " is not supported by birnn (expected ",
                           expected.is_null() ? std::string("None") : expected.dump(), ")"));
}

template <class D>
D seeded(D d, const json& c, const std::string& label) {
  if (const auto s = seed(c, label)) d.seed(*s);
  return d;
}

template <class N>
N normalization(const json& c, const std::string& label) {
  return labelled(label, N::keras_name, [&] {
    N n;
    n.axis(normalization_axis(c, label))
        .epsilon(get(c, "epsilon", 1e-3, label))
        .center(get(c, "center", true, label))
        .scale(get(c, "scale", true, label))
        .name(get(c, "name", std::string(), label));
    return n;
  });
}

/// The layers around RNNs (`model/utility_layer_config.hpp`), or nothing for another class.
inline std::optional<LayerConfig> utility_layer_config(const std::string& cls, const json& c, const std::string& label,
                                                       const Dialect& dialect) {
  const std::string name = get(c, "name", std::string(), label);
  auto rate = [&](const char* key) {
    if (!c.contains(key) || !c[key].is_number())
      throw config_error(cat(label, ": ", key, ": expected a number, got ", c.contains(key) ? c[key].dump() : "nothing"));
    return c[key].get<double>();
  };
  if (cls == "Dropout" || cls == "SpatialDropout1D") require_default(c, "noise_shape", json(), label);
  if (cls == "Dropout")
    return labelled(label, "Dropout", [&] { return LayerConfig(seeded(Dropout(rate("rate")), c, label).name(name)); });
  if (cls == "SpatialDropout1D")
    return labelled(label, "SpatialDropout1D",
                    [&] { return LayerConfig(seeded(SpatialDropout1D(rate("rate")), c, label).name(name)); });
  if (cls == "GaussianNoise")
    return labelled(label, "GaussianNoise",
                    [&] { return LayerConfig(seeded(GaussianNoise(rate("stddev")), c, label).name(name)); });
  if (cls == "GaussianDropout")
    return labelled(label, "GaussianDropout",
                    [&] { return LayerConfig(seeded(GaussianDropout(rate("rate")), c, label).name(name)); });
  if (cls == "Activation") {
    if (!c.contains("activation")) throw config_error(cat(label, ": expected an 'activation'"));
    return LayerConfig(Activation(activation(c, "activation", birnn::Activation::linear, label, dialect)).name(name));
  }
  if (cls == "GlobalAveragePooling1D" || cls == "GlobalMaxPooling1D" || cls == "Flatten")
    require_default(c, "data_format", "channels_last", label);
  if (cls == "GlobalAveragePooling1D")
    return LayerConfig(GlobalAveragePooling1D().keepdims(get(c, "keepdims", false, label)).name(name));
  if (cls == "GlobalMaxPooling1D")
    return LayerConfig(GlobalMaxPooling1D().keepdims(get(c, "keepdims", false, label)).name(name));
  if (cls == "Flatten") return LayerConfig(Flatten().name(name));
  if (cls == "Reshape")
    return labelled(label, "Reshape", [&] {
      if (!c.contains("target_shape")) throw config_error(cat(label, ": expected a 'target_shape'"));
      return LayerConfig(Reshape(get(c, "target_shape", Shape(), label)).name(name));
    });
  if (cls == "RepeatVector")
    return labelled(label, "RepeatVector", [&] { return LayerConfig(RepeatVector(get(c, "n", Eigen::Index(0), label)).name(name)); });
  if (cls == "Concatenate")
    return labelled(label, "Concatenate", [&] {
      return LayerConfig(Concatenate().axis(normalization_axis(c, label)).name(name));
    });
  if (cls == "Add") return LayerConfig(Add().name(name));
  if (cls == "Average") return LayerConfig(Average().name(name));
  if (cls == "Multiply") return LayerConfig(Multiply().name(name));
  if (cls == "LayerNormalization") {
    require_default(c, "rms_scaling", false, label);
    return LayerConfig(normalization<LayerNormalization>(c, label));
  }
  if (cls == "BatchNormalization") {
    for (const char* key : {"renorm", "virtual_batch_size", "adjustment"})
      require_default(c, key, std::string(key) == "renorm" ? json(false) : json(), label);
    BatchNormalization bn = normalization<BatchNormalization>(c, label);
    return LayerConfig(labelled(label, "BatchNormalization", [&] { return bn.momentum(get(c, "momentum", 0.99, label)); }));
  }
  return std::nullopt;
}

inline LayerConfig layer_config(const json& layer, const Dialect& dialect = {});

/// `TimeDistributed`'s wrapped layer.
inline TimeDistributed time_distributed(const json& c, const std::string& label, const Dialect& dialect) {
  if (!c.contains("layer")) throw config_error(cat(label, ": expected the wrapped 'layer'"));
  const LayerConfig inner = layer_config(c["layer"], dialect);
  return std::visit(
      [&](const auto& l) -> TimeDistributed {
        using L = std::decay_t<decltype(l)>;
        if constexpr (is_step_layer_v<L>) {
          return TimeDistributed(l).name(get(c, "name", std::string(), label));
        } else {
          throw config_error(cat(label, ": the wrapped layer: expected Dense, Activation, Dropout or "
                                 "LayerNormalization (layers birnn applies to each step), got '",
                                 inner.class_name(), "'"));
        }
      },
      inner.get());
}

/// Keras's `{class_name, config}` of one layer as a `keras::LayerConfig`.
inline LayerConfig layer_config(const json& layer, const Dialect& dialect) {
  if (!layer.is_object() || !layer.contains("class_name") || !layer["class_name"].is_string())
    throw config_error("birnn::keras: a layer must be an object with a string 'class_name', got " +
                       layer.dump().substr(0, 120));
  const std::string label = label_of(layer);
  const json& c = config_of(layer, label);
  const std::string cls = layer.value("class_name", "");
  const std::string name = get(c, "name", std::string(), label);
  if (cls == "Embedding")
    return labelled(label, "Embedding", [&] {
      return Embedding(get(c, "input_dim", Eigen::Index(0), label), get(c, "output_dim", Eigen::Index(0), label))
          .mask_zero(get(c, "mask_zero", false, label))
          .name(name);
    });
  if (cls == "Masking") return Masking(get(c, "mask_value", 0.0, label)).name(name);
  if (cls == "Dense") {
    if (!c.contains("units") || !c["units"].is_number_integer())
      throw config_error(cat(label, ": units: expected a positive integer"));
    return labelled(label, "Dense", [&] {
      return Dense(c["units"].get<Eigen::Index>())
          .activation(activation(c, "activation", birnn::Activation::linear, label, dialect))
          .use_bias(get(c, "use_bias", true, label))
          .name(name);
    });
  }
  if (cls == "Bidirectional") return bidirectional(c, label, dialect);
  if (cls == "TimeDistributed") return time_distributed(c, label, dialect);
  if (auto u = utility_layer_config(cls, c, label, dialect)) return *u;
  if (cls == "SimpleRNN" || cls == "LSTM" || cls == "GRU" || cls == "CuDNNLSTM" || cls == "CuDNNGRU")
    return std::visit([](const auto& r) { return LayerConfig(r); }, recurrent_layer(layer, dialect));
  throw config_error(cat(label, ": layer class '", cls,
                         "' is not supported (expected Embedding, Masking, Dense, SimpleRNN, LSTM, GRU, Bidirectional, TimeDistributed, "
                         "Dropout, SpatialDropout1D, GaussianNoise, GaussianDropout, Activation, GlobalAveragePooling1D, "
                         "GlobalMaxPooling1D, Flatten, Reshape, RepeatVector, LayerNormalization, BatchNormalization, Concatenate, "
                         "Add, Average or Multiply)"));
}

}  // namespace detail

/// The layer Keras's `{class_name, config}` describes, reading `input_shape` (without the batch axis).
/// @throws config_error for an unsupported class or setting, or JSON of the wrong structure;
///         shape_error when the input does not fit.
template <class Scalar>
std::unique_ptr<Layer<Scalar>> layer_from_config(const nlohmann::json& layer, const Shape& input_shape) {
  try {
    const LayerConfig config = detail::layer_config(layer);
    birnn::detail::LayerNames names;
    return build_layer<Scalar>(config, input_shape, names.or_next(config.name(), config.class_name()), names);
  } catch (const nlohmann::json::exception& e) {
    throw config_error(detail::label_of(layer) + ": the config has the wrong structure: " + e.what());
  }
}

/// A shape from JSON (`[null, 6, 4]`), without the batch axis; null is -1.
inline Shape shape_from_json(const nlohmann::json& j, bool has_batch_axis = true) {
  if (!j.is_array()) throw config_error("birnn::keras: a shape must be a list, got " + j.dump());
  Shape s;
  for (std::size_t i = has_batch_axis ? 1 : 0; i < j.size(); ++i) {
    if (!j[i].is_null() && !j[i].is_number_integer())
      throw config_error("birnn::keras: a shape holds integers or null, got " + j.dump());
    s.push_back(j[i].is_null() ? Eigen::Index(-1) : j[i].get<Eigen::Index>());
  }
  return s;
}

template <class Scalar>
Model<Scalar> model_from_config(const nlohmann::json& j, const Dialect& dialect = {});

namespace detail {
template <class Scalar>
Model<Scalar> model_from_config_unchecked(const nlohmann::json& j, const Dialect& dialect);
/// A Functional model's config (`io/keras_functional.hpp`).
template <class Scalar>
Model<Scalar> functional_from_config(const nlohmann::json& j, const Dialect& dialect);
}

/// A model from Keras JSON: `Sequential.to_json()` (an `InputLayer` or the first layer's
/// `build_config` gives the input shape), a list of layer configs with `build_config`, or a
/// Functional model's `to_json()` (Keras 3 or tf.keras 2; `io/keras_functional.hpp`).
/// @throws config_error (also for JSON of the wrong structure), shape_error
template <class Scalar>
Model<Scalar> model_from_config(const nlohmann::json& j, const Dialect& dialect) {
  try {
    return detail::model_from_config_unchecked<Scalar>(j, dialect);
  } catch (const nlohmann::json::exception& e) {
    throw config_error(std::string("birnn::keras: the model config has the wrong structure: ") + e.what());
  }
}

template <class Scalar>
Model<Scalar> detail::model_from_config_unchecked(const nlohmann::json& j, const Dialect& dialect) {
  using namespace detail;
  const json* layers = &j;
  std::string name = "sequential";
  if (j.is_object()) {
    const std::string cls = j.value("class_name", "");
    if (cls == "Functional" || cls == "Model") return functional_from_config<Scalar>(j, dialect);
    if (cls != "Sequential")
      throw config_error("birnn::keras: expected a Sequential or Functional model or a list of layers, got class '" +
                         j.value("class_name", std::string("?")) + "'");
    const json& c = config_of(j, "birnn::keras: Sequential");
    name = get(c, "name", name, "birnn::keras: Sequential");
    if (!c.contains("layers") || !c["layers"].is_array())
      throw config_error("birnn::keras: Sequential: expected a list of 'layers'");
    layers = &c["layers"];
  }
  if (!layers->is_array() || layers->empty()) throw config_error("birnn::keras: expected at least one layer");
  std::size_t first = 0;
  Shape input;
  const json& l0 = (*layers)[0];
  if (l0.value("class_name", "") == "InputLayer") {
    const json& c = config_of(l0, label_of(l0));
    input = shape_from_json(c.contains("batch_shape") ? c["batch_shape"] : c.value("batch_input_shape", json()));
    first = 1;
  } else if (l0.contains("build_config") && l0["build_config"].contains("input_shape")) {
    input = shape_from_json(l0["build_config"]["input_shape"]);
  } else if (const json& c0 = config_of(l0, label_of(l0)); c0.contains("batch_input_shape") || c0.contains("batch_shape")) {
    // Keras 2 (and Keras 3's legacy writer) put the input shape on the first layer itself.
    input = shape_from_json(c0.contains("batch_shape") ? c0["batch_shape"] : c0["batch_input_shape"]);
  } else {
    throw config_error(cat(label_of(l0), ": the model's input shape is unknown (no InputLayer, no build_config)"));
  }
  Model<Scalar> model(input, name);
  for (std::size_t i = first; i < layers->size(); ++i) model.add(layer_config((*layers)[i], dialect));
  return model;
}

/// Weights from JSON: a list of `{shape, data}` (names optional), as the golden cases store them.
template <class Scalar>
std::vector<Tensor<Scalar>> weights_from_json(const nlohmann::json& j) {
  if (!j.is_array()) throw weight_error("birnn::keras: weights must be a list, got " + j.dump().substr(0, 80));
  std::vector<Tensor<Scalar>> w;
  for (const auto& t : j) {
    if (!t.is_object() || !t.contains("shape") || !t.contains("data"))
      throw weight_error("birnn::keras: a weight needs 'shape' and 'data'");
    Tensor<Scalar> x;
    const auto bad = [&] {
      const std::string n = t.contains("name") && t["name"].is_string() ? t["name"].get<std::string>() : "?";
      return weight_error("birnn::keras: weight '" + n +
                          "': 'shape' must be a list of integers from 0 to 2^40 and 'data' a list of numbers");
    };
    // Each dimension an integer in range before nlohmann converts it (a float cast to an
    // integer out of range is undefined).
    if (!t["shape"].is_array()) throw bad();
    for (const auto& d : t["shape"])
      if (!d.is_number_integer() || d.get<long long>() < 0 || d.get<long long>() > (1LL << 40)) throw bad();
    try {
      x.shape = t["shape"].get<std::vector<Eigen::Index>>();
      x.values = t["data"].get<std::vector<Scalar>>();
    } catch (const nlohmann::json::exception&) {
      throw bad();
    }
    w.push_back(std::move(x));
  }
  return w;
}

/// Reads a JSON file. @throws config_error when it cannot be opened or parsed.
inline nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw config_error("birnn::keras: cannot open '" + path + "'");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw config_error("birnn::keras: '" + path + "' is not valid JSON: " + e.what());
  }
}

}  // namespace birnn::keras

#include "birnn/io/keras_functional.hpp"  // IWYU pragma: export
