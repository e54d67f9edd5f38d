#pragma once
/// @file
/// How `Bidirectional` pairs its two directions' options and states: the two layers Keras
/// builds from one (`bidirectional_options`: names, `go_backwards`, seeds), the `state::keep`
/// result in Keras's order (the output(s), the forward states, then the backward states), and
/// the gradients in Keras's order (both layers' weights; initial states `{forward, backward}`).
/// Keras counterpart: the `forward_layer` and `backward_layer` of `keras.layers.Bidirectional`,
/// and its `call` with `return_state=True`.

#include "birnn/detail/dropout_rng.hpp"
#include "birnn/detail/merge_outputs.hpp"
#include "birnn/detail/state_tuple.hpp"
#include "birnn/layers/recurrent_core.hpp"
#include "birnn/train/gradients.hpp"
#include "birnn/types/sequence.hpp"

#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace birnn::detail {

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

/// `Output`, or with `ReturnState` a tuple in Keras's order: output (forward and backward
/// outputs for `merge::none`), forward states, backward states.
template <bool ReturnState, class Merge, class Output, class Cell, class BackwardCell>
using bidirectional_result_t =
    std::conditional_t<ReturnState,
                       decltype(std::tuple_cat(std::declval<typename output_tuple<Merge, Output>::type>(),
                                               std::declval<state_tuple_t<Cell>>(),
                                               std::declval<state_tuple_t<BackwardCell>>())),
                       Output>;

/// The `state::keep` result: `output`, then the forward and the backward direction's final states.
template <class Merge, class Cell, class BackwardCell, class Output>
bidirectional_result_t<true, Merge, Output, Cell, BackwardCell> with_states(Output&& output,
                                                                            const typename Cell::State& forward,
                                                                            const typename BackwardCell::State& backward) {
  return std::tuple_cat(output_tuple<Merge, Output>::make(std::move(output)), to_tuple<Cell>(forward),
                        to_tuple<BackwardCell>(backward));
}

/// The gradients in Keras's order: `d_input`; the forward layer's weights, then the backward
/// layer's (`dwf`, `dwb`, in the layout their configurations give); the initial states,
/// forward then backward (`dif`, `dib`).
template <class Cell, class BackwardCell, class Scalar>
train::Gradients<Scalar> bidirectional_gradients(Sequence<Scalar>&& d_input, const typename Cell::Weights& dwf,
                                                 const typename Cell::Config& forward_config,
                                                 const typename BackwardCell::Weights& dwb,
                                                 const typename BackwardCell::Config& backward_config,
                                                 const typename Cell::State& dif,
                                                 const typename BackwardCell::State& dib) {
  train::Gradients<Scalar> g;
  g.inputs = std::move(d_input);
  g.weights = dwf.get(Cell::bias_rows(forward_config));
  for (auto& t : dwb.get(BackwardCell::bias_rows(backward_config))) g.weights.push_back(std::move(t));
  g.initial_state.assign(dif.begin(), dif.end());
  g.initial_state.insert(g.initial_state.end(), dib.begin(), dib.end());
  return g;
}

}  // namespace birnn::detail
