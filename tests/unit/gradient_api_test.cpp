// The training API around the backward passes: errors for a backward pass without a
// recorded forward pass, for cotangents of the wrong shape or count and for activations
// without a derivative; the recorded forward pass gives the same outputs as inference; the
// gradients come in Keras order and shapes; float agrees with double; a worker gives the
// same gradients.

#include <birnn/birnn.hpp>
#include <birnn/model/layer.hpp>
#include <birnn/model/model.hpp>
#include <birnn/model/recurrent_layer.hpp>
#include <birnn/parallel/worker.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using namespace birnn;
using ::testing::HasSubstr;

template <class L>
void randomize(L& layer) {
  auto w = layer.get_weights();
  int k = 0;
  for (auto& t : w)
    for (auto& v : t.values) v = static_cast<typename decltype(t.values)::value_type>(0.1 * ((k++ * 7) % 13 - 6));
  layer.set_weights(w);
}

TEST(GradientApi, BackwardWithoutRecordedForwardThrows) {
  Rnn<LSTM<double>, sequences::all> l(3, {2}, LayerOptions{"my_lstm", false, false});
  Sequence<double> x(2, 4, 3), dy(2, 4, 2);
  l.forward(x);  // inference records nothing
  try {
    l.backward(dy);
    FAIL() << "expected birnn::error";
  } catch (const error& e) {
    EXPECT_THAT(e.what(), HasSubstr("'my_lstm'"));
    EXPECT_THAT(e.what(), HasSubstr("forward_train"));
  }
}

TEST(GradientApi, CotangentOfTheWrongShapeThrowsShapeError) {
  Rnn<GRU<double>, sequences::all> l(3, {2}, LayerOptions{"g", false, false});
  Sequence<double> x(2, 4, 3), dy(2, 4, 5);
  l.forward_train(x);
  try {
    l.backward(dy);
    FAIL() << "expected birnn::shape_error";
  } catch (const shape_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("birnn::GRU 'g': backward: output cotangent shape: expected (2, 4, 2), got (2, 4, 5)"));
  }
  Bidirectional<SimpleRNN<double>, merge::concat, sequences::last> bi(3, {2});
  bi.forward_train(x);
  Batch<double> d(2, 3);
  EXPECT_THROW(bi.backward(d), shape_error);
}

TEST(GradientApi, ActivationWithoutDerivativeThrowsConfigError) {
  SimpleRNN<double>::Config c;
  c.units = 2;
  c.activation = Activation::silu;
  Rnn<SimpleRNN<double>> l(3, c, LayerOptions{"s", false, false});
  Sequence<double> x(1, 2, 3);
  l.forward_train(x);
  Batch<double> d(1, 2);
  try {
    l.backward(d);
    FAIL() << "expected birnn::config_error";
  } catch (const config_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("'silu'"));
  }
}

TEST(GradientApi, ModelChecksCotangentCountAndRecording) {
  Model<double> model({4, 3});
  model.emplace<BidirectionalLayer<LSTM<double>>>(3, LSTM<double>::Config{2}, MergeMode::none, true, true);
  Sequence<double> x(2, 4, 3);
  EXPECT_THROW(model.backward({}), error);
  const auto y = model.forward_train(x);
  ASSERT_EQ(y.size(), 6u);  // forward and backward outputs, then h, c of each direction
  EXPECT_THROW(model.backward({y[0]}), shape_error);
  const auto g = model.backward(y);
  EXPECT_EQ(g.weights.size(), 6u);
  EXPECT_EQ(g.initial_state.size(), 4u);
  model.predict(x);  // inference drops the model's record
  EXPECT_THROW(model.backward(y), error);
}

TEST(GradientApi, RecordedForwardEqualsInferenceAndGradientsFollowKerasShapes) {
  Bidirectional<GRU<double>, merge::sum, sequences::all, state::keep> bi(3, {2});
  randomize(bi);
  Sequence<double> x(2, 4, 3);
  x.matrix().setRandom();
  const auto a = bi.forward(x);
  const auto b = bi.forward_train(x);
  EXPECT_TRUE(std::get<0>(a).matrix().isApprox(std::get<0>(b).matrix()));
  Sequence<double> dy(2, 4, 2);
  dy.matrix().setOnes();
  const auto g = bi.backward(dy);
  const auto w = bi.get_weights();
  ASSERT_EQ(g.weights.size(), w.size());
  for (std::size_t i = 0; i < w.size(); ++i) EXPECT_EQ(g.weights[i].shape, w[i].shape);
  EXPECT_EQ(g.inputs.batch(), 2);
  EXPECT_EQ(g.inputs.time(), 4);
  EXPECT_EQ(g.inputs.features(), 3);
}

TEST(GradientApi, FloatAgreesWithDoubleAndWorkerGivesTheSameGradients) {
  Bidirectional<LSTM<double>, merge::concat, sequences::all, state::discard, mask::masked> bd(3, {2});
  Bidirectional<LSTM<float>, merge::concat, sequences::all, state::discard, mask::masked> bf(3, {2});
  randomize(bd);
  randomize(bf);
  Sequence<double> xd(2, 5, 3);
  xd.matrix().setRandom();
  Sequence<float> xf(2, 5, 3);
  xf.matrix() = xd.matrix().cast<float>();
  Mask m(2, 5);
  m.setConstant(true);
  m(1, 0) = m(1, 3) = false;
  Sequence<double> dyd(2, 5, 4);
  dyd.matrix().setRandom();
  Sequence<float> dyf(2, 5, 4);
  dyf.matrix() = dyd.matrix().cast<float>();
  bd.forward_train(xd, &m);
  const auto gd = bd.backward(dyd);
  Worker worker;
  bf.set_worker(&worker);
  bf.forward_train(xf, &m);
  const auto gf = bf.backward(dyf);
  EXPECT_TRUE(gf.inputs.matrix().cast<double>().isApprox(gd.inputs.matrix(), 1e-4));
  for (std::size_t i = 0; i < gd.weights.size(); ++i)
    for (std::size_t k = 0; k < gd.weights[i].values.size(); ++k)
      EXPECT_NEAR(gf.weights[i].values[k], gd.weights[i].values[k], 1e-4);
}

}  // namespace
