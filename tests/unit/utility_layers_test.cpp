// The layers around RNNs (model/utility_layers.hpp, model/normalization_layers.hpp,
// model/time_distributed_layer.hpp) and their Keras configs: forward values worked out by
// hand, every backward pass against central finite differences in double (of the training
// pass: BatchNormalization then uses the batch's moments), the noise layers' draws and
// their gradients, masks as Keras 3 passes them, the JSON configs Keras writes and the
// errors for options birnn does not run. Numbers from Keras itself are the conformance
// cases of tests/data/keras_layers (ctest conformance_keras_layers).

#include <birnn/birnn.hpp>
#include <birnn/io/keras_model.hpp>
#include <birnn/model/model.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "message_of.hpp"

#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace {

namespace k = birnn::keras;
using birnn::Batch;
using birnn::Flow;
using birnn::Layer;
using birnn::Mask;
using birnn::Shape;
using birnn::Value;
using Seq = birnn::Sequence<double>;
using testing::AllOf;
using testing::HasSubstr;

using birnn_test::message_of;

std::unique_ptr<Layer<double>> build(const k::LayerConfig& c, const Shape& input) {
  birnn::detail::LayerNames names;
  return birnn::build_layer<double>(c, input, names.or_next(c.name(), c.class_name()), names);
}

Value<double> random_value(const std::vector<Eigen::Index>& shape, unsigned seed) {
  std::srand(seed);
  if (shape.size() == 2) return Value<double>::of(Batch<double>(Batch<double>::Random(shape[0], shape[1])));
  Seq s(shape[0], shape[1], shape[2]);
  s.matrix().setRandom();
  return Value<double>::of(std::move(s));
}

Flow<double> flow_of(const Value<double>& v, std::optional<Mask> mask = std::nullopt) {
  Flow<double> f;
  f.values.push_back(v);
  f.mask = std::move(mask);
  return f;
}

Batch<double>& rows(Value<double>& v) { return birnn::detail::rows_of(v); }

/// Compares the backward pass of `layer`'s training pass with central differences of
/// L = sum(call_train(x) * cotangent), w.r.t. every input value and every weight.
void check_gradients(Layer<double>& layer, Value<double> x, std::optional<Mask> mask = std::nullopt,
                     bool randomize_weights = true) {
  if (randomize_weights) {
    auto w = layer.get_weights();
    unsigned s = 7;
    for (auto& t : w)
      for (auto& v : t.values) v = 0.5 + 0.4 * std::sin(++s);  // positive: valid moving variances too
    layer.set_weights(w);
  }
  const auto weights = layer.get_weights();
  Value<double> y = layer.call_train(flow_of(x, mask), nullptr).values.front();
  Value<double> cot = random_value(y.shape(), 11);
  auto loss = [&](const Value<double>& in) {
    Value<double> out = layer.call_train(flow_of(in, mask), nullptr).values.front();
    return (rows(out).array() * rows(cot).array()).sum();
  };
  layer.set_weights(weights);
  layer.call_train(flow_of(x, mask), nullptr);
  const auto g = layer.backward({cot});
  const double eps = 1e-6;
  ASSERT_TRUE(g.input.has_value());
  Value<double> gx = *g.input;
  Value<double> xp = x;
  for (Eigen::Index r = 0; r < rows(x).rows(); ++r)
    for (Eigen::Index c = 0; c < rows(x).cols(); ++c) {
      const double keep = rows(xp)(r, c);
      rows(xp)(r, c) = keep + eps;
      const double up = loss(xp);
      rows(xp)(r, c) = keep - eps;
      const double down = loss(xp);
      rows(xp)(r, c) = keep;
      layer.set_weights(weights);
      EXPECT_NEAR(rows(gx)(r, c), (up - down) / (2 * eps), 1e-6)
          << layer.class_name() << ": d input (" << r << ", " << c << ")";
    }
  ASSERT_EQ(g.weights.size(), weights.size());
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const bool moving = layer.weight_specs()[i].name.rfind("moving_", 0) == 0;
    for (std::size_t j = 0; j < weights[i].values.size(); ++j) {
      auto w = weights;
      w[i].values[j] += eps;
      layer.set_weights(w);
      const double up = loss(x);
      w[i].values[j] -= 2 * eps;
      layer.set_weights(w);
      const double down = loss(x);
      layer.set_weights(weights);
      // The moving statistics do not change a training pass: their gradient is 0 both ways.
      const double numeric = moving ? 0.0 : (up - down) / (2 * eps);
      EXPECT_NEAR(g.weights[i].values[j], numeric, 1e-6) << layer.class_name() << ": d weight " << i << "[" << j << "]";
    }
  }
}

