#pragma once
/// @file
/// The layer graph of a Functional `Model`: which tensors each layer reads, and the forward
/// and backward passes through the graph. Layers are stored in an order where every layer
/// comes after the layers it reads (the builder only lets a layer read tensors that exist),
/// so the forward pass runs them in that order and the backward pass in reverse.

#include "birnn/errors.hpp"
#include "birnn/model/layer.hpp"
#include "birnn/model/utility_layers.hpp"
#include "birnn/train/gradients.hpp"
#include "birnn/types/value.hpp"

#include <Eigen/Core>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace birnn {

/// A tensor of a Functional model: output `output` of the model's layer `layer`, or, for a
/// negative `layer`, the model's input `-1 - layer`. `Model::input(k)` and `Model::add`
/// give them.
struct Node {
  std::ptrdiff_t layer = -1;
  std::size_t output = 0;
  bool is_input() const noexcept { return layer < 0; }
  std::size_t input_index() const noexcept { return static_cast<std::size_t>(-1 - layer); }
  friend bool operator==(const Node& a, const Node& b) noexcept { return a.layer == b.layer && a.output == b.output; }
};

namespace detail {

/// What a Functional model's passes need besides its layers.
template <class Scalar>
struct Graph {
  std::vector<Shape> inputs;               // the model's inputs' shapes
  std::vector<std::vector<Node>> sources;  // per layer, the tensors it reads
  std::vector<Node> outputs;               // the model's outputs
  // The last pass: each layer's outputs' shapes (with the batch axis), whether it ran in
  // training, and the first recurrent layer (which took the initial state).
  std::vector<std::vector<std::vector<Eigen::Index>>> shapes;
  bool trained = false;
  std::size_t state_layer = 0;

  /// Runs every layer; returns the model's outputs and (in `mask`) the first output's mask.
  std::vector<Value<Scalar>> run(std::vector<std::unique_ptr<Layer<Scalar>>>& layers, const std::vector<Flow<Scalar>>& in,
                                 const std::vector<Batch<Scalar>>* initial_state, bool train, std::optional<Mask>& mask,
                                 const std::string& model) {
    if (in.size() != inputs.size())
      throw shape_error(cat("birnn::Model '", model, "': inputs: expected ", inputs.size(), ", got ", in.size()));
    for (std::size_t k = 0; k < in.size(); ++k) {
      const bool ids = inputs[k].size() == 1;
      if (ids != in[k].ids.has_value() || (!ids && in[k].values.size() != 1))
        throw shape_error(cat("birnn::Model '", model, "': input ", k, ": expected ", ids ? "token ids" : "values",
                              " (its shape is ", keras_shape_string(inputs[k]), "), got ",
                              in[k].ids ? "token ids" : "values"));
      if (!ids && (in[k].values.front().rank != static_cast<int>(inputs[k].size()) + 1))
        throw shape_error(cat("birnn::Model '", model, "': input ", k, " rank: expected ", inputs[k].size() + 1,
                              ", got ", in[k].values.front().rank));
    }
    trained = false;
    state_layer = layers.size();
    shapes.assign(layers.size(), {});
    std::vector<Flow<Scalar>> outs(layers.size());
    // How many times each layer output is still to be read: the last read moves it, so a
    // tensor read once (every tensor of a chain) is never copied.
    std::vector<std::vector<int>> reads(layers.size());
    auto count = [&](const Node& n) {
      if (n.is_input()) return;
      auto& r = reads[static_cast<std::size_t>(n.layer)];
      if (r.size() <= n.output) r.resize(n.output + 1, 0);
      ++r[n.output];
    };
    for (const auto& s : sources)
      for (const Node& n : s) count(n);
    for (const Node& n : outputs) count(n);
    auto take = [&](const Node& n) {
      if (n.is_input()) return in[n.input_index()];
      const auto i = static_cast<std::size_t>(n.layer);
      Flow<Scalar> f;
      f.mask = outs[i].mask;
      Value<Scalar>& v = outs[i].values.at(n.output);
      if (--reads[i][n.output] == 0)
        f.values.push_back(std::move(v));
      else
        f.values.push_back(v);
      return f;
    };
    for (std::size_t i = 0; i < layers.size(); ++i) {
      Layer<Scalar>& l = *layers[i];
      Flow<Scalar> f;
      if (sources[i].size() == 1) {
        f = take(sources[i].front());
      } else {
        for (const Node& n : sources[i]) {
          Flow<Scalar> s = take(n);
          f.values.push_back(std::move(s.values.front()));
          f.masks.push_back(std::move(s.mask));
        }
      }
      const bool first_recurrent = l.is_recurrent() && state_layer == layers.size();
      if (first_recurrent) state_layer = i;
      const auto* init = first_recurrent ? initial_state : nullptr;
      outs[i] = train ? l.call_train(f, init) : l.call(f, init);
      for (const auto& v : outs[i].values) shapes[i].push_back(v.shape());
    }
    mask = outputs.front().is_input() ? in[outputs.front().input_index()].mask
                                      : outs[static_cast<std::size_t>(outputs.front().layer)].mask;
    std::vector<Value<Scalar>> result;
    for (const Node& n : outputs) result.push_back(std::move(take(n).values.front()));
    trained = train;
    return result;
  }

