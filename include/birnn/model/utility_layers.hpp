#pragma once
/// @file
/// The runtime layers that sit around RNNs (the values of `model/utility_layer_config.hpp`):
/// noise layers (`Dropout`, `SpatialDropout1D`, `GaussianNoise`, `GaussianDropout`: identity
/// in `call`, their noise in `call_train`), `Activation`, global pooling over time, and the
/// reshaping layers (`Flatten`, `Reshape`, `RepeatVector`). None has weights; each has a
/// backward pass. Masks follow Keras 3: the noise layers and `Activation` pass the mask on,
/// `GlobalAveragePooling1D` reads it, the others drop it.

#include "birnn/detail/dropout_rng.hpp"
#include "birnn/errors.hpp"
#include "birnn/math/activation.hpp"
#include "birnn/math/activation_derivative.hpp"
#include "birnn/model/layer.hpp"
#include "birnn/types/value.hpp"

#include <Eigen/Core>

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace birnn {
namespace detail {

/// The rows of a value: `(batch * time, features)` of a sequence, `(batch, features)` of a matrix.
template <class Scalar>
Batch<Scalar>& rows_of(Value<Scalar>& v) noexcept {
  return v.rank == 3 ? v.sequence.matrix() : v.matrix;
}
template <class Scalar>
const Batch<Scalar>& rows_of(const Value<Scalar>& v) noexcept {
  return v.rank == 3 ? v.sequence.matrix() : v.matrix;
}

/// The known number of values per sample of `shape`, or -1 when an axis is None.
inline Eigen::Index known_size(const Shape& shape) {
  Eigen::Index n = 1;
  for (auto d : shape) {
    if (d < 0) return -1;
    n *= d;
  }
  return n;
}

}  // namespace detail

/// What the runtime layers of this folder share: the name, the label of their errors, input
/// and cotangent checks, and the defaults of a layer without weights (the normalizations
/// override them).
template <class Scalar>
class LayerBase : public Layer<Scalar> {
 public:
  explicit LayerBase(std::string name) : name_(std::move(name)) {}
  const std::string& name() const override { return name_; }
  Eigen::Index count_params() const override { return 0; }
  std::vector<WeightSpec> weight_specs() const override { return {}; }
  void set_weights(const std::vector<Tensor<Scalar>>& w) override {
    detail::check_weight_count(label(), w, 0);
  }
  std::vector<Tensor<Scalar>> get_weights() const override { return {}; }
  void initialize(train::Rng&) override {}

 protected:
  std::string label() const { return detail::cat("birnn::", this->class_name(), " '", name_, "'"); }
  /// The input value, checked to have one of the ranks the layer reads.
  const Value<Scalar>& input(const Flow<Scalar>& in, bool rank2, bool rank3) const {
    const auto& v = detail::single_input(label(), in);
    if ((v.rank == 2 && !rank2) || (v.rank == 3 && !rank3))
      throw shape_error(detail::cat(label(), ": input rank: expected ", rank3 ? (rank2 ? "2 or 3" : "3") : "2",
                                    ", got ", v.rank));
    return v;
  }
  /// The first cotangent, checked to have `shape`.
  const Value<Scalar>& cotangent(const std::vector<Value<Scalar>>& cotangents, const std::vector<Eigen::Index>& shape,
                                 bool recorded) const {
    detail::require_recorded(recorded, label());
    return detail::first_cotangent(label(), cotangents, shape);
  }

 private:
  std::string name_;
};

/// Which noise a `NoiseLayer` adds in training.
enum class Noise { dropout, spatial_dropout, gaussian_noise, gaussian_dropout };

/// `Dropout`, `SpatialDropout1D`, `GaussianNoise`, `GaussianDropout`: the input unchanged in
/// `call` (Keras's inference), the noise in `call_train`. `amount` is the rate (the stddev for
/// GaussianNoise). The draws come from `detail::DropoutRng` seeded by `seed` (or the name):
/// the same seed gives the same noise with every compiler.
template <class Scalar>
class NoiseLayer final : public LayerBase<Scalar> {
 public:
  NoiseLayer(Noise kind, double amount, std::optional<std::uint64_t> seed, std::string name)
      : LayerBase<Scalar>(std::move(name)), kind_(kind), amount_(amount),
        rng_(seed ? *seed : detail::seed_from_name(this->name())) {}
  std::string class_name() const override {
    switch (kind_) {
      case Noise::dropout: return "Dropout";
      case Noise::spatial_dropout: return "SpatialDropout1D";
      case Noise::gaussian_noise: return "GaussianNoise";
      case Noise::gaussian_dropout: return "GaussianDropout";
    }
    return "Dropout";
  }
  double amount() const noexcept { return amount_; }
  std::vector<Shape> output_shapes(const Shape& input) const override {
    if (kind_ == Noise::spatial_dropout && input.size() != 2)
      throw shape_error(detail::cat(this->label(), ": input: expected (batch, time, features), got ",
                                    keras_shape_string(input)));
    return {input};
  }
  Flow<Scalar> call(const Flow<Scalar>& in, const std::vector<Batch<Scalar>>*) override {
    this->input(in, kind_ != Noise::spatial_dropout, true);
    Flow<Scalar> out;
    out.values.push_back(in.values.front());
    out.mask = in.mask;
    return out;
  }
  Flow<Scalar> call_train(const Flow<Scalar>& in, const std::vector<Batch<Scalar>>* initial_state) override {
    Flow<Scalar> out = call(in, initial_state);
    Batch<Scalar>& y = detail::rows_of(out.values.front());
    shape_ = out.values.front().shape();
    factor_.reset();
    if (amount_ == 0) return out;  // Keras: a rate (or stddev) of 0 adds nothing
    if (kind_ == Noise::gaussian_noise) {
      for (Eigen::Index r = 0; r < y.rows(); ++r)
        for (Eigen::Index c = 0; c < y.cols(); ++c) y(r, c) += static_cast<Scalar>(amount_ * normal());
      return out;
    }
    Batch<Scalar> f(y.rows(), y.cols());
    if (kind_ == Noise::dropout) {
      rng_.fill(f, amount_);
    } else if (kind_ == Noise::spatial_dropout) {  // one draw per (sample, feature), every step
      const Value<Scalar>& v = out.values.front();
      Batch<Scalar> per(v.sequence.batch(), v.sequence.features());
      rng_.fill(per, amount_);
      for (Eigen::Index b = 0; b < v.sequence.batch(); ++b)
        for (Eigen::Index t = 0; t < v.sequence.time(); ++t) f.row(b * v.sequence.time() + t) = per.row(b);
    } else {  // GaussianDropout: N(1, rate / (1 - rate))
      const double stddev = std::sqrt(amount_ / (1.0 - amount_));
      for (Eigen::Index r = 0; r < f.rows(); ++r)
        for (Eigen::Index c = 0; c < f.cols(); ++c) f(r, c) = static_cast<Scalar>(1.0 + stddev * normal());
    }
    y.array() *= f.array();
    factor_ = std::move(f);
    return out;
  }
  LayerGradients<Scalar> backward(const std::vector<Value<Scalar>>& cotangents) override {
    LayerGradients<Scalar> g;
    g.input = this->cotangent(cotangents, shape_, !shape_.empty());
    if (factor_) detail::rows_of(*g.input).array() *= factor_->array();
    return g;
  }

 private:
  // A standard normal number by Box-Muller from two uniforms (portable: no std distribution).
  double normal() {
    const double u1 = 1.0 - rng_.uniform(), u2 = rng_.uniform();  // u1 in (0, 1]
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586476925286766559 * u2);
  }

  Noise kind_;
  double amount_;
  detail::DropoutRng rng_;
  std::vector<Eigen::Index> shape_;     // the recorded pass's output shape
  std::optional<Batch<Scalar>> factor_;  // what the input was multiplied by (dropouts)
};

