#pragma once
/// @file
/// `PackedRight`: a constant right-hand matrix `W (k, n)`, packed once into the panel layout of
/// Eigen's matrix-product kernel, and `C += A W` against it.
///
/// Why: a recurrent step is one product `h_{t-1} U` with the same `U` at every step. Eigen's
/// product copies ("packs") both operands into its kernel's layout on every call, so a step of a
/// large layer spends a good part of its time re-packing `U` (4 MiB for 512 LSTM units, more
/// than the L2 cache of a core). Here `U` is packed once, when the weights change, and each step
/// packs only `h_{t-1}` (batch x units) into a scratch buffer the caller sized before the loop.
///
/// How: row-major `C = A W` is column-major `C^T = W^T A^T`; `W^T` is the kernel's left operand
/// (packed here, in depth blocks of `kc`) and `A^T` its right one (packed per call, in column
/// blocks of `nc`). The kernel (`gebp_kernel`), the packing routines and the cache-blocking
/// heuristic are Eigen 3.4's own (namespace `Eigen::internal`), so the arithmetic per element is
/// the one Eigen's product uses: k-blocks in order, sequential accumulation within a block.
/// Nothing here allocates after `pack`; `multiply_add` writes only inside `C`.
///
/// For float on a CPU with AVX-512, birnn's own kernel (`detail/avx512_gemm.hpp`) replaces
/// Eigen's: always when Eigen itself was compiled without AVX-512 (a build without `-march`
/// flags, where Eigen's kernel is SSE, 4-5x slower), and for products of at least 8 rows of A
/// when Eigen has AVX-512 (1.3-1.8x faster on the workloads' steps and input projections,
/// `benchmarks/bench_gemm.cpp`). Define `BIRNN_NO_AVX512_KERNEL` to always use Eigen's.

#include "birnn/detail/avx512_gemm.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace birnn::detail {

template <class Scalar>
class PackedRight {
  using Index = Eigen::Index;
  using Traits = Eigen::internal::gebp_traits<Scalar, Scalar>;
  using LhsMapper = Eigen::internal::const_blas_data_mapper<Scalar, Index, Eigen::ColMajor>;
  using RhsMapper = Eigen::internal::const_blas_data_mapper<Scalar, Index, Eigen::ColMajor>;
  using ResMapper = Eigen::internal::blas_data_mapper<Scalar, Index, Eigen::ColMajor, Eigen::Unaligned, 1>;
  // Packed blocks start on the widest alignment Eigen's kernels may load with.
  static constexpr Index align = std::max<Index>(1, EIGEN_MAX_ALIGN_BYTES / Index(sizeof(Scalar)));
  static Index aligned(Index n) noexcept { return (n + align - 1) / align * align; }

 public:
  /// Whether `pack` was called with a matrix (of `rows() x cols()`).
  bool empty() const noexcept { return blocks_.empty(); }
  /// Whether the products run on birnn's AVX-512 kernel rather than Eigen's.
  bool own_kernel() const noexcept { return own_kernel_; }
  Index rows() const noexcept { return k_; }
  Index cols() const noexcept { return n_; }

  /// Packs the row-major `w (k, n)` (row stride `ldw`) for products `A w` with about
  /// `max_rows` rows of `A` per call (which chooses the kernel and the blocking; any number of
  /// rows works). `allow_own_kernel = false` keeps Eigen's kernel (tests compare the two).
  void pack(const Scalar* w, Index k, Index n, Index ldw, Index max_rows, bool allow_own_kernel = true) {
    k_ = k;
    n_ = n;
    own_kernel_ = allow_own_kernel && uses_own_kernel(max_rows);
    if (own_kernel_) {
      if constexpr (std::is_same_v<Scalar, float>) {
        offsets_.assign(1, 0);
        blocks_.assign(static_cast<std::size_t>(avx512::packed_size(k, n)), Scalar(0));
        avx512::pack(w, k, n, ldw, blocks_.data());
      }
      return;
    }
    Index kc = k, mc = n, nc = std::max<Index>(max_rows, 1);
    Eigen::internal::computeProductBlockingSizes<Scalar, Scalar>(kc, mc, nc, Index(1));
    kc_ = std::max<Index>(kc, 1);
    nc_ = std::max<Index>(nc, 1);
    const Index blocks = (k + kc_ - 1) / kc_;
    offsets_.assign(static_cast<std::size_t>(blocks) + 1, 0);
    for (Index b = 0; b < blocks; ++b) {
      const Index depth = std::min(kc_, k - b * kc_);
      offsets_[static_cast<std::size_t>(b) + 1] = offsets_[static_cast<std::size_t>(b)] + aligned(depth * n);
    }
    blocks_.assign(static_cast<std::size_t>(offsets_.back()), Scalar(0));
    Eigen::internal::gemm_pack_lhs<Scalar, Index, LhsMapper, Traits::mr, Traits::LhsProgress,
                                   typename Traits::LhsPacket4Packing, Eigen::ColMajor>
        pack_lhs;
    const LhsMapper wt(w, ldw);  // W^T (n, k), column-major with column stride ldw
    for (Index b = 0; b < blocks; ++b) {
      const Index depth = std::min(kc_, k - b * kc_);
      pack_lhs(blocks_.data() + offsets_[static_cast<std::size_t>(b)], wt.getSubMapper(0, b * kc_), depth, n);
    }
  }

