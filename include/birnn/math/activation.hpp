#pragma once
/// @file
/// The activations birnn's cells and `Dense` accept, by their Keras names, and how they are
/// applied. Keras counterpart: `keras.activations`.
///
/// `hard_sigmoid` is Keras 3's `clip(x / 6 + 0.5, 0, 1)`; `hard_sigmoid_keras2` is Keras 2's
/// `clip(0.2 x + 0.5, 0, 1)`, which the file loaders give a layer that a Keras 2 file calls
/// `hard_sigmoid` (the maths of the Keras that wrote the file).
/// `softmax` normalises each row (the last axis), as Keras does.

#include "birnn/errors.hpp"

#include <Eigen/Core>

#include <cmath>
#include <string>
#include <string_view>

namespace birnn {

/// A Keras activation. The names are Keras's (`activation="tanh"`).
enum class Activation {
  linear,
  tanh,
  sigmoid,
  hard_sigmoid,
  relu,
  relu6,
  elu,
  selu,
  softplus,
  softsign,
  exponential,
  silu,
  gelu,
  softmax,
  hard_sigmoid_keras2,  ///< Keras 2's hard_sigmoid; birnn's name (Keras 2 called it "hard_sigmoid")
};

/// The Keras name of `a`.
inline const char* to_string(Activation a) noexcept {
  switch (a) {
    case Activation::linear: return "linear";
    case Activation::tanh: return "tanh";
    case Activation::sigmoid: return "sigmoid";
    case Activation::hard_sigmoid: return "hard_sigmoid";
    case Activation::relu: return "relu";
    case Activation::relu6: return "relu6";
    case Activation::elu: return "elu";
    case Activation::selu: return "selu";
    case Activation::softplus: return "softplus";
    case Activation::softsign: return "softsign";
    case Activation::exponential: return "exponential";
    case Activation::silu: return "silu";
    case Activation::gelu: return "gelu";
    case Activation::softmax: return "softmax";
    case Activation::hard_sigmoid_keras2: return "hard_sigmoid_keras2";
  }
  return "?";
}

/// The activation Keras calls `name` (`"swish"` is `silu`, `None` in a config is `linear`).
/// Keras names only: `hard_sigmoid_keras2` is not one (a Keras 2 file's "hard_sigmoid"
/// becomes it through the file loaders' `keras::Dialect`).
/// @throws config_error for a name birnn does not know.
inline Activation activation_from_string(std::string_view name) {
  for (int i = 0; i <= static_cast<int>(Activation::softmax); ++i) {
    const auto a = static_cast<Activation>(i);
    if (name == to_string(a)) return a;
  }
  if (name == "swish") return Activation::silu;
  throw config_error(detail::cat("birnn: activation: expected one of linear, tanh, sigmoid, hard_sigmoid, relu, "
                                 "relu6, elu, selu, softplus, softsign, exponential, silu, gelu, softmax; got '",
                                 name, "'"));
}

namespace detail {

/// Applies `a` in place to every element of `x` (rows of `x` for softmax). `x` may be a block.
template <class Derived>
void activate(Activation a, Eigen::MatrixBase<Derived>& x) {
  using Scalar = typename Derived::Scalar;
  auto v = x.array();
  switch (a) {
    case Activation::linear: return;
    case Activation::tanh: v = v.tanh(); return;
    // 1 / (1 + e^-x): accurate relative to the result over the whole float range (Eigen's
    // logistic() is accurate only in absolute terms, 2e-4 relative at x = -8).
    case Activation::sigmoid: v = (Scalar(1) + (-v).exp()).inverse(); return;
    case Activation::hard_sigmoid:
      v = (v * Scalar(1) / Scalar(6) + Scalar(0.5)).cwiseMax(Scalar(0)).cwiseMin(Scalar(1));
      return;
    case Activation::hard_sigmoid_keras2:
      v = (v * Scalar(0.2) + Scalar(0.5)).cwiseMax(Scalar(0)).cwiseMin(Scalar(1));
      return;
    case Activation::relu: v = v.cwiseMax(Scalar(0)); return;
    case Activation::relu6: v = v.cwiseMax(Scalar(0)).cwiseMin(Scalar(6)); return;
    case Activation::elu: v = (v > Scalar(0)).select(v, v.exp() - Scalar(1)); return;
    case Activation::selu: {
      const Scalar alpha(1.6732632423543772848170429916717);
      const Scalar scale(1.0507009873554804934193349852946);
      v = scale * (v > Scalar(0)).select(v, alpha * (v.exp() - Scalar(1)));
      return;
    }
    case Activation::softplus:  // log(1 + exp(x)) without overflow for large x
      v = v.cwiseMax(Scalar(0)) + (-v.abs()).exp().log1p();
      return;
    case Activation::softsign: v = v / (v.abs() + Scalar(1)); return;
    case Activation::exponential: v = v.exp(); return;
    case Activation::silu: v = v / (Scalar(1) + (-v).exp()); return;
    case Activation::gelu:  // Keras default: approximate=False, the exact erf form
      v = v.unaryExpr([](Scalar t) { return Scalar(0.5) * t * (Scalar(1) + std::erf(t * Scalar(0.70710678118654752440))); });
      return;
    case Activation::softmax:
      for (Eigen::Index r = 0; r < x.rows(); ++r) {
        auto row = x.row(r).array();
        row = (row - row.maxCoeff()).exp();
        row /= row.sum();
      }
      return;
  }
}

template <class Derived>
void activate(Activation a, Eigen::MatrixBase<Derived>&& x) {
  activate(a, x);
}

}  // namespace detail
}  // namespace birnn
