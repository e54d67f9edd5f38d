#pragma once
/// @file
/// An AVX-512 single-precision kernel for `C = S + A W` with `W` packed once (`PackedRight`);
/// S is C itself (`C += A W`), one row (a bias) or another matrix (a step's projected input).
///
/// `W (k, n)` is packed in panels of 32 columns (zero-padded): panel p holds, row after row,
/// `W(kk, 32p .. 32p + 31)`. A tile of `MR` rows of C and one panel keeps `2 MR` accumulators
/// in registers; each step of the depth loop loads two vectors of the panel and broadcasts one
/// value of each row of A (no packing of A: its rows are read where they are). The loops block
/// the depth (`kc`) so that a panel stays in L1 and rows of A (`mc`) so that they stay in L2.
/// Each element of C is S's value plus the sum over each depth block, in order.
///
/// Compiled with a function target attribute and used only when the CPU reports AVX-512F at
/// run time (`avx512_available`), so a build without `-march` flags still uses it where it
/// can, and runs Eigen's kernel elsewhere. GCC and Clang on x86-64 only; other compilers and
/// targets always take Eigen's kernel.

#include <Eigen/Core>

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__) && !defined(BIRNN_NO_AVX512_KERNEL)
#define BIRNN_HAS_AVX512_KERNEL 1
#include <immintrin.h>
#else
#define BIRNN_HAS_AVX512_KERNEL 0
#endif

#include <algorithm>
#include <cstddef>

