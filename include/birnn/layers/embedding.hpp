#pragma once
/// @file
/// `Embedding`: token ids `(batch, time)` to vectors `(batch, time, output_dim)`.
/// Keras counterpart: `keras.layers.Embedding(input_dim, output_dim, mask_zero)`.
/// With `mask_zero`, id 0 is padding: the layer's mask is `id != 0`. Ids outside
/// `[0, input_dim)` are an error (Keras raises one too). Parameters `input_dim * output_dim`.

#include "birnn/cells/cell_traits.hpp"
#include "birnn/errors.hpp"
#include "birnn/types/sequence.hpp"
#include "birnn/types/size.hpp"
#include "birnn/types/tensor.hpp"
#include "birnn/types/value.hpp"

#include <Eigen/Core>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace birnn {

/// A Keras Embedding layer.
/// @tparam Scalar  float or double.
template <class Scalar>
class Embedding {
 public:
  using Table = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

  /// @throws config_error for a non-positive size.
  Embedding(Eigen::Index input_dim, Eigen::Index output_dim, bool mask_zero = false, std::string name = "embedding")
      : name_(std::move(name)), mask_zero_(mask_zero) {
    if (input_dim <= 0 || output_dim <= 0)
      throw config_error(detail::cat(label(), ": input_dim and output_dim: expected positive numbers, got ",
                                     input_dim, " and ", output_dim));
    embeddings_.setZero(input_dim, output_dim);
  }

  const std::string& name() const noexcept { return name_; }
  Eigen::Index input_dim() const noexcept { return embeddings_.rows(); }
  Eigen::Index output_dim() const noexcept { return embeddings_.cols(); }
  bool mask_zero() const noexcept { return mask_zero_; }
  Eigen::Index count_params() const noexcept { return embeddings_.size(); }

  /// The table `(input_dim, output_dim)`: row i is the vector of id i.
  Table& embeddings() noexcept { return embeddings_; }
  const Table& embeddings() const noexcept { return embeddings_; }
  std::vector<WeightSpec> weight_specs() const { return {{"embeddings", {input_dim(), output_dim()}}}; }
  /// @throws weight_error for a wrong count or shape.
  void set_weights(const std::vector<Tensor<Scalar>>& w) {
    detail::check_weight_count(label(), w, 1);
    detail::assign_checked(label(), "embeddings", w[0], {input_dim(), output_dim()}, embeddings_);
  }
  std::vector<Tensor<Scalar>> get_weights() const { return {Tensor<Scalar>::from_matrix(embeddings_)}; }

  /// The vectors of `ids`, `(batch, time, output_dim)`.
  /// @throws value_error for an id outside [0, input_dim); shape_error for zero time steps.
  Sequence<Scalar> forward(const TokenIds& ids) const {
    for (Eigen::Index b = 0; b < ids.rows(); ++b)
      for (Eigen::Index t = 0; t < ids.cols(); ++t)
        if (ids(b, t) < 0 || ids(b, t) >= input_dim())
          throw value_error(detail::cat(label(), ": token id at (", b, ", ", t, "): expected 0 to ", input_dim() - 1,
                                        ", got ", ids(b, t)));
    Sequence<Scalar> out(ids.rows(), ids.cols(), output_dim());
    for (Eigen::Index b = 0; b < ids.rows(); ++b)
      for (Eigen::Index t = 0; t < ids.cols(); ++t) out.matrix().row(b * ids.cols() + t) = embeddings_.row(ids(b, t));
    return out;
  }
  /// The mask Keras computes: `ids != 0` with `mask_zero`, else none.
  std::optional<Mask> compute_mask(const TokenIds& ids) const {
    if (!mask_zero_) return std::nullopt;
    return Mask(ids != 0);
  }

  /// The backward of `forward(ids)`: the gradient of the table, `(input_dim, output_dim)`,
  /// from the cotangent `dy` of the output (row i sums `dy` over every place id i was read).
  /// @throws shape_error when `dy` is not `(batch, time, output_dim)` of `ids`.
  Table backward(const TokenIds& ids, const Sequence<Scalar>& dy) const {
    if (dy.batch() != ids.rows() || dy.time() != ids.cols() || dy.features() != output_dim())
      throw shape_error(detail::cat(label(), ": backward: output cotangent shape: expected ",
                                    shape_string({ids.rows(), ids.cols(), output_dim()}), ", got ",
                                    shape_string({dy.batch(), dy.time(), dy.features()})));
    Table d = Table::Zero(input_dim(), output_dim());
    for (Eigen::Index b = 0; b < ids.rows(); ++b)
      for (Eigen::Index t = 0; t < ids.cols(); ++t) d.row(ids(b, t)) += dy.matrix().row(b * ids.cols() + t);
    return d;
  }

 private:
  std::string label() const { return detail::cat("birnn::Embedding '", name_, "'"); }

  std::string name_;
  bool mask_zero_;
  Table embeddings_;
};

}  // namespace birnn
