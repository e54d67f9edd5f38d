#pragma once
/// @file
/// `Model`: a stack of runtime layers, Keras's `Sequential`. Each layer reads the previous
/// layer's first output and the mask that came with it, as Keras passes them on: `Embedding`
/// (`mask_zero`) and `Masking` make a mask, recurrent layers returning sequences and `Dense`
/// pass it on, the others drop it. `summary()` prints the layers, output shapes and parameter
/// counts in the style of Keras's.
///
/// Training: `forward_train` runs like `predict` and has every layer record what its backward
/// pass needs; `backward(cotangents)` then returns `train::Gradients`: the input's gradient,
/// every weight's in `get_weights()` order, and the initial states' of the first recurrent layer.
/// ```cpp
/// auto y = model.forward_train(x);                       // as predict(x)
/// auto g = model.backward({birnn::Value<float>::of(dy)});   // dL/dy, one per output
/// ```
///
/// Keras's training API on top of that: `initialize(seed)` (Keras's default initializers),
/// `compile(optimizer, loss, metrics)`, `fit(x, y, options)` returning a `train::History`,
/// `evaluate(x, y)`; the weights go to and from files through `io/` (`io::save_weights(model, path)`):
/// ```cpp
/// model.initialize(/*seed*/ 1);
/// model.compile("adam", "binary_crossentropy", {"accuracy"});
/// birnn::train::FitOptions fit;
/// fit.epochs = 5;
/// fit.validation_split = 0.2;
/// birnn::train::History h = model.fit(ids, labels, fit);   // labels: Value (batch, 1)
/// ```
/// A loss on a `return_sequences` output applies to every step; the mask that reaches the
/// output (from `Embedding(mask_zero=True)` or `Masking`) leaves masked steps out, as Keras does.

#include "birnn/errors.hpp"
#include "birnn/model/build_layer.hpp"
#include "birnn/model/layer_config.hpp"
#include "birnn/model/layer.hpp"
#include "birnn/model/graph.hpp"
#include "birnn/model/merge_layers.hpp"
#include "birnn/model/summary.hpp"
#include "birnn/train/batches.hpp"
#include "birnn/train/fit_loop.hpp"
#include "birnn/train/fit_options.hpp"
#include "birnn/train/gradients.hpp"
#include "birnn/train/history.hpp"
#include "birnn/train/initializers.hpp"
#include "birnn/train/losses.hpp"
#include "birnn/train/objective.hpp"
#include "birnn/train/optimizers.hpp"
#include "birnn/train/progress.hpp"
#include "birnn/types/value.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace birnn {

/// A stack of layers.
/// @tparam Scalar  float or double.
template <class Scalar>
class Model {
 public:
  /// A model whose input has `input_shape` without the batch axis: `{time}` of token ids for
  /// a model that starts with `Embedding`, else `{time, features}`; -1 is Keras's `None`.
  explicit Model(Shape input_shape, std::string name = "sequential")
      : name_(std::move(name)), input_shape_(std::move(input_shape)) {}

  /// Appends the layer Keras's `config` describes, inferring its input size from the
  /// previous layer's output (or the model's input) and giving it Keras's name when it has
  /// none (`lstm`, `lstm_1`, ...):
  /// `model.add(keras::Bidirectional(keras::LSTM(16).return_sequences()))`.
  /// @throws shape_error, naming both layers, when it cannot read the previous layer's output;
  ///         config_error when that layer returns several outputs, for a second layer that
  ///         reads token ids, a name the model has already, or settings that do not fit together.
  Layer<Scalar>& add(const keras::LayerConfig& config) {
    if (graph_)
      throw config_error(detail::cat("birnn::Model '", name_, "': a Functional model adds layers with add(config, "
                                     "inputs); got add(config)"));
    const std::string name = names_.or_next(config.name(), config.class_name());
    std::unique_ptr<Layer<Scalar>> layer;
    try {
      check_follows(name, config.class_name(), std::holds_alternative<keras::Embedding>(config.get()));
      layer = build_layer<Scalar>(config, output_shape(), name, names_);
    } catch (const shape_error& e) {
      throw shape_error(wiring(name, config.class_name(), e));
    }
    return add(std::move(layer));
  }

