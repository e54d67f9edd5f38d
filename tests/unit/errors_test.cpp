// Runtime errors: each bad input throws the right birnn exception (all derive from
// std::invalid_argument), with a message that names the layer, what was expected and what
// came; a failed call changes nothing. Also: Keras configs birnn rejects, and batch 0.

#include <birnn/birnn.hpp>
#include <birnn/io/keras_model.hpp>
#include <birnn/layers/dense.hpp>
#include <birnn/layers/embedding.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <stdexcept>
#include <type_traits>
#include <vector>

namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;
using json = nlohmann::json;
namespace seq = birnn::sequences;
namespace st = birnn::state;

using Lstm = birnn::LSTM<float>;
using Seq = birnn::Sequence<float>;

birnn::LayerOptions named(std::string name, bool go_backwards = false) {
  birnn::LayerOptions o;
  o.name = std::move(name);
  o.go_backwards = go_backwards;
  return o;
}

/// Weights of the shapes `specs` lists, value k / 100 for the k-th value of all of them.
std::vector<birnn::Tensor<float>> counting_weights(const std::vector<birnn::WeightSpec>& specs, float offset = 0) {
  std::vector<birnn::Tensor<float>> w;
  int k = 0;
  for (const auto& s : specs) {
    birnn::Tensor<float> t(s.shape, {});
    for (Eigen::Index i = 0; i < t.size(); ++i) t.values.push_back(offset + static_cast<float>(k++) / 100);
    w.push_back(std::move(t));
  }
  return w;
}

Seq ramp(Eigen::Index batch, Eigen::Index time, Eigen::Index features) {
  Seq x(batch, time, features);
  for (Eigen::Index i = 0; i < x.matrix().size(); ++i) x.data()[i] = static_cast<float>(i % 7) / 7 - 0.4f;
  return x;
}

// ---------------------------------------------------------------------------------------------
// The exception types
// ---------------------------------------------------------------------------------------------

