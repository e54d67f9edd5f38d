// demo: the models of Keras's bidirectional-RNN tutorials, run by birnn.
//
//   1-3. Embedding(10000, 32) -> Bidirectional(SimpleRNN(5) | LSTM(5) | GRU(5)) -> Dense(1)
//   4.   the stacked BiLSTM: Embedding(10000, 32) on 100 tokens
//        -> Bidirectional(LSTM(32, return_sequences=True)) -> Bidirectional(LSTM(16))
//        -> Dense(1, sigmoid)
//   5.   model 4 again, built from the compile-time templates instead of a runtime Model.
//
// Each model prints its Keras-style summary and a prediction for the same two token
// sequences. There is no training: the weights come from a fixed-seed generator, so the
// predictions are reproducible numbers, not sentiment scores. Numbers are printed at a
// fixed precision; ctest compares the output with expected_output.txt.

#include <birnn/birnn.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

namespace {

constexpr Eigen::Index vocabulary = 10000;  // Embedding input_dim
constexpr Eigen::Index embedding_dim = 32;  // Embedding output_dim
constexpr Eigen::Index review_length = 100;

// A 64-bit linear congruential generator (Knuth's MMIX constants). It gives the same numbers
// with every compiler and standard library, which std::uniform_real_distribution does not
// promise; the expected output depends on that.
class Lcg {
 public:
  explicit Lcg(std::uint64_t seed) : state_(seed) {}
  // Uniform in [0, 1) from the top 24 bits of the state.
  double uniform() {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state_ >> 40) / 16777216.0;
  }
  double uniform(double low, double high) { return low + (high - low) * uniform(); }
  std::int64_t below(std::int64_t n) { return static_cast<std::int64_t>(uniform() * static_cast<double>(n)); }

 private:
  std::uint64_t state_;
};

// Untrained weights for every layer, set in Keras get_weights() order: the embedding table
// uniform in +-1, other matrices uniform in +-sqrt(6 / (rows + cols)) (Keras's
// glorot_uniform), biases uniform in +-0.1.
void fill_untrained(birnn::Model<float>& model, Lcg& rng) {
  for (std::size_t i = 0; i < model.size(); ++i) {
    auto& layer = model.layer(i);
    const auto specs = layer.weight_specs();
    auto weights = layer.get_weights();
    for (std::size_t k = 0; k < weights.size(); ++k) {
      const auto& shape = weights[k].shape;
      const std::string& name = specs[k].name;
      const bool bias = name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0;
      const double limit = name == "embeddings"             ? 1.0
                           : bias || shape.size() != 2 ? 0.1
                                                       : std::sqrt(6.0 / static_cast<double>(shape[0] + shape[1]));
      for (auto& v : weights[k].values) v = static_cast<float>(rng.uniform(-limit, limit));
    }
    layer.set_weights(weights);
  }
}

void print_ids(const birnn::TokenIds& ids) {
  for (Eigen::Index b = 0; b < ids.rows(); ++b) {
    std::printf("  review %ld:", static_cast<long>(b));
    for (Eigen::Index t = 0; t < 8; ++t) std::printf(" %4ld", static_cast<long>(ids(b, t)));
    std::printf(" ... %4ld  (%ld ids)\n", static_cast<long>(ids(b, ids.cols() - 1)), static_cast<long>(ids.cols()));
  }
}

void print_column(const char* what, const birnn::Batch<float>& y) {
  std::printf("%s:", what);
  for (Eigen::Index b = 0; b < y.rows(); ++b) std::printf(" %9.5f", static_cast<double>(y(b, 0)));
  std::printf("\n");
}

// Models 1-3: Embedding(10000, 32) -> Bidirectional(Cell(5)) -> Dense(1). `layer` is the
// Keras layer (keras::SimpleRNN(5), ...), `Cell` the compile-time cell it runs on.
template <class Cell, class KerasLayer>
void tutorial_model(const char* heading, const KerasLayer& layer, const std::string& cell_name, const char* formula,
                    const birnn::TokenIds& ids, Lcg& rng) {
  namespace k = birnn::keras;
  std::printf("\n== %s ==\n", heading);
  // The input length is None (any), as in the tutorial; every other size is inferred.
  birnn::Model<float> model = k::Sequential<float>(
      {k::Input({k::None}), k::Embedding(vocabulary, embedding_dim), k::Bidirectional(layer), k::Dense(1)},
      "bidirectional_" + cell_name);
  model.summary(std::cout);

  // One direction alone: a plain recurrent layer of the same cell.
  typename Cell::Config config;
  config.units = 5;
  const birnn::Rnn<Cell> one_direction(embedding_dim, config);
  std::printf("%s(5) alone on 32 features: %ld parameters (%s); Bidirectional: %ld\n", Cell::keras_name,
              static_cast<long>(one_direction.count_params()), formula,
              static_cast<long>(model.layer(1).count_params()));

  fill_untrained(model, rng);
  const auto y = model.predict(ids);
  print_column("prediction (Dense(1), linear)", y.front().matrix);
}

}  // namespace