/// Keras `Activation` in a runtime model.
template <class Scalar>
class ActivationLayer final : public LayerBase<Scalar> {
 public:
  ActivationLayer(Activation a, std::string name) : LayerBase<Scalar>(std::move(name)), activation_(a) {}
  std::string class_name() const override { return "Activation"; }
  Activation activation() const noexcept { return activation_; }
  std::vector<Shape> output_shapes(const Shape& input) const override { return {input}; }
  Flow<Scalar> call(const Flow<Scalar>& in, const std::vector<Batch<Scalar>>*) override {
    Flow<Scalar> out;
    out.values.push_back(this->input(in, true, true));
    detail::activate(activation_, detail::rows_of(out.values.front()));
    out.mask = in.mask;
    return out;
  }
  Flow<Scalar> call_train(const Flow<Scalar>& in, const std::vector<Batch<Scalar>>* initial_state) override {
    train::require_differentiable(activation_, this->label());
    Flow<Scalar> out = call(in, initial_state);
    recorded_ = out.values.front();
    return out;
  }
  LayerGradients<Scalar> backward(const std::vector<Value<Scalar>>& cotangents) override {
    const bool recorded = recorded_.has_value();
    LayerGradients<Scalar> g;
    g.input = this->cotangent(cotangents, recorded ? recorded_->shape() : std::vector<Eigen::Index>{}, recorded);
    detail::backprop_activation(activation_, detail::rows_of(*recorded_), detail::rows_of(*g.input));
    return g;
  }