Mask right_padding(Eigen::Index batch, Eigen::Index time) {
  Mask m = Mask::Constant(batch, time, true);
  m(0, time - 1) = false;
  m(1, time - 1) = m(1, time - 2) = false;
  return m;
}

// ---- forward values, by hand ------------------------------------------------------------

TEST(UtilityLayers, GlobalAveragePoolingAveragesTheKeptStepsAndMaxPoolingEveryStep) {
  Seq x(2, 3, 2);
  x.matrix() << 1, 10, 2, 20, 6, 60,  // sample 0
      -1, 0, -3, 5, -2, 7;            // sample 1
  Mask m(2, 3);
  m << true, true, false, false, true, true;
  auto avg = build(k::GlobalAveragePooling1D(), {3, 2});
  const auto a = avg->call(flow_of(Value<double>::of(x), m), nullptr);
  ASSERT_EQ(a.values.front().rank, 2);
  EXPECT_DOUBLE_EQ(a.values.front().matrix(0, 0), 1.5);
  EXPECT_DOUBLE_EQ(a.values.front().matrix(0, 1), 15.0);
  EXPECT_DOUBLE_EQ(a.values.front().matrix(1, 0), -2.5);
  EXPECT_DOUBLE_EQ(a.values.front().matrix(1, 1), 6.0);
  EXPECT_FALSE(a.mask.has_value()) << "the pooled value has no time axis to mask";
  // Keras 3's GlobalMaxPooling1D does not read the mask: step 2 of sample 0 counts.
  auto max = build(k::GlobalMaxPooling1D(), {3, 2});
  const auto b = max->call(flow_of(Value<double>::of(x), m), nullptr);
  EXPECT_DOUBLE_EQ(b.values.front().matrix(0, 0), 6.0);
  EXPECT_DOUBLE_EQ(b.values.front().matrix(1, 0), -1.0);
  EXPECT_DOUBLE_EQ(b.values.front().matrix(1, 1), 7.0);
  // A sample with every step masked: Keras divides 0 by 0.
  m.row(0).setConstant(false);
  EXPECT_TRUE(std::isnan(avg->call(flow_of(Value<double>::of(x), m), nullptr).values.front().matrix(0, 0)));
  // keepdims keeps a time axis of 1.
  auto kd = build(k::GlobalAveragePooling1D().keepdims(), {3, 2});
  EXPECT_EQ(kd->output_shapes({3, 2}).front(), (Shape{1, 2}));
  EXPECT_EQ(kd->call(flow_of(Value<double>::of(x)), nullptr).values.front().shape(),
            (std::vector<Eigen::Index>{2, 1, 2}));
}

TEST(UtilityLayers, NormalizationsFollowTheirFormulas) {
  // LayerNormalization of [1, 2, 3, 6]: mean 3, variance 3.5.
  auto ln = build(k::LayerNormalization().epsilon(0.5), {4});
  ln->set_weights({birnn::Tensor<double>({4}, {1, 2, 1, 1}), birnn::Tensor<double>({4}, {0, 0, 1, 0})});
  Batch<double> x(1, 4);
  x << 1, 2, 3, 6;
  const auto y = ln->call(flow_of(Value<double>::of(x)), nullptr).values.front().matrix;
  const double inv = 1 / std::sqrt(3.5 + 0.5);
  EXPECT_DOUBLE_EQ(y(0, 0), -2 * inv);
  EXPECT_DOUBLE_EQ(y(0, 1), 2 * (-1 * inv));
  EXPECT_DOUBLE_EQ(y(0, 2), 0 * inv + 1);
  EXPECT_DOUBLE_EQ(y(0, 3), 3 * inv);
  // BatchNormalization in predict: the moving statistics.
  auto bn = build(k::BatchNormalization().epsilon(0.25), {2});
  bn->set_weights({birnn::Tensor<double>({2}, {2, 1}), birnn::Tensor<double>({2}, {0.5, -1}),
                   birnn::Tensor<double>({2}, {1, -2}), birnn::Tensor<double>({2}, {4, 0.75})});
  Batch<double> b(1, 2);
  b << 3, 0;
  const auto z = bn->call(flow_of(Value<double>::of(b)), nullptr).values.front().matrix;
  EXPECT_DOUBLE_EQ(z(0, 0), (3 - 1) / std::sqrt(4.25) * 2 + 0.5);
  EXPECT_DOUBLE_EQ(z(0, 1), (0 + 2) / std::sqrt(1.0) * 1 - 1);
}

