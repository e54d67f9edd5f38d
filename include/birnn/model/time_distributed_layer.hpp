#pragma once
/// @file
/// Keras `TimeDistributed(layer)` in a runtime model: the wrapped layer (a per-step one:
/// `Dense`, `Activation`, `Dropout`, `LayerNormalization`) on every step of a sequence. Those
/// layers already treat each row of `(batch * time, features)` alone, so the wrapper runs the
/// layer on the whole sequence at once; it keeps Keras's structure: its own name and class,
/// the wrapped layer's weights (Keras 3 stores them at `<path>/layer/vars`). Passes the mask on.

#include "birnn/errors.hpp"
#include "birnn/model/layer.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace birnn {

template <class Scalar>
class TimeDistributedLayer final : public Layer<Scalar> {
 public:
  TimeDistributedLayer(std::unique_ptr<Layer<Scalar>> layer, std::string name)
      : layer_(std::move(layer)), name_(std::move(name)) {
    if (!layer_) throw config_error(detail::cat("birnn::TimeDistributed '", name_, "': expected a layer, got null"));
  }
  const std::string& name() const override { return name_; }
  std::string class_name() const override { return "TimeDistributed"; }
  Eigen::Index count_params() const override { return layer_->count_params(); }
  Eigen::Index non_trainable_params() const override { return layer_->non_trainable_params(); }
  std::vector<WeightSpec> weight_specs() const override { return layer_->weight_specs(); }
  void set_weights(const std::vector<Tensor<Scalar>>& w) override { layer_->set_weights(w); }
  std::vector<Tensor<Scalar>> get_weights() const override { return layer_->get_weights(); }
  void initialize(train::Rng& rng) override { layer_->initialize(rng); }
  std::vector<Shape> output_shapes(const Shape& input) const override {
    if (input.size() != 2)
      throw shape_error(detail::cat("birnn::TimeDistributed '", name_, "': input: expected (batch, time, features), got ",
                                    keras_shape_string(input)));
    return layer_->output_shapes(input);
  }
  Flow<Scalar> call(const Flow<Scalar>& in, const std::vector<Batch<Scalar>>* initial_state) override {
    check(in);
    Flow<Scalar> out = layer_->call(in, initial_state);
    out.mask = in.mask;
    return out;
  }
  Flow<Scalar> call_train(const Flow<Scalar>& in, const std::vector<Batch<Scalar>>* initial_state) override {
    check(in);
    Flow<Scalar> out = layer_->call_train(in, initial_state);
    out.mask = in.mask;
    return out;
  }
  LayerGradients<Scalar> backward(const std::vector<Value<Scalar>>& cotangents) override {
    return layer_->backward(cotangents);
  }
  /// The wrapped layer.
  const Layer<Scalar>& layer() const noexcept { return *layer_; }

 private:
  void check(const Flow<Scalar>& in) const {
    const auto& v = detail::single_input(detail::cat("birnn::TimeDistributed '", name_, "'"), in);
    if (v.rank != 3)
      throw shape_error(detail::cat("birnn::TimeDistributed '", name_, "': input rank: expected 3, got ", v.rank));
  }

  std::unique_ptr<Layer<Scalar>> layer_;
  std::string name_;
};

}  // namespace birnn