  /// Backpropagation through the graph after a training `run`: `cotangents` holds one value
  /// per model output. The input gradient is the first input's (when it holds values).
  train::Gradients<Scalar> backward(std::vector<std::unique_ptr<Layer<Scalar>>>& layers,
                                    const std::vector<Value<Scalar>>& cotangents, const std::string& model) {
    if (!trained)
      throw error(cat("birnn::Model '", model, "': backward: expected a recorded forward pass (call forward_train "
                      "first), got none"));
    if (cotangents.size() != outputs.size())
      throw shape_error(cat("birnn::Model '", model, "': backward: cotangent count: expected ", outputs.size(),
                            " (one per output), got ", cotangents.size()));
    std::vector<std::vector<std::optional<Value<Scalar>>>> d(layers.size());
    for (std::size_t i = 0; i < layers.size(); ++i) d[i].resize(shapes[i].size());
    std::vector<std::optional<Value<Scalar>>> d_in(inputs.size());
    auto accumulate = [&](const Node& n, Value<Scalar> v) {
      auto& slot = n.is_input() ? d_in[n.input_index()] : d[static_cast<std::size_t>(n.layer)][n.output];
      if (slot)
        rows_of(*slot) += rows_of(v);
      else
        slot = std::move(v);
    };
    for (std::size_t k = 0; k < outputs.size(); ++k) accumulate(outputs[k], cotangents[k]);
    train::Gradients<Scalar> g;
    std::vector<std::vector<Tensor<Scalar>>> weights(layers.size());
    for (std::size_t i = layers.size(); i-- > 0;) {
      std::size_t last = 0;
      for (std::size_t t = 0; t < d[i].size(); ++t)
        if (d[i][t]) last = t + 1;
      if (last == 0) {  // nothing reads this layer's outputs: its weights get zero gradients
        for (const auto& s : layers[i]->weight_specs()) {
          Tensor<Scalar> z;
          z.shape = s.shape;
          z.values.assign(static_cast<std::size_t>(z.size()), Scalar(0));
          weights[i].push_back(std::move(z));
        }
        continue;
      }
      std::vector<Value<Scalar>> cot;
      for (std::size_t t = 0; t < last; ++t) cot.push_back(d[i][t] ? std::move(*d[i][t]) : zeros(shapes[i][t]));
      auto lg = layers[i]->backward(cot);
      weights[i] = std::move(lg.weights);
      if (i == state_layer) g.initial_state = std::move(lg.initial_state);
      if (sources[i].size() == 1) {
        if (lg.input) accumulate(sources[i].front(), std::move(*lg.input));
      } else {
        for (std::size_t j = 0; j < sources[i].size() && j < lg.inputs.size(); ++j)
          accumulate(sources[i][j], std::move(lg.inputs[j]));
      }
    }
    for (auto& w : weights)
      for (auto& t : w) g.weights.push_back(std::move(t));
    if (!d_in.empty() && d_in.front() && d_in.front()->rank == 3) g.inputs = std::move(d_in.front()->sequence);
    return g;
  }

  static Value<Scalar> zeros(const std::vector<Eigen::Index>& shape) {
    if (shape.size() == 3) {
      Sequence<Scalar> s(shape[0], shape[1], shape[2]);
      s.matrix().setZero();
      return Value<Scalar>::of(std::move(s));
    }
    return Value<Scalar>::of(Batch<Scalar>(Batch<Scalar>::Zero(shape[0], shape[1])));
  }
};

}  // namespace detail
}  // namespace birnn