TEST(UtilityLayers, BatchNormalizationTrainingMovesTheMovingStatisticsOverTheKeptSteps) {
  auto bn = build(k::BatchNormalization().momentum(0.75), {3, 1});
  Seq x(2, 3, 1);
  x.matrix() << 1, 2, 100, 3, 4, 5;
  Mask m(2, 3);
  m << true, true, false, true, true, true;  // the 100 is masked
  bn->call_train(flow_of(Value<double>::of(x), m), nullptr);
  const auto w = bn->get_weights();  // gamma, beta, moving_mean, moving_variance
  const double mean = (1 + 2 + 3 + 4 + 5) / 5.0;
  const double var = ((1 - mean) * (1 - mean) + (2 - mean) * (2 - mean) + (3 - mean) * (3 - mean) +
                      (4 - mean) * (4 - mean) + (5 - mean) * (5 - mean)) / 5.0;
  EXPECT_DOUBLE_EQ(w[2].values[0], 0.75 * 0 + 0.25 * mean);
  EXPECT_DOUBLE_EQ(w[3].values[0], 0.75 * 1 + 0.25 * var);
  EXPECT_EQ(bn->non_trainable_params(), 2);
  EXPECT_EQ(bn->count_params(), 4);
}

TEST(UtilityLayers, ReshapingLayersKeepTheValuesInRowMajorOrder) {
  Seq x(2, 2, 3);
  for (Eigen::Index i = 0; i < 12; ++i) x.matrix()(i / 3, i % 3) = static_cast<double>(i);
  auto flat = build(k::Flatten(), {2, 3});
  const auto f = flat->call(flow_of(Value<double>::of(x)), nullptr).values.front();
  ASSERT_EQ(f.shape(), (std::vector<Eigen::Index>{2, 6}));
  EXPECT_DOUBLE_EQ(f.matrix(1, 4), 10.0);
  auto rs = build(k::Reshape({-1, 2}), {6});
  EXPECT_EQ(rs->output_shapes({6}).front(), (Shape{3, 2}));
  const auto r = rs->call(flow_of(f), nullptr).values.front();
  ASSERT_EQ(r.shape(), (std::vector<Eigen::Index>{2, 3, 2}));
  EXPECT_DOUBLE_EQ(r.sequence.matrix()(3 + 2, 1), 11.0);  // sample 1, step 2, feature 1
  auto rv = build(k::RepeatVector(3), {2});
  Batch<double> v(1, 2);
  v << 4, 5;
  const auto rep = rv->call(flow_of(Value<double>::of(v)), nullptr).values.front();
  ASSERT_EQ(rep.shape(), (std::vector<Eigen::Index>{1, 3, 2}));
  EXPECT_DOUBLE_EQ(rep.sequence.matrix()(2, 1), 5.0);
  EXPECT_THAT(message_of<birnn::shape_error>([&] { build(k::Reshape({4, 2}), {6}); }),
              HasSubstr("expected 6 values per sample (the input's), got 8"));
  EXPECT_THAT(message_of<birnn::shape_error>([&] { build(k::Flatten(), {-1, 3}); }),
              HasSubstr("Flatten needs the number of steps"));
  EXPECT_THAT(message_of<birnn::shape_error>([&] { build(k::RepeatVector(2), {4, 3}); }),
              HasSubstr("expected (batch, features)"));
}

