// forward_into: the layers' forward call written into a caller's output. It must give what
// forward gives (which the conformance cases check against Keras), for every output layout,
// reuse the output's storage when the shape is unchanged, resize it when not, and refuse to
// write over its own input.

#include <birnn/birnn.hpp>

#include <gtest/gtest.h>

#include <limits>
#include <type_traits>
#include <vector>

namespace {

using birnn::Sequence;

std::vector<birnn::Tensor<float>> weights_for(const std::vector<birnn::WeightSpec>& specs) {
  std::vector<birnn::Tensor<float>> w;
  int k = 0;
  for (const auto& s : specs) {
    birnn::Tensor<float> t(s.shape, {});
    for (Eigen::Index i = 0; i < t.size(); ++i) t.values.push_back(0.03f * static_cast<float>((k++ * 7) % 17 - 8));
    w.push_back(std::move(t));
  }
  return w;
}

template <class Layer>
std::vector<birnn::WeightSpec> specs_of(const Layer& layer) {
  std::vector<birnn::WeightSpec> specs;
  for (const auto& t : layer.get_weights()) specs.push_back({"w", t.shape});
  return specs;
}

Sequence<float> input(Eigen::Index batch, Eigen::Index time, Eigen::Index features) {
  Sequence<float> x(batch, time, features);
  for (Eigen::Index i = 0; i < x.matrix().size(); ++i) x.data()[i] = 0.1f * static_cast<float>(i % 11) - 0.5f;
  return x;
}

birnn::Mask right_padded(Eigen::Index batch, Eigen::Index time) {
  birnn::Mask m = birnn::Mask::Constant(batch, time, true);
  for (Eigen::Index b = 0; b < batch; ++b)
    for (Eigen::Index t = time - b % 3; t < time; ++t) m(b, t) = false;
  return m;
}

birnn::LSTM<float>::Config lstm(Eigen::Index units) {
  birnn::LSTM<float>::Config c;
  c.units = units;
  return c;
}

template <class Merge>
void expect_bidirectional_into_equals_forward() {
  using Bi = birnn::Bidirectional<birnn::LSTM<float>, Merge, birnn::sequences::all>;
  Bi bi(5, lstm(6));
  bi.set_weights(weights_for(specs_of(bi)));
  const auto x = input(4, 7, 5);
  const auto expected = bi.forward(x);
  typename Bi::Output out;
  bi.forward_into(x, out);
  // Again into the same storage filled with NaN: every value must be written anew, since
  // forward_into (and forward) no longer clear the output first.
  constexpr float nan = std::numeric_limits<float>::quiet_NaN();
  if constexpr (std::is_same_v<Merge, birnn::merge::none>) {
    out.forward.matrix().setConstant(nan);
    out.backward.matrix().setConstant(nan);
  } else {
    out.matrix().setConstant(nan);
  }
  bi.forward_into(x, out);
  if constexpr (std::is_same_v<Merge, birnn::merge::none>) {
    EXPECT_EQ(out.forward.matrix(), expected.forward.matrix());
    EXPECT_EQ(out.backward.matrix(), expected.backward.matrix());
  } else {
    EXPECT_EQ(out.matrix(), expected.matrix());
  }
}

TEST(ForwardInto, BidirectionalGivesWhatForwardGivesForEveryMergeMode) {
  expect_bidirectional_into_equals_forward<birnn::merge::concat>();
  expect_bidirectional_into_equals_forward<birnn::merge::sum>();
  expect_bidirectional_into_equals_forward<birnn::merge::mul>();
  expect_bidirectional_into_equals_forward<birnn::merge::ave>();
  expect_bidirectional_into_equals_forward<birnn::merge::none>();
}

TEST(ForwardInto, BidirectionalReusesTheOutputAndResizesItWhenTheShapeChanges) {
  birnn::Bidirectional<birnn::LSTM<float>, birnn::merge::concat, birnn::sequences::all> bi(5, lstm(6));
  bi.set_weights(weights_for(specs_of(bi)));
  Sequence<float> out(1, 1, 3);  // the wrong shape: resized by the first call
  const auto x = input(4, 7, 5);
  bi.forward_into(x, out);
  EXPECT_EQ(out.batch(), 4);
  EXPECT_EQ(out.time(), 7);
  EXPECT_EQ(out.features(), 12);
  EXPECT_EQ(out.matrix(), bi.forward(x).matrix());
  const float* storage = out.data();
  out.matrix().setConstant(99.0f);  // stale values must all be overwritten
  bi.forward_into(x, out);
  EXPECT_EQ(out.data(), storage);
  EXPECT_EQ(out.matrix(), bi.forward(x).matrix());
  const auto shorter = input(2, 3, 5);
  bi.forward_into(shorter, out);
  EXPECT_EQ(out.batch(), 2);
  EXPECT_EQ(out.time(), 3);
  EXPECT_EQ(out.matrix(), bi.forward(shorter).matrix());
}

TEST(ForwardInto, MaskedBidirectionalAndLastOutputGiveWhatForwardGives) {
  using Masked = birnn::Bidirectional<birnn::GRU<float>, birnn::merge::concat, birnn::sequences::all,
                                      birnn::state::discard, birnn::mask::masked>;
  birnn::GRU<float>::Config gru;
  gru.units = 6;
  Masked masked(5, gru);
  masked.set_weights(weights_for(specs_of(masked)));
  const auto x = input(5, 6, 5);
  const auto mask = right_padded(5, 6);
  Sequence<float> out(5, 6, 12);
  out.matrix().setConstant(-7.0f);
  masked.forward_into(x, mask, out);
  EXPECT_EQ(out.matrix(), masked.forward(x, mask).matrix());

  using Last = birnn::Bidirectional<birnn::LSTM<float>, birnn::merge::concat, birnn::sequences::last>;
  Last last(5, lstm(6));
  last.set_weights(weights_for(specs_of(last)));
  Last::Output batch_out = Last::Output::Constant(5, 12, std::numeric_limits<float>::quiet_NaN());
  last.forward_into(x, batch_out);
  EXPECT_EQ(batch_out, last.forward(x));
}

TEST(ForwardInto, RnnGivesWhatForwardGivesAndKeepsItsFinalStates) {
  birnn::Rnn<birnn::LSTM<float>, birnn::sequences::all, birnn::state::keep> layer(5, lstm(6));
  layer.set_weights(weights_for(layer.weight_specs()));
  const auto x = input(4, 7, 5);
  const auto [y, h, c] = layer.forward(x);
  Sequence<float> out;
  layer.forward_into(x, out);
  EXPECT_EQ(out.matrix(), y.matrix());
  EXPECT_EQ(layer.core().final_state()[0], h);
  EXPECT_EQ(layer.core().final_state()[1], c);
}

TEST(ForwardInto, RefusesToWriteOverItsOwnInput) {
  birnn::SimpleRNN<float>::Config c;
  c.units = 5;  // as many units as input features: the output type is the input type
  birnn::Rnn<birnn::SimpleRNN<float>, birnn::sequences::all> layer(5, c);
  auto x = input(2, 3, 5);
  const auto before = x.matrix();
  EXPECT_THROW(layer.forward_into(x, x), birnn::shape_error);
  EXPECT_EQ(x.matrix(), before);
  birnn::Bidirectional<birnn::SimpleRNN<float>, birnn::merge::sum, birnn::sequences::all> bi(5, c);
  EXPECT_THROW(bi.forward_into(x, x), birnn::shape_error);
  EXPECT_EQ(x.matrix(), before);
}

}  // namespace
