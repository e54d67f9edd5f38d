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

#include "birnn/errors.hpp"
#include "birnn/model/layer.hpp"
#include "birnn/model/value.hpp"
#include "birnn/train/gradients.hpp"

#include <Eigen/Core>

#include <iomanip>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
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

  /// Appends a layer; checks that it accepts the previous layer's output.
  /// @throws shape_error when it does not.
  /// @throws config_error when the previous layer returns several outputs (merge_mode None,
  ///         return_state): Keras would hand the next layer a list, which no layer here reads.
  Layer<Scalar>& add(std::unique_ptr<Layer<Scalar>> layer) {
    if (!layers_.empty() && outputs_.back() > 1)
      throw config_error(detail::cat("birnn::Model '", name_, "': layer '", layer->name(), "' follows '",
                                     layers_.back()->name(), "', which returns ", outputs_.back(),
                                     " outputs (merge_mode None or return_state); expected 1"));
    if (!layers_.empty() && layer->reads_ids())
      throw config_error(detail::cat("birnn::Model '", name_, "': layer '", layer->name(),
                                     "' reads token ids, so it must be the first layer"));
    const auto shapes = layer->output_shapes(output_shape());
    shapes_.push_back(shapes.front());
    outputs_.push_back(shapes.size());
    layers_.push_back(std::move(layer));
    return *layers_.back();
  }
  /// Constructs a layer of type `L` in place: `model.emplace<DenseLayer<float>>(Dense<float>(64, 1))`.
  template <class L, class... Args>
  L& emplace(Args&&... args) {
    return static_cast<L&>(add(std::make_unique<L>(std::forward<Args>(args)...)));
  }

  const std::string& name() const noexcept { return name_; }
  std::size_t size() const noexcept { return layers_.size(); }
  Layer<Scalar>& layer(std::size_t i) { return *layers_.at(i); }
  const Layer<Scalar>& layer(std::size_t i) const { return *layers_.at(i); }
  const Shape& input_shape() const noexcept { return input_shape_; }
  /// The shape of the last layer's (first) output, without the batch axis.
  const Shape& output_shape() const noexcept { return shapes_.empty() ? input_shape_ : shapes_.back(); }

  /// Lets every Bidirectional layer run its backward direction on `worker` (nullptr: off).
  void set_worker(Worker* worker) {
    for (auto& l : layers_) l->set_worker(worker);
  }

  Eigen::Index count_params() const {
    Eigen::Index n = 0;
    for (const auto& l : layers_) n += l->count_params();
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

  /// Keras-style summary: one row per layer (name and class, output shape, parameters), totals.
  void summary(std::ostream& os) const {
    const int w1 = 32, w2 = 26, w3 = 12;
    const std::string rule(w1 + w2 + w3, '-'), bold(w1 + w2 + w3, '=');
    os << "Model: \"" << name_ << "\"\n" << rule << '\n';
    os << std::left << std::setw(w1) << "Layer (type)" << std::setw(w2) << "Output Shape" << std::right
       << std::setw(w3) << "Param #" << '\n'
       << bold << '\n';
    for (std::size_t i = 0; i < layers_.size(); ++i) {
      const auto& l = *layers_[i];
      os << std::left << std::setw(w1) << (l.name() + " (" + l.class_name() + ")") << std::setw(w2)
         << keras_shape_string(shapes_[i]) << std::right << std::setw(w3) << with_commas(l.count_params()) << '\n';
    }
    os << bold << '\n'
       << "Total params: " << with_commas(count_params()) << '\n'
       << "Trainable params: " << with_commas(count_params()) << '\n'
       << "Non-trainable params: 0\n"
       << rule << '\n';
  }
  std::string summary() const {
    std::ostringstream os;
    summary(os);
    return os.str();
  }

 private:
  // The model's input as a flow, after checking it is what the first layer reads.
  Flow<Scalar> values_flow(const Sequence<Scalar>& x, const std::optional<Mask>& mask) const {
    if (!layers_.empty() && layers_.front()->reads_ids())
      throw shape_error(detail::cat("birnn::Model '", name_, "': the first layer '", layers_.front()->name(),
                                    "' reads token ids; expected token ids, got values"));
    Flow<Scalar> in;
    in.values.push_back(Value<Scalar>::of(x));
    in.mask = mask;
    return in;
  }
  Flow<Scalar> ids_flow(const TokenIds& ids) const {
    if (!layers_.empty() && !layers_.front()->reads_ids())
      throw shape_error(detail::cat("birnn::Model '", name_, "': token ids need an Embedding first layer; the first "
                                    "layer '", layers_.front()->name(), "' reads values"));
    Flow<Scalar> in;
    in.ids = ids;
    return in;
  }

  static std::string with_commas(Eigen::Index n) {
    std::string s = std::to_string(n);
    for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), ",");
    return s;
  }

  std::vector<Value<Scalar>> run(Flow<Scalar>& flow, const std::vector<Batch<Scalar>>* initial_state,
                                 bool train = false) {
    if (layers_.empty()) throw config_error(detail::cat("birnn::Model '", name_, "': the model has no layers"));
    trained_ = false;
    state_layer_ = layers_.size();
    for (std::size_t i = 0; i < layers_.size(); ++i) {
      auto& l = layers_[i];
      const bool recurrent = l->class_name() == "Bidirectional" || l->class_name() == "LSTM" ||
                             l->class_name() == "GRU" || l->class_name() == "SimpleRNN";
      const bool first_recurrent = recurrent && state_layer_ == layers_.size();
      if (first_recurrent) state_layer_ = i;
      const auto* init = first_recurrent ? initial_state : nullptr;
      flow = train ? l->call_train(flow, init) : l->call(flow, init);
    }
    trained_ = train;
    return std::move(flow.values);
  }

  std::string name_;
  Shape input_shape_;
  std::vector<std::unique_ptr<Layer<Scalar>>> layers_;
  std::vector<Shape> shapes_;       // each layer's (first) output shape
  std::vector<std::size_t> outputs_;  // each layer's number of outputs
  bool trained_ = false;                  // the last run was forward_train
  std::size_t state_layer_ = 0;           // the first recurrent layer (takes the initial state)
};

}  // namespace birnn