TEST(UtilityLayers, MasksPassAsKeras3PassesThem) {
  const Mask m = right_padding(2, 3);
  const Value<double> x = random_value({2, 3, 4}, 3);
  for (const k::LayerConfig& c : {k::LayerConfig(k::Dropout(0.5)), k::LayerConfig(k::SpatialDropout1D(0.5)),
                                  k::LayerConfig(k::GaussianNoise(1.0)), k::LayerConfig(k::GaussianDropout(0.5)),
                                  k::LayerConfig(k::Activation("relu")), k::LayerConfig(k::LayerNormalization()),
                                  k::LayerConfig(k::BatchNormalization()),
                                  k::LayerConfig(k::TimeDistributed(k::Dense(2)))}) {
    auto l = build(c, {3, 4});
    EXPECT_TRUE(l->call(flow_of(x, m), nullptr).mask.has_value()) << c.class_name() << " passes the mask on";
    EXPECT_TRUE(l->call_train(flow_of(x, m), nullptr).mask.has_value()) << c.class_name() << " in training";
  }
  for (const k::LayerConfig& c : {k::LayerConfig(k::GlobalAveragePooling1D()), k::LayerConfig(k::GlobalMaxPooling1D()),
                                  k::LayerConfig(k::Flatten()), k::LayerConfig(k::Reshape({12}))}) {
    auto l = build(c, {3, 4});
    EXPECT_FALSE(l->call(flow_of(x, m), nullptr).mask.has_value()) << c.class_name() << " drops the mask";
  }
}

// ---- noise layers --------------------------------------------------------------------------

TEST(UtilityLayers, NoiseLayersAreIdentityInPredictAndTheirNoiseInTraining) {
  const Value<double> x = Value<double>::of(Batch<double>(Batch<double>::Constant(200, 50, 2.0)));
  for (const k::LayerConfig& c : {k::LayerConfig(k::Dropout(0.3).seed(1)), k::LayerConfig(k::GaussianNoise(0.5).seed(1)),
                                  k::LayerConfig(k::GaussianDropout(0.3).seed(1))}) {
    auto l = build(c, {50});
    EXPECT_EQ(l->call(flow_of(x), nullptr).values.front().matrix, x.matrix) << c.class_name();
    const Batch<double> y = l->call_train(flow_of(x), nullptr).values.front().matrix;
    const std::string cls = c.class_name();
    if (cls == "Dropout") {
      // Each value is dropped (0) or kept and scaled by 1 / (1 - rate).
      const double dropped = (y.array() == 0).cast<double>().mean();
      EXPECT_NEAR(dropped, 0.3, 0.02);
      EXPECT_TRUE(((y.array() == 0) || ((y.array() - 2.0 / 0.7).abs() < 1e-12)).all());
    } else if (cls == "GaussianNoise") {
      const Eigen::ArrayXXd n = y.array() - 2.0;
      EXPECT_NEAR(n.mean(), 0.0, 0.02);
      EXPECT_NEAR(std::sqrt(n.square().mean()), 0.5, 0.02);
    } else {
      const Eigen::ArrayXXd f = y.array() / 2.0;
      EXPECT_NEAR(f.mean(), 1.0, 0.02);
      EXPECT_NEAR(std::sqrt((f - 1.0).square().mean()), std::sqrt(0.3 / 0.7), 0.02);
    }
    // The gradient goes through the same noise: y = x * factor (or x + noise).
    Batch<double> d = Batch<double>::Constant(200, 50, 1.0);
    const auto g = l->backward({Value<double>::of(d)});
    const Batch<double> expected = cls == "GaussianNoise" ? d : Batch<double>(y.array() / 2.0);
    EXPECT_TRUE(g.input->matrix.isApprox(expected)) << cls;
  }
}

TEST(UtilityLayers, SpatialDropoutDropsAFeatureAtEveryStepAndTheSameSeedDrawsTheSame) {
  const Value<double> x = Value<double>::of([] {
    Seq s(40, 6, 30);
    s.matrix().setOnes();
    return s;
  }());
  auto a = build(k::SpatialDropout1D(0.4).seed(9), {6, 30});
  auto b = build(k::SpatialDropout1D(0.4).seed(9), {6, 30});
  const Seq y = a->call_train(flow_of(x), nullptr).values.front().sequence;
  EXPECT_EQ(b->call_train(flow_of(x), nullptr).values.front().sequence.matrix(), y.matrix());
  for (Eigen::Index s = 0; s < 40; ++s)
    for (Eigen::Index t = 1; t < 6; ++t) EXPECT_EQ(y.matrix().row(s * 6 + t), y.matrix().row(s * 6)) << s << ", " << t;
  EXPECT_NEAR((y.matrix().array() == 0).cast<double>().mean(), 0.4, 0.05);
  EXPECT_THAT(message_of<birnn::shape_error>([&] { build(k::SpatialDropout1D(0.1), {30}); }),
              HasSubstr("expected (batch, time, features)"));
}

