#pragma once
/// @file
/// The derivatives of Keras activations, written in terms of the activation's *output*, as
/// backpropagation through a recorded forward pass needs them: the forward pass keeps the
/// post-activation gates, so `d x = d y * act'(x)` is computed from `y = act(x)` alone.
/// Every activation of `activation.hpp` has such a form except `silu` and `gelu`, whose
/// derivative needs the input; `differentiable_from_output()` tells which ones work, and the
/// layers check it (with a `config_error`) before a backward pass starts.
/// `hard_sigmoid` takes the derivative 1/6 strictly inside (0, 1) and 0 on the clipped parts
/// (`hard_sigmoid_keras2`: 0.2).

#include "birnn/errors.hpp"
#include "birnn/math/activation.hpp"

#include <Eigen/Core>

#include <string>

namespace birnn::train {

/// Whether the derivative of `a` can be written in terms of its output (all but silu, gelu).
constexpr bool differentiable_from_output(Activation a) noexcept {
  return a != Activation::silu && a != Activation::gelu;
}

/// @throws config_error naming `layer` when `a` has no derivative in terms of its output.
inline void require_differentiable(Activation a, const std::string& layer) {
  if (!differentiable_from_output(a))
    throw config_error(detail::cat(layer, ": backward: activation '", to_string(a),
                                   "' is not supported by birnn's backward pass (expected one of linear, tanh, "
                                   "sigmoid, hard_sigmoid, relu, relu6, elu, selu, softplus, softsign, exponential, "
                                   "softmax)"));
}

}  // namespace birnn::train

namespace birnn::detail {

/// `d = d * act'(x)` in place, where `y = act(x)` is the recorded output (rows for softmax).
/// `d` may be a block. Activations without such a form (silu, gelu) leave `d` unchanged:
/// callers check `train::differentiable_from_output` first.
template <class Y, class D>
void backprop_activation(Activation a, const Eigen::MatrixBase<Y>& y_, Eigen::MatrixBase<D>& d_) {
  using Scalar = typename D::Scalar;
  const auto y = y_.array();
  auto d = d_.array();
  switch (a) {
    case Activation::linear: return;
    case Activation::tanh: d *= Scalar(1) - y.square(); return;
    case Activation::sigmoid: d *= y * (Scalar(1) - y); return;
    case Activation::hard_sigmoid:
      d *= (y > Scalar(0) && y < Scalar(1)).template cast<Scalar>() * (Scalar(1) / Scalar(6));
      return;
    case Activation::hard_sigmoid_keras2:
      d *= (y > Scalar(0) && y < Scalar(1)).template cast<Scalar>() * Scalar(0.2);
      return;
    case Activation::relu: d *= (y > Scalar(0)).template cast<Scalar>(); return;
    case Activation::relu6: d *= (y > Scalar(0) && y < Scalar(6)).template cast<Scalar>(); return;
    case Activation::elu: d *= (y > Scalar(0)).select(Scalar(1) + Scalar(0) * y, y + Scalar(1)); return;
    case Activation::selu: {
      const Scalar alpha(1.6732632423543772848170429916717);
      const Scalar scale(1.0507009873554804934193349852946);
      d *= (y > Scalar(0)).select(scale + Scalar(0) * y, y + scale * alpha);
      return;
    }
    case Activation::softplus: d *= Scalar(1) - (-y).exp(); return;
    case Activation::softsign: d *= (Scalar(1) - y.abs()).square(); return;
    case Activation::exponential: d *= y; return;
    case Activation::softmax:
      for (Eigen::Index r = 0; r < d_.rows(); ++r) {
        const Scalar dot = (d_.row(r).array() * y_.row(r).array()).sum();
        d_.row(r).array() = y_.row(r).array() * (d_.row(r).array() - dot);
      }
      return;
    case Activation::silu:
    case Activation::gelu: return;
  }
}

template <class Y, class D>
void backprop_activation(Activation a, const Eigen::MatrixBase<Y>& y, Eigen::MatrixBase<D>&& d) {
  backprop_activation(a, y, d);
}

}  // namespace birnn::detail
