// Bidirectional forward calls on the performance issue's workloads (W1-W4), for LSTM, GRU
// (reset_after) and SimpleRNN, merge concat with return_sequences, with and without a
// birnn::Worker (the two directions on two threads), with and without a mask, and every
// merge mode on W1. Each workload also times a plain-Eigen BiLSTM loop written without
// birnn's features (no masks, no merges) as a baseline, so figures compare within one run.
//
// Counters: items = sequences, GFLOP/s with
// FLOPs = 2 directions x batch x time x 2 x (input + units) x gates x units.

#include "context.hpp"
#include "workloads.hpp"

#include <birnn/birnn.hpp>

#include <benchmark/benchmark.h>

#include <string>

namespace {

using namespace birnn;

template <class Cell>
typename Cell::Config config(long units) {
  typename Cell::Config c;
  c.units = units;
  return c;
}

template <class Cell, class Merge = merge::concat, class MaskPolicy = mask::none>
void BM_Bidirectional(benchmark::State& state) {
  const long batch = state.range(0), time = state.range(1), input = state.range(2), units = state.range(3);
  const bool threaded = state.range(4) != 0;
  Bidirectional<Cell, Merge, sequences::all, state::discard, MaskPolicy> bi(input, config<Cell>(units));
  bi.set_weights(bench::bidirectional_weights<Cell>(input, units, std::is_same_v<Cell, GRU<float>>));
  const auto x = bench::input_sequence(batch, time, input);
  Worker worker;
  if (threaded) bi.set_worker(&worker);
  // Right padding: sequence b keeps its first time - b % 8 * time / 16 steps.
  Mask mask = Mask::Constant(batch, time, true);
  for (long b = 0; b < batch; ++b)
    for (long t = time - (b % 8) * time / 16; t < time; ++t) mask(b, t) = false;
  for (auto _ : state) {
    if constexpr (MaskPolicy::takes_mask) {
      auto y = bi.forward(x, mask);
      benchmark::DoNotOptimize(y);
    } else {
      auto y = bi.forward(x);
      benchmark::DoNotOptimize(y);
    }
    benchmark::ClobberMemory();
  }
  const double f = bench::flops(batch, time, input, units, Cell::gates);
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["GFLOP/s"] = benchmark::Counter(f * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["us/step"] =
      benchmark::Counter(double(time) * 1e-6, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// The baseline: a BiLSTM written directly in Eigen, one GEMM per direction for the input,
// one per step for the recurrence, no Keras features.
void BM_PlainEigenBiLSTM(benchmark::State& state) {
  const long batch = state.range(0), time = state.range(1), input = state.range(2), units = state.range(3);
  using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const auto x = bench::input_sequence(batch, time, input);
  Mat W[2], U[2], P[2], Z(batch, 4 * units), h(batch, units), c(batch, units), y(batch * time, 2 * units);
  Eigen::RowVectorXf bias[2];
  for (int d = 0; d < 2; ++d) {
    auto w = bench::direction_weights<LSTM<float>>(input, units, d, false);
    W[d] = Eigen::Map<Mat>(w[0].values.data(), input, 4 * units);
    U[d] = Eigen::Map<Mat>(w[1].values.data(), units, 4 * units);
    bias[d] = Eigen::Map<Eigen::RowVectorXf>(w[2].values.data(), 4 * units);
  }
  const auto sigmoid = [](auto&& a) { return a.logistic(); };
  for (auto _ : state) {
    for (int d = 0; d < 2; ++d) {
      P[d].noalias() = x.matrix() * W[d];
      P[d].rowwise() += bias[d];
      h.setZero();
      c.setZero();
      for (long s = 0; s < time; ++s) {
        const long t = d ? time - 1 - s : s;
        for (long b = 0; b < batch; ++b) Z.row(b) = P[d].row(b * time + t);
        Z.noalias() += h * U[d];
        auto zi = Z.leftCols(units).array(), zf = Z.middleCols(units, units).array();
        auto zg = Z.middleCols(2 * units, units).array(), zo = Z.rightCols(units).array();
        c.array() = sigmoid(zf) * c.array() + sigmoid(zi) * zg.tanh();
        h.array() = sigmoid(zo) * c.array().tanh();
        for (long b = 0; b < batch; ++b) y.row(b * time + t).segment(d * units, units) = h.row(b);
      }
    }
    benchmark::DoNotOptimize(y);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["GFLOP/s"] = benchmark::Counter(bench::flops(batch, time, input, units, 4) * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

void workload_args(benchmark::internal::Benchmark* b, bool with_threads) {
  b->ArgNames({"batch", "time", "input", "units", "worker"});
  for (const auto& w : bench::workloads)
    for (int threaded : {0, 1})
      if (with_threads || threaded == 0) b->Args({w.batch, w.time, w.input, w.units, threaded});
  b->Unit(benchmark::kMillisecond)->UseRealTime();
}
void w1_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"batch", "time", "input", "units", "worker"})->Args({32, 100, 32, 32, 0})->Args({32, 100, 32, 32, 1});
  b->Unit(benchmark::kMillisecond)->UseRealTime();
}

BENCHMARK(BM_PlainEigenBiLSTM)->Apply([](auto* b) { workload_args(b, false); });
BENCHMARK(BM_Bidirectional<LSTM<float>>)->Name("BM_Bidirectional_LSTM")->Apply([](auto* b) { workload_args(b, true); });
BENCHMARK(BM_Bidirectional<GRU<float>>)->Name("BM_Bidirectional_GRU")->Apply([](auto* b) { workload_args(b, true); });
BENCHMARK(BM_Bidirectional<SimpleRNN<float>>)->Name("BM_Bidirectional_SimpleRNN")->Apply([](auto* b) { workload_args(b, true); });
BENCHMARK(BM_Bidirectional<LSTM<float>, merge::concat, mask::masked>)->Name("BM_Bidirectional_LSTM_Masked")->Apply([](auto* b) { workload_args(b, true); });
BENCHMARK(BM_Bidirectional<LSTM<float>, merge::sum>)->Name("BM_Bidirectional_LSTM_MergeSum")->Apply(w1_args);
BENCHMARK(BM_Bidirectional<LSTM<float>, merge::mul>)->Name("BM_Bidirectional_LSTM_MergeMul")->Apply(w1_args);
BENCHMARK(BM_Bidirectional<LSTM<float>, merge::ave>)->Name("BM_Bidirectional_LSTM_MergeAve")->Apply(w1_args);
BENCHMARK(BM_Bidirectional<LSTM<float>, merge::none>)->Name("BM_Bidirectional_LSTM_MergeNone")->Apply(w1_args);
// A small fixed-size layer (compile-time units): the W1 shape.
BENCHMARK(BM_Bidirectional<LSTM<float, 32, 32>>)->Name("BM_Bidirectional_LSTM_Fixed32")->Apply(w1_args);

}  // namespace
