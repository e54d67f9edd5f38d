#pragma once
/// @file
/// `Layer`: the runtime interface of a layer in a `Model` (Keras's `Layer`), and the
/// wrappers that put birnn's compile-time layers behind it. A runtime layer is a thin
/// adapter: the maths is the templates'.
///
/// Training: `call_train` runs like `call` and records what `backward` needs; `backward`
/// takes the cotangents of the layer's outputs and returns `LayerGradients` (the input's,
/// the weights' in Keras order, the initial states'). `Model::forward_train` and
/// `Model::backward` chain them.

#include "birnn/errors.hpp"
#include "birnn/layers/dense.hpp"
#include "birnn/layers/embedding.hpp"
#include "birnn/layers/masking.hpp"
#include "birnn/parallel/worker.hpp"
#include "birnn/train/initializers.hpp"
#include "birnn/types/tensor.hpp"
#include "birnn/types/value.hpp"

#include <Eigen/Core>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace birnn {

/// What a runtime layer's backward pass returns.
template <class Scalar>
struct LayerGradients {
  std::optional<Value<Scalar>> input;        ///< `dL/d input`; none when the layer read token ids
  std::vector<Tensor<Scalar>> weights;       ///< `dL/dw`, Keras `get_weights()` order and shapes
  std::vector<Batch<Scalar>> initial_state;  ///< `dL/d initial state` (recurrent layers), Keras order
  std::vector<Value<Scalar>> inputs;         ///< a layer with several inputs (a merge): `dL/d` each
};

namespace detail {

/// A weight drawn by the initializer Keras gives it by default, by its name.
/// @throws config_error for a weight name without a Keras default here.
template <class Scalar>
Tensor<Scalar> keras_default_initializer(const WeightSpec& spec, train::Rng& rng) {
  // A Bidirectional layer names its weights "forward_lstm/kernel": the part after the '/' counts.
  const auto slash = spec.name.rfind('/');
  const std::string name = slash == std::string::npos ? spec.name : spec.name.substr(slash + 1);
  if (name == "kernel") return train::glorot_uniform<Scalar>(spec.shape, rng);
  if (name == "recurrent_kernel") return train::orthogonal<Scalar>(spec.shape, rng);
  if (name == "bias") return train::zeros<Scalar>(spec.shape);
  if (name == "embeddings") return train::random_uniform<Scalar>(spec.shape, rng);
  throw config_error(cat("birnn::initialize: weight '", spec.name,
                         "': expected kernel, recurrent_kernel, bias or embeddings, got another name"));
}

}  // namespace detail