  /// Appends a layer made by hand (e.g. `std::make_unique<DenseLayer<float>>(...)`); checks
  /// that it accepts the previous layer's output.
  /// @throws as the other `add`.
  Layer<Scalar>& add(std::unique_ptr<Layer<Scalar>> layer) {
    if (!layer) throw config_error(detail::cat("birnn::Model '", name_, "': add: expected a layer, got null"));
    if (graph_)
      throw config_error(detail::cat("birnn::Model '", name_, "': a Functional model adds layers with add(config, "
                                     "inputs); got add(layer)"));
    check_follows(layer->name(), layer->class_name(), layer->reads_ids());
    std::vector<Shape> shapes;
    try {
      shapes = layer->output_shapes(output_shape());
    } catch (const shape_error& e) {
      throw shape_error(wiring(layer->name(), layer->class_name(), e));
    }
    names_.take(name_, layer->name());
    shapes_.push_back(shapes.front());
    all_shapes_.push_back(shapes);
    outputs_.push_back(shapes.size());
    layers_.push_back(std::move(layer));
    return *layers_.back();
  }
  /// Constructs a layer of type `L` in place: `model.emplace<DenseLayer<float>>(Dense<float>(64, 1))`.
  template <class L, class... Args>
  L& emplace(Args&&... args) {
    return static_cast<L&>(add(std::make_unique<L>(std::forward<Args>(args)...)));
  }

  // ---- Functional models: a graph of layers, one or more inputs and outputs ------------

