// Embedding, Masking and Dense, and the runtime Model (Keras's Sequential): output shapes,
// parameter counts and summary as Keras gives them, the mask travelling through the stack,
// the golden model cases through the Keras config reader, the Keras-like builder
// (keras::Sequential) that makes those models, and the safetensors reader and PyTorch
// modules (torch::RNN). Expected numbers come from Keras's formulas, from the definitions of
// the layers, from PyTorch's layout rules, or from the golden case files.

#include "../conformance/case.hpp"

#include <birnn/birnn.hpp>
#include <birnn/io/keras_model.hpp>
#include <birnn/io/safetensors.hpp>
#include <birnn/io/torch_state_dict.hpp>
#include <birnn/layers/dense.hpp>
#include <birnn/layers/embedding.hpp>
#include <birnn/layers/masking.hpp>
#include <birnn/model/layer.hpp>
#include <birnn/model/model.hpp>
#include <birnn/model/recurrent_layer.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <system_error>
#include <vector>

namespace {

using ::testing::HasSubstr;
using birnn::Shape;
using Seq = birnn::Sequence<float>;

birnn::LayerOptions named(std::string name, bool go_backwards = false) {
  birnn::LayerOptions o;
  o.name = std::move(name);
  o.go_backwards = go_backwards;
  return o;
}

birnn::LSTM<float>::Config lstm(Eigen::Index units) {
  birnn::LSTM<float>::Config c;
  c.units = units;
  return c;
}

/// Weights of the shapes `specs` lists, small distinct values.
std::vector<birnn::Tensor<float>> some_weights(const std::vector<birnn::WeightSpec>& specs, float scale = 0.05f) {
  std::vector<birnn::Tensor<float>> w;
  int k = 0;
  for (const auto& s : specs) {
    birnn::Tensor<float> t(s.shape, {});
    for (Eigen::Index i = 0; i < t.size(); ++i) t.values.push_back(scale * static_cast<float>((k++ * 7) % 13 - 6));
    w.push_back(std::move(t));
  }
  return w;
}

// ---------------------------------------------------------------------------------------------
// Embedding
// ---------------------------------------------------------------------------------------------

TEST(Embedding, LooksUpTheRowOfEveryTokenId) {
  birnn::Embedding<float> embedding(10, 3);
  std::vector<float> table;
  for (int r = 0; r < 10; ++r)
    for (int c = 0; c < 3; ++c) table.push_back(static_cast<float>(10 * r + c));
  embedding.set_weights({birnn::Tensor<float>({10, 3}, table)});
  birnn::TokenIds ids(2, 3);
  ids << 1, 0, 9,  //
      3, 3, 2;

  const Seq y = embedding.forward(ids);

  ASSERT_EQ(y.batch(), 2);
  ASSERT_EQ(y.time(), 3);
  ASSERT_EQ(y.features(), 3);
  for (Eigen::Index b = 0; b < 2; ++b)
    for (Eigen::Index t = 0; t < 3; ++t)
      for (Eigen::Index c = 0; c < 3; ++c)
        EXPECT_EQ(y(b, t, c), static_cast<float>(10 * ids(b, t) + c)) << "(" << b << ", " << t << ", " << c << ")";
}

TEST(Embedding, MaskZeroMasksThePaddingIdZero) {
  birnn::TokenIds ids(2, 4);
  ids << 5, 2, 0, 0,  //
      0, 7, 0, 1;
  const auto mask = birnn::Embedding<float>(10, 3, true).compute_mask(ids);
  ASSERT_TRUE(mask.has_value());
  birnn::Mask expected(2, 4);
  expected << true, true, false, false,  //
      false, true, false, true;
  EXPECT_TRUE((*mask == expected).all()) << *mask;
  EXPECT_FALSE(birnn::Embedding<float>(10, 3, false).compute_mask(ids).has_value());
}

TEST(Embedding, CountsInputDimTimesOutputDimParameters) {
  birnn::Embedding<float> embedding(10000, 32);
  EXPECT_EQ(embedding.count_params(), 320000);
  ASSERT_EQ(embedding.get_weights().size(), 1u);
  EXPECT_EQ(embedding.get_weights()[0].shape, (std::vector<Eigen::Index>{10000, 32}));
}

// ---------------------------------------------------------------------------------------------
// Masking
// ---------------------------------------------------------------------------------------------

TEST(Masking, MasksTheStepsWhoseEveryFeatureEqualsTheMaskValue) {
  Seq x(1, 4, 3);
  x.matrix() << 0, 0, 0,  //
      0, 1, 0,            //
      0, 0, 0,            //
      2, 2, 2;
  const birnn::Mask m = birnn::Masking<float>().compute_mask(x);
  birnn::Mask expected(1, 4);
  expected << false, true, false, true;
  EXPECT_TRUE((m == expected).all()) << m;
}

TEST(Masking, ComparesWithAnyMaskValue) {
  Seq x(1, 3, 3);
  x.matrix() << -1, -1, -1,  //
      -1, 0, -1,             //
      0, 0, 0;
  const birnn::Masking<float> masking(-1.0f);
  const birnn::Mask m = masking.compute_mask(x);
  birnn::Mask expected(1, 3);
  expected << false, true, true;
  EXPECT_TRUE((m == expected).all()) << m;
  EXPECT_EQ(masking.count_params(), 0);
}

TEST(Masking, ZeroesTheMaskedStepsAndKeepsTheOthers) {
  Seq x(2, 2, 2);
  x.matrix() << 5, 5,  //
      5, 1,            //
      3, 4,            //
      5, 5;
  const Seq y = birnn::Masking<float>(5.0f).forward(x);
  Seq expected(2, 2, 2);
  expected.matrix() << 0, 0,  //
      5, 1,                   //
      3, 4,                   //
      0, 0;
  EXPECT_EQ(y.matrix(), expected.matrix());
}

// ---------------------------------------------------------------------------------------------
// Dense
// ---------------------------------------------------------------------------------------------

/// activation(x W + b) of one row, written out.
std::vector<double> dense_row(const std::vector<double>& x, const birnn::Dense<double>& d, double (*act)(double)) {
  std::vector<double> y;
  for (Eigen::Index c = 0; c < d.units(); ++c) {
    double s = d.use_bias() ? d.bias()(c) : 0.0;
    for (Eigen::Index k = 0; k < d.input_size(); ++k) s += x[static_cast<std::size_t>(k)] * d.kernel()(k, c);
    y.push_back(act(s));
  }
  return y;
}

birnn::Dense<double> dense_with_weights(birnn::Activation a, bool use_bias = true) {
  birnn::Dense<double> d(3, 2, a, use_bias);
  d.kernel() << 0.5, -1.0,  //
      0.25, 2.0,            //
      -0.75, 0.1;
  if (use_bias) d.bias() << 0.2, -0.3;
  return d;
}

TEST(Dense, AppliesTheActivationToXTimesKernelPlusBias) {
  const auto d = dense_with_weights(birnn::Activation::relu);
  birnn::Batch<double> x(2, 3);
  x << 1, 2, 3,  //
      -1, 0.5, -2;
  const auto y = d.forward(x);
  ASSERT_EQ(y.rows(), 2);
  ASSERT_EQ(y.cols(), 2);
  for (Eigen::Index r = 0; r < 2; ++r) {
    const auto e = dense_row({x(r, 0), x(r, 1), x(r, 2)}, d, [](double s) { return s > 0 ? s : 0.0; });
    EXPECT_NEAR(y(r, 0), e[0], 1e-15);
    EXPECT_NEAR(y(r, 1), e[1], 1e-15);
  }
}

TEST(Dense, ActsOnEveryTimeStepOfASequence) {
  const auto d = dense_with_weights(birnn::Activation::tanh);
  birnn::Sequence<double> x(2, 3, 3);
  for (Eigen::Index i = 0; i < x.matrix().size(); ++i) x.data()[i] = 0.1 * static_cast<double>(i % 5) - 0.2;
  const auto y = d.forward(x);
  ASSERT_EQ(y.batch(), 2);
  ASSERT_EQ(y.time(), 3);
  ASSERT_EQ(y.features(), 2);
  for (Eigen::Index b = 0; b < 2; ++b)
    for (Eigen::Index t = 0; t < 3; ++t) {
      const auto e = dense_row({x(b, t, 0), x(b, t, 1), x(b, t, 2)}, d, [](double s) { return std::tanh(s); });
      EXPECT_NEAR(y(b, t, 0), e[0], 1e-12) << "step " << t << " of sequence " << b;
      EXPECT_NEAR(y(b, t, 1), e[1], 1e-12) << "step " << t << " of sequence " << b;
    }
}

TEST(Dense, WithoutBiasHasOnlyAKernel) {
  const auto d = dense_with_weights(birnn::Activation::linear, false);
  EXPECT_EQ(d.count_params(), 3 * 2);
  EXPECT_EQ(d.get_weights().size(), 1u);
  birnn::Batch<double> x(1, 3);
  x << 1, 1, 1;
  const auto y = d.forward(x);
  EXPECT_NEAR(y(0, 0), 0.5 + 0.25 - 0.75, 1e-15);
  EXPECT_NEAR(y(0, 1), -1.0 + 2.0 + 0.1, 1e-15);
}

TEST(Dense, CountsKernelAndBiasParameters) {
  EXPECT_EQ(birnn::Dense<float>(32, 1).count_params(), 33);
  EXPECT_EQ(birnn::Dense<float>(64, 10).count_params(), 650);
}

// ---------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------

/// Embedding(10000, 32) on 100 token ids, Bidirectional(LSTM(32), return_sequences),
/// Bidirectional(LSTM(16)), Dense(1, sigmoid): the tutorial's stacked BiLSTM.
birnn::Model<float> stacked_bilstm() {
  birnn::Model<float> model({100});
  model.emplace<birnn::EmbeddingLayer<float>>(birnn::Embedding<float>(10000, 32));
  model.emplace<birnn::BidirectionalLayer<birnn::LSTM<float>>>(32, lstm(32), named("forward_lstm"), lstm(32),
                                                                named("backward_lstm", true), birnn::MergeMode::concat,
                                                                true, false, "bidirectional");
  model.emplace<birnn::BidirectionalLayer<birnn::LSTM<float>>>(64, lstm(16), named("forward_lstm_1"), lstm(16),
                                                                named("backward_lstm_1", true),
                                                                birnn::MergeMode::concat, false, false, "bidirectional_1");
  model.emplace<birnn::DenseLayer<float>>(birnn::Dense<float>(32, 1, birnn::Activation::sigmoid));
  return model;
}

TEST(Model, StackedBidirectionalLstmHasKerasOutputShapes) {
  const auto model = stacked_bilstm();
  EXPECT_EQ(model.output_shape(), (Shape{1}));
  EXPECT_EQ(model.layer(0).output_shapes({100}).front(), (Shape{100, 32}));
  EXPECT_EQ(model.layer(1).output_shapes({100, 32}).front(), (Shape{100, 64}));
  EXPECT_EQ(model.layer(2).output_shapes({100, 64}).front(), (Shape{32}));
}

TEST(Model, CountsEveryLayersParametersByKerasFormulas) {
  const auto model = stacked_bilstm();
  const Eigen::Index embedding = 10000 * 32;
  const Eigen::Index bilstm32 = 2 * 4 * (32 * 32 + 32 * 32 + 32);
  const Eigen::Index bilstm16 = 2 * 4 * (64 * 16 + 16 * 16 + 16);
  const Eigen::Index dense = 32 + 1;
  EXPECT_EQ(model.layer(0).count_params(), embedding);
  EXPECT_EQ(model.layer(1).count_params(), bilstm32);
  EXPECT_EQ(model.layer(2).count_params(), bilstm16);
  EXPECT_EQ(model.layer(3).count_params(), dense);
  EXPECT_EQ(model.count_params(), embedding + bilstm32 + bilstm16 + dense);
  EXPECT_EQ(model.count_params(), 347041);
}

TEST(Model, SummaryShowsTheShapesAndTheTotal) {
  const std::string s = stacked_bilstm().summary();
  EXPECT_THAT(s, HasSubstr("(None, 100, 32)"));
  EXPECT_THAT(s, HasSubstr("(None, 100, 64)"));
  EXPECT_THAT(s, HasSubstr("(None, 32)"));
  EXPECT_THAT(s, HasSubstr("(None, 1)"));
  EXPECT_THAT(s, HasSubstr("bidirectional (Bidirectional)"));
  EXPECT_THAT(s, HasSubstr("embedding (Embedding)"));
  EXPECT_THAT(s, HasSubstr("320,000"));
  EXPECT_THAT(s, HasSubstr("Total params: 347,041"));
}

TEST(Model, TheTutorialsSimpleRnnModelsHaveKerasParameterCounts) {
  birnn::SimpleRNN<float>::Config five;
  five.units = 5;
  birnn::Model<float> simple({-1});
  simple.emplace<birnn::EmbeddingLayer<float>>(birnn::Embedding<float>(10000, 32));
  simple.emplace<birnn::RecurrentLayer<birnn::SimpleRNN<float>>>(32, five, named("simple_rnn"), false, false);
  simple.emplace<birnn::DenseLayer<float>>(birnn::Dense<float>(5, 1));
  EXPECT_EQ(simple.layer(1).count_params(), 190);
  EXPECT_EQ(simple.output_shape(), (Shape{1}));
  EXPECT_THAT(simple.summary(), HasSubstr("simple_rnn (SimpleRNN)"));
  EXPECT_THAT(simple.summary(), HasSubstr("(None, None, 32)"));

  birnn::Model<float> bidirectional({-1});
  bidirectional.emplace<birnn::EmbeddingLayer<float>>(birnn::Embedding<float>(10000, 32));
  bidirectional.emplace<birnn::BidirectionalLayer<birnn::SimpleRNN<float>>>(
      32, five, named("forward_simple_rnn"), five, named("backward_simple_rnn", true), birnn::MergeMode::concat,
      false, false);
  bidirectional.emplace<birnn::DenseLayer<float>>(birnn::Dense<float>(10, 1));
  EXPECT_EQ(bidirectional.layer(1).count_params(), 380);
  EXPECT_EQ(bidirectional.layer(1).output_shapes({-1, 32}).front(), (Shape{10}));
  EXPECT_EQ(bidirectional.count_params(), 320000 + 380 + 11);
}

TEST(Model, ALayerThatDoesNotFitThePreviousOutputIsRejected) {
  birnn::Model<float> model({6, 4});
  model.emplace<birnn::RecurrentLayer<birnn::LSTM<float>>>(4, lstm(3), named("lstm"), true, false);
  EXPECT_EQ(model.output_shape(), (Shape{6, 3}));
  EXPECT_THROW(model.emplace<birnn::DenseLayer<float>>(birnn::Dense<float>(4, 2)), birnn::shape_error);
}

/// Embedding(20, 3, mask_zero) -> Bidirectional(LSTM(2), return_sequences) -> Dense(2, linear).
birnn::Model<float> tagger(bool return_sequences) {
  birnn::Model<float> model({4});
  model.emplace<birnn::EmbeddingLayer<float>>(birnn::Embedding<float>(20, 3, true));
  model.emplace<birnn::BidirectionalLayer<birnn::LSTM<float>>>(3, lstm(2), named("forward_lstm"), lstm(2),
                                                                named("backward_lstm", true), birnn::MergeMode::concat,
                                                                return_sequences, false);
  if (return_sequences) model.emplace<birnn::DenseLayer<float>>(birnn::Dense<float>(4, 2));
  model.set_weights(some_weights([&] {
    std::vector<birnn::WeightSpec> s;
    for (std::size_t i = 0; i < model.size(); ++i)
      for (const auto& w : model.layer(i).weight_specs()) s.push_back(w);
    return s;
  }()));
  return model;
}

birnn::TokenIds padded_ids() {
  birnn::TokenIds ids(2, 4);
  ids << 3, 7, 0, 0,  //
      0, 5, 11, 2;
  return ids;
}

TEST(Model, TheMaskPassesThroughLayersReturningSequencesAndDense) {
  auto model = tagger(true);
  birnn::Flow<float> in;
  in.ids = padded_ids();
  const birnn::Mask expected(padded_ids() != 0);

  const auto embedded = model.layer(0).call(in, nullptr);
  ASSERT_TRUE(embedded.mask.has_value());
  EXPECT_TRUE((*embedded.mask == expected).all());
  const auto encoded = model.layer(1).call(embedded, nullptr);
  ASSERT_TRUE(encoded.mask.has_value());
  EXPECT_TRUE((*encoded.mask == expected).all());
  const auto tagged = model.layer(2).call(encoded, nullptr);
  ASSERT_TRUE(tagged.mask.has_value());
  EXPECT_TRUE((*tagged.mask == expected).all());
}

TEST(Model, ARecurrentLayerReturningTheLastOutputDropsTheMask) {
  auto model = tagger(false);
  birnn::Flow<float> in;
  in.ids = padded_ids();
  const auto encoded = model.layer(1).call(model.layer(0).call(in, nullptr), nullptr);
  EXPECT_FALSE(encoded.mask.has_value());
  ASSERT_EQ(encoded.values.size(), 1u);
  EXPECT_EQ(encoded.values[0].shape(), (std::vector<Eigen::Index>{2, 4}));
}

TEST(Model, MaskedStepsOfABidirectionalSequenceReachDenseAsZeros) {
  auto model = tagger(true);
  const auto out = model.predict(padded_ids());
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].rank, 3);
  const auto& y = out[0].sequence;
  // Keras forces zero_output_for_mask inside Bidirectional: a masked step's encoding is zero,
  // so the linear Dense outputs its bias there.
  const std::vector<float> bias = model.layer(2).get_weights().at(1).values;
  const birnn::TokenIds ids = padded_ids();
  for (Eigen::Index b = 0; b < 2; ++b)
    for (Eigen::Index t = 0; t < 4; ++t) {
      if (ids(b, t) != 0) continue;
      EXPECT_EQ(y(b, t, 0), bias[0]) << "step " << t << " of sequence " << b;
      EXPECT_EQ(y(b, t, 1), bias[1]) << "step " << t << " of sequence " << b;
    }
}