/// A layer of a runtime `Model`.
template <class Scalar>
class Layer {
 public:
  virtual ~Layer() = default;
  /// The layer's Keras name ("bidirectional", "dense_1").
  virtual const std::string& name() const = 0;
  /// The Keras class ("Bidirectional", "LSTM", "Dense").
  virtual std::string class_name() const = 0;
  virtual Eigen::Index count_params() const = 0;
  /// How many of `count_params()` no optimizer changes (Keras's non-trainable weights, such
  /// as BatchNormalization's moving statistics); their gradients are zero.
  virtual Eigen::Index non_trainable_params() const { return 0; }
  virtual std::vector<WeightSpec> weight_specs() const = 0;
  /// Keras `set_weights` (the layer's weights in `get_weights()` order).
  /// @throws weight_error
  virtual void set_weights(const std::vector<Tensor<Scalar>>& w) = 0;
  virtual std::vector<Tensor<Scalar>> get_weights() const = 0;
  /// The output shapes (without the batch axis) for an input of shape `input`.
  /// @throws shape_error when the input does not fit the layer.
  virtual std::vector<Shape> output_shapes(const Shape& input) const = 0;
  /// The output shapes for several inputs (a merge layer's); other layers take one.
  /// @throws shape_error when the inputs do not fit the layer.
  virtual std::vector<Shape> merged_output_shapes(const std::vector<Shape>& inputs) const {
    if (inputs.size() != 1)
      throw shape_error(detail::cat("birnn::", class_name(), " '", name(), "': inputs: expected 1, got ", inputs.size()));
    return output_shapes(inputs.front());
  }
  /// Runs the layer. `initial_state` (Keras's list) is for recurrent layers.
  virtual Flow<Scalar> call(const Flow<Scalar>& in, const std::vector<Batch<Scalar>>* initial_state) = 0;
  /// Sets the weights by Keras's default initializers, drawn from `rng`: by weight name,
  /// `kernel` glorot_uniform, `recurrent_kernel` orthogonal, `bias` zeros, `embeddings`
  /// uniform in [-0.05, 0.05]. Recurrent layers add LSTM's `unit_forget_bias`.
  virtual void initialize(train::Rng& rng) {
    auto specs = weight_specs();
    std::vector<Tensor<Scalar>> w;
    for (const auto& s : specs) w.push_back(detail::keras_default_initializer<Scalar>(s, rng));
    set_weights(w);
  }
  /// Whether the layer is one of Keras's recurrent layers (the first takes the initial state).
  bool is_recurrent() const {
    const std::string c = class_name();
    return c == "Bidirectional" || c == "LSTM" || c == "GRU" || c == "SimpleRNN";
  }
  /// Whether `call` reads token ids rather than values.
  virtual bool reads_ids() const { return false; }
  /// Lets a layer with independent parts (Bidirectional) run one of them on `worker`.
  virtual void set_worker(Worker* worker) { (void)worker; }
  /// Runs like `call` and records what `backward` needs; the record stays until the next
  /// `call_train`, and the weights must not change before `backward`.
  /// @throws config_error for a layer without a backward pass; else as `call`.
  virtual Flow<Scalar> call_train(const Flow<Scalar>& in, const std::vector<Batch<Scalar>>* initial_state) {
    (void)in;
    (void)initial_state;
    throw config_error(detail::cat("birnn::", class_name(), " '", name(), "': training: expected a layer with a "
                                   "backward pass, got one without"));
  }
  /// The gradients of `L = sum over outputs k of sum(output_k * cotangents[k])` after
  /// `call_train`: one cotangent per output in Keras's order, each shaped like its output;
  /// trailing ones may be left out (zero).
  /// @throws error when no pass was recorded; shape_error for a cotangent of the wrong shape.
  virtual LayerGradients<Scalar> backward(const std::vector<Value<Scalar>>& cotangents) {
    (void)cotangents;
    throw config_error(detail::cat("birnn::", class_name(), " '", name(), "': backward: expected a layer with a "
                                   "backward pass, got one without"));
  }
};

namespace detail {

/// The one value a non-recurrent layer reads, checked for rank 2 or 3.
template <class Scalar>
const Value<Scalar>& single_input(const std::string& layer, const Flow<Scalar>& in) {
  if (in.values.empty()) throw shape_error(cat(layer, ": expected an input value, got none"));
  return in.values.front();
}

/// The first cotangent of a backward pass, checked against the recorded output's shape.
template <class Scalar>
const Value<Scalar>& first_cotangent(const std::string& layer, const std::vector<Value<Scalar>>& cotangents,
                                     const std::vector<Eigen::Index>& expected_shape) {
  if (cotangents.empty()) throw shape_error(cat(layer, ": backward: expected an output cotangent, got none"));
  const auto got = cotangents.front().shape();
  if (got != expected_shape)
    throw shape_error(cat(layer, ": backward: output cotangent shape: expected ", shape_string(expected_shape),
                          ", got ", shape_string(got)));
  return cotangents.front();
}

/// Throws unless a pass was recorded.
inline void require_recorded(bool recorded, const std::string& layer) {
  if (!recorded)
    throw error(cat(layer, ": backward: expected a recorded forward pass (call call_train first), got none"));
}

}  // namespace detail

