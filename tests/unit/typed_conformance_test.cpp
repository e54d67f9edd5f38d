// The typed subset of the Keras conformance cases, run through the templates directly:
// `birnn::Rnn<Cell, Seq, States, Mask>` and `birnn::Bidirectional<Cell, Merge, Seq, States, Mask,
// BackwardCell>` (not the runtime model), each in float and double, with dynamic sizes and with
// the case's sizes as template arguments. Every expected number comes from the golden case
// files (tests/data/keras); the layer settings are read from the case's config by hand.
//
// Compiling the templates costs most per distinct cell type (Scalar, InputSize, Units), so the
// cases here share cells: 3 input features with LSTM(4), GRU(4), SimpleRNN(4) and LSTM(1).
// typed_conformance_more_test.cpp has the cases on 4 features.

#include "typed_case.hpp"

#include <birnn/birnn.hpp>

#include <gtest/gtest.h>

namespace {

using namespace birnn_test;
namespace seq = birnn::sequences;
namespace st = birnn::state;
namespace merge = birnn::merge;
using birnn::mask::masked;
using birnn::mask::none;

// ---------------------------------------------------------------------------------------------
// Rnn
// ---------------------------------------------------------------------------------------------

template <class V>
class TypedRnnConformance : public ::testing::Test {};
TYPED_TEST_SUITE(TypedRnnConformance, Variants, VariantNames);

TYPED_TEST(TypedRnnConformance, SimpleRnnReturnsKerasSequence) {
  using S = typename TypeParam::Scalar;
  using Cell = typename TypeParam::template cell<birnn::SimpleRNN, 3, 4>;
  using Layer = birnn::Rnn<Cell, seq::all>;
  const Golden g = load("single_simplernn_tanh_seq1_state0_back0");
  expect_policies<Layer>(g.config());
  Layer rnn(3, config_of<Cell>(g.layer()), options_of(g.layer()));
  rnn.set_weights(weights_of<S>(g.layer()));

  const birnn::Sequence<S, TypeParam::size(4)> y = rnn.forward(input_of<S, TypeParam::size(3)>(g));

  EXPECT_TRUE(matches(y, g.outputs({"output"})[0], g.tolerance()));
}

TYPED_TEST(TypedRnnConformance, LstmGoingBackwardsReturnsKerasLastOutputAndStates) {
  using S = typename TypeParam::Scalar;
  using Cell = typename TypeParam::template cell<birnn::LSTM, 3, 1>;
  using Layer = birnn::Rnn<Cell, seq::last, st::keep>;
  const Golden g = load("single_lstm_nufb_seq0_state1_back1");
  expect_policies<Layer>(g.config());
  ASSERT_TRUE(g.config().at("go_backwards").get<bool>());
  birnn::LayerOptions options;
  options.name = g.config().at("name").get<std::string>();
  options.go_backwards = true;
  Layer lstm(3, config_of<Cell>(g.layer()), options);
  lstm.set_weights(weights_of<S>(g.layer()));

  auto [y, h, c] = lstm.forward(input_of<S, TypeParam::size(3)>(g));

  const auto out = g.outputs({"output", "h", "c"});
  EXPECT_TRUE(matches(y, out[0], g.tolerance()));
  EXPECT_TRUE(matches(h, out[1], g.tolerance()));
  EXPECT_TRUE(matches(c, out[2], g.tolerance()));
}

TYPED_TEST(TypedRnnConformance, LstmWithHardSigmoidReturnsKerasLastOutput) {
  using S = typename TypeParam::Scalar;
  using Cell = typename TypeParam::template cell<birnn::LSTM, 3, 4>;
  using Layer = birnn::Rnn<Cell>;
  const Golden g = load("single_lstm_hardsig_seq0_state0_back0");
  expect_policies<Layer>(g.config());
  const auto config = config_of<Cell>(g.layer());
  ASSERT_EQ(config.recurrent_activation, birnn::Activation::hard_sigmoid);
  Layer lstm(3, config, options_of(g.layer()));
  lstm.set_weights(weights_of<S>(g.layer()));

  const auto y = lstm.forward(input_of<S, TypeParam::size(3)>(g));

  EXPECT_TRUE(matches(y, g.outputs({"output"})[0], g.tolerance()));
}

TYPED_TEST(TypedRnnConformance, MaskedLstmWithRightPaddingReturnsKerasSequence) {
  using S = typename TypeParam::Scalar;
  using Cell = typename TypeParam::template cell<birnn::LSTM, 3, 1>;
  using Layer = birnn::Rnn<Cell, seq::all, st::discard, masked>;
  const Golden g = load("mask_right_single_lstm_seq1_state0_back0");
  expect_policies<Layer>(g.config());
  Layer lstm(3, config_of<Cell>(g.layer()), options_of(g.layer()));
  lstm.set_weights(weights_of<S>(g.layer()));

  const auto y = lstm.forward(input_of<S, TypeParam::size(3)>(g), mask_of(g));

  EXPECT_TRUE(matches(y, g.outputs({"output"})[0], g.tolerance()));
}

TYPED_TEST(TypedRnnConformance, MaskedGruResetAfterOfOneStepReturnsKerasOutputAndState) {
  using S = typename TypeParam::Scalar;
  using Cell = typename TypeParam::template cell<birnn::GRU, 3, 4>;
  using Layer = birnn::Rnn<Cell, seq::last, st::keep, masked>;
  const Golden g = load("mask_t1_single_gru_seq0_state1_back0");
  expect_policies<Layer>(g.config());
  const auto config = config_of<Cell>(g.layer());
  ASSERT_TRUE(config.reset_after);
  Layer gru(3, config, options_of(g.layer()));
  gru.set_weights(weights_of<S>(g.layer()));

  auto [y, h] = gru.forward(input_of<S, TypeParam::size(3)>(g), mask_of(g));

  const auto out = g.outputs({"output", "h"});
  EXPECT_TRUE(matches(y, out[0], g.tolerance()));
  EXPECT_TRUE(matches(h, out[1], g.tolerance()));
}

TYPED_TEST(TypedRnnConformance, GruResetBeforeFromInitialStateReturnsKerasSequenceAndState) {
  using S = typename TypeParam::Scalar;
  using Cell = typename TypeParam::template cell<birnn::GRU, 3, 4>;
  using Layer = birnn::Rnn<Cell, seq::all, st::keep>;
  const Golden g = load("init_single_gru_rb_back0");
  expect_policies<Layer>(g.config());
  const auto config = config_of<Cell>(g.layer());
  ASSERT_FALSE(config.reset_after);
  Layer gru(3, config, options_of(g.layer()));
  gru.set_weights(weights_of<S>(g.layer()));
  const auto init = g.initial_state();
  ASSERT_EQ(init.size(), 1u);
  const typename Layer::State h0{batch_of<typename Layer::Hidden>(init[0])};

  auto [y, h] = gru.forward(input_of<S, TypeParam::size(3)>(g), h0);

  const auto out = g.outputs({"output", "h"});
  EXPECT_TRUE(matches(y, out[0], g.tolerance()));
  EXPECT_TRUE(matches(h, out[1], g.tolerance()));
}

// ---------------------------------------------------------------------------------------------
// Bidirectional
// ---------------------------------------------------------------------------------------------

template <class V>
class TypedBidirectionalConformance : public ::testing::Test {};
TYPED_TEST_SUITE(TypedBidirectionalConformance, Variants, VariantNames);

TYPED_TEST(TypedBidirectionalConformance, MaskedLstmConcatWithHardSigmoidReturnsKerasSequenceAndStates) {
  using S = typename TypeParam::Scalar;
  using Cell = typename TypeParam::template cell<birnn::LSTM, 3, 4>;
  using Bi = birnn::Bidirectional<Cell, merge::concat, seq::all, st::keep, masked>;
  const Golden g = load("mask_right_bidi_lstm_hardsig_concat_seq1_state1");
  Bi bi = default_bidirectional<Bi, Cell>(g, 3);

  auto [y, fh, fc, bh, bc] = bi.forward(input_of<S, TypeParam::size(3)>(g), mask_of(g));

  const auto out = g.outputs({"output", "forward_h", "forward_c", "backward_h", "backward_c"});
  EXPECT_TRUE(matches(y, out[0], g.tolerance()));
  EXPECT_TRUE(matches(fh, out[1], g.tolerance()));
  EXPECT_TRUE(matches(fc, out[2], g.tolerance()));
  EXPECT_TRUE(matches(bh, out[3], g.tolerance()));
  EXPECT_TRUE(matches(bc, out[4], g.tolerance()));
}

TYPED_TEST(TypedBidirectionalConformance, LstmConcatFromInitialStateReturnsKerasSequenceAndStates) {
  using S = typename TypeParam::Scalar;
  using Cell = typename TypeParam::template cell<birnn::LSTM, 3, 1>;
  using Bi = birnn::Bidirectional<Cell, merge::concat, seq::all, st::keep>;
  using Hidden = typename Cell::Hidden;
  const Golden g = load("init_bidi_lstm_concat");
  Bi bi = default_bidirectional<Bi, Cell>(g, 3);
  const auto s = g.initial_state();
  ASSERT_EQ(s.size(), 4u);
  const typename Bi::InitialState init{{batch_of<Hidden>(s[0]), batch_of<Hidden>(s[1])},
                                       {batch_of<Hidden>(s[2]), batch_of<Hidden>(s[3])}};

  auto [y, fh, fc, bh, bc] = bi.forward(input_of<S, TypeParam::size(3)>(g), init);

  const auto out = g.outputs({"output", "forward_h", "forward_c", "backward_h", "backward_c"});
  EXPECT_TRUE(matches(y, out[0], g.tolerance()));
  EXPECT_TRUE(matches(fh, out[1], g.tolerance()));
  EXPECT_TRUE(matches(fc, out[2], g.tolerance()));
  EXPECT_TRUE(matches(bh, out[3], g.tolerance()));
  EXPECT_TRUE(matches(bc, out[4], g.tolerance()));
}

TYPED_TEST(TypedBidirectionalConformance, LstmWithoutMergeReturnsBothKerasOutputsThenStates) {
  using S = typename TypeParam::Scalar;
  using Cell = typename TypeParam::template cell<birnn::LSTM, 3, 4>;
  using Bi = birnn::Bidirectional<Cell, merge::none, seq::last, st::keep>;
  const Golden g = load("bidi_lstm_none_seq0_state1");
  Bi bi = default_bidirectional<Bi, Cell>(g, 3);

  auto [yf, yb, fh, fc, bh, bc] = bi.forward(input_of<S, TypeParam::size(3)>(g));

  const auto out =
      g.outputs({"forward_output", "backward_output", "forward_h", "forward_c", "backward_h", "backward_c"});
  EXPECT_TRUE(matches(yf, out[0], g.tolerance()));
  EXPECT_TRUE(matches(yb, out[1], g.tolerance()));
  EXPECT_TRUE(matches(fh, out[2], g.tolerance()));
  EXPECT_TRUE(matches(fc, out[3], g.tolerance()));
  EXPECT_TRUE(matches(bh, out[4], g.tolerance()));
  EXPECT_TRUE(matches(bc, out[5], g.tolerance()));
}

TYPED_TEST(TypedBidirectionalConformance, GruMulReturnsKerasLastOutputAndStates) {
  using S = typename TypeParam::Scalar;
  using Cell = typename TypeParam::template cell<birnn::GRU, 3, 4>;
  using Bi = birnn::Bidirectional<Cell, merge::mul, seq::last, st::keep>;
  const Golden g = load("bidi_gru_mul_seq0_state1");
  Bi bi = default_bidirectional<Bi, Cell>(g, 3);

  auto [y, fh, bh] = bi.forward(input_of<S, TypeParam::size(3)>(g));

  const auto out = g.outputs({"output", "forward_h", "backward_h"});
  EXPECT_TRUE(matches(y, out[0], g.tolerance()));
  EXPECT_TRUE(matches(fh, out[1], g.tolerance()));
  EXPECT_TRUE(matches(bh, out[2], g.tolerance()));
}

TYPED_TEST(TypedBidirectionalConformance, MaskedGruMulWithLeftPaddingReturnsKerasLastOutputAndStates) {
  using S = typename TypeParam::Scalar;
  using Cell = typename TypeParam::template cell<birnn::GRU, 3, 4>;
  using Bi = birnn::Bidirectional<Cell, merge::mul, seq::last, st::keep, masked>;
  const Golden g = load("mask_left_bidi_gru_mul_seq0_state1");
  Bi bi = default_bidirectional<Bi, Cell>(g, 3);

  auto [y, fh, bh] = bi.forward(input_of<S, TypeParam::size(3)>(g), mask_of(g));

  const auto out = g.outputs({"output", "forward_h", "backward_h"});
  EXPECT_TRUE(matches(y, out[0], g.tolerance()));
  EXPECT_TRUE(matches(fh, out[1], g.tolerance()));
  EXPECT_TRUE(matches(bh, out[2], g.tolerance()));
}

TYPED_TEST(TypedBidirectionalConformance, GruResetBeforeSumReturnsKerasSequenceAndStates) {
  using S = typename TypeParam::Scalar;
  using Cell = typename TypeParam::template cell<birnn::GRU, 3, 4>;
  using Bi = birnn::Bidirectional<Cell, merge::sum, seq::all, st::keep>;
  const Golden g = load("bidi_gru_rb_sum_seq1_state1");
  Bi bi = default_bidirectional<Bi, Cell>(g, 3);
  ASSERT_FALSE(bi.forward_layer().config().reset_after);

  auto [y, fh, bh] = bi.forward(input_of<S, TypeParam::size(3)>(g));

  const auto out = g.outputs({"output", "forward_h", "backward_h"});
  EXPECT_TRUE(matches(y, out[0], g.tolerance()));
  EXPECT_TRUE(matches(fh, out[1], g.tolerance()));
  EXPECT_TRUE(matches(bh, out[2], g.tolerance()));
}

TYPED_TEST(TypedBidirectionalConformance, LstmForwardAndGruBackwardLayerConcatReturnsKerasSequence) {
  using S = typename TypeParam::Scalar;
  using Forward = typename TypeParam::template cell<birnn::LSTM, 3, 4>;
  using Backward = typename TypeParam::template cell<birnn::GRU, 3, 4>;
  using Bi = birnn::Bidirectional<Forward, merge::concat, seq::all, st::discard, none, Backward>;
  const Golden g = load("backlayer_lstm_gru_concat_seq1");
  Bi bi = explicit_bidirectional<Bi, Forward, Backward>(g, 3);
  EXPECT_EQ(bi.count_params(), g.layer().at("param_count").get<Eigen::Index>());

  const birnn::Sequence<S, TypeParam::size(8)> y = bi.forward(input_of<S, TypeParam::size(3)>(g));

  EXPECT_TRUE(matches(y, g.outputs({"output"})[0], g.tolerance()));
}

}  // namespace