// ---- backward passes against finite differences ----------------------------------------------

TEST(UtilityLayers, BackwardPassesMatchFiniteDifferences) {
  const Mask m = right_padding(3, 4);
  check_gradients(*build(k::Activation("tanh"), {4, 3}), random_value({3, 4, 3}, 1));
  check_gradients(*build(k::Activation("softmax"), {3}), random_value({3, 3}, 2));
  check_gradients(*build(k::GlobalAveragePooling1D(), {4, 3}), random_value({3, 4, 3}, 3), m);
  check_gradients(*build(k::GlobalMaxPooling1D().keepdims(), {4, 3}), random_value({3, 4, 3}, 4));
  check_gradients(*build(k::Flatten(), {4, 3}), random_value({3, 4, 3}, 5));
  check_gradients(*build(k::Reshape({6, 2}), {4, 3}), random_value({3, 4, 3}, 6));
  check_gradients(*build(k::RepeatVector(3), {5}), random_value({3, 5}, 7));
  check_gradients(*build(k::LayerNormalization(), {4, 3}), random_value({3, 4, 3}, 8));
  check_gradients(*build(k::LayerNormalization().center(false), {5}), random_value({3, 5}, 9));
  check_gradients(*build(k::BatchNormalization(), {4, 3}), random_value({3, 4, 3}, 10));
  check_gradients(*build(k::BatchNormalization(), {4, 3}), random_value({3, 4, 3}, 11), m);
  check_gradients(*build(k::BatchNormalization().scale(false), {5}), random_value({4, 5}, 12));
  check_gradients(*build(k::TimeDistributed(k::Dense(2).activation("tanh")), {4, 3}), random_value({3, 4, 3}, 13));
  check_gradients(*build(k::TimeDistributed(k::LayerNormalization()), {4, 3}), random_value({3, 4, 3}, 14));
}

// ---- Functional models -----------------------------------------------------------------------

TEST(UtilityLayers, FunctionalBackwardMatchesFiniteDifferences) {
  // Two masked inputs, a Concatenate, two recurrent branches merged by Add, Multiply and
  // Average, pooled; two outputs. Every weight and input 0 against central differences.
  auto m = birnn::Model<double>::functional({{4, 3}, {4, 2}}, "f");
  const auto a = m.add(k::Dense(3).activation("tanh"), {m.input(1)});
  const auto x = m.add(k::Concatenate(), {m.input(0), a});
  const auto l = m.add(k::LSTM(3).return_sequences(), {x});
  const auto g = m.add(k::GRU(3).return_sequences(), {x});
  const auto sum = m.add(k::Add(), {l, g});
  const auto v = m.add(k::Average(), {sum, m.add(k::Multiply(), {l, g})});
  m.set_outputs({m.add(k::Dense(2), {m.add(k::GlobalAveragePooling1D(), {v})}), sum});
  auto w = m.get_weights();
  unsigned seed = 3;
  for (auto& t : w)
    for (auto& e : t.values) e = 0.6 * std::sin(++seed * 1.3);
  m.set_weights(w);
  Mask m0 = Mask::Constant(3, 4, true), m1 = Mask::Constant(3, 4, true);
  m0(0, 3) = false;
  m1(0, 3) = m1(1, 3) = false;  // step 3 of sample 1: kept by input 0 only
  m0(2, 0) = m1(2, 0) = false;
  std::vector<Flow<double>> in{Flow<double>::of(random_value({3, 4, 3}, 21).sequence, m0),
                               Flow<double>::of(random_value({3, 4, 2}, 22).sequence, m1)};
  const auto y = m.forward_train(in);
  ASSERT_EQ(y.size(), 2u);
  std::vector<Value<double>> cot{random_value(y[0].shape(), 23), random_value(y[1].shape(), 24)};
  const auto grads = m.backward(cot);
  auto loss = [&]() {
    double s = 0;
    const auto out = m.predict(in);
    for (std::size_t k = 0; k < out.size(); ++k) {
      Value<double> o = out[k];
      s += (rows(o).array() * rows(cot[k]).array()).sum();
    }
    return s;
  };
  const double eps = 1e-6;
  ASSERT_EQ(grads.weights.size(), w.size());
  for (std::size_t i = 0; i < w.size(); ++i)
    for (std::size_t j = 0; j < w[i].values.size(); ++j) {
      auto p = w;
      p[i].values[j] += eps;
      m.set_weights(p);
      const double up = loss();
      p[i].values[j] -= 2 * eps;
      m.set_weights(p);
      const double down = loss();
      EXPECT_NEAR(grads.weights[i].values[j], (up - down) / (2 * eps), 1e-6) << "weight " << i << "[" << j << "]";
    }
  m.set_weights(w);
  Seq& x0 = in[0].values.front().sequence;
  ASSERT_EQ(grads.inputs.matrix().rows(), x0.matrix().rows());
  for (Eigen::Index r = 0; r < x0.matrix().rows(); ++r)
    for (Eigen::Index c = 0; c < x0.matrix().cols(); ++c) {
      const double keep = x0.matrix()(r, c);
      x0.matrix()(r, c) = keep + eps;
      const double up = loss();
      x0.matrix()(r, c) = keep - eps;
      const double down = loss();
      x0.matrix()(r, c) = keep;
      EXPECT_NEAR(grads.inputs.matrix()(r, c), (up - down) / (2 * eps), 1e-6) << "input (" << r << ", " << c << ")";
    }
}