TEST(Model, SetWeightsThenGetWeightsRoundTripsInKerasOrder) {
  auto model = tagger(true);
  std::vector<birnn::WeightSpec> specs;
  for (std::size_t i = 0; i < model.size(); ++i)
    for (const auto& w : model.layer(i).weight_specs()) specs.push_back(w);
  ASSERT_EQ(specs.size(), 1u + 6u + 2u);
  EXPECT_EQ(specs[1].name, "forward_lstm/kernel");
  EXPECT_EQ(specs[4].name, "backward_lstm/kernel");
  const auto w = some_weights(specs, 0.01f);
  model.set_weights(w);
  const auto back = model.get_weights();
  ASSERT_EQ(back.size(), w.size());
  for (std::size_t i = 0; i < w.size(); ++i) EXPECT_EQ(back[i].values, w[i].values) << specs[i].name;
}

// ---------------------------------------------------------------------------------------------
// The golden model cases through the Keras config reader
// ---------------------------------------------------------------------------------------------

TEST(KerasModel, TheGoldenModelCasesGiveKerasOutputs) {
  namespace fs = std::filesystem;
  std::vector<fs::path> cases;
  for (const auto& entry : fs::directory_iterator(fs::path(BIRNN_TEST_DATA_DIR) / "keras"))
    if (entry.path().filename().string().rfind("model_", 0) == 0 && entry.path().extension() == ".json")
      cases.push_back(entry.path());
  ASSERT_GE(cases.size(), 9u);
  for (const auto& path : cases) {
    SCOPED_TRACE(path.filename().string());
    const auto c = birnn::conformance::load_case(path.string());
    const auto outcome = birnn::conformance::run_case<float>(c);
    EXPECT_TRUE(outcome.ok) << outcome.message << " (largest error " << outcome.max_abs_error << ")";
  }
}

}  // namespace

