#pragma once
/// @file
/// The builder's one step: a `keras::LayerConfig` and the shape that reaches it become a
/// runtime layer, as Keras's `build(input_shape)` makes a layer's weights. The input size of
/// every layer comes from that shape; inside a `Bidirectional` the backward layer's
/// `go_backwards` is the opposite of the forward one's; a layer without a name gets the one
/// Keras would give it (`detail::LayerNames`). `Model::add` calls it, and through it
/// `keras::Sequential` and the Keras file readers.

#include "birnn/cells/gru.hpp"
#include "birnn/cells/lstm.hpp"
#include "birnn/cells/simple_rnn.hpp"
#include "birnn/detail/state_tuple.hpp"
#include "birnn/errors.hpp"
#include "birnn/model/layer.hpp"
#include "birnn/model/layer_config.hpp"
#include "birnn/model/merge_layers.hpp"
#include "birnn/model/normalization_layers.hpp"
#include "birnn/model/recurrent_layer.hpp"
#include "birnn/model/time_distributed_layer.hpp"
#include "birnn/model/utility_layers.hpp"

#include <Eigen/Core>

#include <map>
#include <optional>
#include <memory>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace birnn {
namespace detail {

/// Keras's automatic layer names in one model: the class in snake case ("simple_rnn"), then
/// "_1", "_2", ... for the next ones of the class. A name already given to a layer of the
/// model is skipped, so an automatic name never collides with an explicit one.
class LayerNames {
 public:
  /// The next automatic name for the Keras class `keras_class` ("LSTM" gives "lstm", "lstm_1", ...).
  std::string next(const std::string& keras_class) {
    const std::string base = default_layer_name(keras_class);
    int& k = next_[base];
    for (;; ++k) {
      std::string name = k == 0 ? base : cat(base, '_', k);
      if (!taken_.count(name)) {
        ++k;
        return name;
      }
    }
  }
  /// Records `name` as a layer of the model. @throws config_error when one has it already.
  void take(const std::string& model, const std::string& name) {
    if (!taken_.insert(name).second)
      throw config_error(cat("birnn::Model '", model, "': layer name '", name,
                             "': expected a name no other layer of the model has, got one that layer has"));
  }
  /// `given`, or the next automatic name when it is empty.
  std::string or_next(const std::string& given, const std::string& keras_class) {
    return given.empty() ? next(keras_class) : given;
  }

