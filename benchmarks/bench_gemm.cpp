// The matrix products of the workloads, alone: `C += A W` with W packed once
// (`detail::PackedRight`, on birnn's AVX-512 kernel where the CPU has it, and forced onto
// Eigen's kernel), beside Eigen's plain product `C.noalias() += A * W`, which packs both
// operands on every call. Shapes (m x k x n, row-major A (m, k), W (k, n)):
//   step: batch x units x G*units, one direction's recurrent product of one time step;
//   proj: batch*time x input x 2*G*units, the fused input projection of both directions.
// Variants: 0 `C += A W` on birnn's kernel, 1 the same on Eigen's kernel, 2 Eigen's product,
// 3 `C = bias + A W` on birnn's kernel (how the input projection calls it).
// Counter: GFLOP/s = 2 m k n per call. Compare the variants of one shape within one run.

#include "context.hpp"

#include <birnn/detail/packed_gemm.hpp>

#include <Eigen/Core>

#include <benchmark/benchmark.h>

namespace {

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

enum Variant { packed_own = 0, packed_eigen = 1, eigen_product = 2, packed_bias = 3 };

void BM_Gemm(benchmark::State& state) {
  const long m = state.range(0), k = state.range(1), n = state.range(2);
  const auto variant = static_cast<Variant>(state.range(3));
  const Matrix a = Matrix::Random(m, k), w = Matrix::Random(k, n) * 0.1f;
  Matrix c = Matrix::Zero(m, n);
  birnn::detail::PackedRight<float> packed;
  packed.pack(w.data(), k, n, n, m, variant != packed_eigen);
  if ((variant == packed_own || variant == packed_bias) && !packed.own_kernel()) {
    state.SkipWithError("birnn's own kernel is not used for this shape or CPU");
    return;
  }
  Eigen::VectorXf scratch(packed.scratch_size(m) + 1);
  const Eigen::RowVectorXf bias = Eigen::RowVectorXf::Random(n);
  for (auto _ : state) {
    if (variant == eigen_product)
      c.noalias() += a * w;
    else if (variant == packed_bias)
      packed.multiply(a.data(), k, m, c.data(), n, scratch.data(), bias.data(), 0);
    else
      packed.multiply_add(a.data(), k, m, c.data(), n, scratch.data());
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * double(m) * double(k) * double(n) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"m", "k", "n", "variant"});
  const long list[][3] = {
      {32, 32, 128},       // W1 LSTM step
      {64, 128, 512},      // W2 LSTM step
      {64, 128, 384},      // W2 GRU step
      {64, 512, 2048},     // W3 LSTM step
      {64, 512, 1536},     // W3 GRU step
      {64, 512, 512},      // W3 SimpleRNN step
      {6400, 128, 1024},   // W2 LSTM projection
      {12800, 512, 4096},  // W3 LSTM projection
  };
  for (const auto& s : list)
    for (long v : {packed_own, packed_eigen, eigen_product, packed_bias}) b->Args({s[0], s[1], s[2], v});
}

BENCHMARK(BM_Gemm)->Apply(shapes)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