namespace {

// ---- The Keras-like builder: keras::Sequential, Model::add(keras::...), the layer values ----
// Input sizes, go_backwards and names are inferred as Keras infers them; expected parameter
// counts come from Keras's formulas (LSTM: 4 u (input + u + 1) per direction), expected names
// from Keras's naming rules (class in snake case, "_1", ..., "forward_"/"backward_" inside
// Bidirectional); wiring mistakes are errors naming both layers.

namespace k = birnn::keras;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

const birnn::BidirectionalLayer<birnn::LSTM<float>>& bilstm(const birnn::Model<float>& m, std::size_t i) {
  return dynamic_cast<const birnn::BidirectionalLayer<birnn::LSTM<float>>&>(m.layer(i));
}

TEST(Sequential, TheTaggerOfTheTutorialInfersEverySizeAndName) {
  const Eigen::Index V = 50, T = 12, tags = 4;
  auto m = k::Sequential<float>(
      {k::Input({T}), k::Embedding(V, 16).mask_zero(),
       k::Bidirectional(k::LSTM(16).return_sequences().dropout(0.2).recurrent_dropout(0.2)),
       k::Dense(tags).activation("softmax")},
      "tagger");
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m.name(), "tagger");
  EXPECT_EQ(m.layer(0).name(), "embedding");
  EXPECT_EQ(m.layer(1).name(), "bidirectional");
  EXPECT_EQ(m.layer(2).name(), "dense");
  const auto& bi = bilstm(m, 1);
  EXPECT_EQ(bi.forward_options().name, "forward_lstm");
  EXPECT_EQ(bi.backward_options().name, "backward_lstm");
  EXPECT_FALSE(bi.forward_options().go_backwards);
  EXPECT_TRUE(bi.backward_options().go_backwards);
  EXPECT_DOUBLE_EQ(bi.forward_options().dropout, 0.2);
  EXPECT_DOUBLE_EQ(bi.backward_options().recurrent_dropout, 0.2);
  EXPECT_TRUE(bi.return_sequences());
  // Keras: Embedding V*16; each LSTM direction 4*16*(16+16+1); Dense 32*4+4.
  EXPECT_EQ(m.layer(0).count_params(), V * 16);
  EXPECT_EQ(m.layer(1).count_params(), 2 * 4 * 16 * (16 + 16 + 1));
  EXPECT_EQ(m.layer(2).count_params(), 32 * tags + tags);
  EXPECT_EQ(m.output_shape(), (birnn::Shape{T, tags}));
  const std::string s = m.summary();
  EXPECT_THAT(s, HasSubstr("embedding (Embedding)"));
  EXPECT_THAT(s, HasSubstr("(None, 12, 16)"));
  EXPECT_THAT(s, HasSubstr("(None, 12, 32)"));
  EXPECT_THAT(s, HasSubstr("(None, 12, 4)"));
}

