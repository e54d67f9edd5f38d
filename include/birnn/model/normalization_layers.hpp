#pragma once
/// @file
/// `LayerNormalization` and `BatchNormalization` over the last axis in a runtime model, with
/// Keras's weights (`gamma` when `scale`, `beta` when `center`; BatchNormalization also
/// `moving_mean` and `moving_variance`, which are not trainable: their gradients are zero and
/// `call_train` moves them, as Keras's training step does) and backward passes.
///
/// Both pass the mask on. BatchNormalization's batch moments in training count only the steps
/// the mask keeps (Keras 3's `_moments`).

#include "birnn/errors.hpp"
#include "birnn/model/layer.hpp"
#include "birnn/model/utility_layers.hpp"
#include "birnn/types/tensor.hpp"
#include "birnn/types/value.hpp"

#include <Eigen/Core>

#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace birnn {

/// What both normalizations share: `features`, `epsilon`, the optional `gamma` and `beta`.
template <class Scalar>
class NormalizationBase : public LayerBase<Scalar> {
 public:
  using Row = Eigen::Matrix<Scalar, 1, Eigen::Dynamic>;

  NormalizationBase(Eigen::Index features, double epsilon, bool center, bool scale, std::string name)
      : LayerBase<Scalar>(std::move(name)), features_(features), epsilon_(epsilon), center_(center),
        scale_(scale), gamma_(Row::Ones(features)), beta_(Row::Zero(features)) {}

  Eigen::Index features() const noexcept { return features_; }
  std::vector<Shape> output_shapes(const Shape& input) const override {
    if (input.empty() || input.back() != features_)
      throw shape_error(detail::cat(this->label(), ": input features: expected ", features_, ", got ",
                                    input.empty() ? std::string("none") : std::to_string(input.back())));
    return {input};
  }

 protected:
  /// gamma, beta: the trainable weights in Keras's order.
  std::vector<WeightSpec> affine_specs() const {
    std::vector<WeightSpec> s;
    if (scale_) s.push_back({"gamma", {features_}});
    if (center_) s.push_back({"beta", {features_}});
    return s;
  }
  /// Reads gamma and beta from `w` starting at `at`; returns the next index.
  std::size_t set_affine(const std::vector<Tensor<Scalar>>& w, std::size_t at) {
    if (scale_) detail::assign_checked(this->label(), "gamma", w[at++], {features_}, gamma_);
    if (center_) detail::assign_checked(this->label(), "beta", w[at++], {features_}, beta_);
    return at;
  }
  void get_affine(std::vector<Tensor<Scalar>>& w) const {
    if (scale_) w.push_back(Tensor<Scalar>::from_vector(gamma_));
    if (center_) w.push_back(Tensor<Scalar>::from_vector(beta_));
  }
  /// The gradients of gamma and beta (those the layer has) from `d` and the normalized input.
  void affine_gradients(const Batch<Scalar>& d, const Batch<Scalar>& xhat, std::vector<Tensor<Scalar>>& out) const {
    if (scale_) out.push_back(Tensor<Scalar>::from_vector(Row((d.array() * xhat.array()).colwise().sum().matrix())));
    if (center_) out.push_back(Tensor<Scalar>::from_vector(Row(d.colwise().sum())));
  }
  const Value<Scalar>& checked_input(const Flow<Scalar>& in) const {
    const Value<Scalar>& v = this->input(in, true, true);
    if (v.features() != features_)
      throw shape_error(detail::cat(this->label(), ": input features: expected ", features_, ", got ", v.features()));
    return v;
  }

  Eigen::Index features_;
  double epsilon_;
  bool center_, scale_;
  Row gamma_, beta_;
};

/// Keras `LayerNormalization(axis=-1)`: each row to `(x - mean) / sqrt(variance + epsilon)`,
/// then `* gamma + beta`.
template <class Scalar>
class LayerNormalizationLayer final : public NormalizationBase<Scalar> {
  using Base = NormalizationBase<Scalar>;

