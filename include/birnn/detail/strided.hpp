#pragma once
/// @file
/// Views of every `time`-th row of a sequence-major matrix: step t of every sequence.

#include <Eigen/Core>

namespace birnn::detail {

/// A `(rows, cols)` view whose row r starts at `data + r * row_stride` (row-major rows;
/// a one-column matrix is column-major in Eigen, where the same memory is the inner stride).
template <class Matrix, class Pointer>
auto strided_rows(Pointer data, Eigen::Index rows, Eigen::Index cols, Eigen::Index row_stride) {
  using Plain = std::conditional_t<std::is_const_v<std::remove_pointer_t<Pointer>>, const Matrix, Matrix>;
  if constexpr (Matrix::IsRowMajor) {
    // Contiguous rows (inner stride 1 at compile time), so that expressions over the view vectorize.
    return Eigen::Map<Plain, Eigen::Unaligned, Eigen::OuterStride<>>(data, rows, cols, Eigen::OuterStride<>(row_stride));
  } else {
    using Stride = Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>;
    return Eigen::Map<Plain, Eigen::Unaligned, Stride>(data, rows, cols, Stride(row_stride * cols, row_stride));
  }
}

}  // namespace birnn::detail
