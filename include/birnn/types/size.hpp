#pragma once
/// @file
/// Compile-time size arithmetic that keeps `Eigen::Dynamic` dynamic (4 * Dynamic would be -4),
/// and the storage order of our row-major matrices (Eigen insists a one-column matrix be
/// column-major; it has the same memory layout).

#include <Eigen/Core>

namespace birnn::detail {

constexpr int times(int factor, int size) { return size == Eigen::Dynamic ? Eigen::Dynamic : factor * size; }
constexpr int plus(int a, int b) {
  return a == Eigen::Dynamic || b == Eigen::Dynamic ? Eigen::Dynamic : a + b;
}
constexpr int row_major(int cols) { return cols == 1 ? Eigen::ColMajor : Eigen::RowMajor; }

}  // namespace birnn::detail

namespace birnn {

/// One row per sequence of the batch: `(batch, Cols)`, row-major, as Keras lays out states.
template <class Scalar, int Cols = Eigen::Dynamic>
using Batch = Eigen::Matrix<Scalar, Eigen::Dynamic, Cols, detail::row_major(Cols)>;

/// A Keras mask `(batch, time)`: true keeps the step, false masks it.
using Mask = Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

}  // namespace birnn