/// `Embedding` in a runtime model.
template <class Scalar>
class EmbeddingLayer final : public Layer<Scalar> {
 public:
  explicit EmbeddingLayer(Embedding<Scalar> layer) : layer_(std::move(layer)) {}
  const std::string& name() const override { return layer_.name(); }
  std::string class_name() const override { return "Embedding"; }
  Eigen::Index count_params() const override { return layer_.count_params(); }
  std::vector<WeightSpec> weight_specs() const override { return layer_.weight_specs(); }
  void set_weights(const std::vector<Tensor<Scalar>>& w) override { layer_.set_weights(w); }
  std::vector<Tensor<Scalar>> get_weights() const override { return layer_.get_weights(); }
  std::vector<Shape> output_shapes(const Shape& input) const override {
    Shape s = input;
    s.push_back(layer_.output_dim());
    return {s};
  }
  bool reads_ids() const override { return true; }
  Flow<Scalar> call(const Flow<Scalar>& in, const std::vector<Batch<Scalar>>*) override {
    if (!in.ids) throw shape_error(detail::cat("birnn::Embedding '", name(), "': expected token ids, got values"));
    Flow<Scalar> out;
    out.values.push_back(Value<Scalar>::of(layer_.forward(*in.ids)));
    out.mask = layer_.compute_mask(*in.ids);
    return out;
  }
  Flow<Scalar> call_train(const Flow<Scalar>& in, const std::vector<Batch<Scalar>>* initial_state) override {
    Flow<Scalar> out = call(in, initial_state);
    recorded_ids_ = *in.ids;
    return out;
  }
  LayerGradients<Scalar> backward(const std::vector<Value<Scalar>>& cotangents) override {
    const std::string label = detail::cat("birnn::Embedding '", name(), "'");
    detail::require_recorded(recorded_ids_.has_value(), label);
    const auto& d = detail::first_cotangent(label, cotangents,
                                            {recorded_ids_->rows(), recorded_ids_->cols(), layer_.output_dim()});
    LayerGradients<Scalar> g;
    g.weights.push_back(Tensor<Scalar>::from_matrix(layer_.backward(*recorded_ids_, d.sequence)));
    return g;
  }
  Embedding<Scalar>& layer() noexcept { return layer_; }

 private:
  Embedding<Scalar> layer_;
  std::optional<TokenIds> recorded_ids_;
};

/// `Masking` in a runtime model.
template <class Scalar>
class MaskingLayer final : public Layer<Scalar> {
 public:
  explicit MaskingLayer(Masking<Scalar> layer) : layer_(std::move(layer)) {}
  const std::string& name() const override { return layer_.name(); }
  std::string class_name() const override { return "Masking"; }
  Eigen::Index count_params() const override { return 0; }
  std::vector<WeightSpec> weight_specs() const override { return {}; }
  void set_weights(const std::vector<Tensor<Scalar>>& w) override {
    detail::check_weight_count(detail::cat("birnn::Masking '", name(), "'"), w, 0);
  }
  std::vector<Tensor<Scalar>> get_weights() const override { return {}; }
  std::vector<Shape> output_shapes(const Shape& input) const override { return {input}; }
  Flow<Scalar> call(const Flow<Scalar>& in, const std::vector<Batch<Scalar>>*) override {
    const auto& v = detail::single_input(detail::cat("birnn::Masking '", name(), "'"), in);
    if (v.rank != 3)
      throw shape_error(detail::cat("birnn::Masking '", name(), "': input rank: expected 3, got ", v.rank));
    Flow<Scalar> out;
    out.mask = layer_.compute_mask(v.sequence);
    out.values.push_back(Value<Scalar>::of(layer_.forward(v.sequence)));
    return out;
  }
  Flow<Scalar> call_train(const Flow<Scalar>& in, const std::vector<Batch<Scalar>>* initial_state) override {
    Flow<Scalar> out = call(in, initial_state);
    recorded_mask_ = out.mask;
    return out;
  }
  // The output is the input times 0 or 1 per step: the gradient passes where the step is kept.
  LayerGradients<Scalar> backward(const std::vector<Value<Scalar>>& cotangents) override {
    const std::string label = detail::cat("birnn::Masking '", name(), "'");
    detail::require_recorded(recorded_mask_.has_value(), label);
    const Mask& m = *recorded_mask_;
    const auto& d = cotangents.empty() ? Value<Scalar>() : cotangents.front();
    if (d.rank != 3 || d.sequence.batch() != m.rows() || d.sequence.time() != m.cols())
      throw shape_error(detail::cat(label, ": backward: output cotangent shape: expected (", m.rows(), ", ",
                                    m.cols(), ", features), got ", shape_string(d.shape())));
    Sequence<Scalar> dx = d.sequence;
    for (Eigen::Index b = 0; b < m.rows(); ++b)
      for (Eigen::Index t = 0; t < m.cols(); ++t)
        if (!m(b, t)) dx.matrix().row(b * m.cols() + t).setZero();
    LayerGradients<Scalar> g;
    g.input = Value<Scalar>::of(std::move(dx));
    return g;
  }