TEST(Sequential, GivesTheSameResultsAsTheModelBuiltByHand) {
  auto built = k::Sequential<float>({k::Input({5, 3}), k::Bidirectional(k::GRU(4).return_sequences()).merge_mode("sum"),
                                     k::LSTM(2), k::Dense(1).activation("sigmoid")});
  birnn::Model<float> hand({5, 3});
  birnn::GRU<float>::Config gru;
  gru.units = 4;
  hand.emplace<birnn::BidirectionalLayer<birnn::GRU<float>>>(3, gru, birnn::MergeMode::sum, true);
  birnn::LSTM<float>::Config lstm;
  lstm.units = 2;
  birnn::LayerOptions o;
  o.name = "lstm";
  hand.emplace<birnn::RecurrentLayer<birnn::LSTM<float>>>(4, lstm, o, false, false);
  hand.emplace<birnn::DenseLayer<float>>(birnn::Dense<float>(2, 1, birnn::Activation::sigmoid));
  ASSERT_EQ(built.count_params(), hand.count_params());
  hand.initialize(3);
  built.set_weights(hand.get_weights());
  birnn::Sequence<float> x(2, 5, 3);
  for (Eigen::Index i = 0; i < x.matrix().size(); ++i) x.matrix().data()[i] = 0.1f * static_cast<float>(i % 7) - 0.3f;
  const auto a = built.predict(x).front().matrix, b = hand.predict(x).front().matrix;
  ASSERT_EQ(a.rows(), 2);
  EXPECT_EQ(a, b);
}

TEST(Sequential, NamesLayersAsKerasDoes) {
  auto m = k::Sequential<float>({k::Input({k::None, 3}), k::Bidirectional(k::LSTM(2).return_sequences()),
                                 k::Bidirectional(k::LSTM(2).return_sequences()), k::SimpleRNN(2).return_sequences(),
                                 k::SimpleRNN(2).return_sequences(), k::Dense(2).name("dense"), k::Dense(2)});
  EXPECT_EQ(m.layer(0).name(), "bidirectional");
  EXPECT_EQ(m.layer(1).name(), "bidirectional_1");
  EXPECT_EQ(bilstm(m, 1).forward_options().name, "forward_lstm_1");
  EXPECT_EQ(bilstm(m, 1).backward_options().name, "backward_lstm_1");
  EXPECT_EQ(m.layer(2).name(), "simple_rnn");
  EXPECT_EQ(m.layer(3).name(), "simple_rnn_1");
  EXPECT_EQ(m.layer(4).name(), "dense");
  EXPECT_EQ(m.layer(5).name(), "dense_1");  // the automatic name skips the one given by hand
  EXPECT_EQ(m.output_shape(), (birnn::Shape{k::None, 2}));
}

TEST(Sequential, ADuplicateNameIsAConfigError) {
  EXPECT_THAT([] { (void)k::Sequential<float>({k::Input({4, 3}), k::Dense(2).name("head"), k::Dense(2).name("head")}); },
              ThrowsMessage<birnn::config_error>(AllOf(HasSubstr("'head'"), HasSubstr("no other layer"))));
}

TEST(Sequential, AnExplicitBackwardLayerGetsTheOtherDirection) {
  auto m = k::Sequential<float>(
      {k::Input({6, 3}), k::Bidirectional(k::LSTM(3).return_sequences()).backward_layer(k::GRU(2).return_sequences())});
  const auto& bi = dynamic_cast<const birnn::BidirectionalLayer<birnn::LSTM<float>, birnn::GRU<float>>&>(m.layer(0));
  EXPECT_EQ(bi.forward_options().name, "forward_lstm");
  EXPECT_EQ(bi.backward_options().name, "gru");  // Keras keeps a given backward layer's name
  EXPECT_FALSE(bi.forward_options().go_backwards);
  EXPECT_TRUE(bi.backward_options().go_backwards);
  EXPECT_EQ(m.output_shape(), (birnn::Shape{6, 5}));
  // A forward layer walking backwards gets a backward layer walking forwards.
  auto r = k::Sequential<float>({k::Input({6, 3}), k::Bidirectional(k::LSTM(3).go_backwards())});
  EXPECT_TRUE(bilstm(r, 0).forward_options().go_backwards);
  EXPECT_FALSE(bilstm(r, 0).backward_options().go_backwards);
}