 public:
  using Base::Base;
  std::string class_name() const override { return "LayerNormalization"; }
  Eigen::Index count_params() const override {
    return (this->scale_ + this->center_) * this->features_;
  }
  std::vector<WeightSpec> weight_specs() const override { return this->affine_specs(); }
  void set_weights(const std::vector<Tensor<Scalar>>& w) override {
    detail::check_weight_count(this->label(), w, weight_specs().size());
    this->set_affine(w, 0);
  }
  std::vector<Tensor<Scalar>> get_weights() const override {
    std::vector<Tensor<Scalar>> w;
    this->get_affine(w);
    return w;
  }
  void initialize(train::Rng&) override {
    this->gamma_.setOnes();
    this->beta_.setZero();
  }
  Flow<Scalar> call(const Flow<Scalar>& in, const std::vector<Batch<Scalar>>*) override {
    Flow<Scalar> out;
    out.values.push_back(this->checked_input(in));
    Batch<Scalar>& y = detail::rows_of(out.values.front());
    Batch<Scalar> xhat;
    normalize(y, xhat, nullptr);
    y = (xhat.array().rowwise() * this->gamma_.array()).rowwise() + this->beta_.array();
    out.mask = in.mask;
    return out;
  }
  Flow<Scalar> call_train(const Flow<Scalar>& in, const std::vector<Batch<Scalar>>* initial_state) override {
    Flow<Scalar> out = call(in, initial_state);
    Batch<Scalar> xhat;
    Eigen::Matrix<Scalar, Eigen::Dynamic, 1> inv;
    normalize(detail::rows_of(in.values.front()), xhat, &inv);
    xhat_ = std::move(xhat);
    inv_ = std::move(inv);
    shape_ = out.values.front().shape();
    return out;
  }
  // dx = inv * (g - mean(g) - xhat * mean(g * xhat)) per row, g = d * gamma.
  LayerGradients<Scalar> backward(const std::vector<Value<Scalar>>& cotangents) override {
    const Value<Scalar>& dv = this->cotangent(cotangents, shape_, xhat_.has_value());
    const Batch<Scalar>& d = detail::rows_of(dv);
    const Batch<Scalar>& xhat = *xhat_;
    const Batch<Scalar> g = d.array().rowwise() * this->gamma_.array();
    const auto n = static_cast<Scalar>(this->features_);
    LayerGradients<Scalar> out;
    out.input = dv;
    Batch<Scalar>& dx = detail::rows_of(*out.input);
    for (Eigen::Index r = 0; r < d.rows(); ++r) {
      const Scalar mg = g.row(r).sum() / n, mgx = (g.row(r).array() * xhat.row(r).array()).sum() / n;
      dx.row(r) = (*inv_)(r) * (g.row(r).array() - mg - xhat.row(r).array() * mgx).matrix();
    }
    this->affine_gradients(d, xhat, out.weights);
    return out;
  }

 private:
  // xhat = (x - mean) / sqrt(variance + epsilon) per row; `inv` gets 1 / sqrt(variance + epsilon).
  void normalize(const Batch<Scalar>& x, Batch<Scalar>& xhat, Eigen::Matrix<Scalar, Eigen::Dynamic, 1>* inv) const {
    xhat.resize(x.rows(), x.cols());
    if (inv) inv->resize(x.rows());
    for (Eigen::Index r = 0; r < x.rows(); ++r) {
      const Scalar mean = x.row(r).mean();
      const Scalar var = (x.row(r).array() - mean).square().mean();
      const Scalar i = Scalar(1) / std::sqrt(var + static_cast<Scalar>(this->epsilon_));
      xhat.row(r) = (x.row(r).array() - mean) * i;
      if (inv) (*inv)(r) = i;
    }
  }

  std::optional<Batch<Scalar>> xhat_;
  std::optional<Eigen::Matrix<Scalar, Eigen::Dynamic, 1>> inv_;
  std::vector<Eigen::Index> shape_;
};

/// Keras `BatchNormalization(axis=-1)`.
template <class Scalar>
class BatchNormalizationLayer final : public NormalizationBase<Scalar> {
  using Base = NormalizationBase<Scalar>;
  using Row = typename Base::Row;