 private:
  Masking<Scalar> layer_;
  std::optional<Mask> recorded_mask_;
};

/// `Dense` in a runtime model: every time step of a sequence; the mask passes on.
template <class Scalar>
class DenseLayer final : public Layer<Scalar> {
 public:
  explicit DenseLayer(Dense<Scalar> layer) : layer_(std::move(layer)) {}
  const std::string& name() const override { return layer_.name(); }
  std::string class_name() const override { return "Dense"; }
  Eigen::Index count_params() const override { return layer_.count_params(); }
  std::vector<WeightSpec> weight_specs() const override { return layer_.weight_specs(); }
  void set_weights(const std::vector<Tensor<Scalar>>& w) override { layer_.set_weights(w); }
  std::vector<Tensor<Scalar>> get_weights() const override { return layer_.get_weights(); }
  std::vector<Shape> output_shapes(const Shape& input) const override {
    if (input.empty() || (input.back() >= 0 && input.back() != layer_.input_size()))
      throw shape_error(detail::cat("birnn::Dense '", name(), "': input features: expected ", layer_.input_size(),
                                    ", got ", input.empty() ? 0 : input.back()));
    Shape s = input;
    s.back() = layer_.units();
    return {s};
  }
  Flow<Scalar> call(const Flow<Scalar>& in, const std::vector<Batch<Scalar>>*) override {
    const auto& v = detail::single_input(detail::cat("birnn::Dense '", name(), "'"), in);
    Flow<Scalar> out;
    out.mask = in.mask;
    if (v.rank == 3)
      out.values.push_back(Value<Scalar>::of(layer_.forward(v.sequence)));
    else
      out.values.push_back(Value<Scalar>::of(layer_.forward(v.matrix)));
    return out;
  }
  Flow<Scalar> call_train(const Flow<Scalar>& in, const std::vector<Batch<Scalar>>* initial_state) override {
    Flow<Scalar> out = call(in, initial_state);
    recorded_input_ = in.values.front();
    recorded_output_ = out.values.front();
    return out;
  }
  LayerGradients<Scalar> backward(const std::vector<Value<Scalar>>& cotangents) override {
    const std::string label = detail::cat("birnn::Dense '", name(), "'");
    detail::require_recorded(recorded_output_.has_value(), label);
    const Value<Scalar>& x = *recorded_input_;
    const Value<Scalar>& y = *recorded_output_;
    const auto& d = detail::first_cotangent(label, cotangents, y.shape());
    typename Dense<Scalar>::Kernel dk;
    typename Dense<Scalar>::Bias db;
    LayerGradients<Scalar> g;
    if (y.rank == 3) {
      Batch<Scalar> dx = layer_.backward(x.sequence.matrix(), y.sequence.matrix(), d.sequence.matrix(), dk, db);
      g.input = Value<Scalar>::of(Sequence<Scalar>(x.sequence.batch(), x.sequence.time(), std::move(dx)));
    } else {
      g.input = Value<Scalar>::of(layer_.backward(x.matrix, y.matrix, d.matrix, dk, db));
    }
    g.weights = layer_.gradient_tensors(dk, db);
    return g;
  }

 private:
  Dense<Scalar> layer_;
  std::optional<Value<Scalar>> recorded_input_, recorded_output_;
};

}  // namespace birnn