  /// A Functional model (Keras's `keras.Model(inputs, outputs)`) whose inputs have the shapes
  /// `inputs` (each as the Sequential constructor's). Layers are added with
  /// `add(config, {nodes})`, then `set_outputs`:
  /// ```cpp
  /// auto m = birnn::Model<float>::functional({{5, 3}, {5, 2}}, "two_inputs");
  /// auto x = m.add(keras::Concatenate(), {m.input(0), m.input(1)});
  /// x = m.add(keras::Bidirectional(keras::GRU(3)), {x});
  /// m.set_outputs({m.add(keras::Dense(2), {x})});
  /// ```
  static Model functional(std::vector<Shape> inputs, std::string name = "functional") {
    if (inputs.empty()) throw config_error(detail::cat("birnn::Model '", name, "': expected at least one input, got none"));
    Model m(inputs.front(), std::move(name));
    m.graph_.emplace();
    m.graph_->inputs = std::move(inputs);
    return m;
  }
  bool is_functional() const noexcept { return graph_.has_value(); }
  /// The shapes of the model's inputs (one for a Sequential model).
  std::vector<Shape> input_shapes() const { return graph_ ? graph_->inputs : std::vector<Shape>{input_shape_}; }
  /// The model's input `k`, as a node layers can read.
  Node input(std::size_t k) const {
    if (!graph_ || k >= graph_->inputs.size())
      throw config_error(detail::cat("birnn::Model '", name_, "': input ", k, ": expected one of its ",
                                     graph_ ? graph_->inputs.size() : 0, " Functional inputs"));
    return Node{-1 - static_cast<std::ptrdiff_t>(k), 0};
  }
  /// Output `output` of layer `layer` (a layer returning several: Bidirectional(merge None), return_state).
  Node node(std::size_t layer, std::size_t output = 0) const {
    if (layer >= layers_.size() || output >= outputs_[layer])
      throw config_error(detail::cat("birnn::Model '", name_, "': node (", layer, ", ", output,
                                     "): expected an existing layer's output"));
    return Node{static_cast<std::ptrdiff_t>(layer), output};
  }
  /// Adds the layer `config` describes, reading `inputs` (one node, or two or more for a
  /// merge); returns its first output. @throws as `add(config)`, and config_error for a node
  /// of another model or a layer that reads token ids from anything but an input.
  Node add(const keras::LayerConfig& config, const std::vector<Node>& inputs) {
    require_functional("add(config, inputs)");
    const std::string name = names_.or_next(config.name(), config.class_name());
    std::vector<Shape> shapes;
    for (const Node& n : inputs) shapes.push_back(shape_of(n, name));
    if (shapes.empty()) throw config_error(detail::cat("birnn::Model '", name_, "': layer '", name, "': expected inputs"));
    std::unique_ptr<Layer<Scalar>> layer;
    try {
      layer = shapes.size() == 1 ? build_layer<Scalar>(config, shapes.front(), name, names_)
                                 : build_merge<Scalar>(config, shapes, name);
      for (std::size_t k = 0; k < inputs.size(); ++k) {
        const bool ids = inputs[k].is_input() && graph_->inputs[inputs[k].input_index()].size() == 1;
        if (ids != layer->reads_ids())
          throw config_error(detail::cat("birnn::Model '", name_, "': layer '", name, "' (", config.class_name(), ") ",
                                         layer->reads_ids() ? "reads token ids: expected a model input of token ids"
                                                            : "reads values: expected them, got the token ids of",
                                         layer->reads_ids() ? "" : " input ",
                                         layer->reads_ids() ? "" : std::to_string(inputs[k].input_index())));
      }
      const std::vector<Shape> out = layer->merged_output_shapes(shapes);
      names_.take(name_, layer->name());
      graph_->sources.push_back(inputs);
      shapes_.push_back(out.front());
      all_shapes_.push_back(out);
      outputs_.push_back(out.size());
      layers_.push_back(std::move(layer));
    } catch (const shape_error& e) {
      throw shape_error(detail::cat("birnn::Model '", name_, "': layer '", name, "' (", config.class_name(),
                                    ") cannot read its inputs: ", e.what()));
    }
    return Node{static_cast<std::ptrdiff_t>(layers_.size() - 1), 0};
  }
  /// The model's outputs (Keras's `outputs`), in order.
  void set_outputs(std::vector<Node> outputs) {
    require_functional("set_outputs");
    if (outputs.empty()) throw config_error(detail::cat("birnn::Model '", name_, "': set_outputs: expected at least one"));
    for (const Node& n : outputs) shape_of(n, "output");
    graph_->outputs = std::move(outputs);
  }
  /// Runs a Functional model on one flow per input (`Flow<Scalar>::of(ids)`, or
  /// `Flow<Scalar>::of(x, mask)` for values); returns its outputs.
  std::vector<Value<Scalar>> predict(const std::vector<Flow<Scalar>>& inputs,
                                     const std::vector<Batch<Scalar>>* initial_state = nullptr) {
    return run_inputs(inputs, initial_state, false);
  }
  std::vector<Value<Scalar>> forward_train(const std::vector<Flow<Scalar>>& inputs,
                                           const std::vector<Batch<Scalar>>* initial_state = nullptr) {
    return run_inputs(inputs, initial_state, true);
  }

  const std::string& name() const noexcept { return name_; }
  std::size_t size() const noexcept { return layers_.size(); }
  Layer<Scalar>& layer(std::size_t i) { return *layers_.at(i); }
  const Layer<Scalar>& layer(std::size_t i) const { return *layers_.at(i); }
  const Shape& input_shape() const noexcept { return input_shape_; }
  /// The shape of the last layer's (first) output, without the batch axis.
  const Shape& output_shape() const noexcept { return shapes_.empty() ? input_shape_ : shapes_.back(); }
  /// The shape of layer `i`'s (first) output, without the batch axis.
  const Shape& output_shape(std::size_t i) const { return shapes_.at(i); }

  /// Lets every Bidirectional layer run its backward direction on `worker` (nullptr: off).
  void set_worker(Worker* worker) {
    for (auto& l : layers_) l->set_worker(worker);
  }

  Eigen::Index count_params() const {
    Eigen::Index n = 0;
    for (const auto& l : layers_) n += l->count_params();
    return n;
  }

