// More of the typed subset of the Keras conformance cases (see typed_conformance_test.cpp):
// the cases on 4 input features, with GRU(4), SimpleRNN(4) and LSTM(4) cells, run through
// `birnn::Rnn` and `birnn::Bidirectional` directly in float and double, dynamic and fixed sizes.
// Every expected number comes from the golden case files (tests/data/keras).

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
class TypedRnnConformanceMore : public ::testing::Test {};
TYPED_TEST_SUITE(TypedRnnConformanceMore, Variants, VariantNames);

TYPED_TEST(TypedRnnConformanceMore, SimpleRnnReluReturnsKerasSequenceAndState) {
  using S = typename TypeParam::Scalar;
  using Cell = typename TypeParam::template cell<birnn::SimpleRNN, 4, 4>;
  using Layer = birnn::Rnn<Cell, seq::all, st::keep>;
  const Golden g = load("single_simplernn_relu_seq1_state1_back0");
  expect_policies<Layer>(g.config());
  const auto config = config_of<Cell>(g.layer());
  ASSERT_EQ(config.activation, birnn::Activation::relu);
  Layer rnn(4, config, options_of(g.layer()));
  rnn.set_weights(weights_of<S>(g.layer()));

  auto [y, h] = rnn.forward(input_of<S, TypeParam::size(4)>(g));

  const auto out = g.outputs({"output", "h"});
  EXPECT_TRUE(matches(y, out[0], g.tolerance()));
  EXPECT_TRUE(matches(h, out[1], g.tolerance()));
}

TYPED_TEST(TypedRnnConformanceMore, LstmReturnsKerasLastOutputAndStates) {
  using S = typename TypeParam::Scalar;
  using Cell = typename TypeParam::template cell<birnn::LSTM, 4, 4>;
  using Layer = birnn::Rnn<Cell, seq::last, st::keep>;
  const Golden g = load("single_lstm_seq0_state1_back0");
  expect_policies<Layer>(g.config());
  Layer lstm(4, config_of<Cell>(g.layer()), options_of(g.layer()));
  lstm.set_weights(weights_of<S>(g.layer()));

  auto [y, h, c] = lstm.forward(input_of<S, TypeParam::size(4)>(g));

  const auto out = g.outputs({"output", "h", "c"});
  EXPECT_TRUE(matches(y, out[0], g.tolerance()));
  EXPECT_TRUE(matches(h, out[1], g.tolerance()));
  EXPECT_TRUE(matches(c, out[2], g.tolerance()));
}

TYPED_TEST(TypedRnnConformanceMore, LstmWithoutBiasGoingBackwardsReturnsKerasReversedSequence) {
  using S = typename TypeParam::Scalar;
  using Cell = typename TypeParam::template cell<birnn::LSTM, 4, 4>;
  using Layer = birnn::Rnn<Cell, seq::all>;
  const Golden g = load("single_lstm_nobias_seq1_state0_back1");
  expect_policies<Layer>(g.config());
  const auto config = config_of<Cell>(g.layer());
  ASSERT_FALSE(config.use_bias);
  Layer lstm(4, config, options_of(g.layer()));
  ASSERT_TRUE(lstm.options().go_backwards);
  ASSERT_EQ(lstm.weight_specs().size(), 2u);
  lstm.set_weights(weights_of<S>(g.layer()));

  const auto y = lstm.forward(input_of<S, TypeParam::size(4)>(g));

  EXPECT_TRUE(matches(y, g.outputs({"output"})[0], g.tolerance()));
}

TYPED_TEST(TypedRnnConformanceMore, MaskedGruResetBeforeWithGapsReturnsKerasLastOutputAndState) {
  using S = typename TypeParam::Scalar;
  using Cell = typename TypeParam::template cell<birnn::GRU, 4, 4>;
  using Layer = birnn::Rnn<Cell, seq::last, st::keep, masked>;
  const Golden g = load("mask_gaps_single_gru_rb_seq0_state1_back0");
  expect_policies<Layer>(g.config());
  const auto config = config_of<Cell>(g.layer());
  ASSERT_FALSE(config.reset_after);
  Layer gru(4, config, options_of(g.layer()));
  gru.set_weights(weights_of<S>(g.layer()));

  auto [y, h] = gru.forward(input_of<S, TypeParam::size(4)>(g), mask_of(g));

  const auto out = g.outputs({"output", "h"});
  EXPECT_TRUE(matches(y, out[0], g.tolerance()));
  EXPECT_TRUE(matches(h, out[1], g.tolerance()));
}