 public:
  BatchNormalizationLayer(Eigen::Index features, double epsilon, bool center, bool scale, double momentum,
                          std::string name)
      : Base(features, epsilon, center, scale, std::move(name)), momentum_(momentum),
        moving_mean_(Row::Zero(features)), moving_variance_(Row::Ones(features)) {}
  std::string class_name() const override { return "BatchNormalization"; }
  Eigen::Index count_params() const override {
    return (this->scale_ + this->center_ + 2) * this->features_;
  }
  Eigen::Index non_trainable_params() const override { return 2 * this->features_; }
  std::vector<WeightSpec> weight_specs() const override {
    auto s = this->affine_specs();
    s.push_back({"moving_mean", {this->features_}});
    s.push_back({"moving_variance", {this->features_}});
    return s;
  }
  void set_weights(const std::vector<Tensor<Scalar>>& w) override {
    detail::check_weight_count(this->label(), w, weight_specs().size());
    std::size_t at = this->set_affine(w, 0);
    detail::assign_checked(this->label(), "moving_mean", w[at], {this->features_}, moving_mean_);
    detail::assign_checked(this->label(), "moving_variance", w[at + 1], {this->features_}, moving_variance_);
  }
  std::vector<Tensor<Scalar>> get_weights() const override {
    std::vector<Tensor<Scalar>> w;
    this->get_affine(w);
    w.push_back(Tensor<Scalar>::from_vector(moving_mean_));
    w.push_back(Tensor<Scalar>::from_vector(moving_variance_));
    return w;
  }
  void initialize(train::Rng&) override {
    this->gamma_.setOnes();
    this->beta_.setZero();
    moving_mean_.setZero();
    moving_variance_.setOnes();
  }
  Flow<Scalar> call(const Flow<Scalar>& in, const std::vector<Batch<Scalar>>*) override {
    Flow<Scalar> out;
    out.values.push_back(this->checked_input(in));
    const Row inv = (moving_variance_.array() + static_cast<Scalar>(this->epsilon_)).rsqrt().matrix();
    apply(detail::rows_of(out.values.front()), moving_mean_, inv, nullptr);
    out.mask = in.mask;
    return out;
  }
  /// The batch's moments normalize; the moving ones move towards them.
  Flow<Scalar> call_train(const Flow<Scalar>& in, const std::vector<Batch<Scalar>>*) override {
    Flow<Scalar> out;
    out.values.push_back(this->checked_input(in));
    Batch<Scalar>& x = detail::rows_of(out.values.front());
    const Value<Scalar>& v = in.values.front();
    // Which rows count in the moments: the steps the mask keeps (Keras 3's _moments).
    Eigen::Array<Scalar, Eigen::Dynamic, 1> keep = Eigen::Array<Scalar, Eigen::Dynamic, 1>::Ones(x.rows());
    if (in.mask && v.rank == 3) {
      const Mask& m = *in.mask;
      if (m.rows() != v.sequence.batch() || m.cols() != v.sequence.time())
        throw mask_error(detail::cat(this->label(), ": mask shape: expected (", v.sequence.batch(), ", ",
                                     v.sequence.time(), "), got (", m.rows(), ", ", m.cols(), ")"));
      for (Eigen::Index b = 0; b < m.rows(); ++b)
        for (Eigen::Index t = 0; t < m.cols(); ++t) keep(b * m.cols() + t) = m(b, t) ? 1 : 0;
    }
    const Scalar count = keep.sum();
    const Row mean = (x.array().colwise() * keep).colwise().sum().matrix() / count;
    const Row var = ((x.rowwise() - mean).array().square().colwise() * keep).colwise().sum().matrix() / count;
    const Row inv = (var.array() + static_cast<Scalar>(this->epsilon_)).rsqrt().matrix();
    const auto mom = static_cast<Scalar>(momentum_);
    moving_mean_ = moving_mean_ * mom + mean * (Scalar(1) - mom);
    moving_variance_ = moving_variance_ * mom + var * (Scalar(1) - mom);
    Batch<Scalar> xhat;
    apply(x, mean, inv, &xhat);
    record_ = Record{std::move(xhat), inv, std::move(keep), count, out.values.front().shape()};
    out.mask = in.mask;
    return out;
  }
  // With g = d * gamma, over the rows r (keep k_r, count N):
  // dx_r = inv * (g_r - k_r * (sum g) / N - k_r * xhat_r * (sum g * xhat) / N).
  LayerGradients<Scalar> backward(const std::vector<Value<Scalar>>& cotangents) override {
    const Value<Scalar>& dv =
        this->cotangent(cotangents, record_ ? record_->shape : std::vector<Eigen::Index>{}, record_.has_value());
    const Record& r = *record_;
    const Batch<Scalar>& d = detail::rows_of(dv);
    const Batch<Scalar> g = d.array().rowwise() * this->gamma_.array();
    const Row sg = g.colwise().sum();
    const Row sgx = (g.array() * r.xhat.array()).colwise().sum().matrix();
    LayerGradients<Scalar> out;
    out.input = dv;
    Batch<Scalar>& dx = detail::rows_of(*out.input);
    for (Eigen::Index i = 0; i < d.rows(); ++i)
      dx.row(i) = ((g.row(i).array() - r.keep(i) * (sg.array() + r.xhat.row(i).array() * sgx.array()) / r.count) *
                   r.inv.array())
                      .matrix();
    this->affine_gradients(d, r.xhat, out.weights);
    out.weights.push_back(Tensor<Scalar>::from_vector(Row(Row::Zero(this->features_))));
    out.weights.push_back(Tensor<Scalar>::from_vector(Row(Row::Zero(this->features_))));
    return out;
  }

 private:
  struct Record {
    Batch<Scalar> xhat;
    Row inv;
    Eigen::Array<Scalar, Eigen::Dynamic, 1> keep;
    Scalar count;
    std::vector<Eigen::Index> shape;
  };
  // x = (x - mean) * inv * gamma + beta in place; `xhat` gets (x - mean) * inv.
  void apply(Batch<Scalar>& x, const Row& mean, const Row& inv, Batch<Scalar>* xhat) const {
    Batch<Scalar> h = (x.rowwise() - mean).array().rowwise() * inv.array();
    x = (h.array().rowwise() * this->gamma_.array()).rowwise() + this->beta_.array();
    if (xhat) *xhat = std::move(h);
  }

  double momentum_;
  Row moving_mean_, moving_variance_;
  std::optional<Record> record_;
};

}  // namespace birnn