TEST(UtilityLayers, MergeMasksAreKeras3s) {
  Mask a = Mask::Constant(1, 3, true), b = Mask::Constant(1, 3, true);
  a(0, 2) = false;
  b(0, 1) = b(0, 2) = false;
  Flow<double> f;
  f.values = {random_value({1, 3, 2}, 1), random_value({1, 3, 2}, 2)};
  f.masks = {a, b};
  auto add = birnn::build_merge<double>(k::Add(), {{3, 2}, {3, 2}}, "add");
  const Mask both = *add->call(f, nullptr).mask;  // OR
  EXPECT_TRUE(both(0, 0) && both(0, 1) && !both(0, 2));
  // Multiply: a masked step counts as 1, and steps the OR drops are 0.
  auto mul = birnn::build_merge<double>(k::Multiply(), {{3, 2}, {3, 2}}, "mul");
  const Value<double> p = mul->call(f, nullptr).values.front();
  EXPECT_DOUBLE_EQ(p.sequence.matrix()(1, 0), f.values[0].sequence.matrix()(1, 0));  // b masks step 1
  EXPECT_DOUBLE_EQ(p.sequence.matrix()(2, 1), 0.0);
  f.masks[1].reset();  // one input without a mask: Add has none, Concatenate keeps every step
  EXPECT_FALSE(add->call(f, nullptr).mask.has_value());
  auto cat = birnn::build_merge<double>(k::Concatenate(), {{3, 2}, {3, 2}}, "cat");
  EXPECT_TRUE(cat->call(f, nullptr).mask->all());
  f.masks = {std::nullopt, std::nullopt};
  EXPECT_FALSE(cat->call(f, nullptr).mask.has_value());
  EXPECT_THAT(message_of<birnn::shape_error>([] { birnn::build_merge<double>(k::Add(), {{3, 2}, {3, 4}}, "add"); }),
              HasSubstr("input 1 shape: expected the shape of input 0, (None, 3, 2), got (None, 3, 4)"));
  EXPECT_THAT(message_of<birnn::config_error>([] { build(k::Add(), {3, 2}); }),
              HasSubstr("a merge reads two or more inputs"));
}

// ---- models: summary, training --------------------------------------------------------------