  /// The parameters no optimizer changes (BatchNormalization's moving statistics).
  Eigen::Index non_trainable_params() const {
    Eigen::Index n = 0;
    for (const auto& l : layers_) n += l->non_trainable_params();
    return n;
  }

  /// Sets every layer's weights from one list in Keras `model.get_weights()` order.
  /// @throws weight_error for a wrong count or shape.
  void set_weights(const std::vector<Tensor<Scalar>>& w) {
    std::size_t expected = 0;
    for (const auto& l : layers_) expected += l->weight_specs().size();
    detail::check_weight_count(detail::cat("birnn::Model '", name_, "'"), w, expected);
    auto it = w.begin();
    for (auto& l : layers_) {
      const auto n = static_cast<std::ptrdiff_t>(l->weight_specs().size());
      l->set_weights(std::vector<Tensor<Scalar>>(it, it + n));
      it += n;
    }
  }
  std::vector<Tensor<Scalar>> get_weights() const {
    std::vector<Tensor<Scalar>> w;
    for (const auto& l : layers_)
      for (auto& t : l->get_weights()) w.push_back(std::move(t));
    return w;
  }

  /// Runs the model on values `(batch, time, features)`. `mask` and `initial_state` go to the
  /// first layer that takes them (a recurrent layer); returns the last layer's outputs.
  std::vector<Value<Scalar>> predict(const Sequence<Scalar>& x, const std::optional<Mask>& mask = std::nullopt,
                                     const std::vector<Batch<Scalar>>* initial_state = nullptr) {
    auto in = values_flow(x, mask);
    return run(in, initial_state, false);
  }
  /// Runs a model that starts with `Embedding` on token ids `(batch, time)`.
  std::vector<Value<Scalar>> predict(const TokenIds& ids, const std::vector<Batch<Scalar>>* initial_state = nullptr) {
    auto in = ids_flow(ids);
    return run(in, initial_state, false);
  }

  /// Runs like `predict` and records, in every layer, what `backward` needs.
  /// @throws as `predict`; config_error for a layer without a backward pass.
  std::vector<Value<Scalar>> forward_train(const Sequence<Scalar>& x, const std::optional<Mask>& mask = std::nullopt,
                                           const std::vector<Batch<Scalar>>* initial_state = nullptr) {
    auto in = values_flow(x, mask);
    return run(in, initial_state, true);
  }
  /// `forward_train` for a model that starts with `Embedding`, on token ids `(batch, time)`.
  std::vector<Value<Scalar>> forward_train(const TokenIds& ids, const std::vector<Batch<Scalar>>* initial_state = nullptr) {
    auto in = ids_flow(ids);
    return run(in, initial_state, true);
  }

  /// The gradients of `L = sum over outputs k of sum(output_k * cotangents[k])` after
  /// `forward_train`, by backpropagation through every layer: `cotangents` holds one value
  /// per output of the last layer (Keras's order, each shaped like its output).
  /// `inputs` is empty for token ids; `initial_state` is the first recurrent layer's.
  /// @throws error when no pass was recorded; shape_error for a wrong cotangent count or shape.
  train::Gradients<Scalar> backward(const std::vector<Value<Scalar>>& cotangents) {
    if (graph_) return graph_->backward(layers_, cotangents, name_);
    if (!trained_)
      throw error(detail::cat("birnn::Model '", name_, "': backward: expected a recorded forward pass (call "
                              "forward_train first), got none"));
    if (cotangents.size() != outputs_.back())
      throw shape_error(detail::cat("birnn::Model '", name_, "': backward: cotangent count: expected ", outputs_.back(),
                                    " (one per output), got ", cotangents.size()));
    train::Gradients<Scalar> g;
    std::vector<std::vector<Tensor<Scalar>>> weights(layers_.size());
    std::vector<Value<Scalar>> d = cotangents;
    for (std::size_t i = layers_.size(); i-- > 0;) {
      auto lg = layers_[i]->backward(d);
      weights[i] = std::move(lg.weights);
      if (i == state_layer_) g.initial_state = std::move(lg.initial_state);
      if (i > 0) {
        d.clear();
        d.push_back(std::move(*lg.input));
      } else if (lg.input && lg.input->rank == 3) {
        g.inputs = std::move(lg.input->sequence);
      }
    }
    for (auto& w : weights)
      for (auto& t : w) g.weights.push_back(std::move(t));
    return g;
  }

