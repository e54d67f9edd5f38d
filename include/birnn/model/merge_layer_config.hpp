#pragma once
/// @file
/// Keras's merge layers as values, for Functional models (`Model::add(config, {a, b})`):
/// `Concatenate(axis=-1)`, `Add`, `Average`, `Multiply`. Each takes two or more inputs of the
/// same shape (Concatenate: the same but for the last axis). Masks as Keras 3: see
/// `model/merge_layers.hpp`.

#include "birnn/errors.hpp"
#include "birnn/model/utility_layer_config.hpp"

#include <string>

namespace birnn::keras {

/// Keras `Concatenate(axis=-1)`: along the last axis, the only one birnn supports (`axis`
/// may also name it by index, counting the batch axis as 0; the builder checks it).
class Concatenate : public detail::Named<Concatenate> {
 public:
  static constexpr const char* keras_name = "Concatenate";
  Concatenate& axis(int a) {
    if (a == 0 || a < -1)
      throw config_error(birnn::detail::cat("birnn::keras::Concatenate: axis: expected -1 (the last axis), got ", a));
    axis_ = a;
    return *this;
  }
  int axis() const noexcept { return axis_; }

 private:
  int axis_ = -1;
};

/// Keras `Add()`: the sum of the inputs.
class Add : public detail::Named<Add> {
 public:
  static constexpr const char* keras_name = "Add";
};

/// Keras `Average()`: the mean of the inputs.
class Average : public detail::Named<Average> {
 public:
  static constexpr const char* keras_name = "Average";
};

/// Keras `Multiply()`: the product of the inputs.
class Multiply : public detail::Named<Multiply> {
 public:
  static constexpr const char* keras_name = "Multiply";
};

}  // namespace birnn::keras
