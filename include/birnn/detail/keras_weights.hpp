#pragma once
/// @file
/// The weights of a recurrent cell in Keras layout, shared by SimpleRNN, LSTM and GRU:
/// `kernel (input, G*u)`, `recurrent_kernel (u, G*u)`, then the bias: none
/// (`use_bias=False`), `(G*u,)`, or GRU `reset_after=True`'s `(2, G*u)` whose row 0 is added
/// on the input side and row 1 on the recurrent side. Gate blocks are contiguous column
/// ranges of width u, in the cell's gate order.

#include "birnn/detail/packed_gemm.hpp"
#include "birnn/errors.hpp"
#include "birnn/types/size.hpp"
#include "birnn/types/tensor.hpp"

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
  /// `recurrent_kernel` packed for the step's product (see `pack_recurrent`); not a weight:
  /// `set`, `get` and the parameter counts ignore it. Empty until packed.
  PackedRight<Scalar> packed_recurrent;

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

  /// Whether `add_recurrent` uses the packed kernel for a batch of `batch` rows: from 4 rows
  /// (below that the product is a matrix-vector one, where Eigen's own routine is faster) and
  /// kernels of at least 1024 values (smaller ones, often fixed-size, gain nothing from packing).
  bool packs_for(Eigen::Index batch) const noexcept {
    return gate_width != 1 && batch >= 4 && recurrent_kernel.size() >= 1024;
  }

  /// Packs `recurrent_kernel` for `add_recurrent` when `packs_for(batch)`; otherwise leaves the
  /// packed copy empty. Call it after every change of `recurrent_kernel` (the recurrent core
  /// does, before each time loop whose weights may have changed).
  void pack_recurrent(Eigen::Index batch) {
    if (packs_for(batch))
      packed_recurrent.pack(recurrent_kernel.data(), recurrent_kernel.rows(), recurrent_kernel.cols(),
                            recurrent_kernel.cols(), batch);
    else
      packed_recurrent = PackedRight<Scalar>();
  }

  /// Scratch scalars `add_recurrent` needs for `batch` rows (an upper bound, known before packing).
  static Eigen::Index scratch_size(Eigen::Index batch, Eigen::Index units) noexcept {
    return PackedRight<Scalar>::scratch_bound(units, batch);
  }

  /// `z += h * recurrent_kernel` for `h (batch, u)` and `z (batch, G*u)`: with the packed copy
  /// when it is there and matches, else with Eigen's product. `scratch` is grown if it is too
  /// small (so a caller that sized it with `scratch_size` never allocates here).
  template <class H, class Z, class S>
  void add_recurrent(const Eigen::MatrixBase<H>& h, Eigen::MatrixBase<Z>& z, Eigen::PlainObjectBase<S>& scratch) const {
    if (!packed_product(h, z, scratch, z.derived().data(), z.outerStride())) z.noalias() += h * recurrent_kernel;
  }

  /// `z = p + h * recurrent_kernel` (`p` of z's shape, e.g. a step's projected input): one
  /// pass over z on the packed path, `z = p` then `add_recurrent` otherwise.
  template <class H, class P, class Z, class S>
  void recurrent_plus(const Eigen::MatrixBase<H>& h, const Eigen::MatrixBase<P>& p, Eigen::MatrixBase<Z>& z,
                      Eigen::PlainObjectBase<S>& scratch) const {
    if constexpr (direct_rows<P>()) {
      if (p.rows() == z.rows() && p.cols() == z.cols() && p.innerStride() == 1 &&
          packed_product(h, z, scratch, p.derived().data(), p.outerStride()))
        return;
    }
    z = p;
    add_recurrent(h, z, scratch);
  }

  /// `z = recurrent_bias + h * recurrent_kernel`, the bias added to every row (GRU reset_after).
  template <class H, class Z, class S>
  void recurrent_plus_bias(const Eigen::MatrixBase<H>& h, Eigen::MatrixBase<Z>& z,
                           Eigen::PlainObjectBase<S>& scratch) const {
    if (packed_product(h, z, scratch, recurrent_bias.data(), 0)) return;
    z.rowwise() = recurrent_bias;
    z.noalias() += h * recurrent_kernel;
  }

  /// Whether `M` is row-major with rows in memory (a matrix, a block of one, a strided map).
  template <class M>
  static constexpr bool direct_rows() {
    return (int(Eigen::internal::traits<M>::Flags) & Eigen::DirectAccessBit) && M::IsRowMajor;
  }

 private:
  // z = s + h * recurrent_kernel on the packed copy (s: rows `lds` apart, 0: one row), when it
  // is there and the shapes and layouts fit; false (nothing written) otherwise.
  template <class H, class Z, class S>
  bool packed_product(const Eigen::MatrixBase<H>& h, Eigen::MatrixBase<Z>& z, Eigen::PlainObjectBase<S>& scratch,
                      const Scalar* s, Eigen::Index lds) const {
    if constexpr (direct_rows<H>() && direct_rows<Z>() && gate_width != 1) {
      if (!packed_recurrent.empty() && packed_recurrent.rows() == h.cols() && packed_recurrent.cols() == z.cols() &&
          h.rows() == z.rows() && h.innerStride() == 1 && z.innerStride() == 1) {
        const Eigen::Index need = packed_recurrent.scratch_size(h.rows());
        if (scratch.size() < need) scratch.resize(need, 1);
        packed_recurrent.multiply(h.derived().data(), h.outerStride(), h.rows(), z.derived().data(), z.outerStride(),
                                  scratch.data(), s, lds);
        return true;
      }
    }
    (void)h, (void)z, (void)scratch, (void)s, (void)lds;
    return false;
  }

 public:
  /// `projected = x * kernel + bias` for every row of `x`: the input side of every step at once.
  template <class X, class P>
  void project(const Eigen::MatrixBase<X>& x, Eigen::MatrixBase<P>& projected) const {
    projected.noalias() = x * kernel;
    projected.rowwise() += bias;
  }
};

}  // namespace birnn::detail