  /// An upper bound of `scratch_size(m)` for any packed `W` of `k` rows.
  static Index scratch_bound(Index k, Index m) noexcept { return aligned(k * m) + align; }

  /// Scratch scalars `multiply_add` needs for an `A` of `m` rows.
  Index scratch_size(Index m) const noexcept {
    return own_kernel_ ? 0 : aligned(std::min(kc_, k_) * std::min(nc_, m)) + align;
  }

  /// `C += A W` for the row-major `A (m, k)` (row stride `lda`) and `C (m, n)` (row stride
  /// `ldc`). `scratch` holds at least `scratch_size(m)` scalars (any alignment).
  void multiply_add(const Scalar* a, Index lda, Index m, Scalar* c, Index ldc, Scalar* scratch) const {
    multiply(a, lda, m, c, ldc, scratch, c, ldc);
  }

  /// `C = S + A W`, as `multiply_add`, with the row-major `S (m, n)` (row stride `lds`):
  /// `lds == 0` adds the one row `S` to every row (a bias), a null `S` adds nothing, and
  /// `S == C` with `lds == ldc` is `multiply_add`; otherwise S must not overlap C.
  void multiply(const Scalar* a, Index lda, Index m, Scalar* c, Index ldc, Scalar* scratch, const Scalar* s,
                Index lds) const {
    if (m <= 0 || n_ <= 0) return;
    if constexpr (std::is_same_v<Scalar, float>) {
      if (own_kernel_) {
        avx512::multiply(blocks_.data(), k_, n_, a, lda, m, c, ldc, s, lds);
        return;
      }
    }
    if (s != c || lds != ldc) {
      for (Index i = 0; i < m; ++i) {
        Scalar* row = c + i * ldc;
        if (s)
          std::copy(s + i * lds, s + i * lds + n_, row);
        else
          std::fill(row, row + n_, Scalar(0));
      }
    }
    if (k_ <= 0) return;
    Scalar* block_b = align_up(scratch);
    Eigen::internal::gemm_pack_rhs<Scalar, Index, RhsMapper, Traits::nr, Eigen::ColMajor> pack_rhs;
    Eigen::internal::gebp_kernel<Scalar, Scalar, Index, ResMapper, Traits::mr, Traits::nr, false, false> gebp;
    const RhsMapper at(a, lda);  // A^T (k, m), column-major with column stride lda
    const ResMapper ct(c, ldc);  // C^T (n, m)
    const Index blocks = static_cast<Index>(offsets_.size()) - 1;
    for (Index b = 0; b < blocks; ++b) {
      const Index k0 = b * kc_, depth = std::min(kc_, k_ - k0);
      const Scalar* block_a = blocks_.data() + offsets_[static_cast<std::size_t>(b)];
      for (Index j0 = 0; j0 < m; j0 += nc_) {
        const Index width = std::min(nc_, m - j0);
        pack_rhs(block_b, at.getSubMapper(k0, j0), depth, width);
        gebp(ct.getSubMapper(0, j0), block_a, block_b, n_, depth, width, Scalar(1));
      }
    }
  }

 private:
  static bool uses_own_kernel(Index max_rows) noexcept {
    if constexpr (!std::is_same_v<Scalar, float>) {
      return false;
    } else {
      if (!avx512::available()) return false;
#ifdef EIGEN_VECTORIZE_AVX512
      return max_rows >= 8;
#else
      (void)max_rows;
      return true;
#endif
    }
  }

  static Scalar* align_up(Scalar* p) noexcept {
    const auto bytes = static_cast<std::size_t>(EIGEN_MAX_ALIGN_BYTES);
    if (bytes <= 1) return p;
    const auto address = reinterpret_cast<std::uintptr_t>(p);
    return reinterpret_cast<Scalar*>((address + bytes - 1) / bytes * bytes);
  }

  Index k_ = 0, n_ = 0, kc_ = 1, nc_ = 1;
  bool own_kernel_ = false;
  std::vector<Index> offsets_;
  std::vector<Scalar, Eigen::aligned_allocator<Scalar>> blocks_;
};

}  // namespace birnn::detail
