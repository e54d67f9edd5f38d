// Keras's optimizers and gradient clipping (birnn/train/optimizers.hpp). Every expected value
// is Keras 3's update formula evaluated by hand for two or three steps (written out below as
// numbers or as the closed form derived in the comment), never a number the implementation
// printed.

#include <birnn/train/optimizers.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;
namespace tr = birnn::train;
using T = birnn::Tensor<double>;
using List = std::vector<T>;

T scalar(double v) { return T({1}, {v}); }

void expect_values_near(const T& t, const std::vector<double>& expected, double tol) {
  ASSERT_EQ(t.values.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(t.values[i], expected[i], tol) << "value " << i;
}

// One step of `opt` on a single weight of shape (1,) with gradient g; returns the new weight.
double step(tr::Optimizer<double>& opt, List& w, double g) {
  opt.apply(w, {scalar(g)});
  return w[0].values[0];
}

// ---------------------------------------------------------------------------------------------
// Defaults and names
// ---------------------------------------------------------------------------------------------

TEST(TrainOptimizer, OptionsHaveKerasDefaults) {
  const tr::SGDOptions sgd;
  EXPECT_EQ(sgd.learning_rate, 0.01);
  EXPECT_EQ(sgd.momentum, 0.0);
  EXPECT_FALSE(sgd.nesterov);
  EXPECT_FALSE(sgd.clipnorm || sgd.clipvalue || sgd.global_clipnorm);
  const tr::RMSpropOptions rms;
  EXPECT_EQ(rms.learning_rate, 0.001);
  EXPECT_EQ(rms.rho, 0.9);
  EXPECT_EQ(rms.momentum, 0.0);
  EXPECT_EQ(rms.epsilon, 1e-7);
  EXPECT_FALSE(rms.centered);
  const tr::AdamOptions adam;
  EXPECT_EQ(adam.learning_rate, 0.001);
  EXPECT_EQ(adam.beta_1, 0.9);
  EXPECT_EQ(adam.beta_2, 0.999);
  EXPECT_EQ(adam.epsilon, 1e-7);
  EXPECT_FALSE(adam.amsgrad);
}

TEST(TrainOptimizer, NamesAndSlotsFollowKeras) {
  EXPECT_EQ(tr::SGD<double>().name(), "SGD");
  EXPECT_EQ(tr::RMSprop<double>().name(), "rmsprop");
  EXPECT_EQ(tr::Adam<double>().name(), "adam");
  EXPECT_TRUE(tr::SGD<double>().slot_names().empty());
  tr::SGDOptions sm;
  sm.momentum = 0.9;
  EXPECT_EQ(tr::SGD<double>(sm).slot_names(), std::vector<std::string>{"momentum"});
  tr::RMSpropOptions rm;
  rm.momentum = 0.5;
  rm.centered = true;
  EXPECT_EQ(tr::RMSprop<double>(rm).slot_names(),
            (std::vector<std::string>{"velocity", "momentum", "average_gradient"}));
  tr::AdamOptions am;
  am.amsgrad = true;
  EXPECT_EQ(tr::Adam<double>(am).slot_names(), (std::vector<std::string>{"momentum", "velocity", "velocity_hat"}));
}

TEST(TrainOptimizer, MakeOptimizerAcceptsKerasNamesInAnyCase) {
  for (const char* n : {"adam", "Adam", "ADAM"}) {
    auto o = tr::make_optimizer<double>(n);
    ASSERT_NE(dynamic_cast<tr::Adam<double>*>(o.get()), nullptr) << n;
    EXPECT_EQ(o->learning_rate(), 0.001);
  }
  for (const char* n : {"sgd", "SGD"}) {
    auto o = tr::make_optimizer<double>(n);
    ASSERT_NE(dynamic_cast<tr::SGD<double>*>(o.get()), nullptr) << n;
    EXPECT_EQ(o->learning_rate(), 0.01);
  }
  for (const char* n : {"rmsprop", "RMSprop"}) {
    auto o = tr::make_optimizer<float>(n);
    ASSERT_NE(dynamic_cast<tr::RMSprop<float>*>(o.get()), nullptr) << n;
    EXPECT_EQ(o->name(), "rmsprop");
  }
  // A learning rate replaces the default: one SGD step moves by 0.5 g.
  auto sgd = tr::make_optimizer<double>("sgd", 0.5);
  List w{scalar(1)};
  EXPECT_NEAR(step(*sgd, w, 0.2), 0.9, 1e-15);
}

// ---------------------------------------------------------------------------------------------
// SGD
// ---------------------------------------------------------------------------------------------

TEST(TrainSgd, PlainStepsAreMinusLearningRateTimesGradient) {
  tr::SGDOptions o;
  o.learning_rate = 0.1;
  tr::SGD<double> sgd(o);
  List w{T({2}, {1, -2})};
  sgd.apply(w, {T({2}, {0.5, 0.25})});
  expect_values_near(w[0], {0.95, -2.025}, 1e-15);
  sgd.apply(w, {T({2}, {-1, 0})});
  expect_values_near(w[0], {1.05, -2.025}, 1e-15);
  EXPECT_EQ(sgd.iterations(), 2);
  EXPECT_EQ(w[0].shape, (std::vector<Eigen::Index>{2}));
}

TEST(TrainSgd, MomentumThreeStepsByHand) {
  tr::SGDOptions o;
  o.learning_rate = 0.1;
  o.momentum = 0.9;
  tr::SGD<double> sgd(o);
  List w{scalar(1)};
  // v1 = -0.1 * 1 = -0.1, w = 0.9
  EXPECT_NEAR(step(sgd, w, 1.0), 0.9, 1e-15);
  // v2 = 0.9 * -0.1 - 0.1 * 0.5 = -0.14, w = 0.76
  EXPECT_NEAR(step(sgd, w, 0.5), 0.76, 1e-15);
  EXPECT_NEAR(sgd.slot("momentum", 0).values[0], -0.14, 1e-15);
  // v3 = 0.9 * -0.14 - 0.1 * -1 = -0.026, w = 0.734
  EXPECT_NEAR(step(sgd, w, -1.0), 0.734, 1e-15);
}

TEST(TrainSgd, NesterovTwoStepsByHand) {
  tr::SGDOptions o;
  o.learning_rate = 0.1;
  o.momentum = 0.9;
  o.nesterov = true;
  tr::SGD<double> sgd(o);
  List w{scalar(1)};
  // v1 = -0.1; w += 0.9 * v1 - 0.1 * 1 = -0.19
  EXPECT_NEAR(step(sgd, w, 1.0), 0.81, 1e-15);
  // v2 = -0.14; w += 0.9 * -0.14 - 0.1 * 0.5 = -0.176
  EXPECT_NEAR(step(sgd, w, 0.5), 0.634, 1e-15);
}

TEST(TrainSgd, SetLearningRateAppliesToTheNextStep) {
  tr::SGDOptions o;
  o.learning_rate = 0.1;
  tr::SGD<double> sgd(o);
  List w{scalar(1)};
  EXPECT_NEAR(step(sgd, w, 1.0), 0.9, 1e-15);
  sgd.set_learning_rate(0.25);
  EXPECT_EQ(sgd.learning_rate(), 0.25);
  EXPECT_NEAR(step(sgd, w, 1.0), 0.65, 1e-15);
}

// ---------------------------------------------------------------------------------------------
// RMSprop
// ---------------------------------------------------------------------------------------------

TEST(TrainRmsprop, TwoStepsByHand) {
  tr::RMSpropOptions o;
  o.learning_rate = 0.01;
  tr::RMSprop<double> rms(o);
  List w{scalar(1)};
  // v1 = 0.1 * 2^2 = 0.4; w -= 0.01 * 2 / sqrt(0.4 + 1e-7)
  const double w1 = 1 - 0.02 / std::sqrt(0.4 + 1e-7);
  EXPECT_NEAR(step(rms, w, 2.0), w1, 1e-15);
  // v2 = 0.9 * 0.4 + 0.1 * 1 = 0.46; w -= 0.01 * 1 / sqrt(0.46 + 1e-7)
  EXPECT_NEAR(step(rms, w, 1.0), w1 - 0.01 / std::sqrt(0.46 + 1e-7), 1e-15);
  EXPECT_NEAR(rms.slot("velocity", 0).values[0], 0.46, 1e-15);
}

TEST(TrainRmsprop, MomentumAccumulatesTheIncrements) {
  tr::RMSpropOptions o;
  o.learning_rate = 0.01;
  o.momentum = 0.5;
  tr::RMSprop<double> rms(o);
  List w{scalar(1)};
  const double inc1 = 0.02 / std::sqrt(0.4 + 1e-7), inc2 = 0.01 / std::sqrt(0.46 + 1e-7);
  EXPECT_NEAR(step(rms, w, 2.0), 1 - inc1, 1e-15);
  // m2 = 0.5 * inc1 + inc2
  EXPECT_NEAR(step(rms, w, 1.0), 1 - inc1 - (0.5 * inc1 + inc2), 1e-15);
  EXPECT_NEAR(rms.slot("momentum", 0).values[0], 0.5 * inc1 + inc2, 1e-15);
}

TEST(TrainRmsprop, CenteredSubtractsTheSquaredMeanGradient) {
  tr::RMSpropOptions o;
  o.learning_rate = 0.01;
  o.centered = true;
  tr::RMSprop<double> rms(o);
  List w{scalar(1)};
  // a1 = 0.1 * 2 = 0.2; denominator 0.4 - 0.04 + 1e-7
  const double inc1 = 0.02 / std::sqrt(0.36 + 1e-7);
  EXPECT_NEAR(step(rms, w, 2.0), 1 - inc1, 1e-15);
  // a2 = 0.9 * 0.2 + 0.1 * 1 = 0.28; denominator 0.46 - 0.0784 + 1e-7
  const double inc2 = 0.01 / std::sqrt(0.3816 + 1e-7);
  EXPECT_NEAR(step(rms, w, 1.0), 1 - inc1 - inc2, 1e-14);
  EXPECT_NEAR(rms.slot("average_gradient", 0).values[0], 0.28, 1e-15);
}

// ---------------------------------------------------------------------------------------------
// Adam
// ---------------------------------------------------------------------------------------------

// First step, from m1 = 0.1 g, v1 = 0.001 g^2, alpha1 = lr sqrt(0.001) / 0.1:
// delta = m1 alpha1 / (sqrt(v1) + eps) = lr g / (|g| + eps / sqrt(1 - beta_2)).
double adam_first_delta(double lr, double g) { return lr * g / (std::abs(g) + 1e-7 / std::sqrt(1 - 0.999)); }

TEST(TrainAdam, FirstStepIsAboutLearningRateTimesTheSignOfTheGradient) {
  for (double g : {0.5, -3.0, 1e-4}) {
    tr::Adam<double> adam;
    List w{scalar(2)};
    EXPECT_NEAR(step(adam, w, g), 2 - adam_first_delta(0.001, g), 1e-15) << "g = " << g;
  }
  // For a small gradient epsilon matters: the step is visibly shorter than lr.
  EXPECT_LT(adam_first_delta(0.001, 1e-4), 0.001 * 0.98);
}

TEST(TrainAdam, ThreeStepsByHand) {
  tr::Adam<double> adam;
  List w{scalar(0)};
  const double w1 = -adam_first_delta(0.001, 0.5);
  EXPECT_NEAR(step(adam, w, 0.5), w1, 1e-15);
  // t = 2, g = -1: m2 = 0.9 * 0.05 - 0.1 = -0.055; v2 = 0.999 * 0.00025 + 0.001 = 0.00124975;
  // alpha2 = 0.001 sqrt(1 - 0.998001) / (1 - 0.81).
  const double alpha2 = 0.001 * std::sqrt(0.001999) / 0.19;
  const double w2 = w1 - (-0.055) * alpha2 / (std::sqrt(0.00124975) + 1e-7);
  EXPECT_NEAR(step(adam, w, -1.0), w2, 1e-15);
  EXPECT_NEAR(adam.slot("momentum", 0).values[0], -0.055, 1e-15);
  EXPECT_NEAR(adam.slot("velocity", 0).values[0], 0.00124975, 1e-15);
  // t = 3, g = 0: m3 = -0.0495; v3 = 0.999 * 0.00124975 = 0.00124850025;
  // alpha3 = 0.001 sqrt(1 - 0.997002999) / (1 - 0.729). The weight keeps moving.
  const double alpha3 = 0.001 * std::sqrt(0.002997001) / 0.271;
  const double w3 = w2 - (-0.0495) * alpha3 / (std::sqrt(0.00124850025) + 1e-7);
  EXPECT_NEAR(step(adam, w, 0.0), w3, 1e-15);
  EXPECT_EQ(adam.iterations(), 3);
}

TEST(TrainAdam, AmsgradUsesTheLargestVelocitySoFar) {
  tr::AdamOptions o;
  o.amsgrad = true;
  tr::Adam<double> ams(o);
  tr::Adam<double> plain;
  List wa{scalar(0)}, wp{scalar(0)};
  // Step 1 (g = 1) is the same for both.
  EXPECT_NEAR(step(ams, wa, 1.0), -adam_first_delta(0.001, 1.0), 1e-15);
  EXPECT_NEAR(step(plain, wp, 1.0), -adam_first_delta(0.001, 1.0), 1e-15);
  // Step 2 (g = 0.01): v2 = 0.999 * 0.001 + 0.001 * 1e-4 = 0.0009991 < v1 = 0.001, so v_hat = 0.001;
  // m2 = 0.9 * 0.1 + 0.1 * 0.01 = 0.091.
  const double alpha2 = 0.001 * std::sqrt(0.001999) / 0.19;
  EXPECT_NEAR(step(ams, wa, 0.01), -adam_first_delta(0.001, 1.0) - 0.091 * alpha2 / (std::sqrt(0.001) + 1e-7),
              1e-15);
  EXPECT_NEAR(step(plain, wp, 0.01), -adam_first_delta(0.001, 1.0) - 0.091 * alpha2 / (std::sqrt(0.0009991) + 1e-7),
              1e-15);
  EXPECT_NEAR(ams.slot("velocity_hat", 0).values[0], 0.001, 1e-15);
  EXPECT_NEAR(ams.slot("velocity", 0).values[0], 0.0009991, 1e-15);
}

TEST(TrainAdam, FloatFirstStep) {
  tr::Adam<float> adam;
  std::vector<birnn::Tensor<float>> w{birnn::Tensor<float>({2}, {1.0f, 1.0f})};
  adam.apply(w, {birnn::Tensor<float>({2}, {0.5f, -2.0f})});
  EXPECT_NEAR(w[0].values[0], 1 - adam_first_delta(0.001, 0.5), 1e-7);
  EXPECT_NEAR(w[0].values[1], 1 - adam_first_delta(0.001, -2.0), 1e-7);
}

TEST(TrainAdam, MultiDimensionalWeightsKeepTheirShapeAndUpdateElementwise) {
  tr::Adam<double> adam;
  List w{T({2, 3}, {0, 0, 0, 0, 0, 0}), T({3}, {1, 1, 1})};
  const List g{T({2, 3}, {1, -1, 2, -2, 0.5, -0.5}), T({3}, {0.1, 0.2, -0.3})};
  adam.apply(w, g);
  EXPECT_EQ(w[0].shape, (std::vector<Eigen::Index>{2, 3}));
  for (std::size_t i = 0; i < 6; ++i) EXPECT_NEAR(w[0].values[i], -adam_first_delta(0.001, g[0].values[i]), 1e-15);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_NEAR(w[1].values[i], 1 - adam_first_delta(0.001, g[1].values[i]), 1e-15);
}

// ---------------------------------------------------------------------------------------------
// Clipping
// ---------------------------------------------------------------------------------------------

// Gradient A = [3, 4] (norm 5), B = [[0.3, 0.4]] (norm 0.5); SGD with lr 1 from zero weights
// makes the weights minus the clipped gradients.
List clipped_by(const tr::SGDOptions& o) {
  tr::SGD<double> sgd(o);
  List w{T({2}, {0, 0}), T({1, 2}, {0, 0})};
  sgd.apply(w, {T({2}, {3, 4}), T({1, 2}, {0.3, 0.4})});
  return w;
}

tr::SGDOptions lr_one() {
  tr::SGDOptions o;
  o.learning_rate = 1;
  return o;
}

TEST(TrainClip, ClipnormClipsEachTensorToItsOwnNorm) {
  tr::SGDOptions o = lr_one();
  o.clipnorm = 1.0;
  const List w = clipped_by(o);
  expect_values_near(w[0], {-0.6, -0.8}, 1e-15);  // [3, 4] * 1 / 5
  expect_values_near(w[1], {-0.3, -0.4}, 1e-15);  // norm 0.5 < 1: unchanged
}

TEST(TrainClip, GlobalClipnormScalesAllTensorsTogether) {
  tr::SGDOptions o = lr_one();
  o.global_clipnorm = 1.0;
  const double n = std::sqrt(25.25);
  const List w = clipped_by(o);
  expect_values_near(w[0], {-3 / n, -4 / n}, 1e-15);
  expect_values_near(w[1], {-0.3 / n, -0.4 / n}, 1e-15);
  o.global_clipnorm = 10.0;  // above the norm: unchanged
  const List u = clipped_by(o);
  expect_values_near(u[0], {-3, -4}, 1e-14);
  expect_values_near(u[1], {-0.3, -0.4}, 1e-14);
}

TEST(TrainClip, ClipvalueClampsEachComponent) {
  tr::SGDOptions o = lr_one();
  o.clipvalue = 0.35;
  const List w = clipped_by(o);
  expect_values_near(w[0], {-0.35, -0.35}, 1e-15);
  expect_values_near(w[1], {-0.3, -0.35}, 1e-15);
}

TEST(TrainClip, ANonPositiveValueTurnsClippingOffAsInKeras) {
  tr::SGDOptions o = lr_one();
  o.clipnorm = 0.0;
  const List w = clipped_by(o);
  expect_values_near(w[0], {-3, -4}, 1e-15);
}

TEST(TrainClip, ClippingHappensBeforeTheUpdateAndLeavesTheGradientsAlone) {
  tr::SGDOptions o = lr_one();
  o.momentum = 0.9;
  o.clipnorm = 1.0;
  tr::SGD<double> sgd(o);
  List w{T({2}, {0, 0})};
  const List g{T({2}, {3, 4})};
  sgd.apply(w, g);
  sgd.apply(w, g);
  // v1 = -[0.6, 0.8]; v2 = 0.9 v1 - [0.6, 0.8] = -1.9 [0.6, 0.8]; w2 = -2.9 [0.6, 0.8].
  expect_values_near(w[0], {-2.9 * 0.6, -2.9 * 0.8}, 1e-14);
  expect_values_near(g[0], {3, 4}, 0);
  // Adam with clipvalue 1: a gradient of 5 acts as 1.
  tr::AdamOptions a;
  a.clipvalue = 1.0;
  tr::Adam<double> adam(a);
  List x{scalar(0)};
  EXPECT_NEAR(step(adam, x, 5.0), -adam_first_delta(0.001, 1.0), 1e-15);
  EXPECT_NEAR(adam.slot("momentum", 0).values[0], 0.1, 1e-15);  // (1 - beta_1) * clipped g
}

TEST(TrainClip, FreeFunctionsReturnTheNormBeforeClipping) {
  List g{T({2}, {3, 4}), T({1, 2}, {0.3, 0.4})};
  EXPECT_NEAR(tr::global_norm(g), std::sqrt(25.25), 1e-15);
  EXPECT_NEAR(tr::clip_by_global_norm(g, 1.0), std::sqrt(25.25), 1e-15);
  EXPECT_NEAR(tr::global_norm(g), 1.0, 1e-15);
  expect_values_near(g[0], {3 / std::sqrt(25.25), 4 / std::sqrt(25.25)}, 1e-15);

  T a({2}, {3, 4});
  EXPECT_NEAR(tr::clip_by_norm(a, 1.0), 5.0, 1e-15);
  expect_values_near(a, {0.6, 0.8}, 1e-15);
  T b({2}, {0.3, 0.4});
  EXPECT_NEAR(tr::clip_by_norm(b, 1.0), 0.5, 1e-15);
  expect_values_near(b, {0.3, 0.4}, 1e-15);
  T c({3}, {-2, 0.1, 7});
  tr::clip_by_value(c, 0.5);
  expect_values_near(c, {-0.5, 0.1, 0.5}, 0);
}

TEST(TrainClip, ZeroGradientsStayZeroAndNonFiniteNormsGiveNaNAsInKeras) {
  List zero{T({2}, {0, 0})};
  EXPECT_EQ(tr::clip_by_global_norm(zero, 1.0), 0.0);
  expect_values_near(zero[0], {0, 0}, 0);
  T z({2}, {0, 0});
  EXPECT_EQ(tr::clip_by_norm(z, 1.0), 0.0);
  expect_values_near(z, {0, 0}, 0);
  List inf{T({2}, {std::numeric_limits<double>::infinity(), 1})};
  EXPECT_TRUE(std::isinf(tr::clip_by_global_norm(inf, 1.0)));
  EXPECT_TRUE(std::isnan(inf[0].values[0]));
  EXPECT_TRUE(std::isnan(inf[0].values[1]));
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

TEST(TrainOptimizerErrors, MoreThanOneClippingArgumentIsAConfigError) {
  tr::AdamOptions o;
  o.clipnorm = 1.0;
  o.clipvalue = 0.5;
  EXPECT_THAT([&] { tr::Adam<double> a(o); },
              ThrowsMessage<birnn::config_error>(
                  AllOf(HasSubstr("birnn::train::adam"),
                        HasSubstr("at most one of clipnorm, clipvalue and global_clipnorm"), HasSubstr("got 2"))));
}

TEST(TrainOptimizerErrors, BadHyperparametersAreConfigErrors) {
  tr::SGDOptions o;
  o.momentum = 1.5;
  EXPECT_THAT([&] { tr::SGD<double> s(o); },
              ThrowsMessage<birnn::config_error>(AllOf(HasSubstr("birnn::train::SGD"), HasSubstr("momentum"),
                                                       HasSubstr("[0, 1]"), HasSubstr("got 1.5"))));
  o.momentum = -0.1;
  EXPECT_THROW(tr::SGD<double>{o}, birnn::config_error);
  tr::RMSpropOptions r;
  r.learning_rate = std::nan("");
  EXPECT_THAT([&] { tr::RMSprop<double> x(r); },
              ThrowsMessage<birnn::config_error>(AllOf(HasSubstr("rmsprop"), HasSubstr("learning_rate"),
                                                       HasSubstr("expected a finite number"))));
  tr::Adam<double> adam;
  EXPECT_THROW(adam.set_learning_rate(std::numeric_limits<double>::infinity()), birnn::config_error);
  EXPECT_EQ(adam.learning_rate(), 0.001);
  EXPECT_THAT([] { (void)tr::make_optimizer<double>("adamw"); },
              ThrowsMessage<birnn::config_error>(AllOf(HasSubstr("make_optimizer"), HasSubstr("sgd, rmsprop, adam"),
                                                       HasSubstr("got 'adamw'"))));
  EXPECT_THROW((void)tr::make_optimizer<float>(""), birnn::config_error);
  T g({2}, {1, 2});
  EXPECT_THAT([&] { (void)tr::clip_by_norm(g, 0.0); },
              ThrowsMessage<birnn::value_error>(AllOf(HasSubstr("clip_by_norm"), HasSubstr("max_norm"),
                                                      HasSubstr("expected a positive number, got 0"))));
  List gs{g};
  EXPECT_THROW((void)tr::clip_by_global_norm(gs, -1.0), birnn::value_error);
  EXPECT_THROW(tr::clip_by_value(g, 0.0), birnn::value_error);
}

TEST(TrainOptimizerErrors, GradientsThatDoNotFitTheWeightsAreWeightErrors) {
  tr::Adam<double> adam;
  List w{T({2}, {1, 2}), T({1, 2}, {3, 4})};
  EXPECT_THAT([&] { adam.apply(w, {T({2}, {0, 0})}); },
              ThrowsMessage<birnn::weight_error>(AllOf(HasSubstr("birnn::train::adam"), HasSubstr("gradients"),
                                                       HasSubstr("expected 2"), HasSubstr("got 1"))));
  EXPECT_THAT([&] { adam.apply(w, {T({2}, {0, 0}), T({2}, {0, 0})}); },
              ThrowsMessage<birnn::weight_error>(AllOf(HasSubstr("gradient 1"), HasSubstr("expected shape (1, 2)"),
                                                       HasSubstr("got (2,)"))));
  EXPECT_THAT([&] { adam.apply(w, {T({2}, {0, 0}), T({1, 2}, {0})}); },
              ThrowsMessage<birnn::weight_error>(AllOf(HasSubstr("gradient 1"), HasSubstr("needs 2 values, got 1"))));
  EXPECT_FALSE(adam.built());
  EXPECT_EQ(adam.iterations(), 0);
  expect_values_near(w[0], {1, 2}, 0);
}

TEST(TrainOptimizerErrors, WeightsThatNoLongerMatchTheSlotsAreWeightErrorsAndChangeNothing) {
  tr::SGDOptions o;
  o.momentum = 0.9;
  tr::SGD<double> sgd(o);
  List w{T({2}, {1, 2}), T({1, 2}, {3, 4})};
  sgd.apply(w, {T({2}, {1, 1}), T({1, 2}, {1, 1})});
  ASSERT_TRUE(sgd.built());
  const List before = w;
  List reshaped{w[0], T({2, 1}, {3, 4})};
  EXPECT_THAT([&] { sgd.apply(reshaped, {T({2}, {1, 1}), T({2, 1}, {1, 1})}); },
              ThrowsMessage<birnn::weight_error>(AllOf(HasSubstr("birnn::train::SGD"), HasSubstr("weight 1"),
                                                       HasSubstr("expected shape (1, 2)"), HasSubstr("got (2, 1)"))));
  List more{w[0], w[1], T({1}, {0})};
  EXPECT_THAT([&] { sgd.apply(more, {T({2}, {1, 1}), T({1, 2}, {1, 1}), T({1}, {1})}); },
              ThrowsMessage<birnn::weight_error>(AllOf(HasSubstr("weights"), HasSubstr("expected 2"),
                                                       HasSubstr("got 3"))));
  EXPECT_EQ(sgd.iterations(), 1);
  expect_values_near(reshaped[1], {3, 4}, 0);
  expect_values_near(more[2], {0}, 0);
  // The slots are untouched: the next good step is the hand value v2 = 0.9 v1 - 0.01 g.
  sgd.apply(w, {T({2}, {1, 1}), T({1, 2}, {1, 1})});
  expect_values_near(w[0], {before[0].values[0] - 0.019, before[0].values[1] - 0.019}, 1e-15);
}

TEST(TrainOptimizerErrors, SlotAccessErrors) {
  tr::Adam<double> adam;
  EXPECT_THAT([&] { (void)adam.slot("momentum", 0); },
              ThrowsMessage<birnn::config_error>(HasSubstr("built by the first apply")));
  List w{scalar(1)};
  adam.apply(w, {scalar(1)});
  EXPECT_THAT([&] { (void)adam.slot("velocity_hat", 0); },
              ThrowsMessage<birnn::config_error>(AllOf(HasSubstr("'velocity_hat'"), HasSubstr("no such slot"))));
  EXPECT_THAT([&] { (void)adam.slot("momentum", 1); },
              ThrowsMessage<birnn::weight_error>(AllOf(HasSubstr("expected less than 1"), HasSubstr("got 1"))));
  EXPECT_EQ(adam.slot("momentum", 0).shape, (std::vector<Eigen::Index>{1}));
}

}  // namespace