TEST(Errors, EveryErrorTypeIsAnInvalidArgument) {
  static_assert(std::is_base_of_v<std::invalid_argument, birnn::error>);
  static_assert(std::is_base_of_v<birnn::error, birnn::shape_error>);
  static_assert(std::is_base_of_v<birnn::error, birnn::weight_error>);
  static_assert(std::is_base_of_v<birnn::error, birnn::mask_error>);
  static_assert(std::is_base_of_v<birnn::error, birnn::config_error>);
  static_assert(std::is_base_of_v<birnn::error, birnn::value_error>);
  birnn::Rnn<Lstm> lstm(16, {8});
  EXPECT_THROW((void)lstm.forward(Seq(1, 2, 12)), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

TEST(Rnn, WrongInputFeaturesThrowAShapeErrorNamingTheLayerAndBothCounts) {
  birnn::Rnn<Lstm> lstm(16, {8}, named("forward_lstm"));
  EXPECT_THAT([&] { (void)lstm.forward(Seq(2, 3, 12)); },
              ThrowsMessage<birnn::shape_error>(
                  AllOf(HasSubstr("birnn::LSTM 'forward_lstm'"), HasSubstr("input features"),
                        HasSubstr("expected 16, got 12"))));
}

TEST(Rnn, ZeroTimeStepsThrowAShapeError) {
  birnn::Rnn<Lstm> lstm(16, {8}, named("encoder"));
  EXPECT_THAT([&] { (void)lstm.forward(Seq(2, 0, 16)); },
              ThrowsMessage<birnn::shape_error>(
                  AllOf(HasSubstr("'encoder'"), HasSubstr("time steps"), HasSubstr("expected at least 1, got 0"))));
}

TEST(Rnn, AMaskOfTheWrongShapeThrowsAMaskError) {
  birnn::Rnn<Lstm, seq::all, st::discard, birnn::mask::masked> lstm(4, {3}, named("tagger"));
  const Seq x = ramp(2, 3, 4);
  EXPECT_THAT([&] { (void)lstm.forward(x, birnn::Mask::Constant(2, 4, true)); },
              ThrowsMessage<birnn::mask_error>(AllOf(HasSubstr("'tagger'"), HasSubstr("expected (2, 3), got (2, 4)"))));
  EXPECT_THAT([&] { (void)lstm.forward(x, birnn::Mask::Constant(3, 3, true)); },
              ThrowsMessage<birnn::mask_error>(HasSubstr("expected (2, 3), got (3, 3)")));
}

TEST(Rnn, AnInitialStateOfTheWrongShapeThrowsAShapeError) {
  birnn::Rnn<Lstm> lstm(4, {8}, named("decoder"));
  const Seq x = ramp(2, 3, 4);
  using State = birnn::Rnn<Lstm>::State;
  const birnn::Batch<float> h = birnn::Batch<float>::Zero(2, 8);
  const State narrow_c{h, birnn::Batch<float>::Zero(2, 7)};
  const State short_h{birnn::Batch<float>::Zero(1, 8), h};
  EXPECT_THAT([&] { (void)lstm.forward(x, narrow_c); },
              ThrowsMessage<birnn::shape_error>(
                  AllOf(HasSubstr("'decoder'"), HasSubstr("initial state 1"), HasSubstr("expected (2, 8), got (2, 7)"))));
  EXPECT_THAT([&] { (void)lstm.forward(x, short_h); },
              ThrowsMessage<birnn::shape_error>(
                  AllOf(HasSubstr("initial state 0"), HasSubstr("expected (2, 8), got (1, 8)"))));
}

TEST(Rnn, AFailedCallLeavesTheLayerAsItWas) {
  birnn::Rnn<Lstm, seq::all, st::keep> lstm(4, {3});
  lstm.set_weights(counting_weights(lstm.weight_specs()));
  const Seq x = ramp(2, 3, 4);
  auto [y1, h1, c1] = lstm.forward(x);
  EXPECT_THROW((void)lstm.forward(ramp(2, 3, 5)), birnn::shape_error);
  const birnn::Rnn<Lstm, seq::all, st::keep>::State bad{birnn::Batch<float>::Zero(2, 3), birnn::Batch<float>::Zero(2, 2)};
  EXPECT_THROW((void)lstm.forward(x, bad), birnn::shape_error);
  auto [y2, h2, c2] = lstm.forward(x);
  EXPECT_EQ(y1.matrix(), y2.matrix());
  EXPECT_EQ(h1, h2);
  EXPECT_EQ(c1, c2);
}

TEST(Bidirectional, WrongInputFeaturesThrowAShapeError) {
  birnn::Bidirectional<Lstm> bi(16, {8});
  EXPECT_THAT([&] { (void)bi.forward(Seq(2, 3, 12)); },
              ThrowsMessage<birnn::shape_error>(AllOf(HasSubstr("'forward_lstm'"), HasSubstr("expected 16, got 12"))));
}

TEST(Bidirectional, AnInitialStateOfTheWrongShapeThrowsAShapeErrorNamingTheBackwardLayer) {
  using Bi = birnn::Bidirectional<birnn::GRU<float>>;
  Bi bi(4, {3});
  Bi::InitialState init;
  init.forward = {birnn::Batch<float>::Zero(2, 3)};
  init.backward = {birnn::Batch<float>::Zero(2, 4)};
  EXPECT_THAT([&] { (void)bi.forward(ramp(2, 3, 4), init); },
              ThrowsMessage<birnn::shape_error>(AllOf(HasSubstr("'backward_gru'"), HasSubstr("expected (2, 3), got (2, 4)"))));
}

TEST(Sequence, FeaturesContradictingTheTemplateThrowAShapeError) {
  using Five = birnn::Sequence<float, 5>;
  EXPECT_THAT([] { Five x(1, 2, 4); },
              ThrowsMessage<birnn::shape_error>(AllOf(HasSubstr("features"), HasSubstr("expected 5, got 4"))));
  EXPECT_THROW(Seq(-1, 2, 3), birnn::shape_error);
}

// ---------------------------------------------------------------------------------------------
// Weights
// ---------------------------------------------------------------------------------------------

TEST(Rnn, AWrongNumberOfWeightsThrowsAWeightError) {
  birnn::Rnn<Lstm> lstm(16, {8}, named("forward_lstm"));
  auto w = counting_weights(lstm.weight_specs());
  w.pop_back();
  EXPECT_THAT([&] { lstm.set_weights(w); },
              ThrowsMessage<birnn::weight_error>(
                  AllOf(HasSubstr("'forward_lstm'"), HasSubstr("weight count"), HasSubstr("expected 3, got 2"))));
}

TEST(Rnn, AWeightOfTheWrongShapeThrowsAWeightErrorNamingTheWeight) {
  birnn::Rnn<Lstm> lstm(16, {8}, named("forward_lstm"));
  auto w = counting_weights(lstm.weight_specs());
  w[1].shape = {32, 8};  // transposed (8, 32)
  EXPECT_THAT([&] { lstm.set_weights(w); },
              ThrowsMessage<birnn::weight_error>(AllOf(HasSubstr("'forward_lstm'"), HasSubstr("'recurrent_kernel'"),
                                                       HasSubstr("expected shape (8, 32), got (32, 8)"))));
}

TEST(Rnn, AWeightWithTooFewValuesForItsShapeThrowsAWeightError) {
  birnn::Rnn<Lstm> lstm(16, {8});
  auto w = counting_weights(lstm.weight_specs());
  w[0].values.pop_back();
  EXPECT_THAT([&] { lstm.set_weights(w); },
              ThrowsMessage<birnn::weight_error>(AllOf(HasSubstr("'kernel'"), HasSubstr("needs 512 values, got 511"))));
}

TEST(Gru, AOneRowBiasWhenResettingAfterThrowsAWeightError) {
  birnn::Rnn<birnn::GRU<float>> gru(4, {3});
  auto w = counting_weights(gru.weight_specs());
  w[2] = birnn::Tensor<float>({9}, std::vector<float>(9, 0.5f));
  EXPECT_THAT([&] { gru.set_weights(w); },
              ThrowsMessage<birnn::weight_error>(AllOf(HasSubstr("'bias'"), HasSubstr("expected shape (2, 9), got (9,)"))));
}

TEST(Rnn, AFailedSetWeightsLeavesTheWeightsUnchanged) {
  birnn::Rnn<Lstm> lstm(4, {3});
  const auto good = counting_weights(lstm.weight_specs());
  lstm.set_weights(good);

  auto bad_bias = counting_weights(lstm.weight_specs(), 5);  // kernel and recurrent kernel fine,
  bad_bias[2].shape = {6, 2};                                 // the last one of the wrong shape
  EXPECT_THROW(lstm.set_weights(bad_bias), birnn::weight_error);
  auto short_bias = counting_weights(lstm.weight_specs(), 6);
  short_bias[2].values.resize(5);
  EXPECT_THROW(lstm.set_weights(short_bias), birnn::weight_error);
  auto too_many = counting_weights(lstm.weight_specs(), 7);
  too_many.push_back(too_many.back());
  EXPECT_THROW(lstm.set_weights(too_many), birnn::weight_error);

  const auto now = lstm.get_weights();
  ASSERT_EQ(now.size(), good.size());
  for (std::size_t i = 0; i < good.size(); ++i) EXPECT_EQ(now[i].values, good[i].values) << "weight " << i;
}

TEST(Bidirectional, AFailedSetWeightsLeavesBothLayersWeightsUnchanged) {
  birnn::Bidirectional<Lstm> bi(4, {3});
  const auto specs = [&] {
    auto s = bi.forward_layer().weight_specs();
    for (const auto& b : bi.backward_layer().weight_specs()) s.push_back(b);
    return s;
  }();
  const auto good = counting_weights(specs);
  bi.set_weights(good);
  auto bad = counting_weights(specs, 3);
  bad[5].shape = {3, 4};  // the backward layer's bias: every forward weight before it is fine
  EXPECT_THAT([&] { bi.set_weights(bad); },
              ThrowsMessage<birnn::weight_error>(AllOf(HasSubstr("'backward_lstm'"), HasSubstr("'bias'"))));
  auto bad_forward = counting_weights(specs, 4);
  bad_forward[0].shape = {3, 12};
  EXPECT_THAT([&] { bi.set_weights(bad_forward); },
              ThrowsMessage<birnn::weight_error>(AllOf(HasSubstr("'forward_lstm'"), HasSubstr("expected shape (4, 12), got (3, 12)"))));
  auto five = good;
  five.pop_back();
  EXPECT_THAT([&] { bi.set_weights(five); }, ThrowsMessage<birnn::weight_error>(HasSubstr("expected 6, got 5")));

  const auto now = bi.get_weights();
  ASSERT_EQ(now.size(), good.size());
  for (std::size_t i = 0; i < good.size(); ++i) EXPECT_EQ(now[i].values, good[i].values) << "weight " << i;
}

TEST(Dense, AFailedSetWeightsLeavesTheWeightsUnchanged) {
  birnn::Dense<float> dense(4, 2, birnn::Activation::linear, true, "head");
  const auto good = counting_weights(dense.weight_specs());
  dense.set_weights(good);
  auto bad = counting_weights(dense.weight_specs(), 1);
  bad[1].shape = {3};
  EXPECT_THAT([&] { dense.set_weights(bad); },
              ThrowsMessage<birnn::weight_error>(AllOf(HasSubstr("'head'"), HasSubstr("expected shape (2,), got (3,)"))));
  EXPECT_EQ(dense.get_weights()[0].values, good[0].values);
  EXPECT_EQ(dense.get_weights()[1].values, good[1].values);
}

// ---------------------------------------------------------------------------------------------
// Configurations
// ---------------------------------------------------------------------------------------------

TEST(Bidirectional, ABackwardLayerWalkingTheSameWayThrowsAConfigError) {
  using Bi = birnn::Bidirectional<Lstm>;
  EXPECT_THAT([] { Bi bi(4, {3}, named("forward_lstm"), {3}, named("lstm_1")); },
              ThrowsMessage<birnn::config_error>(
                  AllOf(HasSubstr("'bidirectional'"), HasSubstr("backward_layer.go_backwards"),
                        HasSubstr("expected true"), HasSubstr("got false"))));
  EXPECT_THAT([] { Bi bi(4, {3}, named("forward_lstm", true), {3}, named("lstm_1", true)); },
              ThrowsMessage<birnn::config_error>(AllOf(HasSubstr("expected false"), HasSubstr("got true"))));
}

TEST(Bidirectional, SumOfDifferentWidthsThrowsAConfigError) {
  using Bi = birnn::Bidirectional<Lstm, birnn::merge::sum>;
  EXPECT_THAT([] { Bi bi(4, {3}, named("forward_lstm"), {5}, named("lstm_1", true)); },
              ThrowsMessage<birnn::config_error>(AllOf(HasSubstr("units"), HasSubstr("expected 3, got 5"))));
  using Ave = birnn::Bidirectional<Lstm, birnn::merge::ave>;
  EXPECT_THROW(Ave(4, {3}, named("f"), {2}, named("b", true)), birnn::config_error);
  using Concat = birnn::Bidirectional<Lstm, birnn::merge::concat>;
  EXPECT_EQ(Concat(4, {3}, named("f"), {5}, named("b", true)).units(), 8);
}

TEST(Rnn, AFixedSizeContradictingTheRuntimeSizeThrowsAConfigError) {
  using Fixed = birnn::Rnn<birnn::LSTM<float, 4, 8>>;
  EXPECT_THAT([] { Fixed lstm(5, {}); }, ThrowsMessage<birnn::config_error>(
                                              AllOf(HasSubstr("input features"), HasSubstr("expected 4, got 5"))));
  EXPECT_THAT([] { Fixed lstm(4, {7}); },
              ThrowsMessage<birnn::config_error>(AllOf(HasSubstr("units"), HasSubstr("expected 8, got 7"))));
  EXPECT_EQ(Fixed(4, {}).units(), 8);
  using FixedBi = birnn::Bidirectional<birnn::GRU<float, 4, 8>>;
  EXPECT_THROW(FixedBi(3, {}), birnn::config_error);
}

TEST(Rnn, NonPositiveSizesThrowAConfigError) {
  EXPECT_THAT([] { birnn::Rnn<Lstm> lstm(0, {8}); },
              ThrowsMessage<birnn::config_error>(HasSubstr("expected a positive number, got 0")));
  EXPECT_THAT([] { birnn::Rnn<Lstm> lstm(4, {}); },
              ThrowsMessage<birnn::config_error>(AllOf(HasSubstr("units"), HasSubstr("got 0"))));
}

TEST(Embedding, ATokenIdOutOfRangeThrowsAValueError) {
  birnn::Embedding<float> embedding(10, 3, false, "words");
  birnn::TokenIds ids(1, 3);
  ids << 1, 10, 2;
  EXPECT_THAT([&] { (void)embedding.forward(ids); },
              ThrowsMessage<birnn::value_error>(
                  AllOf(HasSubstr("'words'"), HasSubstr("(0, 1)"), HasSubstr("expected 0 to 9, got 10"))));
  ids << 1, 2, -1;
  EXPECT_THAT([&] { (void)embedding.forward(ids); }, ThrowsMessage<birnn::value_error>(HasSubstr("got -1")));
}

TEST(Dense, WrongInputFeaturesThrowAShapeError) {
  birnn::Dense<float> dense(4, 2, birnn::Activation::relu, true, "head");
  EXPECT_THAT([&] { (void)dense.forward(birnn::Batch<float>::Zero(1, 3)); },
              ThrowsMessage<birnn::shape_error>(AllOf(HasSubstr("'head'"), HasSubstr("expected 4, got 3"))));
  EXPECT_THAT([&] { (void)dense.forward(Seq(2, 3, 5)); },
              ThrowsMessage<birnn::shape_error>(HasSubstr("expected 4, got 5")));
}

// ---------------------------------------------------------------------------------------------
// Keras configs birnn rejects
// ---------------------------------------------------------------------------------------------

json lstm_config(json extra) {
  json c = {{"name", "lstm_7"}, {"units", 4}, {"activation", "tanh"}, {"recurrent_activation", "sigmoid"}};
  c.update(extra);
  return {{"class_name", "LSTM"}, {"config", c}};
}

void expect_config_error(const json& layer, const std::string& setting) {
  EXPECT_THAT([&] { (void)birnn::keras::layer_from_config<float>(layer, birnn::Shape{6, 4}); },
              ThrowsMessage<birnn::config_error>(HasSubstr(setting)))
      << layer.dump();
}

TEST(KerasConfig, StatefulIsRejected) {
  expect_config_error(lstm_config({{"stateful", true}}), "stateful");
  EXPECT_THAT([] { (void)birnn::keras::layer_from_config<float>(lstm_config({{"stateful", true}}), {6, 4}); },
              ThrowsMessage<birnn::config_error>(HasSubstr("'lstm_7'")));
}

TEST(KerasConfig, UnrollIsRejected) { expect_config_error(lstm_config({{"unroll", true}}), "unroll"); }

TEST(KerasConfig, TimeMajorIsRejected) { expect_config_error(lstm_config({{"time_major", true}}), "time_major"); }

TEST(KerasConfig, AnUnknownActivationIsRejectedByName) {
  expect_config_error(lstm_config({{"activation", "swishy"}}), "'swishy'");
  expect_config_error(lstm_config({{"recurrent_activation", "sigmoidal"}}), "recurrent_activation");
}

TEST(KerasConfig, AnUnknownLayerClassIsRejectedByName) {
  const json conv = {{"class_name", "Conv1D"}, {"config", {{"name", "conv1d"}, {"filters", 4}}}};
  expect_config_error(conv, "'Conv1D'");
}

TEST(KerasConfig, ABackwardLayerWithOtherReturnSequencesIsRejected) {
  const json bi = {{"class_name", "Bidirectional"},
                   {"config",
                    {{"name", "bidirectional"},
                     {"merge_mode", "concat"},
                     {"layer", lstm_config({{"name", "forward_lstm"}, {"return_sequences", true}})},
                     {"backward_layer",
                      lstm_config({{"name", "lstm_1"}, {"return_sequences", false}, {"go_backwards", true}})}}}};
  expect_config_error(bi, "return_sequences");
}

TEST(KerasConfig, StatefulInsideBidirectionalIsRejected) {
  const json bi = {{"class_name", "Bidirectional"},
                   {"config", {{"name", "bidirectional"}, {"layer", lstm_config({{"stateful", true}})}}}};
  expect_config_error(bi, "stateful");
}

TEST(KerasConfig, AModelWithAnUnsupportedSettingIsRejected) {
  json layer = lstm_config({{"unroll", true}});
  layer["build_config"] = {{"input_shape", {nullptr, 6, 4}}};
  EXPECT_THAT([&] { (void)birnn::keras::model_from_config<float>(json::array({layer})); },
              ThrowsMessage<birnn::config_error>(AllOf(HasSubstr("unroll"), HasSubstr("'lstm_7'"))));
}

// ---------------------------------------------------------------------------------------------
// Batch 0
// ---------------------------------------------------------------------------------------------

TEST(Rnn, ABatchOfZeroSequencesReturnsEmptyOutputsOfTheRightShape) {
  birnn::Rnn<Lstm, seq::all, st::keep> lstm(4, {3});
  auto [y, h, c] = lstm.forward(Seq(0, 5, 4));
  EXPECT_EQ(y.batch(), 0);
  EXPECT_EQ(y.time(), 5);
  EXPECT_EQ(y.features(), 3);
  EXPECT_EQ(h.rows(), 0);
  EXPECT_EQ(h.cols(), 3);
  EXPECT_EQ(c.rows(), 0);
  EXPECT_EQ(c.cols(), 3);

  birnn::Rnn<Lstm, seq::last, st::discard, birnn::mask::masked> masked(4, {3});
  const auto last = masked.forward(Seq(0, 5, 4), birnn::Mask(0, 5));
  EXPECT_EQ(last.rows(), 0);
  EXPECT_EQ(last.cols(), 3);
}

TEST(Bidirectional, ABatchOfZeroSequencesReturnsEmptyOutputsOfTheRightShape) {
  birnn::Bidirectional<Lstm> last(4, {3});
  const auto y = last.forward(Seq(0, 5, 4));
  EXPECT_EQ(y.rows(), 0);
  EXPECT_EQ(y.cols(), 6);
  birnn::Bidirectional<Lstm, birnn::merge::sum, seq::all> all(4, {3});
  const auto ys = all.forward(Seq(0, 5, 4));
  EXPECT_EQ(ys.batch(), 0);
  EXPECT_EQ(ys.time(), 5);
  EXPECT_EQ(ys.features(), 3);
}

TEST(Dense, ABatchOfZeroRowsReturnsZeroRows) {
  birnn::Dense<float> dense(4, 2);
  EXPECT_EQ(dense.forward(birnn::Batch<float>(0, 4)).rows(), 0);
  EXPECT_EQ(dense.forward(Seq(0, 3, 4)).batch(), 0);
}

}  // namespace
