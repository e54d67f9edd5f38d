#pragma once
/// @file
/// The weights of a recurrent cell in Keras layout, shared by SimpleRNN, LSTM and GRU:
/// `kernel (input, G*u)`, `recurrent_kernel (u, G*u)`, then the bias: none
/// (`use_bias=False`), `(G*u,)`, or GRU `reset_after=True`'s `(2, G*u)` whose row 0 is added
/// on the input side and row 1 on the recurrent side. Gate blocks are contiguous column
/// ranges of width u, in the cell's gate order.

#include "birnn/cells/cell_traits.hpp"
#include "birnn/detail/size.hpp"
#include "birnn/errors.hpp"
#include "birnn/tensor.hpp"

#include <Eigen/Core>

#include <string>
#include <vector>

namespace birnn::detail {

template <class Scalar, int InputSize, int Units, int Gates>
struct KerasWeights {
  static constexpr int gate_width = times(Gates, Units);
  using Kernel = Eigen::Matrix<Scalar, InputSize, gate_width, row_major(gate_width)>;
  using RecurrentKernel = Eigen::Matrix<Scalar, Units, gate_width, row_major(gate_width)>;
  using Bias = Eigen::Matrix<Scalar, 1, gate_width>;

  Kernel kernel;                     ///< (input, G*u): the input side of every gate
  RecurrentKernel recurrent_kernel;  ///< (u, G*u): the recurrent side of every gate
  Bias bias;                         ///< (G*u): added on the input side (Keras bias, or row 0 of a (2, G*u) bias)
  Bias recurrent_bias;               ///< (G*u): row 1 of a (2, G*u) bias, added on the recurrent side; else zero

  /// Zero weights for `input` features and `units` units.
  KerasWeights(Eigen::Index input, Eigen::Index units)
      : kernel(Kernel::Zero(input, Gates * units)),
        recurrent_kernel(RecurrentKernel::Zero(units, Gates * units)),
        bias(Bias::Zero(1, Gates * units)),
        recurrent_bias(Bias::Zero(1, Gates * units)) {}

  Eigen::Index input_size() const noexcept { return kernel.rows(); }
  Eigen::Index units() const noexcept { return recurrent_kernel.rows(); }

  /// The Keras names and shapes, in `get_weights()` order; `bias_rows` is 0, 1 or 2 (see the file comment).
  static std::vector<WeightSpec> specs(Eigen::Index input, Eigen::Index units, int bias_rows) {
    std::vector<WeightSpec> s{{"kernel", {input, Gates * units}}, {"recurrent_kernel", {units, Gates * units}}};
    if (bias_rows == 1) s.push_back({"bias", {Gates * units}});
    if (bias_rows == 2) s.push_back({"bias", {2, Gates * units}});
    return s;
  }

  static Eigen::Index count_params(Eigen::Index input, Eigen::Index units, int bias_rows) {
    return Gates * units * (input + units + bias_rows);
  }

  /// Sets the weights from `w`, Keras `get_weights()` order; every shape is checked first.
  void set(const std::string& layer, const std::vector<Tensor<Scalar>>& w, int bias_rows) {
    const auto s = specs(input_size(), units(), bias_rows);
    check_weight_count(layer, w, s.size());
    for (std::size_t i = 0; i < s.size(); ++i) check_tensor(layer, s[i].name, w[i], s[i].shape);  // all, before writing any
    assign_checked(layer, s[0].name, w[0], s[0].shape, kernel);
    assign_checked(layer, s[1].name, w[1], s[1].shape, recurrent_kernel);
    bias.setZero();
    recurrent_bias.setZero();
    if (bias_rows == 1) assign_checked(layer, s[2].name, w[2], s[2].shape, bias);
    if (bias_rows == 2) {
      Eigen::Matrix<Scalar, 2, gate_width, row_major(gate_width)> both(2, bias.cols());
      assign_checked(layer, s[2].name, w[2], s[2].shape, both);
      bias = both.row(0);
      recurrent_bias = both.row(1);
    }
  }

  /// The weights in Keras `get_weights()` order and shapes.
  std::vector<Tensor<Scalar>> get(int bias_rows) const {
    std::vector<Tensor<Scalar>> w{Tensor<Scalar>::from_matrix(kernel), Tensor<Scalar>::from_matrix(recurrent_kernel)};
    if (bias_rows == 1) w.push_back(Tensor<Scalar>::from_vector(bias));
    if (bias_rows == 2) {
      Tensor<Scalar> t = Tensor<Scalar>::from_vector(bias);
      t.values.insert(t.values.end(), recurrent_bias.data(), recurrent_bias.data() + recurrent_bias.size());
      t.shape = {2, bias.size()};
      w.push_back(std::move(t));
    }
    return w;
  }

  /// `projected = x * kernel + bias` for every row of `x`: the input side of every step at once.
  template <class X, class P>
  void project(const Eigen::MatrixBase<X>& x, Eigen::MatrixBase<P>& projected) const {
    projected.noalias() = x * kernel;
    projected.rowwise() += bias;
  }
};

}  // namespace birnn::detail