TEST(Sequential, ABackwardLayerThatDoesNotFitIsAConfigErrorNamingBoth) {
  EXPECT_THAT(
      [] {
        (void)k::Sequential<float>(
            {k::Input({6, 3}), k::Bidirectional(k::LSTM(3)).backward_layer(k::LSTM(3).name("back").go_backwards(false))});
      },
      ThrowsMessage<birnn::config_error>(
          AllOf(HasSubstr("'back'"), HasSubstr("go_backwards: expected True"), HasSubstr("forward layer 'lstm'"))));
  EXPECT_THAT(
      [] {
        (void)k::Sequential<float>(
            {k::Input({6, 3}), k::Bidirectional(k::LSTM(3).return_sequences()).backward_layer(k::LSTM(3))});
      },
      ThrowsMessage<birnn::config_error>(AllOf(HasSubstr("return_sequences: expected True"), HasSubstr("got False"))));
}

TEST(Sequential, ALayerThatCannotReadThePreviousOutputNamesBothLayers) {
  EXPECT_THAT([] { (void)k::Sequential<float>({k::Input({6, 3}), k::LSTM(8), k::LSTM(4)}); },
              ThrowsMessage<birnn::shape_error>(AllOf(HasSubstr("'lstm_1' (LSTM)"), HasSubstr("'lstm' (LSTM)"),
                                                      HasSubstr("(None, 8)"))));
  EXPECT_THAT([] { (void)k::Sequential<float>({k::Input({6, 3}), k::Dense(4), k::Embedding(10, 2)}); },
              ThrowsMessage<birnn::config_error>(
                  AllOf(HasSubstr("'embedding' (Embedding)"), HasSubstr("'dense' (Dense)"), HasSubstr("first"))));
  EXPECT_THAT([] { (void)k::Sequential<float>({k::Input({6, 3}), k::GRU(4).return_state(), k::Dense(1)}); },
              ThrowsMessage<birnn::config_error>(
                  AllOf(HasSubstr("'dense' (Dense)"), HasSubstr("'gru' (GRU)"), HasSubstr("returns 2 outputs"))));
  EXPECT_THAT([] { (void)k::Sequential<float>({k::Input({6, 3}), k::Embedding(10, 2)}); },
              ThrowsMessage<birnn::shape_error>(
                  AllOf(HasSubstr("'embedding' (Embedding)"), HasSubstr("the model's input"), HasSubstr("token ids"))));
  EXPECT_THAT([] { (void)k::Sequential<float>({k::Input({6, k::None}), k::LSTM(2)}); },
              ThrowsMessage<birnn::shape_error>(AllOf(HasSubstr("'lstm' (LSTM)"), HasSubstr("(None, 6, None)"))));
}

TEST(Sequential, TheInputComesFirstAndOnlyOnce) {
  EXPECT_THAT([] { (void)k::Sequential<float>({k::Dense(2)}); },
              ThrowsMessage<birnn::config_error>(AllOf(HasSubstr("keras::Input"), HasSubstr("got Dense"))));
  EXPECT_THAT([] { (void)k::Sequential<float>({k::Input({3, 2}), k::Input({3, 2})}); },
              ThrowsMessage<birnn::config_error>(HasSubstr("first entry")));
  EXPECT_THROW((void)k::Input({}), birnn::config_error);
  EXPECT_THROW((void)k::Input({4, 0}), birnn::config_error);
}

TEST(LayerConfig, SettersRejectWhatKerasRejects) {
  EXPECT_THAT([] { (void)k::LSTM(0); }, ThrowsMessage<birnn::config_error>(AllOf(HasSubstr("LSTM"), HasSubstr("got 0"))));
  EXPECT_THAT([] { (void)k::GRU(3).dropout(1.0); },
              ThrowsMessage<birnn::config_error>(AllOf(HasSubstr("GRU"), HasSubstr("dropout"), HasSubstr("[0, 1)"))));
  EXPECT_THROW((void)k::SimpleRNN(3).recurrent_dropout(-0.1), birnn::config_error);
  EXPECT_THAT([] { (void)k::Dense(3).activation("sofmax"); },
              ThrowsMessage<birnn::config_error>(AllOf(HasSubstr("Dense"), HasSubstr("'sofmax'"))));
  EXPECT_THAT([] { (void)k::Bidirectional(k::LSTM(2)).merge_mode("average"); },
              ThrowsMessage<birnn::config_error>(AllOf(HasSubstr("merge_mode"), HasSubstr("'average'"))));
  EXPECT_THROW((void)k::Embedding(0, 4), birnn::config_error);
}

TEST(LayerConfig, MergeModeNoneGivesTwoOutputs) {
  auto m = k::Sequential<float>({k::Input({4, 2}), k::Bidirectional(k::SimpleRNN(3)).merge_mode(birnn::MergeMode::none)});
  birnn::Sequence<float> x(1, 4, 2);
  x.matrix().setConstant(0.5f);
  m.initialize(1);
  EXPECT_EQ(m.predict(x).size(), 2u);
}

TEST(LayerConfig, TheKerasJsonReaderBuildsTheSameModel) {
  const nlohmann::json layers = nlohmann::json::parse(R"([
    {"class_name": "InputLayer", "config": {"batch_shape": [null, 7], "name": "ids"}},
    {"class_name": "Embedding", "config": {"name": "embedding", "input_dim": 20, "output_dim": 5, "mask_zero": true}},
    {"class_name": "Bidirectional", "config": {"name": "bidirectional", "merge_mode": "concat",
      "layer": {"class_name": "GRU", "config": {"name": "forward_gru", "units": 3, "return_sequences": true}}}},
    {"class_name": "Dense", "config": {"name": "dense", "units": 2, "activation": "softmax"}}])");
  auto from_json = k::model_from_config<float>(layers);
  auto built = k::Sequential<float>({k::Input({7}), k::Embedding(20, 5).mask_zero(),
                                     k::Bidirectional(k::GRU(3).return_sequences()), k::Dense(2).activation("softmax")});
  EXPECT_EQ(from_json.summary(), built.summary());
}

}  // namespace