 private:
  std::map<std::string, int> next_;
  std::set<std::string> taken_;
};

/// The dynamic-size birnn cell of a keras:: recurrent layer class.
template <class Scalar, class R>
struct cell_of;
template <class Scalar>
struct cell_of<Scalar, keras::SimpleRNN> { using type = SimpleRNN<Scalar>; };
template <class Scalar>
struct cell_of<Scalar, keras::LSTM> { using type = LSTM<Scalar>; };
template <class Scalar>
struct cell_of<Scalar, keras::GRU> { using type = GRU<Scalar>; };

/// The cell settings of a keras:: recurrent layer.
template <class Scalar, class R>
typename cell_of<Scalar, R>::type::Config cell_config(const R& r) {
  typename cell_of<Scalar, R>::type::Config c;
  c.units = r.units();
  c.activation = r.activation();
  c.use_bias = r.use_bias();
  if constexpr (!std::is_same_v<R, keras::SimpleRNN>) c.recurrent_activation = r.recurrent_activation();
  if constexpr (std::is_same_v<R, keras::LSTM>) c.unit_forget_bias = r.unit_forget_bias();
  if constexpr (std::is_same_v<R, keras::GRU>) c.reset_after = r.reset_after();
  return c;
}

/// The layer arguments of a keras:: recurrent layer, named `name`.
template <class R>
LayerOptions layer_options(const R& r, std::string name, bool go_backwards) {
  LayerOptions o;
  o.name = std::move(name);
  o.go_backwards = go_backwards;
  o.zero_output_for_mask = r.zero_output_for_mask();
  o.dropout = r.dropout();
  o.recurrent_dropout = r.recurrent_dropout();
  o.seed = r.seed();
  return o;
}

inline std::string without_prefix(std::string s, const std::string& prefix) {
  if (s.rfind(prefix, 0) == 0) s.erase(0, prefix.size());
  return s;
}

/// The features of a `{time, features}` input, for a layer that reads sequences.
/// @throws shape_error for another rank or an unknown feature count.
inline Eigen::Index sequence_features(const std::string& label, const Shape& input) {
  if (input.size() != 2)
    throw shape_error(cat(label, ": input: expected (batch, time, features), got ", keras_shape_string(input)));
  if (input[1] < 0) throw shape_error(cat(label, ": input features: expected a known number, got None"));
  return input[1];
}

template <class Scalar>
std::unique_ptr<Layer<Scalar>> build_recurrent(const keras::RecurrentConfig& config, const Shape& input,
                                               const std::string& name) {
  return std::visit(
      [&](const auto& r) -> std::unique_ptr<Layer<Scalar>> {
        using R = std::decay_t<decltype(r)>;
        using Cell = typename cell_of<Scalar, R>::type;
        const Eigen::Index features = sequence_features(cat("birnn::", R::keras_name, " '", name, "'"), input);
        return std::make_unique<RecurrentLayer<Cell>>(features, cell_config<Scalar>(r),
                                                      layer_options(r, name, r.go_backwards().value_or(false)),
                                                      r.return_sequences(), r.return_state());
      },
      config);
}

template <class Scalar>
std::unique_ptr<Layer<Scalar>> build_bidirectional(const keras::Bidirectional& bi, const Shape& input,
                                                   const std::string& name, LayerNames& names) {
  const std::string label = cat("birnn::Bidirectional '", name, "'");
  const Eigen::Index features = sequence_features(label, input);
  const bool with_backward = bi.backward_layer().has_value();
  return std::visit(
      [&](const auto& f) -> std::unique_ptr<Layer<Scalar>> {
        using F = std::decay_t<decltype(f)>;
        using FCell = typename cell_of<Scalar, F>::type;
        // Keras names the wrapped layer first (it is built before the wrapper), then renames
        // it "forward_<name>"; the backward one is "backward_<name>" unless given.
        const std::string inner = names.or_next(f.name(), F::keras_name);
        const bool forward_backwards = f.go_backwards().value_or(false);
        if (!with_backward)
          return std::make_unique<BidirectionalLayer<FCell>>(features, cell_config<Scalar>(f),
                                                             layer_options(f, inner, forward_backwards),
                                                             bi.merge_mode(), f.return_sequences(),
                                                             f.return_state(), name);
        return std::visit(
            [&](const auto& b) -> std::unique_ptr<Layer<Scalar>> {
              using B = std::decay_t<decltype(b)>;
              using BCell = typename cell_of<Scalar, B>::type;
              const std::string bname = names.or_next(b.name(), B::keras_name);
              // Keras's rules for a backward layer: the other direction, the same outputs.
              if (b.go_backwards() && *b.go_backwards() == forward_backwards)
                throw config_error(cat(label, ": backward layer '", bname, "': go_backwards: expected ",
                                       forward_backwards ? "False" : "True", " (the opposite of forward layer '",
                                       inner, "'), got ", forward_backwards ? "True" : "False"));
              if (b.return_sequences() != f.return_sequences())
                throw config_error(cat(label, ": backward layer '", bname, "': return_sequences: expected ",
                                       f.return_sequences() ? "True" : "False", " (as forward layer '", inner,
                                       "'), got ", b.return_sequences() ? "True" : "False"));
              if (b.return_state() != f.return_state())
                throw config_error(cat(label, ": backward layer '", bname, "': return_state: expected ",
                                       f.return_state() ? "True" : "False", " (as forward layer '", inner,
                                       "'), got ", b.return_state() ? "True" : "False"));
              return std::make_unique<BidirectionalLayer<FCell, BCell>>(
                  features, cell_config<Scalar>(f),
                  layer_options(f, "forward_" + without_prefix(inner, "forward_"), forward_backwards),
                  cell_config<Scalar>(b), layer_options(b, bname, !forward_backwards), bi.merge_mode(),
                  f.return_sequences(), f.return_state(), name);
            },
            *bi.backward_layer());
      },
      bi.layer());
}

/// The runtime layer of one of the layers around RNNs (`model/utility_layer_config.hpp`),
/// or null when `v` holds another class.
template <class Scalar>
std::unique_ptr<Layer<Scalar>> make_utility(const keras::LayerConfig::Variant& v, const Shape& input,
                                            const std::string& name) {
  using L = std::unique_ptr<Layer<Scalar>>;
  if (const auto* d = std::get_if<keras::Dropout>(&v))
    return std::make_unique<NoiseLayer<Scalar>>(Noise::dropout, d->rate(), d->seed(), name);
  if (const auto* d = std::get_if<keras::SpatialDropout1D>(&v))
    return std::make_unique<NoiseLayer<Scalar>>(Noise::spatial_dropout, d->rate(), d->seed(), name);
  if (const auto* d = std::get_if<keras::GaussianNoise>(&v))
    return std::make_unique<NoiseLayer<Scalar>>(Noise::gaussian_noise, d->stddev(), d->seed(), name);
  if (const auto* d = std::get_if<keras::GaussianDropout>(&v))
    return std::make_unique<NoiseLayer<Scalar>>(Noise::gaussian_dropout, d->rate(), d->seed(), name);
  if (const auto* a = std::get_if<keras::Activation>(&v))
    return std::make_unique<ActivationLayer<Scalar>>(a->activation(), name);
  if (const auto* p = std::get_if<keras::GlobalAveragePooling1D>(&v))
    return std::make_unique<GlobalPoolingLayer<Scalar>>(true, p->keepdims(), name);
  if (const auto* p = std::get_if<keras::GlobalMaxPooling1D>(&v))
    return std::make_unique<GlobalPoolingLayer<Scalar>>(false, p->keepdims(), name);
  if (std::holds_alternative<keras::Flatten>(v)) return std::make_unique<ReshapeLayer<Scalar>>(Shape{-1}, true, name);
  if (const auto* r = std::get_if<keras::Reshape>(&v))
    return std::make_unique<ReshapeLayer<Scalar>>(r->target_shape(), false, name);
  if (const auto* r = std::get_if<keras::RepeatVector>(&v)) return std::make_unique<RepeatVectorLayer<Scalar>>(r->n(), name);
  auto features = [&](const char* cls, int axis) {
    if (input.empty() || input.back() < 0)
      throw shape_error(cat("birnn::", cls, " '", name, "': input features: expected a known last axis, got ",
                            keras_shape_string(input)));
    if (axis != -1 && axis != static_cast<int>(input.size()))
      throw config_error(cat("birnn::", cls, " '", name, "': axis: expected the last axis (-1 or ", input.size(),
                             " for an input ", keras_shape_string(input), "), got ", axis));
    return input.back();
  };
  if (const auto* n = std::get_if<keras::LayerNormalization>(&v))
    return std::make_unique<LayerNormalizationLayer<Scalar>>(features("LayerNormalization", n->axis()), n->epsilon(), n->center(),
                                                             n->scale(), name);
  if (const auto* n = std::get_if<keras::BatchNormalization>(&v))
    return std::make_unique<BatchNormalizationLayer<Scalar>>(features("BatchNormalization", n->axis()), n->epsilon(), n->center(),
                                                             n->scale(), n->momentum(), name);
  return L();
}

/// The merge kind of `v`, or nothing for a layer that is not a merge.
inline std::optional<Merge> merge_kind(const keras::LayerConfig::Variant& v) {
  if (std::holds_alternative<keras::Concatenate>(v)) return Merge::concatenate;
  if (std::holds_alternative<keras::Add>(v)) return Merge::add;
  if (std::holds_alternative<keras::Average>(v)) return Merge::average;
  if (std::holds_alternative<keras::Multiply>(v)) return Merge::multiply;
  return std::nullopt;
}

/// `make_utility`, checked against the input shape (a shape_error when it does not fit).
template <class Scalar>
std::unique_ptr<Layer<Scalar>> build_utility(const keras::LayerConfig::Variant& v, const Shape& input,
                                             const std::string& name) {
  auto layer = make_utility<Scalar>(v, input, name);
  if (layer) layer->output_shapes(input);
  return layer;
}

}  // namespace detail

