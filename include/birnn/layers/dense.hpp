#pragma once
/// @file
/// `Dense`: `activation(x W + b)` on the last axis. Keras counterpart: `keras.layers.Dense`.
/// On a sequence `(batch, time, features)` it acts on every time step (one matrix product for
/// all of them) and passes the mask on. Weights `kernel (input, units)`, `bias (units)`.

#include "birnn/cells/cell_traits.hpp"
#include "birnn/errors.hpp"
#include "birnn/math/activation.hpp"
#include "birnn/math/activation_derivative.hpp"
#include "birnn/types/sequence.hpp"
#include "birnn/types/size.hpp"
#include "birnn/types/tensor.hpp"

#include <Eigen/Core>

#include <string>
#include <vector>

namespace birnn {

/// A Keras Dense layer.
/// @tparam Scalar  float or double.
template <class Scalar>
class Dense {
 public:
  using Kernel = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using Bias = Eigen::Matrix<Scalar, 1, Eigen::Dynamic>;

  /// @throws config_error for a non-positive size.
  Dense(Eigen::Index input_size, Eigen::Index units, Activation activation = Activation::linear, bool use_bias = true,
        std::string name = "dense")
      : name_(std::move(name)), activation_(activation), use_bias_(use_bias) {
    if (input_size <= 0 || units <= 0)
      throw config_error(detail::cat(label(), ": input size and units: expected positive numbers, got ", input_size,
                                     " and ", units));
    kernel_.setZero(input_size, units);
    bias_.setZero(units);
  }

  const std::string& name() const noexcept { return name_; }
  Eigen::Index input_size() const noexcept { return kernel_.rows(); }
  Eigen::Index units() const noexcept { return kernel_.cols(); }
  Activation activation() const noexcept { return activation_; }
  bool use_bias() const noexcept { return use_bias_; }
  Eigen::Index count_params() const noexcept { return kernel_.size() + (use_bias_ ? bias_.size() : 0); }

  Kernel& kernel() noexcept { return kernel_; }
  const Kernel& kernel() const noexcept { return kernel_; }
  Bias& bias() noexcept { return bias_; }
  const Bias& bias() const noexcept { return bias_; }

  std::vector<WeightSpec> weight_specs() const {
    std::vector<WeightSpec> s{{"kernel", {input_size(), units()}}};
    if (use_bias_) s.push_back({"bias", {units()}});
    return s;
  }
  /// @throws weight_error for a wrong count or shape; no weight changes then.
  void set_weights(const std::vector<Tensor<Scalar>>& w) {
    const auto s = weight_specs();
    detail::check_weight_count(label(), w, s.size());
    for (std::size_t i = 0; i < s.size(); ++i) detail::check_tensor(label(), s[i].name, w[i], s[i].shape);
    detail::assign_checked(label(), "kernel", w[0], s[0].shape, kernel_);
    if (use_bias_) detail::assign_checked(label(), "bias", w[1], s[1].shape, bias_);
  }
  std::vector<Tensor<Scalar>> get_weights() const {
    std::vector<Tensor<Scalar>> w{Tensor<Scalar>::from_matrix(kernel_)};
    if (use_bias_) w.push_back(Tensor<Scalar>::from_vector(bias_));
    return w;
  }

  /// `(batch, input)` to `(batch, units)`.
  /// @throws shape_error for a wrong feature count.
  template <class Derived>
  Batch<Scalar> forward(const Eigen::MatrixBase<Derived>& x) const {
    detail::require_equal(label(), "input features", input_size(), x.cols());
    Batch<Scalar> y(x.rows(), units());
    apply(x, y);
    return y;
  }
  /// `(batch, time, input)` to `(batch, time, units)`: every step.
  Sequence<Scalar> forward(const Sequence<Scalar>& x) const {
    detail::require_equal(label(), "input features", input_size(), x.features());
    Sequence<Scalar> y(x.batch(), x.time(), units());
    apply(x.matrix(), y.matrix());
    return y;
  }

  /// The backward of `forward` on rows: from its input `x`, the output `y` it gave and the
  /// cotangent `dy` (`dL/dy`, shaped like `y`), sets `d_kernel` and `d_bias` and returns `dL/dx`.
  /// @throws shape_error for arrays of the wrong shape; config_error for an activation
  ///         without a derivative in birnn (silu, gelu).
  template <class X, class Y, class DY>
  Batch<Scalar> backward(const Eigen::MatrixBase<X>& x, const Eigen::MatrixBase<Y>& y, const Eigen::MatrixBase<DY>& dy,
                         Kernel& d_kernel, Bias& d_bias) const {
    train::require_differentiable(activation_, label());
    detail::require_equal(label(), "backward: input features", input_size(), x.cols());
    detail::require_equal(label(), "backward: output cotangent features", units(), dy.cols());
    detail::require_equal(label(), "backward: output cotangent rows", y.rows(), dy.rows());
    detail::require_equal(label(), "backward: input rows", y.rows(), x.rows());
    Batch<Scalar> dz = dy;
    detail::backprop_activation(activation_, y, dz);
    d_kernel.noalias() = x.transpose() * dz;
    d_bias = dz.colwise().sum();
    return dz * kernel_.transpose();
  }
  /// `d_kernel` and `d_bias` as Keras-ordered tensors (`bias` left out without `use_bias`).
  std::vector<Tensor<Scalar>> gradient_tensors(const Kernel& d_kernel, const Bias& d_bias) const {
    std::vector<Tensor<Scalar>> w{Tensor<Scalar>::from_matrix(d_kernel)};
    if (use_bias_) w.push_back(Tensor<Scalar>::from_vector(d_bias));
    return w;
  }

 private:
  std::string label() const { return detail::cat("birnn::Dense '", name_, "'"); }

  template <class X, class Y>
  void apply(const Eigen::MatrixBase<X>& x, Y& y) const {
    y.noalias() = x * kernel_;
    if (use_bias_) y.rowwise() += bias_;
    detail::activate(activation_, y);
  }

  std::string name_;
  Activation activation_;
  bool use_bias_;
  Kernel kernel_;
  Bias bias_;
};

}  // namespace birnn
