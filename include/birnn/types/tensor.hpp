#pragma once
/// @file
/// `Tensor`: an n-dimensional array of weights as Keras's `get_weights()` gives them: a shape
/// and the values in row-major (C) order. It carries weights in and out of layers
/// (`set_weights`, `get_weights`) and from files; the layers keep their own typed copies.

#include "birnn/errors.hpp"

#include <Eigen/Core>

#include <cstddef>
#include <sstream>
#include <string>
#include <vector>

namespace birnn {

/// A shape and row-major values, as a NumPy array from Keras's `get_weights()`.
template <class Scalar>
struct Tensor {
  std::vector<Eigen::Index> shape;
  std::vector<Scalar> values;

  Tensor() = default;
  Tensor(std::vector<Eigen::Index> s, std::vector<Scalar> v) : shape(std::move(s)), values(std::move(v)) {}

  /// The product of the shape (1 for a scalar).
  Eigen::Index size() const noexcept {
    Eigen::Index n = 1;
    for (auto d : shape) n *= d;
    return n;
  }
  /// A 2-D matrix as a tensor.
  template <class Derived>
  static Tensor from_matrix(const Eigen::MatrixBase<Derived>& m) {
    Tensor t({m.rows(), m.cols()}, {});
    t.values.reserve(static_cast<std::size_t>(m.size()));
    for (Eigen::Index r = 0; r < m.rows(); ++r)
      for (Eigen::Index c = 0; c < m.cols(); ++c) t.values.push_back(m(r, c));
    return t;
  }
  /// A vector as a 1-D tensor.
  template <class Derived>
  static Tensor from_vector(const Eigen::MatrixBase<Derived>& v) {
    Tensor t({v.size()}, {});
    t.values.reserve(static_cast<std::size_t>(v.size()));
    for (Eigen::Index i = 0; i < v.size(); ++i) t.values.push_back(v(i));
    return t;
  }
};

/// "(2, 12)": a shape as Keras prints it.
inline std::string shape_string(const std::vector<Eigen::Index>& shape) {
  std::ostringstream os;
  os << '(';
  for (std::size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
  if (shape.size() == 1) os << ',';
  os << ')';
  return os.str();
}

namespace detail {

/// Checks that `t` has the shape `spec_shape` and holds that many values.
template <class Scalar>
void check_tensor(const std::string& layer, const std::string& weight, const Tensor<Scalar>& t,
                  const std::vector<Eigen::Index>& shape) {
  if (t.shape != shape)
    throw weight_error(cat(layer, ": weight '", weight, "': expected shape ", shape_string(shape), ", got ",
                           shape_string(t.shape)));
  if (static_cast<Eigen::Index>(t.values.size()) != t.size())
    throw weight_error(cat(layer, ": weight '", weight, "': shape ", shape_string(t.shape), " needs ", t.size(),
                           " values, got ", t.values.size()));
}

/// Copies `t` into `m` after checking that `t` has exactly `shape` and holds that many values.
template <class Scalar, class Derived>
void assign_checked(const std::string& layer, const std::string& weight, const Tensor<Scalar>& t,
                    const std::vector<Eigen::Index>& shape, Eigen::MatrixBase<Derived>& m) {
  check_tensor(layer, weight, t, shape);
  // m has the same number of elements; for a 1-D weight m is a row or column vector.
  Eigen::Index k = 0;
  for (Eigen::Index r = 0; r < m.rows(); ++r)
    for (Eigen::Index c = 0; c < m.cols(); ++c) m(r, c) = t.values[static_cast<std::size_t>(k++)];
}

template <class Scalar, class Derived>
void assign_checked(const std::string& layer, const std::string& weight, const Tensor<Scalar>& t,
                    const std::vector<Eigen::Index>& shape, Eigen::MatrixBase<Derived>&& m) {
  assign_checked(layer, weight, t, shape, m);
}

}  // namespace detail
/// One weight of a layer: its Keras name (`kernel`, `recurrent_kernel`, `bias`) and shape.
struct WeightSpec {
  std::string name;
  std::vector<Eigen::Index> shape;
};

namespace detail {

/// Throws unless a layer got `expected` weights (Keras `get_weights()` order).
template <class Scalar>
void check_weight_count(const std::string& layer, const std::vector<Tensor<Scalar>>& weights, std::size_t expected) {
  if (weights.size() != expected)
    throw weight_error(cat(layer, ": weight count: expected ", expected, ", got ", weights.size()));
}

}  // namespace detail

}  // namespace birnn