  // ---- Training: Keras's compile / fit / evaluate --------------------------------------

  /// Sets every weight by Keras's default initializers (kernels glorot_uniform, recurrent
  /// kernels orthogonal, biases zeros with LSTM's forget block at 1 when `unit_forget_bias`,
  /// embeddings uniform in [-0.05, 0.05]), drawn from `seed`: the same seed gives the same weights.
  void initialize(std::uint64_t seed) {
    train::Rng rng(seed);
    for (auto& l : layers_) {
      train::Rng layer_rng = rng.split();
      l->initialize(layer_rng);
    }
  }

  /// Keras's `compile`: the optimizer, the loss and the metrics ("accuracy" or none) of `fit`.
  /// @throws config_error for a null optimizer or an unknown metric.
  void compile(std::unique_ptr<train::Optimizer<Scalar>> optimizer, train::Loss<Scalar> loss,
               std::vector<std::string> metrics = {}) {
    if (!optimizer) throw config_error(detail::cat("birnn::Model '", name_, "': compile: expected an optimizer, got null"));
    for (const auto& m : metrics)
      if (m != "accuracy" && m != "acc")
        throw config_error(detail::cat("birnn::Model '", name_, "': compile: metric: expected \"accuracy\", got '", m,
                                       "'"));
    optimizer_ = std::move(optimizer);
    loss_ = std::move(loss);
    accuracy_ = !metrics.empty();
  }
  /// `compile` by Keras names: `compile("adam", "sparse_categorical_crossentropy", {"accuracy"})`,
  /// with Keras's default settings for the optimizer and `from_logits = false`.
  void compile(const std::string& optimizer, const std::string& loss, std::vector<std::string> metrics = {}) {
    compile(train::make_optimizer<Scalar>(optimizer), train::Loss<Scalar>::from_name(loss), std::move(metrics));
  }
  bool compiled() const noexcept { return optimizer_ != nullptr; }
  train::Optimizer<Scalar>& optimizer() {
    require_compiled("optimizer");
    return *optimizer_;
  }
  const train::Loss<Scalar>& loss() const noexcept { return loss_; }

  /// Keras's `fit` on token ids `(samples, time)` (a model that starts with `Embedding`).
  /// `y` holds the targets: `(samples, k)`, or `(samples, time, k)` for a sequence output;
  /// class ids (k = 1) for sparse_categorical_crossentropy.
  /// @throws config_error when not compiled or for bad options; shape_error for targets
  ///         that do not fit the output; as `forward_train` and the loss otherwise.
  train::History fit(const TokenIds& x, const Value<Scalar>& y, const train::FitOptions& options = {}) {
    return fit_rows(x, nullptr, y, options);
  }
  /// Keras's `fit` on values `(samples, time, features)`, with an optional mask `(samples, time)`.
  train::History fit(const Sequence<Scalar>& x, const Value<Scalar>& y, const train::FitOptions& options = {},
                     const std::optional<Mask>& mask = std::nullopt) {
    return fit_rows(x, mask ? &*mask : nullptr, y, options);
  }

  /// Keras's `evaluate`: the loss (and accuracy) over all samples, batch by batch, at inference
  /// (no dropout). Returns {"loss": ..., "accuracy": ...}.
  std::map<std::string, double> evaluate(const TokenIds& x, const Value<Scalar>& y, Eigen::Index batch_size = 32) {
    return evaluate_rows(x, nullptr, y, all_rows(train::samples(x)), batch_size, "evaluate");
  }
  std::map<std::string, double> evaluate(const Sequence<Scalar>& x, const Value<Scalar>& y,
                                         Eigen::Index batch_size = 32, const std::optional<Mask>& mask = std::nullopt) {
    return evaluate_rows(x, mask ? &*mask : nullptr, y, all_rows(train::samples(x)), batch_size, "evaluate");
  }