 private:
  Activation activation_;
  std::optional<Value<Scalar>> recorded_;
};

/// `GlobalAveragePooling1D` (the mean over the steps the mask keeps) and
/// `GlobalMaxPooling1D` (the maximum over every step, as Keras 3: it does not read the mask).
template <class Scalar>
class GlobalPoolingLayer final : public LayerBase<Scalar> {
 public:
  GlobalPoolingLayer(bool average, bool keepdims, std::string name)
      : LayerBase<Scalar>(std::move(name)), average_(average), keepdims_(keepdims) {}
  std::string class_name() const override { return average_ ? "GlobalAveragePooling1D" : "GlobalMaxPooling1D"; }
  std::vector<Shape> output_shapes(const Shape& input) const override {
    if (input.size() != 2)
      throw shape_error(detail::cat(this->label(), ": input: expected (batch, time, features), got ",
                                    keras_shape_string(input)));
    return {keepdims_ ? Shape{1, input[1]} : Shape{input[1]}};
  }
  Flow<Scalar> call(const Flow<Scalar>& in, const std::vector<Batch<Scalar>>*) override {
    const Sequence<Scalar>& x = this->input(in, false, true).sequence;
    const Eigen::Index B = x.batch(), T = x.time(), F = x.features();
    const Mask* mask = average_ && in.mask ? &*in.mask : nullptr;
    if (mask && (mask->rows() != B || mask->cols() != T))
      throw mask_error(detail::cat(this->label(), ": mask shape: expected (", B, ", ", T, "), got (", mask->rows(),
                                   ", ", mask->cols(), ")"));
    Batch<Scalar> y(B, F);
    if (T == 0 && !average_)
      throw shape_error(detail::cat(this->label(), ": input time: expected at least 1 step, got 0"));
    for (Eigen::Index b = 0; b < B; ++b) {
      if (average_) {
        y.row(b).setZero();
        Scalar kept(0);
        for (Eigen::Index t = 0; t < T; ++t)
          if (!mask || (*mask)(b, t)) {
            y.row(b) += x.matrix().row(b * T + t);
            kept += Scalar(1);
          }
        y.row(b) /= kept;  // Keras: 0 / 0 = NaN for a sample with every step masked
      } else {
        y.row(b) = x.matrix().row(b * T);
        for (Eigen::Index t = 1; t < T; ++t) y.row(b) = y.row(b).cwiseMax(x.matrix().row(b * T + t));
      }
    }
    Flow<Scalar> out;
    out.values.push_back(keepdims_ ? Value<Scalar>::of(Sequence<Scalar>(B, 1, std::move(y)))
                                   : Value<Scalar>::of(std::move(y)));
    return out;
  }
  Flow<Scalar> call_train(const Flow<Scalar>& in, const std::vector<Batch<Scalar>>* initial_state) override {
    Flow<Scalar> out = call(in, initial_state);
    recorded_input_ = in.values.front().sequence;
    recorded_mask_ = average_ ? in.mask : std::nullopt;
    recorded_shape_ = out.values.front().shape();
    return out;
  }
  LayerGradients<Scalar> backward(const std::vector<Value<Scalar>>& cotangents) override {
    const bool recorded = recorded_input_.has_value();
    const Batch<Scalar>& d = detail::rows_of(this->cotangent(cotangents, recorded_shape_, recorded));
    const Sequence<Scalar>& x = *recorded_input_;
    const Eigen::Index B = x.batch(), T = x.time();
    Sequence<Scalar> dx(B, T, x.features());
    dx.matrix().setZero();
    for (Eigen::Index b = 0; b < B; ++b) {
      if (average_) {
        Scalar kept(0);
        for (Eigen::Index t = 0; t < T; ++t) kept += (!recorded_mask_ || (*recorded_mask_)(b, t)) ? 1 : 0;
        for (Eigen::Index t = 0; t < T; ++t)
          if (!recorded_mask_ || (*recorded_mask_)(b, t)) dx.matrix().row(b * T + t) = d.row(b) / kept;
      } else {  // to the first step that holds the maximum
        for (Eigen::Index c = 0; c < x.features(); ++c) {
          Eigen::Index best = 0;
          for (Eigen::Index t = 1; t < T; ++t)
            if (x.matrix()(b * T + t, c) > x.matrix()(b * T + best, c)) best = t;
          dx.matrix()(b * T + best, c) = d(b, c);
        }
      }
    }
    LayerGradients<Scalar> g;
    g.input = Value<Scalar>::of(std::move(dx));
    return g;
  }