namespace {
namespace torch_module {

// ---- The safetensors reader and the PyTorch recurrent modules ----
// Every bad file or state_dict throws its typed error naming the file, the tensor, the
// expected and the actual value; F64, F16 and BF16 read to the values worked out by hand;
// h_n, c_n and the layouts follow PyTorch's rules. (PyTorch's numbers themselves: ctest
// conformance_torch.)

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;
using Bytes = std::vector<unsigned char>;
using Dict = birnn::torch::StateDict<float>;

/// The files a test wrote, removed when the process ends.
struct TempFiles {
  std::vector<std::string> paths;
  ~TempFiles() {
    std::error_code ec;
    for (const auto& p : paths) fs::remove(p, ec);
  }
};

/// A fresh path in the temp directory, named after the running test.
std::string temp_path() {
  static TempFiles files;
  static const auto tag = std::to_string(std::random_device{}());
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  files.paths.push_back((fs::temp_directory_path() / (std::string("birnn_") + info->test_suite_name() + "_" +
                                                      info->name() + "_" + tag + "_" +
                                                      std::to_string(files.paths.size()) + ".safetensors"))
                            .string());
  return files.paths.back();
}

void write_bytes(const std::string& path, const Bytes& b) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}

void append_le(Bytes& b, std::uint64_t v, int n) {
  for (int k = 0; k < n; ++k) b.push_back(static_cast<unsigned char>((v >> (8 * k)) & 0xFF));
}

/// A safetensors file: the header's length, the header, the data region.
std::string safetensors_file(const std::string& header, const Bytes& data, std::uint64_t claimed = 0) {
  Bytes b;
  append_le(b, claimed ? claimed : header.size(), 8);
  b.insert(b.end(), header.begin(), header.end());
  b.insert(b.end(), data.begin(), data.end());
  const auto path = temp_path();
  write_bytes(path, b);
  return path;
}

/// A state_dict as an F32 safetensors file.
std::string write_state_dict(const Dict& d) {
  std::string header = "{";
  Bytes data;
  for (const auto& [name, t] : d) {
    header += (header.size() > 1 ? "," : "") + ("\"" + name + "\":{\"dtype\":\"F32\",\"shape\":[");
    for (std::size_t i = 0; i < t.shape.size(); ++i) header += (i ? "," : "") + std::to_string(t.shape[i]);
    header += "],\"data_offsets\":[" + std::to_string(data.size()) + "," + std::to_string(data.size() + 4 * t.values.size()) + "]}";
    for (float v : t.values) {
      std::uint32_t bits;
      std::memcpy(&bits, &v, 4);
      append_le(data, bits, 4);
    }
  }
  return safetensors_file(header + "}", data);
}

template <class F>
void expect_io_error(F&& f, const std::string& path, const std::string& expected, const std::string& got) {
  EXPECT_THAT(f, ThrowsMessage<birnn::io_error>(AllOf(HasSubstr(path), HasSubstr(expected), HasSubstr(got))));
}

auto read(const std::string& path) { return birnn::io::read_safetensors<float>(path); }

TEST(Safetensors, MissingFileNamesIt) {
  const auto path = temp_path();
  expect_io_error([&] { read(path); }, path, "cannot read the file", "No such file");
}

TEST(Safetensors, FileShorterThanTheHeaderLength) {
  const auto path = temp_path();
  write_bytes(path, {1, 2, 3, 4, 5});
  expect_io_error([&] { read(path); }, path, "expected at least 8 bytes", "got 5");
}

TEST(Safetensors, HeaderLengthLargerThanTheFile) {
  const auto path = safetensors_file("{}", {0, 0}, 1000);
  expect_io_error([&] { read(path); }, path, "header length: expected at most 4 bytes (the file holds 12)", "got 1000");
  const auto huge = safetensors_file("{}", {}, std::numeric_limits<std::uint64_t>::max());
  expect_io_error([&] { read(huge); }, huge, "header length: expected at most 2 bytes", "got 18446744073709551615");
}

TEST(Safetensors, HeaderThatIsNotJson) {
  const auto path = safetensors_file("{\"a\": [1, 2", {});
  expect_io_error([&] { read(path); }, path, "header: expected JSON", "got text that is not");
  const auto list = safetensors_file("[1, 2]", {});
  expect_io_error([&] { read(list); }, list, "expected a JSON object", "got array");
}

TEST(Safetensors, HeaderNestedTooDeep) {
  const auto path = safetensors_file(R"({"w": {"dtype": "F32", "shape": [[[1]]], "data_offsets": [0, 4]}})", {0, 0, 0, 0});
  expect_io_error([&] { read(path); }, path, "expected JSON nested at most 3 levels deep", "got more");
}

TEST(Safetensors, OffsetsOutsideTheDataRegion) {
  const auto path = safetensors_file(R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 12]}})", Bytes(8));
  expect_io_error([&] { read(path); }, path, "tensor 'w': data_offsets: expected 0 <= begin <= end <= 8", "got [0, 12]");
  const auto reversed = safetensors_file(R"({"w": {"dtype": "F32", "shape": [0], "data_offsets": [8, 4]}})", Bytes(8));
  expect_io_error([&] { read(reversed); }, reversed, "tensor 'w': data_offsets: expected 0 <= begin", "got [8, 4]");
  const auto negative = safetensors_file(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [-4, 0]}})", Bytes(8));
  expect_io_error([&] { read(negative); }, negative, "tensor 'w': data_offsets: expected a non-negative integer", "got -4");
}

TEST(Safetensors, SizeThatDoesNotMatchTheShape) {
  const auto path = safetensors_file(R"({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}})", Bytes(8));
  expect_io_error([&] { read(path); }, path, "tensor 'w': data_offsets [0, 8]: expected 3 F32 values of shape (3,)",
                  "got 8 bytes");
}

TEST(Safetensors, ShapeWhoseProductOverflows) {
  const auto path = safetensors_file(
      R"({"w": {"dtype": "F64", "shape": [4294967296, 4294967296, 2], "data_offsets": [0, 8]}})", Bytes(8));
  expect_io_error([&] { read(path); }, path, "tensor 'w': shape [4294967296,4294967296,2]: expected a product of at most",
                  "got one that overflows");
  // The product fits, the byte count (times 8) does not.
  const auto bytes = safetensors_file(
      R"({"w": {"dtype": "F64", "shape": [4611686018427387904], "data_offsets": [0, 8]}})", Bytes(8));
  expect_io_error([&] { read(bytes); }, bytes, "expected 4611686018427387904 F64 values", "got 8 bytes");
}

TEST(Safetensors, UnsupportedDtypeNamed) {
  const auto path = safetensors_file(R"({"steps": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}})", Bytes(8));
  expect_io_error([&] { read(path); }, path, "tensor 'steps': dtype: expected F32, F64, F16 or BF16", "got 'I64'");
}

TEST(Safetensors, OverlappingTensors) {
  const auto path = safetensors_file(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                         "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})", Bytes(8));
  expect_io_error([&] { read(path); }, path, "tensor 'b': data_offsets: expected to begin at or after 8", "got 4");
}

TEST(Safetensors, MetadataMustBeStrings) {
  const auto path = safetensors_file(R"({"__metadata__": {"format": 1}})", {});
  expect_io_error([&] { read(path); }, path, "__metadata__ 'format': expected a string", "got 1");
  const auto ok = safetensors_file(R"({"__metadata__": {"format": "pt"}})", {});
  EXPECT_EQ(read(ok).metadata.at("format"), "pt");
  EXPECT_TRUE(read(ok).tensors.empty());
}

TEST(Safetensors, F32RowMajorWithShape) {
  Bytes data;
  for (float v : {1.0f, -2.5f, 0.125f, 3.0f, 4.0f, 5.0f}) {
    std::uint32_t bits;
    std::memcpy(&bits, &v, 4);
    append_le(data, bits, 4);
  }
  const auto path = safetensors_file(R"({"m": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}})", data);
  const auto t = birnn::io::read_safetensors<double>(path).tensors.at("m");
  EXPECT_EQ(t.shape, (std::vector<Eigen::Index>{2, 3}));
  EXPECT_EQ(t.values, (std::vector<double>{1.0, -2.5, 0.125, 3.0, 4.0, 5.0}));
}

