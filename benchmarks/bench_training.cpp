// One training step (Model::train_step: recorded forward, loss, backpropagation through
// time, Adam update) of two runtime models, and the forward-only calls of the same models,
// so that "training step / forward" comes from one run:
//
// - Tutorial: the Keras tutorial's Embedding(10000, 32) -> Bidirectional(LSTM(32)) (last
//   output) -> Dense(1, sigmoid), binary_crossentropy, Adam; batch 32, time 100, token ids.
// - HeadW2: peers-bench's torch-train form on W2 (batch 64, time 100, input 128, units 128):
//   Bidirectional(LSTM(128), return_sequences) -> Dense(256 -> 1) on every step, binary
//   cross-entropy from logits, Adam (see train_models.hpp and birnn_train_entry.cpp).
//
// Each runs with worker=0 (1 thread) and worker=1 (a birnn::Worker runs the backward
// direction). Variants: Train = train_step; ForwardTrain = forward_train (the recorded
// forward alone, what the backward pass needs); Predict = predict (the inference forward).
// Counters: items = sequences.

#include "train_models.hpp"
#include "context.hpp"
#include "workloads.hpp"

#include <birnn/birnn.hpp>

#include <benchmark/benchmark.h>

#include <string>

namespace {

enum class Variant { train, forward_train, predict };

template <Variant V, class X>
void step(birnn::Model<float>& model, const X& x, const birnn::Value<float>& y) {
  if constexpr (V == Variant::train) {
    float loss = model.train_step(x, nullptr, y);
    benchmark::DoNotOptimize(loss);
  } else if constexpr (V == Variant::forward_train) {
    auto out = model.forward_train(x);
    benchmark::DoNotOptimize(out);
  } else {
    auto out = model.predict(x);
    benchmark::DoNotOptimize(out);
  }
  benchmark::ClobberMemory();
}

template <Variant V>
void BM_Tutorial(benchmark::State& state) {
  const long batch = 32, time = 100;
  auto model = bench::tutorial_model(time);
  birnn::Worker worker;
  if (state.range(0) != 0) model.set_worker(&worker);
  const auto ids = bench::tutorial_ids(batch, time);
  const auto labels = bench::tutorial_labels(batch);
  for (auto _ : state) step<V>(model, ids, labels);
  state.SetItemsProcessed(state.iterations() * batch);
}

template <Variant V>
void BM_HeadW2(benchmark::State& state) {
  const long batch = 64, time = 100, input = 128, units = 128;
  auto model = bench::head_model<birnn::LSTM<float>>(time, input, units);
  birnn::Worker worker;
  if (state.range(0) != 0) model.set_worker(&worker);
  const auto x = bench::input_sequence(batch, time, input);
  const auto y = bench::step_targets(batch, time);
  for (auto _ : state) step<V>(model, x, y);
  state.SetItemsProcessed(state.iterations() * batch);
}

void worker_args(benchmark::internal::Benchmark* b) {
  b->ArgName("worker")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
}

BENCHMARK(BM_Tutorial<Variant::train>)->Name("BM_Tutorial_Train")->Apply(worker_args);
BENCHMARK(BM_Tutorial<Variant::forward_train>)->Name("BM_Tutorial_ForwardTrain")->Apply(worker_args);
BENCHMARK(BM_Tutorial<Variant::predict>)->Name("BM_Tutorial_Predict")->Apply(worker_args);
BENCHMARK(BM_HeadW2<Variant::train>)->Name("BM_HeadW2_LSTM_Train")->Apply(worker_args);
BENCHMARK(BM_HeadW2<Variant::forward_train>)->Name("BM_HeadW2_LSTM_ForwardTrain")->Apply(worker_args);
BENCHMARK(BM_HeadW2<Variant::predict>)->Name("BM_HeadW2_LSTM_Predict")->Apply(worker_args);

}  // namespace