namespace birnn::detail::avx512 {

constexpr Eigen::Index panel = 32;  // columns of W per packed panel
constexpr int max_rows = 12;        // rows of C per register tile

#if BIRNN_HAS_AVX512_KERNEL

/// Whether this CPU runs AVX-512F code (checked once).
inline bool available() noexcept {
  static const bool yes = __builtin_cpu_supports("avx512f");
  return yes;
}

// One tile: rows [0, MR) and the (masked) columns [0, 32) of C, over the depth block
// [0, kc) of A and of the panel P. The first depth block writes `S + A P` (S's rows `lds`
// apart; null: zero), each later one adds `A P` to C.
template <int MR>
__attribute__((target("avx512f,prfchw"))) inline void tile(const float* a, Eigen::Index lda, const float* p,
                                                    Eigen::Index kc, float* c, Eigen::Index ldc, const float* s,
                                                    Eigen::Index lds, bool first, __mmask16 lo_mask,
                                                    __mmask16 hi_mask) noexcept {
  const float* in = first ? s : c;
  const Eigen::Index ld_in = first ? lds : ldc;
  // The rows this tile reads and writes are fetched while it computes: in a large product
  // (an input projection) they are far apart and in no cache.
#pragma GCC unroll 12
  for (int r = 0; r < MR; ++r) {
    __builtin_prefetch(c + r * ldc, 1, 3);
    __builtin_prefetch(c + r * ldc + 16, 1, 3);
    if (in && in != c) {
      __builtin_prefetch(in + r * ld_in, 0, 3);
      __builtin_prefetch(in + r * ld_in + 16, 0, 3);
    }
  }
  __m512 acc0[MR], acc1[MR];
#pragma GCC unroll 12
  for (int r = 0; r < MR; ++r) {
    acc0[r] = _mm512_setzero_ps();
    acc1[r] = _mm512_setzero_ps();
  }
  for (Eigen::Index kk = 0; kk < kc; ++kk) {
    const __m512 w0 = _mm512_loadu_ps(p + kk * panel);
    const __m512 w1 = _mm512_loadu_ps(p + kk * panel + 16);
#pragma GCC unroll 12
    for (int r = 0; r < MR; ++r) {
      const __m512 x = _mm512_set1_ps(a[r * lda + kk]);
      acc0[r] = _mm512_fmadd_ps(x, w0, acc0[r]);
      acc1[r] = _mm512_fmadd_ps(x, w1, acc1[r]);
    }
  }
#pragma GCC unroll 12
  for (int r = 0; r < MR; ++r) {
    float* row = c + r * ldc;
    if (in) {
      const float* from = in + r * ld_in;
      acc0[r] = _mm512_add_ps(_mm512_maskz_loadu_ps(lo_mask, from), acc0[r]);
      acc1[r] = _mm512_add_ps(_mm512_maskz_loadu_ps(hi_mask, from + 16), acc1[r]);
    }
    _mm512_mask_storeu_ps(row, lo_mask, acc0[r]);
    _mm512_mask_storeu_ps(row + 16, hi_mask, acc1[r]);
  }
}

template <int MR>
__attribute__((target("avx512f,prfchw"))) inline void tile_rows(int rows, const float* a, Eigen::Index lda, const float* p,
                                                         Eigen::Index kc, float* c, Eigen::Index ldc, const float* s,
                                                         Eigen::Index lds, bool first, __mmask16 lo,
                                                         __mmask16 hi) noexcept {
  if constexpr (MR > 1) {
    if (rows < MR) return tile_rows<MR - 1>(rows, a, lda, p, kc, c, ldc, s, lds, first, lo, hi);
  }
  tile<MR>(a, lda, p, kc, c, ldc, s, lds, first, lo, hi);
}

/// `C = S + A W`: `A (m, k)`, `C (m, n)` and `S (m, n)` row-major with row strides `lda`,
/// `ldc` and `lds`. `lds == 0` adds the one row `S` to every row; a null `S` adds nothing;
/// `S == C` with `lds == ldc` is `C += A W` (otherwise S must not overlap C). `packed` holds W
/// in panels (see the file comment). Writes only the m x n elements of C.
__attribute__((target("avx512f,prfchw"))) inline void multiply(const float* packed, Eigen::Index k, Eigen::Index n,
                                                        const float* a, Eigen::Index lda, Eigen::Index m, float* c,
                                                        Eigen::Index ldc, const float* s, Eigen::Index lds) noexcept {
  const Eigen::Index panels = (n + panel - 1) / panel;
  // Depth blocks: a 32-column panel of 384 rows is 48 KiB (L1). Many rows of A (an input
  // projection) take one block of up to 512 instead, because each further block re-reads and
  // re-writes all of C, which then no longer fits any cache.
  const Eigen::Index kc_max = m > 256 ? 512 : 384;
  const Eigen::Index kc_blocks = std::max<Eigen::Index>(1, (k + kc_max - 1) / kc_max);
  const Eigen::Index kc_step = std::max<Eigen::Index>(1, (k + kc_blocks - 1) / kc_blocks);
  const Eigen::Index mc = 120;  // 120 rows of A by kc: at most 240 KiB, within L2
  // k == 0 still makes one (empty) depth block, which writes S (or zeros) to C.
  for (Eigen::Index k0 = 0; k0 == 0 || k0 < k; k0 += kc_step) {
    const Eigen::Index kc = std::min(kc_step, k - k0);
    const bool first = k0 == 0;
    for (Eigen::Index i0 = 0; i0 < m; i0 += mc) {
      const Eigen::Index i1 = std::min(m, i0 + mc);
      for (Eigen::Index pnl = 0; pnl < panels; ++pnl) {
        const Eigen::Index j0 = pnl * panel, cols = std::min(panel, n - j0);
        const __mmask16 lo = cols >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << cols) - 1u);
        const __mmask16 hi = cols >= 32 ? __mmask16(0xFFFF) : cols <= 16 ? __mmask16(0) : __mmask16((1u << (cols - 16)) - 1u);
        const float* p = packed + pnl * k * panel + k0 * panel;
        // Tiles of 12 rows; when that would leave a last tile of fewer than 8, tiles of nearly
        // equal height instead (64 rows: 11, 11, 11, 11, 10, 10 rather than five of 12 and one
        // of 4, whose few accumulators would wait on the loads).
        const Eigen::Index block_rows = i1 - i0, tiles = (block_rows + max_rows - 1) / max_rows;
        const bool even = block_rows % max_rows != 0 && block_rows % max_rows < 8;
        const Eigen::Index base = even ? block_rows / tiles : max_rows, taller = even ? block_rows % tiles : 0;
        Eigen::Index i = i0;
        for (Eigen::Index t = 0; t < tiles; ++t) {
          const int rows = static_cast<int>(std::min<Eigen::Index>(base + (t < taller ? 1 : 0), i1 - i));
          tile_rows<max_rows>(rows, a + i * lda + k0, lda, p, kc, c + i * ldc + j0, ldc,
                              s ? s + i * lds + j0 : nullptr, lds, first, lo, hi);
          i += rows;
        }
      }
    }
  }
}

#else

inline bool available() noexcept { return false; }
inline void multiply(const float*, Eigen::Index, Eigen::Index, const float*, Eigen::Index, Eigen::Index, float*,
                     Eigen::Index, const float*, Eigen::Index) noexcept {}

#endif

/// Scalars of W packed in panels: `panels * 32 * k`.
inline Eigen::Index packed_size(Eigen::Index k, Eigen::Index n) noexcept { return (n + panel - 1) / panel * panel * k; }

/// Packs the row-major `w (k, n)` (row stride `ldw`) into `out` (`packed_size(k, n)` scalars).
inline void pack(const float* w, Eigen::Index k, Eigen::Index n, Eigen::Index ldw, float* out) noexcept {
  const Eigen::Index panels = (n + panel - 1) / panel;
  for (Eigen::Index pnl = 0; pnl < panels; ++pnl)
    for (Eigen::Index kk = 0; kk < k; ++kk)
      for (Eigen::Index j = 0; j < panel; ++j) {
        const Eigen::Index col = pnl * panel + j;
        out[(pnl * k + kk) * panel + j] = col < n ? w[kk * ldw + col] : 0.0f;
      }
}

}  // namespace birnn::detail::avx512