int main() try {
  std::printf("birnn %d.%d.%d demo: Keras's bidirectional RNN models in C++\n", BIRNN_VERSION_MAJOR,
              BIRNN_VERSION_MINOR, BIRNN_VERSION_PATCH);
  std::printf("The weights are UNTRAINED (a fixed-seed generator fills them), so the predictions\n"
              "below are reproducible numbers, not sentiment scores.\n\n");

  Lcg rng(20240601);
  birnn::TokenIds ids(2, review_length);
  for (Eigen::Index b = 0; b < ids.rows(); ++b)
    for (Eigen::Index t = 0; t < ids.cols(); ++t) ids(b, t) = 1 + rng.below(vocabulary - 1);
  std::printf("Input: 2 sequences of %ld token ids from a vocabulary of %ld\n", static_cast<long>(review_length),
              static_cast<long>(vocabulary));
  print_ids(ids);

  namespace k = birnn::keras;
  tutorial_model<birnn::SimpleRNN<float>>("1. Embedding(10000, 32) -> Bidirectional(SimpleRNN(5)) -> Dense(1)",
                                          k::SimpleRNN(5), "simple_rnn", "32*5 + 5*5 + 5", ids, rng);
  tutorial_model<birnn::LSTM<float>>("2. Embedding(10000, 32) -> Bidirectional(LSTM(5)) -> Dense(1)", k::LSTM(5),
                                     "lstm", "4 * (32*5 + 5*5 + 5)", ids, rng);
  tutorial_model<birnn::GRU<float>>("3. Embedding(10000, 32) -> Bidirectional(GRU(5)) -> Dense(1)", k::GRU(5), "gru",
                                    "3 * (32*5 + 5*5) + 6*5, reset_after=True", ids, rng);

  // ---- 4. The stacked BiLSTM -------------------------------------------------------------
  std::printf("\n== 4. Stacked BiLSTM: Embedding(10000, 32) on 100 tokens\n"
              "      -> Bidirectional(LSTM(32, return_sequences=True)) -> Bidirectional(LSTM(16))\n"
              "      -> Dense(1, sigmoid) ==\n");
  birnn::Model<float> stacked = k::Sequential<float>(
      {k::Input({review_length}), k::Embedding(vocabulary, embedding_dim),
       k::Bidirectional(k::LSTM(32).return_sequences()), k::Bidirectional(k::LSTM(16)),
       k::Dense(1).activation("sigmoid")},
      "stacked_bilstm");
  stacked.summary(std::cout);
  fill_untrained(stacked, rng);
  const birnn::Batch<float> model_prediction = stacked.predict(ids).front().matrix;
  print_column("prediction (sigmoid)", model_prediction);

  // ---- 5. The same network with the compile-time API -------------------------------------
  // Policies are template parameters, so each layer's result type is known at compile time:
  // sequences::all gives a Sequence (batch, time, units), the default sequences::last a Batch.
  std::printf("\n== 5. Model 4 with the compile-time templates ==\n");
  birnn::Embedding<float> embedding(vocabulary, embedding_dim);
  birnn::Bidirectional<birnn::LSTM<float>, birnn::merge::concat, birnn::sequences::all> first(embedding_dim, {32});
  birnn::Bidirectional<birnn::LSTM<float>> second(64, {16});  // merge::concat, sequences::last
  birnn::Dense<float> dense(32, 1, birnn::Activation::sigmoid);
  embedding.set_weights(stacked.layer(0).get_weights());  // the weights of model 4
  first.set_weights(stacked.layer(1).get_weights());
  second.set_weights(stacked.layer(2).get_weights());
  dense.set_weights(stacked.layer(3).get_weights());

  const birnn::Sequence<float> x = embedding.forward(ids);  // (2, 100, 32)
  const birnn::Sequence<float> h = first.forward(x);        // (2, 100, 64): forward units, then backward
  const birnn::Batch<float> last = second.forward(h);       // (2, 32)
  const birnn::Batch<float> p = dense.forward(last);        // (2, 1)
  std::printf("embedding.forward(ids): (%ld, %ld, %ld)\n", static_cast<long>(x.batch()), static_cast<long>(x.time()),
              static_cast<long>(x.features()));
  std::printf("first.forward(x):       (%ld, %ld, %ld)\n", static_cast<long>(h.batch()), static_cast<long>(h.time()),
              static_cast<long>(h.features()));
  std::printf("  review 0, step 0, first 4 of 64 features:");
  for (Eigen::Index f = 0; f < 4; ++f) std::printf(" %8.5f", static_cast<double>(h(0, 0, f)));
  std::printf("\nsecond.forward(h):      (%ld, %ld)\n", static_cast<long>(last.rows()), static_cast<long>(last.cols()));
  print_column("dense.forward(...)     ", p);
  const float difference = (p - model_prediction).cwiseAbs().maxCoeff();
  std::printf("same as the Model's prediction (within 1e-6): %s\n", difference <= 1e-6f ? "yes" : "NO");
  return difference <= 1e-6f ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "demo: %s\n", e.what());
  return 1;
}