  /// One training step on one batch: forward (recorded, with dropout), loss, backward, and
  /// the optimizer's update. `x` is `TokenIds` (then `mask` must be null) or a `Sequence`.
  /// Returns the batch's loss and adds its accuracy to `accuracy` (when not null).
  template <class X>
  Scalar train_step(const X& x, const Mask* mask, const Value<Scalar>& y, train::AccuracyCount* accuracy = nullptr) {
    require_compiled("train_step");
    std::vector<Value<Scalar>> out;
    if constexpr (std::is_same_v<X, TokenIds>) {
      if (mask)
        throw mask_error(detail::cat("birnn::Model '", name_, "': train_step: a model on token ids takes its mask "
                                     "from Embedding(mask_zero=True); expected no mask, got one"));
      out = forward_train(x);
    } else {
      out = mask ? forward_train(x, *mask) : forward_train(x);
    }
    Value<Scalar> d = cotangent_shape(out.front());
    const Scalar l = objective(out.front(), y, &d, accuracy);
    auto g = backward({std::move(d)});
    auto params = get_weights();
    optimizer_->apply(params, g.weights);
    set_weights(params);
    return l;
  }

  /// Keras-style summary: one row per layer (name and class, output shape, parameters), totals.
  void summary(std::ostream& os) const { detail::write_summary(os, *this); }
  std::string summary() const {
    std::ostringstream os;
    summary(os);
    return os.str();
  }

 private:
  // Throws unless a layer `name` of class `cls` may follow the last one: one output before it,
  // and token ids read only by the first layer.
  void check_follows(const std::string& name, const std::string& cls, bool reads_ids) const {
    if (layers_.empty()) return;
    const auto& prev = *layers_.back();
    if (outputs_.back() > 1)
      throw config_error(detail::cat("birnn::Model '", name_, "': layer '", name, "' (", cls, ") follows '",
                                     prev.name(), "' (", prev.class_name(), "), which returns ", outputs_.back(),
                                     " outputs (merge_mode None or return_state); expected 1"));
    if (reads_ids)
      throw config_error(detail::cat("birnn::Model '", name_, "': layer '", name, "' (", cls,
                                     ") reads token ids, so it must be the first layer; got it after '", prev.name(),
                                     "' (", prev.class_name(), ")"));
  }
  // The message of a layer that cannot read what reaches it: both layers and the shape.
  std::string wiring(const std::string& name, const std::string& cls, const shape_error& e) const {
    const std::string from = layers_.empty() ? std::string("the model's input")
                                             : detail::cat("'", layers_.back()->name(), "' (",
                                                           layers_.back()->class_name(), ")");
    return detail::cat("birnn::Model '", name_, "': layer '", name, "' (", cls, ") cannot follow ", from,
                       ", whose output is ", keras_shape_string(output_shape()), ": ", e.what());
  }

  // The model's input as a flow, after checking it is what the first layer reads.
  Flow<Scalar> values_flow(const Sequence<Scalar>& x, const std::optional<Mask>& mask) const {
    if (!graph_ && !layers_.empty() && layers_.front()->reads_ids())
      throw shape_error(detail::cat("birnn::Model '", name_, "': the first layer '", layers_.front()->name(),
                                    "' reads token ids; expected token ids, got values"));
    Flow<Scalar> in;
    in.values.push_back(Value<Scalar>::of(x));
    in.mask = mask;
    return in;
  }
  Flow<Scalar> ids_flow(const TokenIds& ids) const {
    if (!graph_ && !layers_.empty() && !layers_.front()->reads_ids())
      throw shape_error(detail::cat("birnn::Model '", name_, "': token ids need an Embedding first layer; the first "
                                    "layer '", layers_.front()->name(), "' reads values"));
    Flow<Scalar> in;
    in.ids = ids;
    return in;
  }