TEST(Safetensors, F64ReadsExactly) {
  Bytes data;
  for (double v : {0.1, -1e-300}) {
    std::uint64_t bits;
    std::memcpy(&bits, &v, 8);
    append_le(data, bits, 8);
  }
  const auto path = safetensors_file(R"({"d": {"dtype": "F64", "shape": [2], "data_offsets": [0, 16]}})", data);
  EXPECT_EQ(birnn::io::read_safetensors<double>(path).tensors.at("d").values, (std::vector<double>{0.1, -1e-300}));
  const auto f = read(path).tensors.at("d").values;  // converted to float
  EXPECT_EQ(f[0], 0.1f);
  EXPECT_TRUE(f[1] == 0 && std::signbit(f[1]));
}

TEST(Safetensors, F16AndBF16ConvertExactly) {
  // Half: 1, -2, 1/3 rounded (0x3555 = 1 + 341/1024, times 1/4), the smallest subnormal 2^-24,
  // the largest finite 65504, +inf.  bfloat16: 1, -5, 0.15625.
  Bytes data;
  for (std::uint16_t h : {0x3C00, 0xC000, 0x3555, 0x0001, 0x7BFF, 0x7C00, 0x3F80, 0xC0A0, 0x3E20}) append_le(data, h, 2);
  const auto path = safetensors_file(R"({"h": {"dtype": "F16", "shape": [6], "data_offsets": [0, 12]},
                                         "b": {"dtype": "BF16", "shape": [3, 1], "data_offsets": [12, 18]}})", data);
  const auto file = birnn::io::read_safetensors<double>(path);
  const auto& h = file.tensors.at("h").values;
  EXPECT_EQ(h[0], 1.0);
  EXPECT_EQ(h[1], -2.0);
  EXPECT_EQ(h[2], (1.0 + 341.0 / 1024) / 4);
  EXPECT_EQ(h[3], std::ldexp(1.0, -24));
  EXPECT_EQ(h[4], 65504.0);
  EXPECT_TRUE(std::isinf(h[5]) && h[5] > 0);
  EXPECT_EQ(file.tensors.at("b").values, (std::vector<double>{1.0, -5.0, 0.15625}));
  EXPECT_EQ(file.tensors.at("b").shape, (std::vector<Eigen::Index>{3, 1}));
}

// --------------------------------------------------------------------------------------
// torch::RNN
// --------------------------------------------------------------------------------------

/// The state_dict of a PyTorch module of class `cls` (gates g), input 3, hidden 4: value
/// k of each tensor is a small deterministic number (not PyTorch's: only shapes matter here).
Dict state_dict(const std::string& cls, int layers, bool bidirectional, bool bias = true) {
  const Eigen::Index g = cls == "LSTM" ? 4 : cls == "GRU" ? 3 : 1, h = 4;
  Dict d;
  int seed = 0;
  auto tensor = [&](std::vector<Eigen::Index> shape) {
    birnn::Tensor<float> t(shape, {});
    for (Eigen::Index k = 0; k < t.size(); ++k) t.values.push_back(0.05f * static_cast<float>((k * 7 + seed) % 13 - 6));
    ++seed;
    return t;
  };
  for (int k = 0; k < layers; ++k)
    for (int dir = 0; dir < (bidirectional ? 2 : 1); ++dir) {
      const std::string s = "_l" + std::to_string(k) + (dir ? "_reverse" : "");
      d["weight_ih" + s] = tensor({g * h, k == 0 ? 3 : (bidirectional ? 2 : 1) * h});
      d["weight_hh" + s] = tensor({g * h, h});
      if (bias) {
        d["bias_ih" + s] = tensor({g * h});
        d["bias_hh" + s] = tensor({g * h});
      }
    }
  return d;
}

birnn::torch::RNNOptions options(const std::string& cls, int layers, bool bidirectional, bool batch_first = false) {
  birnn::torch::RNNOptions o;
  o.cls = cls;
  o.num_layers = layers;
  o.bidirectional = bidirectional;
  o.batch_first = batch_first;
  return o;
}

template <class F>
void expect_weight_error(F&& f, const std::string& tensor, const std::string& expected, const std::string& got) {
  EXPECT_THAT(f, ThrowsMessage<birnn::weight_error>(AllOf(HasSubstr("'" + tensor + "'"), HasSubstr(expected), HasSubstr(got))));
}

using birnn::torch::RNN;

TEST(TorchRNN, MissingTensor) {
  auto d = state_dict("LSTM", 1, true);
  d.erase("bias_hh_l0_reverse");
  expect_weight_error([&] { RNN<float>::from_state_dict(d, options("LSTM", 1, true)); }, "bias_hh_l0_reverse",
                      "expected shape (16,)", "got none");
}

TEST(TorchRNN, UnusedTensorAndProjection) {
  auto d = state_dict("GRU", 1, false);
  d["extra"] = birnn::Tensor<float>({2}, {1, 2});
  expect_weight_error([&] { RNN<float>::from_state_dict(d, options("GRU", 1, false)); }, "extra", "expected none such",
                      "(shape (2,))");
  auto p = state_dict("LSTM", 1, false);
  p["weight_hr_l0"] = birnn::Tensor<float>({2, 4}, std::vector<float>(8));
  expect_weight_error([&] { RNN<float>::from_state_dict(p, options("LSTM", 1, false)); }, "weight_hr_l0",
                      "proj_size is not supported", "(2, 4)");
}

TEST(TorchRNN, WrongShape) {
  auto d = state_dict("RNN", 2, true);
  d["weight_ih_l1"] = birnn::Tensor<float>({4, 5}, std::vector<float>(20));
  expect_weight_error([&] { RNN<float>::from_state_dict(d, options("RNN", 2, true)); }, "weight_ih_l1",
                      "expected shape (4, 8)", "got (4, 5)");
  auto o = options("GRU", 1, false);
  o.input_size = 5;  // the module was made with input 3
  expect_weight_error([&] { RNN<float>::from_state_dict(state_dict("GRU", 1, false), o); }, "weight_ih_l0",
                      "expected shape (12, 5)", "got (12, 3)");
}

