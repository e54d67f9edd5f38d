#pragma once
/// @file
/// `Model`: a stack of runtime layers, Keras's `Sequential`. Each layer reads the previous
/// layer's first output and the mask that came with it, as Keras passes them on: `Embedding`
/// (`mask_zero`) and `Masking` make a mask, recurrent layers returning sequences and `Dense`
/// pass it on, the others drop it. `summary()` prints the layers, output shapes and parameter
/// counts in the style of Keras's.

#include "birnn/errors.hpp"
#include "birnn/model/layer.hpp"
#include "birnn/model/value.hpp"

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
    Flow<Scalar> in;
    in.values.push_back(Value<Scalar>::of(x));
    in.mask = mask;
    if (!layers_.empty() && layers_.front()->reads_ids())
      throw shape_error(detail::cat("birnn::Model '", name_, "': the first layer '", layers_.front()->name(),
                                    "' reads token ids; expected token ids, got values"));
    return run(in, initial_state);
  }
  /// Runs a model that starts with `Embedding` on token ids `(batch, time)`.
  std::vector<Value<Scalar>> predict(const TokenIds& ids, const std::vector<Batch<Scalar>>* initial_state = nullptr) {
    Flow<Scalar> in;
    in.ids = ids;
    if (!layers_.empty() && !layers_.front()->reads_ids())
      throw shape_error(detail::cat("birnn::Model '", name_, "': token ids need an Embedding first layer; the first "
                                    "layer '", layers_.front()->name(), "' reads values"));
    return run(in, initial_state);
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
  static std::string with_commas(Eigen::Index n) {
    std::string s = std::to_string(n);
    for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), ",");
    return s;
  }

  std::vector<Value<Scalar>> run(Flow<Scalar>& flow, const std::vector<Batch<Scalar>>* initial_state) {
    if (layers_.empty()) throw config_error(detail::cat("birnn::Model '", name_, "': the model has no layers"));
    bool state_used = initial_state == nullptr;
    for (auto& l : layers_) {
      const bool recurrent = l->class_name() == "Bidirectional" || l->class_name() == "LSTM" ||
                             l->class_name() == "GRU" || l->class_name() == "SimpleRNN";
      const auto* init = !state_used && recurrent ? initial_state : nullptr;
      if (init) state_used = true;
      flow = l->call(flow, init);
    }
    return std::move(flow.values);
  }

  std::string name_;
  Shape input_shape_;
  std::vector<std::unique_ptr<Layer<Scalar>>> layers_;
  std::vector<Shape> shapes_;       // each layer's (first) output shape
  std::vector<std::size_t> outputs_;  // each layer's number of outputs
};

}  // namespace birnn
