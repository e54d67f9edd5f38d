#pragma once
/// @file
/// `Layer`: the runtime interface of a layer in a `Model` (Keras's `Layer`), and the
/// wrappers that put birnn's compile-time layers behind it. A runtime layer is a thin
/// adapter: the maths is the templates'.

#include "birnn/errors.hpp"
#include "birnn/layers/dense.hpp"
#include "birnn/layers/embedding.hpp"
#include "birnn/layers/masking.hpp"
#include "birnn/model/value.hpp"
#include "birnn/parallel/worker.hpp"
#include "birnn/tensor.hpp"

#include <Eigen/Core>

#include <memory>
#include <string>
#include <vector>

namespace birnn {

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
  virtual std::vector<WeightSpec> weight_specs() const = 0;
  /// Keras `set_weights` (the layer's weights in `get_weights()` order).
  /// @throws weight_error
  virtual void set_weights(const std::vector<Tensor<Scalar>>& w) = 0;
  virtual std::vector<Tensor<Scalar>> get_weights() const = 0;
  /// The output shapes (without the batch axis) for an input of shape `input`.
  /// @throws shape_error when the input does not fit the layer.
  virtual std::vector<Shape> output_shapes(const Shape& input) const = 0;
  /// Runs the layer. `initial_state` (Keras's list) is for recurrent layers.
  virtual Flow<Scalar> call(const Flow<Scalar>& in, const std::vector<Batch<Scalar>>* initial_state) = 0;
  /// Whether `call` reads token ids rather than values.
  virtual bool reads_ids() const { return false; }
  /// Lets a layer with independent parts (Bidirectional) run one of them on `worker`.
  virtual void set_worker(Worker* worker) { (void)worker; }
};

namespace detail {

/// The one value a non-recurrent layer reads, checked for rank 2 or 3.
template <class Scalar>
const Value<Scalar>& single_input(const std::string& layer, const Flow<Scalar>& in) {
  if (in.values.empty()) throw shape_error(cat(layer, ": expected an input value, got none"));
  return in.values.front();
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
  Embedding<Scalar>& layer() noexcept { return layer_; }

 private:
  Embedding<Scalar> layer_;
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

 private:
  Masking<Scalar> layer_;
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

 private:
  Dense<Scalar> layer_;
};

}  // namespace birnn