 private:
  bool average_, keepdims_;
  std::optional<Sequence<Scalar>> recorded_input_;
  std::optional<Mask> recorded_mask_;
  std::vector<Eigen::Index> recorded_shape_;
};

/// `Flatten` and `Reshape`: the same values per sample, read row-major, in another shape of
/// rank 2 or 3 (`target` without the batch axis; one -1 is inferred). Flatten's target is
/// `{-1}`. Both drop the mask.
template <class Scalar>
class ReshapeLayer final : public LayerBase<Scalar> {
 public:
  ReshapeLayer(Shape target, bool flatten, std::string name)
      : LayerBase<Scalar>(std::move(name)), target_(std::move(target)), flatten_(flatten) {}
  std::string class_name() const override { return flatten_ ? "Flatten" : "Reshape"; }
  std::vector<Shape> output_shapes(const Shape& input) const override {
    const Eigen::Index n = detail::known_size(input);
    if (flatten_ && n < 0)
      throw shape_error(detail::cat(this->label(), ": input: expected every axis known (Flatten needs the number of "
                                    "steps), got ", keras_shape_string(input)));
    return {resolve(n)};
  }
  Flow<Scalar> call(const Flow<Scalar>& in, const std::vector<Batch<Scalar>>*) override {
    const Value<Scalar>& v = this->input(in, true, true);
    const Eigen::Index B = v.batch(), n = B == 0 ? 0 : static_cast<Eigen::Index>(detail::rows_of(v).size()) / B;
    const Shape s = resolve(n);
    Flow<Scalar> out;
    out.values.push_back(reshaped(v, s));
    return out;
  }
  Flow<Scalar> call_train(const Flow<Scalar>& in, const std::vector<Batch<Scalar>>* initial_state) override {
    Flow<Scalar> out = call(in, initial_state);
    const Value<Scalar>& v = in.values.front();
    recorded_input_shape_ = v.rank == 3 ? Shape{v.sequence.time(), v.sequence.features()} : Shape{v.matrix.cols()};
    recorded_output_shape_ = out.values.front().shape();
    return out;
  }
  LayerGradients<Scalar> backward(const std::vector<Value<Scalar>>& cotangents) override {
    const Value<Scalar>& d = this->cotangent(cotangents, recorded_output_shape_, !recorded_output_shape_.empty());
    LayerGradients<Scalar> g;
    g.input = reshaped(d, recorded_input_shape_);
    return g;
  }