TEST(UtilityLayers, SummaryCountsAreKeras) {
  // Keras: Dense(2 -> 3) has 2 * 3 + 3 parameters, LayerNormalization(3) 2 * 3, BatchNormalization(3)
  // 4 * 3 of which 2 * 3 (the moving statistics) are not trainable.
  birnn::Model<float> model(Shape{5, 2}, "m");
  model.add(k::TimeDistributed(k::Dense(3)));
  model.add(k::LayerNormalization());
  model.add(k::BatchNormalization());
  model.add(k::GlobalAveragePooling1D());
  EXPECT_EQ(model.layer(0).name(), "time_distributed");
  EXPECT_EQ(model.count_params(), (2 * 3 + 3) + 2 * 3 + 4 * 3);
  EXPECT_EQ(model.non_trainable_params(), 6);
  const std::string s = model.summary();
  EXPECT_THAT(s, HasSubstr("Total params: 27"));
  EXPECT_THAT(s, HasSubstr("Trainable params: 21"));
  EXPECT_THAT(s, HasSubstr("Non-trainable params: 6"));
  EXPECT_THAT(s, HasSubstr("global_average_pooling1d (GlobalAveragePooling1D)"));
}

TEST(UtilityLayers, AModelWithEveryLayerTrainsAndItsLossFalls) {
  namespace b = birnn;
  b::Model<double> model(Shape{6}, "all");
  model.add(k::Embedding(12, 4).mask_zero());
  model.add(k::SpatialDropout1D(0.1));
  model.add(k::GaussianNoise(0.05));
  model.add(k::Bidirectional(k::LSTM(4).return_sequences()));
  model.add(k::LayerNormalization());
  model.add(k::TimeDistributed(k::Dense(4)));
  model.add(k::BatchNormalization());
  model.add(k::Activation("relu"));
  model.add(k::GaussianDropout(0.1));
  model.add(k::GlobalAveragePooling1D());
  model.add(k::RepeatVector(2));
  model.add(k::Flatten());
  model.add(k::Reshape({2, 4}));
  model.add(k::GlobalMaxPooling1D());
  model.add(k::Dropout(0.1));
  model.add(k::Dense(1).activation("sigmoid"));
  model.initialize(3);
  b::TokenIds ids(16, 6);
  b::Value<double> y = b::Value<double>::of(b::Batch<double>(16, 1));
  for (Eigen::Index i = 0; i < 16; ++i) {
    for (Eigen::Index t = 0; t < 6; ++t) ids(i, t) = t < 4 + i % 3 ? 1 + (i * 7 + t * 3) % 11 : 0;
    y.matrix(i, 0) = ids(i, 0) > 5 ? 1.0 : 0.0;  // learnable from the first token
  }
  model.compile("adam", "binary_crossentropy", {"accuracy"});
  b::train::FitOptions o;
  o.epochs = 60;
  o.batch_size = 4;
  o.verbose = b::train::Verbosity::silent;
  const auto h = model.fit(ids, y, o);
  const auto& loss = h["loss"];
  EXPECT_LT(loss.back(), 0.7 * loss.front()) << "first " << loss.front() << ", last " << loss.back();
}

// ---- Keras JSON configs ------------------------------------------------------------------

k::LayerConfig parse(const std::string& text) { return k::detail::layer_config(nlohmann::json::parse(text)); }