// ---------------------------------------------------------------------------------------------
// Bidirectional
// ---------------------------------------------------------------------------------------------

template <class V>
class TypedBidirectionalConformanceMore : public ::testing::Test {};
TYPED_TEST_SUITE(TypedBidirectionalConformanceMore, Variants, VariantNames);

TYPED_TEST(TypedBidirectionalConformanceMore, SimpleRnnReluConcatReturnsKerasSequence) {
  using S = typename TypeParam::Scalar;
  using Cell = typename TypeParam::template cell<birnn::SimpleRNN, 4, 4>;
  using Bi = birnn::Bidirectional<Cell, merge::concat, seq::all>;
  const Golden g = load("bidi_simplernn_relu_concat_seq1_state0");
  Bi bi = default_bidirectional<Bi, Cell>(g, 4);

  const birnn::Sequence<S, TypeParam::size(8)> y = bi.forward(input_of<S, TypeParam::size(4)>(g));

  EXPECT_TRUE(matches(y, g.outputs({"output"})[0], g.tolerance()));
}

TYPED_TEST(TypedBidirectionalConformanceMore, MaskedLstmAveWithFullyMaskedRowReturnsKerasSequenceAndStates) {
  using S = typename TypeParam::Scalar;
  using Cell = typename TypeParam::template cell<birnn::LSTM, 4, 4>;
  using Bi = birnn::Bidirectional<Cell, merge::ave, seq::all, st::keep, masked>;
  const Golden g = load("mask_full_row_bidi_lstm_ave_seq1_state1");
  Bi bi = default_bidirectional<Bi, Cell>(g, 4);

  auto [y, fh, fc, bh, bc] = bi.forward(input_of<S, TypeParam::size(4)>(g), mask_of(g));

  const auto out = g.outputs({"output", "forward_h", "forward_c", "backward_h", "backward_c"});
  EXPECT_TRUE(matches(y, out[0], g.tolerance()));
  EXPECT_TRUE(matches(fh, out[1], g.tolerance()));
  EXPECT_TRUE(matches(fc, out[2], g.tolerance()));
  EXPECT_TRUE(matches(bh, out[3], g.tolerance()));
  EXPECT_TRUE(matches(bc, out[4], g.tolerance()));
}

TYPED_TEST(TypedBidirectionalConformanceMore, MaskedGruForwardAndSimpleRnnBackwardLayerWithoutMergeReturnsKerasSequences) {
  using S = typename TypeParam::Scalar;
  using Forward = typename TypeParam::template cell<birnn::GRU, 4, 4>;
  using Backward = typename TypeParam::template cell<birnn::SimpleRNN, 4, 4>;
  using Bi = birnn::Bidirectional<Forward, merge::none, seq::all, st::discard, masked, Backward>;
  const Golden g = load("backlayer_gru_rnn_none_mask_right");
  Bi bi = explicit_bidirectional<Bi, Forward, Backward>(g, 4);
  EXPECT_EQ(bi.count_params(), g.layer().at("param_count").get<Eigen::Index>());

  const auto y = bi.forward(input_of<S, TypeParam::size(4)>(g), mask_of(g));

  const auto out = g.outputs({"forward_output", "backward_output"});
  EXPECT_TRUE(matches(y.forward, out[0], g.tolerance()));
  EXPECT_TRUE(matches(y.backward, out[1], g.tolerance()));
}

TYPED_TEST(TypedBidirectionalConformanceMore, GruBackwardLayerWithAnotherResetModeConcatReturnsKerasSequence) {
  using S = typename TypeParam::Scalar;
  using Cell = typename TypeParam::template cell<birnn::GRU, 4, 4>;
  using Bi = birnn::Bidirectional<Cell, merge::concat, seq::all>;
  const Golden g = load("backlayer_gru_grurb_concat_seq1");
  Bi bi = explicit_bidirectional<Bi, Cell, Cell>(g, 4);
  ASSERT_TRUE(bi.forward_layer().config().reset_after);
  ASSERT_FALSE(bi.backward_layer().config().reset_after);
  EXPECT_EQ(bi.count_params(), g.layer().at("param_count").get<Eigen::Index>());

  const auto y = bi.forward(input_of<S, TypeParam::size(4)>(g));

  EXPECT_TRUE(matches(y, g.outputs({"output"})[0], g.tolerance()));
}

}  // namespace