 private:
  // The output shape for `n` values per sample (-1: unknown).
  Shape resolve(Eigen::Index n) const {
    Shape s = target_;
    Eigen::Index known = 1, at = -1;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == -1)
        at = static_cast<Eigen::Index>(i);
      else
        known *= s[i];
    }
    if (n < 0) {
      if (at < 0)
        throw shape_error(detail::cat(this->label(), ": input with an unknown axis: expected a target_shape with -1, got ",
                                      shape_string(target_)));
      return s;
    }
    if (at >= 0) {
      if (known == 0 || n % known != 0)
        throw shape_error(detail::cat(this->label(), ": target_shape ", shape_string(target_), ": expected a size that ",
                                      "divides ", n, " (the values per sample), got ", known));
      s[static_cast<std::size_t>(at)] = n / known;
    } else if (known != n) {
      throw shape_error(detail::cat(this->label(), ": target_shape ", shape_string(target_), ": expected ", n,
                                    " values per sample (the input's), got ", known));
    }
    return s;
  }
  static Value<Scalar> reshaped(const Value<Scalar>& v, const Shape& s) {
    const Batch<Scalar>& r = detail::rows_of(v);
    const Eigen::Index B = v.batch(), n = s.size() == 2 ? s[0] * s[1] : s[0];
    Batch<Scalar> m(s.size() == 2 ? B * s[0] : B, s.back());
    // Both are row-major: the values of sample b are r's rows of b, in order.
    Eigen::Map<const Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> src(r.data(), B, n);
    Eigen::Map<Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(m.data(), B, n) = src;
    if (s.size() == 2) return Value<Scalar>::of(Sequence<Scalar>(B, s[0], std::move(m)));
    return Value<Scalar>::of(std::move(m));
  }

  Shape target_;
  bool flatten_;
  Shape recorded_input_shape_;
  std::vector<Eigen::Index> recorded_output_shape_;
};

/// Keras `RepeatVector(n)`: `(batch, features)` to `(batch, n, features)`.
template <class Scalar>
class RepeatVectorLayer final : public LayerBase<Scalar> {
 public:
  RepeatVectorLayer(Eigen::Index n, std::string name) : LayerBase<Scalar>(std::move(name)), n_(n) {}
  std::string class_name() const override { return "RepeatVector"; }
  std::vector<Shape> output_shapes(const Shape& input) const override {
    if (input.size() != 1)
      throw shape_error(detail::cat(this->label(), ": input: expected (batch, features), got ", keras_shape_string(input)));
    return {Shape{n_, input[0]}};
  }
  Flow<Scalar> call(const Flow<Scalar>& in, const std::vector<Batch<Scalar>>*) override {
    const Batch<Scalar>& x = this->input(in, true, false).matrix;
    Sequence<Scalar> y(x.rows(), n_, x.cols());
    for (Eigen::Index b = 0; b < x.rows(); ++b)
      for (Eigen::Index t = 0; t < n_; ++t) y.matrix().row(b * n_ + t) = x.row(b);
    Flow<Scalar> out;
    out.values.push_back(Value<Scalar>::of(std::move(y)));
    return out;
  }
  Flow<Scalar> call_train(const Flow<Scalar>& in, const std::vector<Batch<Scalar>>* initial_state) override {
    Flow<Scalar> out = call(in, initial_state);
    recorded_shape_ = out.values.front().shape();
    return out;
  }
  LayerGradients<Scalar> backward(const std::vector<Value<Scalar>>& cotangents) override {
    const Sequence<Scalar>& d = this->cotangent(cotangents, recorded_shape_, !recorded_shape_.empty()).sequence;
    Batch<Scalar> dx = Batch<Scalar>::Zero(d.batch(), d.features());
    for (Eigen::Index b = 0; b < d.batch(); ++b)
      for (Eigen::Index t = 0; t < n_; ++t) dx.row(b) += d.matrix().row(b * n_ + t);
    LayerGradients<Scalar> g;
    g.input = Value<Scalar>::of(std::move(dx));
    return g;
  }

 private:
  Eigen::Index n_;
  std::vector<Eigen::Index> recorded_shape_;
};

}  // namespace birnn