/// The runtime layer `config` describes, for an input of shape `input` (without the batch
/// axis), named `name` (`names` gives the names of wrapped layers that have none).
/// @throws shape_error when the input does not fit the layer; config_error for a
///         `keras::Input` (only a model's first entry) or settings that do not fit together.
template <class Scalar>
std::unique_ptr<Layer<Scalar>> build_layer(const keras::LayerConfig& config, const Shape& input,
                                           const std::string& name, detail::LayerNames& names) {
  using detail::cat;
  const auto& v = config.get();
  if (std::holds_alternative<keras::Input>(v))
    throw config_error(cat("birnn::InputLayer '", name, "': expected only as the first entry of keras::Sequential, got "
                           "it after the model's input"));
  if (const auto* e = std::get_if<keras::Embedding>(&v)) {
    if (input.size() != 1)
      throw shape_error(cat("birnn::Embedding '", name, "': input: expected token ids (batch, time), got ",
                            keras_shape_string(input)));
    return std::make_unique<EmbeddingLayer<Scalar>>(
        Embedding<Scalar>(e->input_dim(), e->output_dim(), e->mask_zero(), name));
  }
  if (const auto* m = std::get_if<keras::Masking>(&v)) {
    detail::sequence_features(cat("birnn::Masking '", name, "'"), input);
    return std::make_unique<MaskingLayer<Scalar>>(Masking<Scalar>(static_cast<Scalar>(m->mask_value()), name));
  }
  if (const auto* d = std::get_if<keras::Dense>(&v)) {
    if (input.empty() || input.back() < 0)
      throw shape_error(cat("birnn::Dense '", name, "': input features: expected a known last axis, got ",
                            keras_shape_string(input)));
    return std::make_unique<DenseLayer<Scalar>>(
        Dense<Scalar>(input.back(), d->units(), d->activation(), d->use_bias(), name));
  }
  if (const auto* b = std::get_if<keras::Bidirectional>(&v)) return detail::build_bidirectional<Scalar>(*b, input, name, names);
  if (detail::merge_kind(v))
    throw config_error(cat("birnn::", config.class_name(), " '", name, "': a merge reads two or more inputs: expected ",
                           "it in a Functional model (Model::add(config, {a, b})), got one input"));
  if (const auto* td = std::get_if<keras::TimeDistributed>(&v)) {
    if (input.size() != 2)
      throw shape_error(cat("birnn::TimeDistributed '", name, "': input: expected (batch, time, features), got ",
                            keras_shape_string(input)));
    const keras::LayerConfig inner = std::visit([](const auto& l) { return keras::LayerConfig(l); }, td->layer());
    const std::string inner_name = names.or_next(inner.name(), inner.class_name());
    return std::make_unique<TimeDistributedLayer<Scalar>>(build_layer<Scalar>(inner, input, inner_name, names), name);
  }
  if (auto u = detail::build_utility<Scalar>(v, input, name)) return u;
  if (const auto* r = std::get_if<keras::SimpleRNN>(&v)) return detail::build_recurrent<Scalar>(*r, input, name);
  if (const auto* r = std::get_if<keras::LSTM>(&v)) return detail::build_recurrent<Scalar>(*r, input, name);
  return detail::build_recurrent<Scalar>(std::get<keras::GRU>(v), input, name);
}

/// The runtime merge layer `config` describes (Concatenate, Add, Average, Multiply) for
/// inputs of the shapes `inputs`. @throws config_error for another class; shape_error when
/// the inputs do not fit together.
template <class Scalar>
std::unique_ptr<Layer<Scalar>> build_merge(const keras::LayerConfig& config, const std::vector<Shape>& inputs,
                                           const std::string& name) {
  using detail::cat;
  const auto kind = detail::merge_kind(config.get());
  if (!kind)
    throw config_error(cat("birnn::", config.class_name(), " '", name, "': reads one input, got ", inputs.size(),
                           " (only Concatenate, Add, Average and Multiply merge several)"));
  if (const auto* c = std::get_if<keras::Concatenate>(&config.get()))
    if (c->axis() != -1 && !inputs.empty() && c->axis() != static_cast<int>(inputs.front().size()))
      throw config_error(cat("birnn::Concatenate '", name, "': axis: expected the last axis (-1 or ",
                             inputs.front().size(), "), got ", c->axis()));
  auto layer = std::make_unique<MergeLayer<Scalar>>(*kind, name);
  layer->merged_output_shapes(inputs);
  return layer;
}

}  // namespace birnn
