#pragma once
/// @file
/// The fused input projection of a `Bidirectional` whose two directions share a cell type:
/// one product `[b_f | b_b] + x [W_f | W_b]` projects the input of every step for both
/// directions, and its backward gives each direction's kernel gradient `X^T dP_dir` and
/// `dX = [dP_f | dP_b] [W_f | W_b]^T`. Also `run_both`, which runs the two directions (or the
/// two halves of a product) on two threads when the layer has a worker. Keras counterpart:
/// none (each direction of `keras.layers.Bidirectional` projects its own input); the result
/// is the two directions' projections side by side.

#include "birnn/detail/packed_gemm.hpp"
#include "birnn/parallel/worker.hpp"

#include <Eigen/Core>

#include <array>
#include <cstdint>

namespace birnn::detail {

/// Runs `forward()` and `backward()`. The directions share nothing but the input and the
/// projection: with a worker they run at the same time (`backward` on the worker's thread),
/// with identical results; without one (null), one after the other.
template <class F, class B>
void run_both(Worker* worker, F& forward, B& backward) {
  if (worker) {
    worker->run_pair(backward, forward);
  } else {
    forward();
    backward();
  }
}

/// `[W_f | W_b]` and `[b_f | b_b]`, the projection they give, and in training its input and
/// the cotangent dP of the projection. The buffers are kept across calls: calls with the same
/// shapes allocate nothing.
/// @tparam InputSize  the cells' compile-time input size (or `Eigen::Dynamic`).
template <class Scalar, int InputSize>
class FusedProjection {
 public:
  using Buffer = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

  /// Drops the fused kernel, which the next `refresh` rebuilds.
  void invalidate() { kernel_.resize(0, 0); }

  /// [W_f | W_b] and [b_f | b_b], rebuilt only when a direction's weights may have changed.
  /// `forward` and `backward` are the directions' `RecurrentCore`s.
  template <class ForwardCore, class BackwardCore>
  void refresh(const ForwardCore& forward, const BackwardCore& backward) {
    const auto& f = forward.weights();
    const auto& b = backward.weights();
    if (versions_[0] == forward.version() && versions_[1] == backward.version() && kernel_.size() != 0) return;
    kernel_.resize(f.kernel.rows(), f.kernel.cols() + b.kernel.cols());
    kernel_ << f.kernel, b.kernel;
    bias_.resize(1, f.bias.cols() + b.bias.cols());
    bias_ << f.bias, b.bias;
    // Packed once here rather than by every call's product; blocked for large inputs.
    packed_.pack(kernel_.data(), kernel_.rows(), kernel_.cols(), kernel_.cols(), Eigen::Index(1) << 14);
    versions_ = {forward.version(), backward.version()};
  }

  /// The width of the projection, its rows' stride: both directions' kernel columns.
  Eigen::Index width() const noexcept { return kernel_.cols(); }

  /// Projects every row of `x` (batch * time, features) after `refresh`; keeps `x` for the
  /// backward when `record`.
  template <class X>
  void project(const X& x, bool record, Worker* worker) {
    const Eigen::Index rows = x.rows();
    const Eigen::Index ld = kernel_.cols();
    if (record) input_ = x;
    projected_.resize(rows, ld);
    const Eigen::Index half = split_rows(rows);
    for (int part = 0; part < 2; ++part) {
      const Eigen::Index count = part == 0 ? half : rows - half;
      if (scratch_[part].size() < packed_.scratch_size(count)) scratch_[part].resize(packed_.scratch_size(count));
    }
    auto top = [&] { project_rows(x, 0, half, scratch_[0]); };
    auto bottom = [&] { project_rows(x, half, rows - half, scratch_[1]); };
    run_both(worker, top, bottom);
  }
  /// The projection of the last `project`, `(rows, width())`, row-major: the forward
  /// direction's columns first.
  const Scalar* projected() const noexcept { return projected_.data(); }

  /// dP, `(rows, width())`, for the directions' backward passes to write their columns of.
  Scalar* d_projected(Eigen::Index rows) {
    d_projected_.resize(rows, kernel_.cols());
    return d_projected_.data();
  }

  /// The fused projection's backward, from dP (written by the directions) and the recorded
  /// input: one product for the kernels of both directions (the forward one's gradient in `dwf`,
  /// its first `wf` columns; the backward one's in `dwb`), one for dX (into `d_input`).
  template <class ForwardWeights, class BackwardWeights, class DX>
  void backward(Eigen::Index wf, ForwardWeights& dwf, BackwardWeights& dwb, DX& d_input, Worker* worker) {
    const Eigen::Index ld = kernel_.cols();
    // Each half: one direction's kernel and bias gradient, and half of the rows of dX.
    const Eigen::Index rows = d_projected_.rows(), half = split_rows(rows);
    auto first = [&] {
      dwf.kernel.noalias() = input_.transpose() * d_projected_.leftCols(wf);
      dwf.bias = d_projected_.leftCols(wf).colwise().sum();
      d_input.topRows(half).noalias() = d_projected_.topRows(half) * kernel_.transpose();
    };
    auto second = [&] {
      dwb.kernel.noalias() = input_.transpose() * d_projected_.rightCols(ld - wf);
      dwb.bias = d_projected_.rightCols(ld - wf).colwise().sum();
      d_input.bottomRows(rows - half).noalias() = d_projected_.bottomRows(rows - half) * kernel_.transpose();
    };
    run_both(worker, first, second);
  }

 private:
  // The fused projection, and its backward, run as two halves (rows of x and dX, columns of
  // the kernels' gradient), one per thread with a worker and one after the other without:
  // the same products either way, so the results are identical. Below 64 rows one half is empty.
  static Eigen::Index split_rows(Eigen::Index rows) noexcept { return rows < 64 ? rows : rows / 2 / 16 * 16; }

  // Rows [first, first + count) of the projection: [b_f | b_b] + x [W_f | W_b].
  template <class X>
  void project_rows(const X& x, Eigen::Index first, Eigen::Index count,
                    Eigen::Matrix<Scalar, Eigen::Dynamic, 1>& scratch) {
    if (count == 0) return;
    const Eigen::Index ld = projected_.cols();
    packed_.multiply(x.data() + first * x.cols(), x.cols(), count, projected_.data() + first * ld, ld,
                     scratch.data(), bias_.data(), 0);
  }

  Eigen::Matrix<Scalar, InputSize, Eigen::Dynamic, Eigen::RowMajor> kernel_;
  Eigen::Matrix<Scalar, 1, Eigen::Dynamic> bias_;
  std::array<std::uint64_t, 2> versions_{};
  PackedRight<Scalar> packed_;  // kernel_, packed for the projection
  std::array<Eigen::Matrix<Scalar, Eigen::Dynamic, 1>, 2> scratch_;  // one per half
  Buffer projected_;
  // Training: the input of the recorded fused pass, and dP.
  Buffer input_, d_projected_;
};

}  // namespace birnn::detail
