#pragma once
/// @file
/// `keras::Sequential`: a runtime `Model` from a list of Keras layers, as Keras's
/// `Sequential([...])` makes one. The list starts with `keras::Input(shape)`; each layer's
/// input size is inferred from the one before (see `model/build_layer.hpp`):
/// ```cpp
/// namespace k = birnn::keras;
/// birnn::Model<float> tagger = k::Sequential<float>(
///     {k::Input({T}), k::Embedding(V, 16).mask_zero(),
///      k::Bidirectional(k::LSTM(16).return_sequences().dropout(0.2).recurrent_dropout(0.2)),
///      k::Dense(tags).activation("softmax")});
/// tagger.summary(std::cout);   // the inferred shapes and parameter counts, as Keras prints them
/// ```

#include "birnn/errors.hpp"
#include "birnn/model/layer_config.hpp"
#include "birnn/model/model.hpp"

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace birnn::keras {

/// A model of `layers`, the first of which is `Input(shape)`, named `name`.
/// @tparam Scalar  float (default) or double.
/// @throws config_error without a leading `Input` or for a layer that cannot follow the one
///         before; shape_error, naming both layers, when a layer cannot read its input.
template <class Scalar = float>
Model<Scalar> Sequential(const std::vector<LayerConfig>& layers, std::string name = "sequential") {
  if (layers.empty() || !std::holds_alternative<Input>(layers.front().get()))
    throw config_error(birnn::detail::cat("birnn::keras::Sequential '", name,
                                          "': expected keras::Input(shape) first, got ",
                                          layers.empty() ? std::string("no layers") : layers.front().class_name()));
  Model<Scalar> model(std::get<Input>(layers.front().get()).shape(), std::move(name));
  for (std::size_t i = 1; i < layers.size(); ++i) model.add(layers[i]);
  return model;
}

/// The same from a braced list: `Sequential<float>({Input({T}), Embedding(V, 16), ...})`.
template <class Scalar = float>
Model<Scalar> Sequential(std::initializer_list<LayerConfig> layers, std::string name = "sequential") {
  return Sequential<Scalar>(std::vector<LayerConfig>(layers), std::move(name));
}

}  // namespace birnn::keras