TEST(UtilityLayers, KerasConfigsAreRead) {
  EXPECT_EQ(std::get<k::Dropout>(parse(R"({"class_name": "Dropout", "config": {"rate": 0.25, "seed": 4,
      "noise_shape": null, "name": "d"}})").get()).rate(), 0.25);
  EXPECT_EQ(std::get<k::GaussianNoise>(parse(R"({"class_name": "GaussianNoise", "config": {"stddev": 0.5}})").get())
                .stddev(), 0.5);
  const auto act = std::get<k::Activation>(parse(R"({"class_name": "Activation", "config": {"activation": "relu"}})").get());
  EXPECT_EQ(act.activation(), birnn::Activation::relu);
  // Keras 2's hard_sigmoid (a file's keras_version decides).
  k::Dialect k2;
  k2.keras_major = 2;
  EXPECT_EQ(std::get<k::Activation>(k::detail::layer_config(nlohmann::json::parse(
                R"({"class_name": "Activation", "config": {"activation": "hard_sigmoid"}})"), k2).get())
                .activation(),
            birnn::Activation::hard_sigmoid_keras2);
  EXPECT_TRUE(std::get<k::GlobalAveragePooling1D>(parse(R"({"class_name": "GlobalAveragePooling1D", "config":
      {"data_format": "channels_last", "keepdims": true}})").get()).keepdims());
  EXPECT_EQ(std::get<k::Reshape>(parse(R"({"class_name": "Reshape", "config": {"target_shape": [-1, 2]}})").get())
                .target_shape(), (Shape{-1, 2}));
  EXPECT_EQ(std::get<k::RepeatVector>(parse(R"({"class_name": "RepeatVector", "config": {"n": 3}})").get()).n(), 3);
  const auto ln = std::get<k::LayerNormalization>(parse(R"({"class_name": "LayerNormalization", "config":
      {"axis": [2], "epsilon": 0.01, "center": false, "rms_scaling": false}})").get());
  EXPECT_EQ(ln.axis(), 2);
  EXPECT_EQ(ln.epsilon(), 0.01);
  EXPECT_FALSE(ln.center());
  const auto bn = std::get<k::BatchNormalization>(parse(R"({"class_name": "BatchNormalization", "config":
      {"axis": -1, "momentum": 0.9, "epsilon": 0.001, "renorm": false, "synchronized": false}})").get());
  EXPECT_EQ(bn.momentum(), 0.9);
  const auto td = std::get<k::TimeDistributed>(parse(R"({"class_name": "TimeDistributed", "config": {"name": "td",
      "layer": {"class_name": "Dense", "config": {"units": 3, "activation": "softmax"}}}})").get());
  EXPECT_EQ(std::get<k::Dense>(td.layer()).units(), 3);
}

TEST(UtilityLayers, KerasOptionsBirnnDoesNotRunAreConfigErrors) {
  auto error_of = [](const std::string& text) {
    return message_of<birnn::config_error>([&] { parse(text); });
  };
  EXPECT_THAT(error_of(R"({"class_name": "Dropout", "config": {"name": "d", "rate": 0.5, "noise_shape": [null, 1, 4]}})"),
              AllOf(HasSubstr("Dropout 'd'"), HasSubstr("noise_shape=[null,1,4] is not supported")));
  EXPECT_THAT(error_of(R"({"class_name": "Dropout", "config": {"rate": 1.5}})"),
              HasSubstr("rate: expected a rate in [0, 1), got 1.5"));
  EXPECT_THAT(error_of(R"({"class_name": "GlobalMaxPooling1D", "config": {"data_format": "channels_first"}})"),
              HasSubstr("data_format=\"channels_first\" is not supported by birnn (expected \"channels_last\")"));
  EXPECT_THAT(error_of(R"({"class_name": "LayerNormalization", "config": {"rms_scaling": true}})"),
              HasSubstr("rms_scaling=true is not supported"));
  EXPECT_THAT(error_of(R"({"class_name": "BatchNormalization", "config": {"renorm": true}})"),
              HasSubstr("renorm=true is not supported"));
  EXPECT_THAT(error_of(R"({"class_name": "LayerNormalization", "config": {"axis": [1, 2]}})"),
              HasSubstr("axis: expected the last axis"));
  EXPECT_THAT(error_of(R"({"class_name": "Activation", "config": {"activation": "swish2"}})"), HasSubstr("swish2"));
  EXPECT_THAT(error_of(R"({"class_name": "Reshape", "config": {"target_shape": [2, 2, 2]}})"),
              HasSubstr("expected 1 or 2 entries"));
  EXPECT_THAT(error_of(R"({"class_name": "TimeDistributed", "config": {"name": "td", "layer":
      {"class_name": "BatchNormalization", "config": {}}}})"),
              AllOf(HasSubstr("TimeDistributed 'td'"), HasSubstr("got 'BatchNormalization'")));
  EXPECT_THAT(error_of(R"({"class_name": "Conv1D", "config": {"filters": 4}})"),
              HasSubstr("layer class 'Conv1D' is not supported"));
  // An axis other than the last one, found when the input shape is known.
  EXPECT_THAT(message_of<birnn::config_error>([] { build(k::LayerNormalization().axis(1), {4, 3}); }),
              HasSubstr("axis: expected the last axis (-1 or 2 for an input (None, 4, 3)), got 1"));
}

}  // namespace