  void require_compiled(const char* what) const {
    if (!optimizer_)
      throw config_error(detail::cat("birnn::Model '", name_, "': ", what,
                                     ": expected a compiled model (call compile first), got none"));
  }
  static train::Rows all_rows(Eigen::Index n) {
    train::Rows r(static_cast<std::size_t>(n));
    for (Eigen::Index k = 0; k < n; ++k) r[static_cast<std::size_t>(k)] = k;
    return r;
  }
  std::vector<Value<Scalar>> predict_any(const TokenIds& x, const Mask*) { return predict(x); }
  std::vector<Value<Scalar>> predict_any(const Sequence<Scalar>& x, const Mask* m) {
    return m ? predict(x, *m) : predict(x);
  }
  static Value<Scalar> cotangent_shape(const Value<Scalar>& y) {
    if (y.rank == 3) return Value<Scalar>::of(Sequence<Scalar>(y.sequence.batch(), y.sequence.time(), y.sequence.features()));
    return Value<Scalar>::of(Batch<Scalar>(y.matrix.rows(), y.matrix.cols()));
  }

  // The loss of one batch's output against its targets (and, with `d`, its gradient).
  Scalar objective(const Value<Scalar>& out, const Value<Scalar>& y, Value<Scalar>* d, train::AccuracyCount* accuracy) {
    return train::batch_objective(loss_, accuracy_ ? accuracy : nullptr, output_mask_, out, y, d,
                                  detail::cat("birnn::Model '", name_, "'"));
  }

  template <class X>
  void check_fit_data(const X& x, const Mask* mask, const Value<Scalar>& y, const char* what) const {
    const std::string label = detail::cat("birnn::Model '", name_, "': ", what);
    const Eigen::Index n = train::samples(x);
    if (n <= 0) throw shape_error(detail::cat(label, ": samples: expected at least 1, got ", n));
    if (y.batch() != n) throw shape_error(detail::cat(label, ": target samples: expected ", n, ", got ", y.batch()));
    if (mask && mask->rows() != n)
      throw mask_error(detail::cat(label, ": mask rows: expected ", n, ", got ", mask->rows()));
  }

  template <class X>
  train::History fit_rows(const X& x, const Mask* mask, const Value<Scalar>& y, const train::FitOptions& o) {
    require_compiled("fit");
    check_fit_data(x, mask, y, "fit");
    return train::fit_loop<Scalar>(
        *this, x, mask, y, o, accuracy_, detail::cat("birnn::Model '", name_, "': fit"),
        [&](const auto& xb, const Mask* mb, const Value<Scalar>& yb, train::AccuracyCount* acc) {
          return train_step(xb, mb, yb, acc);
        },
        [&](const train::Rows& rows) { return evaluate_rows(x, mask, y, rows, o.batch_size, "fit (validation)"); });
  }

  template <class X>
  std::map<std::string, double> evaluate_rows(const X& x, const Mask* mask, const Value<Scalar>& y,
                                              const train::Rows& rows, Eigen::Index batch_size, const char* what) {
    require_compiled(what);
    check_fit_data(x, mask, y, what);
    if (batch_size <= 0)
      throw config_error(detail::cat("birnn::Model '", name_, "': ", what, ": batch_size: expected at least 1, got ",
                                     batch_size));
    double loss_sum = 0, weight_sum = 0;
    train::AccuracyCount acc;
    for (std::size_t first = 0; first < rows.size(); first += static_cast<std::size_t>(batch_size)) {
      const auto last = std::min(rows.size(), first + static_cast<std::size_t>(batch_size));
      const train::Rows part(rows.begin() + static_cast<std::ptrdiff_t>(first),
                             rows.begin() + static_cast<std::ptrdiff_t>(last));
      std::vector<Value<Scalar>> out;
      if (mask) {
        const Mask mb = train::take(*mask, part);
        out = predict_any(train::take(x, part), &mb);
      } else {
        out = predict_any(train::take(x, part), nullptr);
      }
      const Scalar l = objective(out.front(), train::take(y, part), nullptr, &acc);
      loss_sum += static_cast<double>(l) * static_cast<double>(part.size());
      weight_sum += static_cast<double>(part.size());
    }
    std::map<std::string, double> r{{"loss", weight_sum > 0 ? loss_sum / weight_sum : 0.0}};
    if (accuracy_) r["accuracy"] = acc.result();
    return r;
  }