TEST(TorchRNN, OptionsThatContradictTheFileNameIt) {
  const auto two = write_state_dict(state_dict("LSTM", 2, true));
  auto load = [](const std::string& path, const birnn::torch::RNNOptions& o) { birnn::torch::load_rnn<float>(path, o); };
  auto expect = [&](const std::string& path, const birnn::torch::RNNOptions& o, const std::string& tensor,
                    const std::string& expected, const std::string& got) {
    EXPECT_THAT([&] { load(path, o); }, ThrowsMessage<birnn::weight_error>(AllOf(
                                            HasSubstr(path), HasSubstr("'" + tensor + "'"), HasSubstr(expected), HasSubstr(got))));
  };
  expect(two, options("LSTM", 1, true), "bias_hh_l1", "expected none such", "got it");            // num_layers
  expect(two, options("LSTM", 3, true), "weight_ih_l2", "expected shape (16, 8)", "got none");
  expect(two, options("LSTM", 2, false), "weight_ih_l1", "expected shape (16, 4)", "got (16, 8)");  // bidirectional
  const auto uni = write_state_dict(state_dict("LSTM", 1, false));
  expect(uni, options("LSTM", 1, true), "weight_ih_l0_reverse", "expected shape (16, 3)", "got none");
  expect(uni, options("GRU", 1, false), "weight_ih_l0", "expected shape (12, 3)", "got (16, 3)");   // class
  auto no_bias = options("LSTM", 1, false);
  no_bias.bias = false;
  expect(uni, no_bias, "bias_hh_l0", "expected none such", "got it");
  // The file's own errors name it too.
  const auto bad = safetensors_file("{", {});
  expect_io_error([&] { load(bad, options("LSTM", 1, false)); }, bad, "header: expected JSON", "not");
}

TEST(TorchRNN, BadOptionsAndInputs) {
  auto o = options("Transformer", 1, false);
  EXPECT_THROW(RNN<float>::from_state_dict(state_dict("GRU", 1, false), o), birnn::config_error);
  o = options("GRU", 1, false);
  o.nonlinearity = "relu";
  EXPECT_THAT([&] { RNN<float>::from_state_dict(state_dict("GRU", 1, false), o); },
              ThrowsMessage<birnn::config_error>(AllOf(HasSubstr("nonlinearity: expected tanh"), HasSubstr("got 'relu'"))));
  auto rnn = RNN<float>::from_state_dict(state_dict("GRU", 1, true), options("GRU", 1, true));
  const birnn::Tensor<float> x({5, 2, 3}, std::vector<float>(30, 0.5f));
  EXPECT_THAT([&] { rnn.forward(birnn::Tensor<float>({5, 2, 2}, std::vector<float>(20))); },
              ThrowsMessage<birnn::shape_error>(AllOf(HasSubstr("input features"), HasSubstr("expected 3, got 2"))));
  EXPECT_THAT([&] { rnn.forward(x, birnn::Tensor<float>({1, 2, 4}, std::vector<float>(8))); },
              ThrowsMessage<birnn::shape_error>(AllOf(HasSubstr("h0: expected shape (2, 2, 4)"), HasSubstr("got (1, 2, 4)"))));
  EXPECT_THAT([&] { rnn.forward(x, std::nullopt, birnn::Tensor<float>({2, 2, 4}, std::vector<float>(16))); },
              ThrowsMessage<birnn::config_error>(HasSubstr("c0: expected none")));
  auto lstm = RNN<float>::from_state_dict(state_dict("LSTM", 1, false), options("LSTM", 1, false));
  EXPECT_THAT([&] { lstm.forward(x, birnn::Tensor<float>({1, 2, 4}, std::vector<float>(8))); },
              ThrowsMessage<birnn::config_error>(AllOf(HasSubstr("both h0 and c0"), HasSubstr("got only h0"))));
}

/// Element (i, j, k) of a rank-3 tensor.
float at(const birnn::Tensor<float>& t, Eigen::Index i, Eigen::Index j, Eigen::Index k) {
  return t.values[std::size_t((i * t.shape[1] + j) * t.shape[2] + k)];
}

// PyTorch's rules, which any implementation must meet: the last layer's forward h_n is the
// output's last step, its reverse h_n the output's first step (second half of the features);
// batch_first changes only the layout.
TEST(TorchRNN, StatesAndLayoutsFollowPyTorch) {
  for (const std::string cls : {"RNN", "LSTM", "GRU"}) {
    SCOPED_TRACE(cls);
    const auto d = state_dict(cls, 2, true);
    auto tm = RNN<float>::from_state_dict(d, options(cls, 2, true, false));
    auto bf = RNN<float>::from_state_dict(d, options(cls, 2, true, true));
    birnn::Tensor<float> x({5, 2, 3}, {}), xb({2, 5, 3}, std::vector<float>(30));
    for (int k = 0; k < 30; ++k) x.values.push_back(0.1f * static_cast<float>((k * 5) % 11 - 5));
    for (int t = 0; t < 5; ++t)
      for (int b = 0; b < 2; ++b)
        for (int f = 0; f < 3; ++f) xb.values[std::size_t((b * 5 + t) * 3 + f)] = at(x, t, b, f);
    const auto y = tm.forward(x), yb = bf.forward(xb);
    ASSERT_EQ(y.output.shape, (std::vector<Eigen::Index>{5, 2, 8}));
    ASSERT_EQ(yb.output.shape, (std::vector<Eigen::Index>{2, 5, 8}));
    ASSERT_EQ(y.h_n.shape, (std::vector<Eigen::Index>{4, 2, 4}));
    EXPECT_EQ(y.c_n.shape, cls == "LSTM" ? y.h_n.shape : std::vector<Eigen::Index>{});
    EXPECT_EQ(y.h_n.values, yb.h_n.values);
    for (int b = 0; b < 2; ++b)
      for (int u = 0; u < 4; ++u) {
        EXPECT_EQ(at(y.h_n, 2, b, u), at(y.output, 4, b, u));      // layer 1 forward: last step
        EXPECT_EQ(at(y.h_n, 3, b, u), at(y.output, 0, b, 4 + u));  // layer 1 reverse: first step
        for (int t = 0; t < 5; ++t) EXPECT_EQ(at(y.output, t, b, u), at(yb.output, b, t, u));
      }
    EXPECT_NE(at(y.h_n, 0, 0, 0), at(y.h_n, 2, 0, 0));  // layer 0's state is its own
  }
}

// README's "Running a PyTorch RNN" snippet (between the markers; ctest
// example_readme_torch_snippet checks the README shows it), on a fixture of PyTorch's.
TEST(TorchRNN, TheReadmeSnippetRunsAFixture) {
  const std::string path = BIRNN_TEST_DATA_DIR "/torch/lstm_bi_l2_bf.safetensors";
  birnn::Tensor<float> x({2, 5, 3}, std::vector<float>(30, 0.25f));
  // [torch]
  birnn::torch::RNNOptions options;  // the module's constructor arguments
  options.cls = "LSTM";              // "RNN" (options.nonlinearity "tanh" or "relu"), "LSTM" or "GRU"
  options.num_layers = 2;
  options.bidirectional = true;
  options.batch_first = true;        // x and output are (batch, time, features)
  auto lstm = birnn::torch::load_rnn<float>(path, options);  // input and hidden sizes come from the file
  auto [output, h_n, c_n] = lstm.forward(x);                  // as PyTorch's lstm(x): output, (h_n, c_n)
  // [torch]
  EXPECT_EQ(output.shape, (std::vector<Eigen::Index>{2, 5, 8}));
  EXPECT_EQ(h_n.shape, (std::vector<Eigen::Index>{4, 2, 4}));
  EXPECT_EQ(c_n.shape, h_n.shape);
}

}  // namespace torch_module
}  // namespace
