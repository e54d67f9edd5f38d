// The models whose training step the benchmarks time (birnn_train_entry, bench_training):
//
// - `head_model`: the step peers-bench's `torch-train` peer times (src/torch_rnn.py there):
//   Bidirectional(RNN(units, return_sequences=True), merge concat) on (batch, time, input),
//   a linear Dense(2*units -> 1) head on every time step, binary cross-entropy on the logits
//   against fixed 0/1 targets (batch, time, 1), Adam with Keras's defaults (lr 1e-3). The
//   recurrent weights are peers-bench's canonical ones (workloads.hpp), the head's come from
//   Keras's initializers.
// - `tutorial_model`: the Keras tutorial's Embedding(10000, 32) -> Bidirectional(LSTM(32))
//   -> Dense(1, sigmoid), binary_crossentropy and Adam, on token ids (batch, time).
#pragma once

#include "workloads.hpp"

#include <birnn/birnn.hpp>

#include <cstdint>
#include <memory>
#include <type_traits>

namespace bench {

template <class Cell>
birnn::Model<float> head_model(long time, long input, long units) {
  typename Cell::Config config;
  config.units = units;
  birnn::Model<float> model({time, input}, "torch_train_form");
  auto& bi = model.emplace<birnn::BidirectionalLayer<Cell>>(input, config, birnn::MergeMode::concat,
                                                            /*return_sequences*/ true);
  model.emplace<birnn::DenseLayer<float>>(birnn::Dense<float>(2 * units, 1));  // linear: logits
  model.initialize(/*seed*/ 1);
  bi.set_weights(bidirectional_weights<Cell>(input, units, std::is_same_v<Cell, birnn::GRU<float>>));
  model.compile(std::make_unique<birnn::train::Adam<float>>(),
                birnn::train::Loss<float>(birnn::train::LossKind::binary_crossentropy, /*from_logits*/ true));
  return model;
}

/// Fixed 0/1 targets (batch, time, 1): the sign of the peers-bench fill with seed 50.
inline birnn::Value<float> step_targets(long batch, long time) {
  birnn::Sequence<float> y(batch, time, 1);
  fill(y.data(), std::size_t(y.matrix().size()), 50u, 1.0f);
  for (Eigen::Index i = 0; i < y.matrix().size(); ++i) y.data()[i] = y.data()[i] > 0 ? 1.0f : 0.0f;
  return birnn::Value<float>::of(std::move(y));
}

inline constexpr long tutorial_vocabulary = 10000, tutorial_embedding = 32, tutorial_units = 32;

inline birnn::Model<float> tutorial_model(long time) {
  birnn::Model<float> model({time}, "tutorial");
  model.emplace<birnn::EmbeddingLayer<float>>(birnn::Embedding<float>(tutorial_vocabulary, tutorial_embedding));
  birnn::LSTM<float>::Config lstm;
  lstm.units = tutorial_units;
  model.emplace<birnn::BidirectionalLayer<birnn::LSTM<float>>>(tutorial_embedding, lstm, birnn::MergeMode::concat,
                                                               /*return_sequences*/ false);
  model.emplace<birnn::DenseLayer<float>>(birnn::Dense<float>(2 * tutorial_units, 1, birnn::Activation::sigmoid));
  model.initialize(/*seed*/ 1);
  model.compile("adam", "binary_crossentropy");
  return model;
}

/// Token ids in [1, vocabulary) (batch, time) and 0/1 labels (batch, 1), from the fill hash.
inline birnn::TokenIds tutorial_ids(long batch, long time) {
  birnn::TokenIds ids(batch, time);
  for (long i = 0; i < batch * time; ++i)
    ids.data()[i] = 1 + std::int64_t(mix(60u * 0x9E3779B9u + std::uint32_t(i)) % std::uint32_t(tutorial_vocabulary - 1));
  return ids;
}
inline birnn::Value<float> tutorial_labels(long batch) {
  birnn::Batch<float> y(batch, 1);
  for (long b = 0; b < batch; ++b) y(b, 0) = float(mix(70u * 0x9E3779B9u + std::uint32_t(b)) & 1u);
  return birnn::Value<float>::of(std::move(y));
}

}  // namespace bench