  std::vector<Value<Scalar>> run(Flow<Scalar>& flow, const std::vector<Batch<Scalar>>* initial_state,
                                 bool train = false) {
    if (layers_.empty()) throw config_error(detail::cat("birnn::Model '", name_, "': the model has no layers"));
    if (graph_) return run_inputs({std::move(flow)}, initial_state, train);
    trained_ = false;
    state_layer_ = layers_.size();
    for (std::size_t i = 0; i < layers_.size(); ++i) {
      auto& l = layers_[i];
      const bool first_recurrent = l->is_recurrent() && state_layer_ == layers_.size();
      if (first_recurrent) state_layer_ = i;
      const auto* init = first_recurrent ? initial_state : nullptr;
      flow = train ? l->call_train(flow, init) : l->call(flow, init);
    }
    trained_ = train;
    output_mask_ = std::move(flow.mask);
    return std::move(flow.values);
  }

  std::vector<Value<Scalar>> run_inputs(const std::vector<Flow<Scalar>>& inputs,
                                        const std::vector<Batch<Scalar>>* initial_state, bool train) {
    require_functional("predict(inputs)");
    if (graph_->outputs.empty())
      throw config_error(detail::cat("birnn::Model '", name_, "': expected its outputs (call set_outputs), got none"));
    return graph_->run(layers_, inputs, initial_state, train, output_mask_, name_);
  }
  void require_functional(const char* what) const {
    if (!graph_)
      throw config_error(detail::cat("birnn::Model '", name_, "': ", what, ": expected a Functional model "
                                     "(Model::functional), got a Sequential one"));
  }
  // The shape (without the batch axis) of node `n`; `who` names the reader in errors.
  const Shape& shape_of(const Node& n, const std::string& who) const {
    if (n.is_input() && n.input_index() < graph_->inputs.size()) return graph_->inputs[n.input_index()];
    if (!n.is_input() && static_cast<std::size_t>(n.layer) < layers_.size() &&
        n.output < all_shapes_[static_cast<std::size_t>(n.layer)].size())
      return all_shapes_[static_cast<std::size_t>(n.layer)][n.output];
    throw config_error(detail::cat("birnn::Model '", name_, "': '", who, "' reads node (", n.layer, ", ", n.output,
                                   "): expected an input or an existing layer's output of this model"));
  }

  std::string name_;
  Shape input_shape_;
  std::optional<detail::Graph<Scalar>> graph_;  // set for a Functional model
  std::vector<std::vector<Shape>> all_shapes_;  // each layer's output shapes
  std::vector<std::unique_ptr<Layer<Scalar>>> layers_;
  std::vector<Shape> shapes_;       // each layer's (first) output shape
  std::vector<std::size_t> outputs_;  // each layer's number of outputs
  detail::LayerNames names_;          // the layers' names, and Keras's automatic ones
  bool trained_ = false;                  // the last run was forward_train
  std::size_t state_layer_ = 0;           // the first recurrent layer (takes the initial state)
  std::optional<Mask> output_mask_;       // the mask that reached the output in the last run
  // compile()
  std::unique_ptr<train::Optimizer<Scalar>> optimizer_;
  train::Loss<Scalar> loss_;
  bool accuracy_ = false;
};

}  // namespace birnn

// With BIRNN_EXTERN_TEMPLATES, declares Model and the runtime layers as compiled elsewhere.
#include "birnn/model/extern_templates.hpp"  // IWYU pragma: export
