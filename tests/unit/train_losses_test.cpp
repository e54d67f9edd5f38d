// Keras's losses, reductions and accuracy metrics (birnn/train/losses.hpp). Expected values are
// closed forms worked out here from Keras's definitions (BCE of p = 0.5 is ln 2, the softmax
// written out with exp, ...), Keras's documented metric examples, or central finite differences
// of the loss for the returned gradient; never numbers printed by the implementation.

#include <birnn/train/losses.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;
namespace tr = birnn::train;
using M = birnn::Batch<double>;
using W = tr::RowWeights<double>;
using L = tr::Loss<double>;

const double kLn2 = std::log(2.0);

M mat(Eigen::Index rows, Eigen::Index cols, std::initializer_list<double> v) {
  M m(rows, cols);
  auto it = v.begin();
  for (Eigen::Index r = 0; r < rows; ++r)
    for (Eigen::Index c = 0; c < cols; ++c) m(r, c) = *it++;
  return m;
}

W vec(std::initializer_list<double> v) {
  W w(static_cast<Eigen::Index>(v.size()));
  Eigen::Index i = 0;
  for (double x : v) w(i++) = x;
  return w;
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

/// Central differences of f at x.
M numeric_gradient(const std::function<double(const M&)>& f, const M& x, double h = 1e-6) {
  M g(x.rows(), x.cols());
  for (Eigen::Index r = 0; r < x.rows(); ++r)
    for (Eigen::Index c = 0; c < x.cols(); ++c) {
      M xp = x, xm = x;
      xp(r, c) += h;
      xm(r, c) -= h;
      g(r, c) = (f(xp) - f(xm)) / (2 * h);
    }
  return g;
}

void expect_matrix_near(const M& actual, const M& expected, double tol) {
  ASSERT_EQ(actual.rows(), expected.rows());
  ASSERT_EQ(actual.cols(), expected.cols());
  for (Eigen::Index r = 0; r < actual.rows(); ++r)
    for (Eigen::Index c = 0; c < actual.cols(); ++c)
      EXPECT_NEAR(actual(r, c), expected(r, c), tol * std::max(1.0, std::abs(expected(r, c))))
          << "at (" << r << ", " << c << ")";
}

/// Checks the gradient `loss` writes against finite differences of its value.
void expect_gradient_matches_fd(const L& loss, const M& y_pred, const M& y_true, const W* sw = nullptr,
                                const birnn::Mask* mask = nullptr) {
  M grad;
  (void)loss(y_pred, y_true, sw, &grad, mask);
  const M fd = numeric_gradient([&](const M& p) { return loss(p, y_true, sw, nullptr, mask); }, y_pred);
  expect_matrix_near(grad, fd, 1e-6);
}

M random_matrix(Eigen::Index rows, Eigen::Index cols, double lo, double hi, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  M m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = u(rng);
  return m;
}

// ---------------------------------------------------------------------------------------------
// Binary crossentropy
// ---------------------------------------------------------------------------------------------

TEST(TrainLossBce, HalfProbabilityGivesLn2AndTheGradientOfTheMeanOverRows) {
  const L bce(tr::LossKind::binary_crossentropy);
  M grad;
  const double v = bce(mat(2, 1, {0.5, 0.5}), mat(2, 1, {1, 0}), nullptr, &grad);
  EXPECT_NEAR(v, kLn2, 1e-12);
  // d/dp -(t ln p + (1-t) ln(1-p)) / n: t=1: -1/(0.5*2) = -1; t=0: 1/(0.5*2) = 1.
  expect_matrix_near(grad, mat(2, 1, {-1, 1}), 1e-12);
}

TEST(TrainLossBce, PerRowLossIsTheMeanOverTheLastAxis) {
  const L bce(tr::LossKind::binary_crossentropy);
  // Row 0: (-ln 0.8 - ln 0.7) / 2; row 1: (-ln 0.4 - ln 0.9) / 2; then the mean over 2 rows.
  const M p = mat(2, 2, {0.8, 0.3, 0.4, 0.1});
  const M t = mat(2, 2, {1, 0, 1, 0});
  const double row0 = (-std::log(0.8) - std::log(0.7)) / 2, row1 = (-std::log(0.4) - std::log(0.9)) / 2;
  W rows;
  EXPECT_NEAR(bce(p, t, nullptr, nullptr, nullptr, &rows), (row0 + row1) / 2, 1e-12);
  ASSERT_EQ(rows.size(), 2);
  EXPECT_NEAR(rows(0), row0, 1e-12);
  EXPECT_NEAR(rows(1), row1, 1e-12);
  // Hand gradient: (-t/p + (1-t)/(1-p)) / (k * n) with k = n = 2.
  M grad;
  (void)bce(p, t, nullptr, &grad);
  expect_matrix_near(grad, mat(2, 2, {-1 / 0.8 / 4, 1 / 0.7 / 4, -1 / 0.4 / 4, 1 / 0.9 / 4}), 1e-12);
  expect_gradient_matches_fd(bce, p, t);
}

TEST(TrainLossBce, SoftTargetsMatchFiniteDifferences) {
  const L bce(tr::LossKind::binary_crossentropy);
  const M p = random_matrix(4, 3, 0.05, 0.95, 1);
  const M t = random_matrix(4, 3, 0.0, 1.0, 2);
  expect_gradient_matches_fd(bce, p, t);
}

TEST(TrainLossBce, FromLogitsUsesSoftplusAndIsStableForLargeLogits) {
  const L bce(tr::LossKind::binary_crossentropy, /*from_logits=*/true);
  // t = 1: ln(1 + e^-x); t = 0: ln(1 + e^x). x = 0 gives ln 2.
  EXPECT_NEAR(bce(mat(1, 1, {0.0}), mat(1, 1, {1})), kLn2, 1e-12);
  EXPECT_NEAR(bce(mat(1, 1, {2.0}), mat(1, 1, {1})), std::log(1 + std::exp(-2.0)), 1e-12);
  EXPECT_NEAR(bce(mat(1, 1, {-3.0}), mat(1, 1, {1})), std::log(1 + std::exp(3.0)), 1e-12);
  EXPECT_NEAR(bce(mat(1, 1, {1.5}), mat(1, 1, {0})), std::log(1 + std::exp(1.5)), 1e-12);
  // exp(800) overflows a double; the stable formula gives |x| exactly (plus log1p(e^-800) = 0).
  M grad;
  const double big = bce(mat(2, 1, {800.0, -800.0}), mat(2, 1, {0, 1}), nullptr, &grad);
  EXPECT_TRUE(std::isfinite(big));
  EXPECT_NEAR(big, 800.0, 1e-9);
  // Gradient (sigmoid(x) - t) / n: (1 - 0) / 2 and (0 - 1) / 2.
  expect_matrix_near(grad, mat(2, 1, {0.5, -0.5}), 1e-12);
  const M x = random_matrix(3, 2, -4, 4, 3);
  const M t = mat(3, 2, {1, 0, 0, 1, 0.3, 0.6});
  (void)bce(x, t, nullptr, &grad);
  M expected(3, 2);
  for (Eigen::Index i = 0; i < x.size(); ++i) expected.data()[i] = (sigmoid(x.data()[i]) - t.data()[i]) / 6;
  expect_matrix_near(grad, expected, 1e-12);
  expect_gradient_matches_fd(bce, x, t);
}

TEST(TrainLossBce, LogitsAndProbabilitiesAgreeAndTheGradientsFollowTheChainRule) {
  const L logits(tr::LossKind::binary_crossentropy, true);
  const L probs(tr::LossKind::binary_crossentropy, false);
  const M x = random_matrix(5, 2, -3, 3, 4);
  const M t = mat(5, 2, {1, 0, 0, 1, 1, 1, 0, 0, 0.5, 0.2});
  M p(5, 2);
  for (Eigen::Index i = 0; i < x.size(); ++i) p.data()[i] = sigmoid(x.data()[i]);
  M gx, gp;
  EXPECT_NEAR(logits(x, t, nullptr, &gx), probs(p, t, nullptr, &gp), 1e-12);
  // dL/dx = dL/dp * p (1 - p).
  M chained(5, 2);
  for (Eigen::Index i = 0; i < x.size(); ++i) chained.data()[i] = gp.data()[i] * p.data()[i] * (1 - p.data()[i]);
  expect_matrix_near(gx, chained, 1e-10);
}

TEST(TrainLossBce, ProbabilitiesAreClippedToEpsilonWithAZeroGradientOutside) {
  const L bce(tr::LossKind::binary_crossentropy);
  M grad;
  // p = 0 with t = 1 is clipped to 1e-7: -ln(1e-7); p = 1 with t = 0 to 1 - 1e-7: -ln(1 - (1 - 1e-7)).
  EXPECT_NEAR(bce(mat(1, 1, {0.0}), mat(1, 1, {1}), nullptr, &grad), -std::log(1e-7), 1e-9);
  EXPECT_EQ(grad(0, 0), 0.0);
  EXPECT_NEAR(bce(mat(1, 1, {1.0}), mat(1, 1, {0}), nullptr, &grad), -std::log(1.0 - (1.0 - 1e-7)), 1e-6);
  EXPECT_EQ(grad(0, 0), 0.0);
  // Outside [0, 1] too (-0.5 clips to 1e-7): still finite.
  EXPECT_NEAR(bce(mat(1, 1, {-0.5}), mat(1, 1, {1})), -std::log(1e-7), 1e-9);
  // Just inside the range the gradient is the unclipped one.
  (void)bce(mat(1, 1, {1e-3}), mat(1, 1, {1}), nullptr, &grad);
  EXPECT_NEAR(grad(0, 0), -1 / 1e-3, 1e-6);
}

TEST(TrainLossBce, FloatClipsAtFloatEpsilon) {
  const tr::Loss<float> bce(tr::LossKind::binary_crossentropy);
  const birnn::Batch<float> p = birnn::Batch<float>::Constant(2, 1, 0.5f);
  birnn::Batch<float> t(2, 1);
  t << 1, 0;
  EXPECT_NEAR(bce(p, t), static_cast<float>(kLn2), 1e-6f);
  birnn::Batch<float> zero = birnn::Batch<float>::Zero(1, 1), one = birnn::Batch<float>::Ones(1, 1);
  EXPECT_NEAR(bce(zero, one), static_cast<float>(-std::log(1e-7)), 1e-4f);
}

// ---------------------------------------------------------------------------------------------
// Categorical and sparse categorical crossentropy
// ---------------------------------------------------------------------------------------------

TEST(TrainLossCce, OneHotTargetGivesMinusLogOfTheTrueClassSummedNotAveragedOverClasses) {
  const L cce(tr::LossKind::categorical_crossentropy);
  EXPECT_NEAR(cce(mat(1, 3, {0.2, 0.7, 0.1}), mat(1, 3, {0, 1, 0})), -std::log(0.7), 1e-12);
  // Soft targets: -(0.25 ln 0.2 + 0.75 ln 0.7).
  EXPECT_NEAR(cce(mat(1, 3, {0.2, 0.7, 0.1}), mat(1, 3, {0.25, 0.75, 0})),
              -(0.25 * std::log(0.2) + 0.75 * std::log(0.7)), 1e-12);
  // Two rows: the mean of -ln 0.7 and -ln 0.5.
  EXPECT_NEAR(cce(mat(2, 3, {0.2, 0.7, 0.1, 0.5, 0.25, 0.25}), mat(2, 3, {0, 1, 0, 1, 0, 0})),
              (-std::log(0.7) - std::log(0.5)) / 2, 1e-12);
}

TEST(TrainLossCce, RowsAreNormalisedFirstAsKerasDoes) {
  const L cce(tr::LossKind::categorical_crossentropy);
  // [0.4, 1.4, 0.2] sums to 2: normalised to [0.2, 0.7, 0.1].
  EXPECT_NEAR(cce(mat(1, 3, {0.4, 1.4, 0.2}), mat(1, 3, {0, 1, 0})), -std::log(0.7), 1e-12);
  // The gradient includes the normalisation: d/dp_i of -ln(p_1 / s) = -[i=1]/p_1 + 1/s.
  M grad;
  (void)cce(mat(1, 3, {0.4, 1.4, 0.2}), mat(1, 3, {0, 1, 0}), nullptr, &grad);
  expect_matrix_near(grad, mat(1, 3, {0.5, -1 / 1.4 + 0.5, 0.5}), 1e-12);
  const M p = random_matrix(4, 5, 0.05, 1.0, 5);
  const M t = random_matrix(4, 5, 0.0, 1.0, 6);
  expect_gradient_matches_fd(cce, p, t);
}

TEST(TrainLossCce, FromLogitsIsTheLogSumExpFormAndItsGradientIsSoftmaxMinusTarget) {
  const L cce(tr::LossKind::categorical_crossentropy, true);
  const double e1 = std::exp(1.0), e2 = std::exp(2.0), e3 = std::exp(3.0), s = e1 + e2 + e3;
  M grad;
  EXPECT_NEAR(cce(mat(1, 3, {1, 2, 3}), mat(1, 3, {0, 0, 1}), nullptr, &grad), -(3 - std::log(s)), 1e-12);
  expect_matrix_near(grad, mat(1, 3, {e1 / s, e2 / s, e3 / s - 1}), 1e-12);
  // Large logits: no overflow; loss of the winning class ~ e^-1000 ~ 0, of a losing one ~ 1000.
  EXPECT_NEAR(cce(mat(1, 2, {1000, 0}), mat(1, 2, {1, 0})), 0.0, 1e-12);
  EXPECT_NEAR(cce(mat(1, 2, {1000, 0}), mat(1, 2, {0, 1})), 1000.0, 1e-9);
  expect_gradient_matches_fd(cce, random_matrix(3, 4, -3, 3, 7), random_matrix(3, 4, 0, 1, 8));
}

TEST(TrainLossCce, LogitsAndProbabilitiesAgreeAndTheGradientsFollowTheSoftmaxJacobian) {
  const L logits(tr::LossKind::categorical_crossentropy, true);
  const L probs(tr::LossKind::categorical_crossentropy, false);
  const M x = random_matrix(3, 4, -2, 2, 9);
  const M t = mat(3, 4, {0, 1, 0, 0, 1, 0, 0, 0, 0.1, 0.2, 0.3, 0.4});
  M p(3, 4);
  for (Eigen::Index r = 0; r < 3; ++r) {
    double s = 0;
    for (Eigen::Index c = 0; c < 4; ++c) s += std::exp(x(r, c));
    for (Eigen::Index c = 0; c < 4; ++c) p(r, c) = std::exp(x(r, c)) / s;
  }
  M gx, gp;
  EXPECT_NEAR(logits(x, t, nullptr, &gx), probs(p, t, nullptr, &gp), 1e-12);
  // dL/dx_i = p_i (gp_i - sum_j gp_j p_j), the softmax Jacobian applied to gp.
  M chained(3, 4);
  for (Eigen::Index r = 0; r < 3; ++r) {
    double dot = 0;
    for (Eigen::Index c = 0; c < 4; ++c) dot += gp(r, c) * p(r, c);
    for (Eigen::Index c = 0; c < 4; ++c) chained(r, c) = p(r, c) * (gp(r, c) - dot);
  }
  expect_matrix_near(gx, chained, 1e-10);
}

TEST(TrainLossCce, ProbabilitiesAreClippedToEpsilonWithAZeroGradientOutside) {
  const L cce(tr::LossKind::categorical_crossentropy);
  M grad;
  // The true class has probability 0: clipped to 1e-7; both entries lie outside the range.
  EXPECT_NEAR(cce(mat(1, 2, {1, 0}), mat(1, 2, {0, 1}), nullptr, &grad), -std::log(1e-7), 1e-9);
  expect_matrix_near(grad, mat(1, 2, {0, 0}), 0);
}

TEST(TrainLossSparse, ClassIdsGiveTheSameLossAndGradientAsOneHotTargets) {
  const M p = mat(3, 3, {0.2, 0.7, 0.1, 0.6, 0.3, 0.1, 0.25, 0.25, 0.5});
  const std::vector<int> ids{1, 0, 2};
  const double expected = (-std::log(0.7) - std::log(0.6) - std::log(0.5)) / 3;
  for (bool logits : {false, true}) {
    const L sparse(tr::LossKind::sparse_categorical_crossentropy, logits);
    const L dense(tr::LossKind::categorical_crossentropy, logits);
    const M onehot = mat(3, 3, {0, 1, 0, 1, 0, 0, 0, 0, 1});
    M g_ids, g_matrix, g_dense;
    const double a = sparse(p, ids, nullptr, &g_ids);
    const double b = sparse(p, mat(3, 1, {1, 0, 2}), nullptr, &g_matrix);
    const double c = dense(p, onehot, nullptr, &g_dense);
    EXPECT_NEAR(a, c, 1e-12);
    EXPECT_NEAR(b, c, 1e-12);
    expect_matrix_near(g_ids, g_dense, 1e-12);
    expect_matrix_near(g_matrix, g_dense, 1e-12);
    if (!logits) {
      EXPECT_NEAR(a, expected, 1e-12);
    }
    const M fd = numeric_gradient([&](const M& q) { return sparse(q, ids); }, p);
    expect_matrix_near(g_ids, fd, 1e-6);
  }
  // The free functions.
  EXPECT_NEAR(tr::sparse_categorical_crossentropy(p, ids), expected, 1e-12);
  EXPECT_NEAR(tr::sparse_categorical_crossentropy(p, mat(3, 1, {1, 0, 2})), expected, 1e-12);
}

TEST(TrainLossSparse, FromLogitsGradientIsSoftmaxMinusOneHot) {
  const L sparse(tr::LossKind::sparse_categorical_crossentropy, true);
  const double e0 = std::exp(0.5), e1 = std::exp(-1.0), s = e0 + e1;
  M grad;
  EXPECT_NEAR(sparse(mat(1, 2, {0.5, -1.0}), std::vector<int>{1}, nullptr, &grad), -(-1.0 - std::log(s)), 1e-12);
  expect_matrix_near(grad, mat(1, 2, {e0 / s, e1 / s - 1}), 1e-12);
}

// ---------------------------------------------------------------------------------------------
// Mean squared error
// ---------------------------------------------------------------------------------------------

TEST(TrainLossMse, MeanOverTheLastAxisThenOverRows) {
  const L mse = L::from_name("mse");
  // Row 0: (1 + 4) / 2 = 2.5; row 1: (4 + 4) / 2 = 4; mean 3.25.
  const M p = mat(2, 2, {1, 2, 3, -1});
  const M t = mat(2, 2, {0, 0, 1, 1});
  M grad;
  EXPECT_NEAR(mse(p, t, nullptr, &grad), 3.25, 1e-12);
  // 2 (p - t) / (k n) = (p - t) / 2.
  expect_matrix_near(grad, mat(2, 2, {0.5, 1, 1, -1}), 1e-12);
  EXPECT_NEAR(tr::mean_squared_error(p, t), 3.25, 1e-12);
  expect_gradient_matches_fd(mse, random_matrix(3, 4, -2, 2, 10), random_matrix(3, 4, -2, 2, 11));
}

// ---------------------------------------------------------------------------------------------
// Reductions, sample weights and masks (Keras 3's reduce_weighted_values / apply_mask)
// ---------------------------------------------------------------------------------------------

// Per-row MSE losses l = d^2 = [1, 4, 9] for d = [1, 2, 3] (k = 1).
const M kPred = mat(3, 1, {1, 2, 3});
const M kZero = mat(3, 1, {0, 0, 0});

TEST(TrainLossReduction, EachReductionOfUnweightedLosses) {
  W rows;
  M grad;
  const L obs(tr::LossKind::mean_squared_error, false, tr::Reduction::sum_over_batch_size);
  EXPECT_NEAR(obs(kPred, kZero, nullptr, &grad), 14.0 / 3, 1e-12);
  expect_matrix_near(grad, mat(3, 1, {2.0 / 3, 4.0 / 3, 2.0}), 1e-12);  // 2 d / n
  const L sum(tr::LossKind::mean_squared_error, false, tr::Reduction::sum);
  EXPECT_NEAR(sum(kPred, kZero, nullptr, &grad), 14.0, 1e-12);
  expect_matrix_near(grad, mat(3, 1, {2, 4, 6}), 1e-12);  // 2 d
  const L none(tr::LossKind::mean_squared_error, false, tr::Reduction::none);
  EXPECT_NEAR(none(kPred, kZero, nullptr, &grad, nullptr, &rows), 14.0, 1e-12);
  expect_matrix_near(grad, mat(3, 1, {2, 4, 6}), 1e-12);
  ASSERT_EQ(rows.size(), 3);
  EXPECT_NEAR(rows(0), 1, 1e-12);
  EXPECT_NEAR(rows(1), 4, 1e-12);
  EXPECT_NEAR(rows(2), 9, 1e-12);
}

TEST(TrainLossReduction, SampleWeightsDoNotChangeTheDivisorOfSumOverBatchSize) {
  const W w = vec({2, 0, 0.5});
  M grad;
  W rows;
  // sum(l w) / n = (2 + 0 + 4.5) / 3, not / sum(w) = 2.5.
  const L obs(tr::LossKind::mean_squared_error);
  EXPECT_NEAR(obs(kPred, kZero, &w, &grad, nullptr, &rows), 6.5 / 3, 1e-12);
  expect_matrix_near(grad, mat(3, 1, {2 * 1 * 2.0 / 3, 0, 2 * 3 * 0.5 / 3}), 1e-12);
  EXPECT_NEAR(rows(0), 2, 1e-12);
  EXPECT_NEAR(rows(1), 0, 1e-12);
  EXPECT_NEAR(rows(2), 4.5, 1e-12);
  const L sum(tr::LossKind::mean_squared_error, false, tr::Reduction::sum);
  EXPECT_NEAR(sum(kPred, kZero, &w), 6.5, 1e-12);
  const L none(tr::LossKind::mean_squared_error, false, tr::Reduction::none);
  EXPECT_NEAR(none(kPred, kZero, &w), 6.5, 1e-12);
  expect_gradient_matches_fd(obs, kPred, kZero, &w);
  expect_gradient_matches_fd(sum, kPred, kZero, &w);
}

TEST(TrainLossReduction, AMaskDividesSumOverBatchSizeByTheValidRows) {
  birnn::Mask mask(3, 1);
  mask << true, false, true;
  M grad;
  W rows;
  // Keras scales the mask by n / v: sum(l m) / v = (1 + 9) / 2.
  const L obs(tr::LossKind::mean_squared_error);
  EXPECT_NEAR(obs(kPred, kZero, nullptr, &grad, &mask, &rows), 5.0, 1e-12);
  expect_matrix_near(grad, mat(3, 1, {1, 0, 3}), 1e-12);  // 2 d m / v
  EXPECT_NEAR(rows(0), 1, 1e-12);
  EXPECT_NEAR(rows(1), 0, 1e-12);
  EXPECT_NEAR(rows(2), 9, 1e-12);
  // sum and none do not rescale the mask.
  EXPECT_NEAR(L(tr::LossKind::mean_squared_error, false, tr::Reduction::sum)(kPred, kZero, nullptr, nullptr, &mask),
              10.0, 1e-12);
  EXPECT_NEAR(L(tr::LossKind::mean_squared_error, false, tr::Reduction::none)(kPred, kZero, nullptr, nullptr, &mask),
              10.0, 1e-12);
  expect_gradient_matches_fd(obs, kPred, kZero, nullptr, &mask);
}

TEST(TrainLossReduction, AMaskAndWeightsTogetherDivideByTheValidRows) {
  birnn::Mask mask(3, 1);
  mask << true, true, false;
  const W w = vec({2, 0, 0.5});
  // sum(l w m) / v = (2 + 0 + 0) / 2.
  const L obs(tr::LossKind::mean_squared_error);
  EXPECT_NEAR(obs(kPred, kZero, &w, nullptr, &mask), 1.0, 1e-12);
  EXPECT_NEAR(L(tr::LossKind::mean_squared_error, false, tr::Reduction::sum)(kPred, kZero, &w, nullptr, &mask), 2.0,
              1e-12);
  expect_gradient_matches_fd(obs, kPred, kZero, &w, &mask);
}

TEST(TrainLossReduction, AFullyMaskedBatchGivesZeroLossAndGradient) {
  const birnn::Mask mask = birnn::Mask::Constant(3, 1, false);
  M grad;
  EXPECT_EQ(L(tr::LossKind::binary_crossentropy)(mat(3, 1, {0.2, 0.5, 0.9}), mat(3, 1, {1, 0, 1}), nullptr, &grad,
                                                 &mask),
            0.0);
  expect_matrix_near(grad, mat(3, 1, {0, 0, 0}), 0);
}

TEST(TrainLossReduction, ASequenceMaskIsReadInRowMajorOrderOverBatchTimesTime) {
  // Batch 2, time 2: rows b * 2 + t. Mask [[1, 0], [1, 1]] keeps rows 0, 2, 3.
  birnn::Mask mask(2, 2);
  mask << true, false, true, true;
  const M p = mat(4, 1, {1, 2, 3, 4});
  const M t = mat(4, 1, {0, 0, 0, 0});
  M grad;
  EXPECT_NEAR(L(tr::LossKind::mean_squared_error)(p, t, nullptr, &grad, &mask), (1.0 + 9 + 16) / 3, 1e-12);
  expect_matrix_near(grad, mat(4, 1, {2.0 / 3, 0, 6.0 / 3, 8.0 / 3}), 1e-12);
}

TEST(TrainLossReduction, FromLogitsCrossentropiesHonourWeightsAndMasks) {
  birnn::Mask mask(4, 1);
  mask << true, true, false, true;
  const W w = vec({1, 0.5, 3, 2});
  const M x = random_matrix(4, 3, -2, 2, 12);
  const M t = mat(4, 3, {1, 0, 0, 0, 1, 0, 0, 0, 1, 0.5, 0.5, 0});
  for (auto kind : {tr::LossKind::categorical_crossentropy, tr::LossKind::binary_crossentropy})
    for (auto red : {tr::Reduction::sum_over_batch_size, tr::Reduction::sum, tr::Reduction::none})
      for (bool logits : {false, true}) {
        const L loss(kind, logits, red);
        const M pred = logits ? x : (x.array() * 0.2 + 0.5).matrix();
        expect_gradient_matches_fd(loss, pred, t, &w, &mask);
      }
}

TEST(TrainLossReduction, KerasNamesOfReductions) {
  EXPECT_EQ(tr::reduction_from_name("sum_over_batch_size"), tr::Reduction::sum_over_batch_size);
  EXPECT_EQ(tr::reduction_from_name("mean"), tr::Reduction::sum_over_batch_size);
  EXPECT_EQ(tr::reduction_from_name("sum"), tr::Reduction::sum);
  EXPECT_EQ(tr::reduction_from_name("none"), tr::Reduction::none);
  EXPECT_EQ(tr::to_string(tr::Reduction::sum_over_batch_size), "sum_over_batch_size");
  EXPECT_EQ(L().reduction, tr::Reduction::sum_over_batch_size);
}

// ---------------------------------------------------------------------------------------------
// Names and the free functions
// ---------------------------------------------------------------------------------------------

TEST(TrainLossNames, FromNameAcceptsKerasNamesAndAliases) {
  struct Case {
    const char* name;
    tr::LossKind kind;
  };
  for (const Case& c : {Case{"binary_crossentropy", tr::LossKind::binary_crossentropy},
                        Case{"bce", tr::LossKind::binary_crossentropy},
                        Case{"BinaryCrossentropy", tr::LossKind::binary_crossentropy},
                        Case{"categorical_crossentropy", tr::LossKind::categorical_crossentropy},
                        Case{"CategoricalCrossentropy", tr::LossKind::categorical_crossentropy},
                        Case{"sparse_categorical_crossentropy", tr::LossKind::sparse_categorical_crossentropy},
                        Case{"SparseCategoricalCrossentropy", tr::LossKind::sparse_categorical_crossentropy},
                        Case{"mse", tr::LossKind::mean_squared_error}, Case{"MSE", tr::LossKind::mean_squared_error},
                        Case{"mean_squared_error", tr::LossKind::mean_squared_error}}) {
    const L loss = L::from_name(c.name, false, tr::Reduction::sum);
    EXPECT_EQ(loss.kind, c.kind) << c.name;
    EXPECT_EQ(loss.reduction, tr::Reduction::sum) << c.name;
    EXPECT_FALSE(loss.from_logits);
  }
  EXPECT_EQ(L::from_name("mse").name(), "mean_squared_error");
  EXPECT_EQ(L::from_name("bce", true).name(), "binary_crossentropy");
  EXPECT_TRUE(L::from_name("categorical_crossentropy", true).from_logits);
}

TEST(TrainLossNames, FreeFunctionsMatchTheClosedForms) {
  EXPECT_NEAR(tr::binary_crossentropy(mat(2, 1, {0.5, 0.5}), mat(2, 1, {1, 0})), kLn2, 1e-12);
  EXPECT_NEAR(tr::binary_crossentropy(mat(1, 1, {0.0}), mat(1, 1, {1}), true), kLn2, 1e-12);
  EXPECT_NEAR(tr::categorical_crossentropy(mat(1, 3, {0.2, 0.7, 0.1}), mat(1, 3, {0, 1, 0})), -std::log(0.7), 1e-12);
  M grad;
  EXPECT_NEAR(tr::mean_squared_error(kPred, kZero, tr::Reduction::sum, nullptr, &grad), 14.0, 1e-12);
  expect_matrix_near(grad, mat(3, 1, {2, 4, 6}), 1e-12);
  // A column-major matrix and a block are accepted too (copied into the row-major layout).
  Eigen::MatrixXd colmajor(2, 2);
  colmajor << 1, 2, 3, -1;
  EXPECT_NEAR(tr::mean_squared_error(colmajor, mat(2, 2, {0, 0, 1, 1})), 3.25, 1e-12);
  const M big = mat(3, 2, {1, 2, 3, -1, 100, 100});
  EXPECT_NEAR(L::from_name("mse")(big.topRows(2), mat(2, 2, {0, 0, 1, 1})), 3.25, 1e-12);
}

// ---------------------------------------------------------------------------------------------
// Accuracy metrics
// ---------------------------------------------------------------------------------------------

TEST(TrainMetric, BinaryAccuracyMatchesKerasDocumentedExample) {
  // keras.metrics.BinaryAccuracy docs: 0.75, and 0.5 with sample_weight [1, 0, 0, 1].
  const M t = mat(4, 1, {1, 1, 0, 0});
  const M p = mat(4, 1, {0.98, 1, 0, 0.6});
  const tr::AccuracyCount a = tr::binary_accuracy(p, t);
  EXPECT_EQ(a.correct, 3);
  EXPECT_EQ(a.total, 4);
  EXPECT_DOUBLE_EQ(a.result(), 0.75);
  const W w = vec({1, 0, 0, 1});
  const tr::AccuracyCount b = tr::binary_accuracy(p, t, 0.5, &w);
  EXPECT_EQ(b.correct, 1);
  EXPECT_EQ(b.total, 2);
  EXPECT_DOUBLE_EQ(b.result(), 0.5);
}

TEST(TrainMetric, BinaryAccuracyIsStrictlyGreaterThanTheThresholdAndAveragesOverColumns) {
  EXPECT_EQ(tr::binary_accuracy(mat(1, 1, {0.5}), mat(1, 1, {0})).correct, 1);  // 0.5 > 0.5 is false
  EXPECT_EQ(tr::binary_accuracy(mat(1, 1, {0.5}), mat(1, 1, {1})).correct, 0);
  const tr::AccuracyCount a = tr::binary_accuracy(mat(1, 2, {0.7, 0.2}), mat(1, 2, {1, 1}));
  EXPECT_DOUBLE_EQ(a.correct, 0.5);
  EXPECT_EQ(a.total, 1);
}

TEST(TrainMetric, CategoricalAndSparseAccuracyMatchKerasDocumentedExamples) {
  // keras.metrics.CategoricalAccuracy / SparseCategoricalAccuracy docs: 0.5, and 0.3 with weights [0.7, 0.3].
  const M p = mat(2, 3, {0.1, 0.9, 0.8, 0.05, 0.95, 0});
  const M onehot = mat(2, 3, {0, 0, 1, 0, 1, 0});
  const W w = vec({0.7, 0.3});
  EXPECT_DOUBLE_EQ(tr::categorical_accuracy(p, onehot).result(), 0.5);
  EXPECT_NEAR(tr::categorical_accuracy(p, onehot, &w).result(), 0.3, 1e-12);
  const M p2 = mat(2, 3, {0.1, 0.6, 0.3, 0.05, 0.95, 0});
  EXPECT_DOUBLE_EQ(tr::sparse_categorical_accuracy(p2, std::vector<int>{2, 1}).result(), 0.5);
  const tr::AccuracyCount s = tr::sparse_categorical_accuracy(p2, std::vector<int>{2, 1}, &w);
  EXPECT_NEAR(s.correct, 0.3, 1e-12);
  EXPECT_NEAR(s.total, 1.0, 1e-12);
}

TEST(TrainMetric, ArgmaxTiesPickTheFirstIndex) {
  EXPECT_EQ(tr::sparse_categorical_accuracy(mat(1, 3, {0.4, 0.4, 0.2}), std::vector<int>{0}).correct, 1);
  EXPECT_EQ(tr::sparse_categorical_accuracy(mat(1, 3, {0.4, 0.4, 0.2}), std::vector<int>{1}).correct, 0);
}

TEST(TrainMetric, CountsAccumulateOverBatchesAndMaskedRowsDoNotCount) {
  tr::AccuracyCount total;
  total += tr::binary_accuracy(mat(2, 1, {0.9, 0.2}), mat(2, 1, {1, 1}));  // 1 of 2
  birnn::Mask mask(3, 1);
  mask << true, false, true;
  total += tr::binary_accuracy(mat(3, 1, {0.9, 0.9, 0.1}), mat(3, 1, {1, 0, 0}), 0.5, nullptr, &mask);  // 2 of 2
  EXPECT_EQ(total.correct, 3);
  EXPECT_EQ(total.total, 4);
  EXPECT_DOUBLE_EQ(total.result(), 0.75);
  EXPECT_EQ(tr::AccuracyCount{}.result(), 0.0);
}

TEST(TrainMetric, AccuracyResolvesAsKerasDoesForEachLoss) {
  EXPECT_EQ(L(tr::LossKind::binary_crossentropy).accuracy_kind(1), tr::AccuracyKind::binary);
  EXPECT_EQ(L(tr::LossKind::binary_crossentropy).accuracy_kind(3), tr::AccuracyKind::categorical);
  EXPECT_EQ(L(tr::LossKind::categorical_crossentropy).accuracy_kind(4), tr::AccuracyKind::categorical);
  EXPECT_EQ(L(tr::LossKind::sparse_categorical_crossentropy).accuracy_kind(4),
            tr::AccuracyKind::sparse_categorical);
  EXPECT_EQ(L(tr::LossKind::mean_squared_error).accuracy_kind(1), tr::AccuracyKind::binary);
  EXPECT_EQ(tr::to_string(tr::AccuracyKind::sparse_categorical), "sparse_categorical_accuracy");

  // BCE on probabilities thresholds at 0.5; from logits at 0.
  const L probs(tr::LossKind::binary_crossentropy);
  EXPECT_EQ(probs.accuracy(mat(3, 1, {0.4, 0.6, 0.7}), mat(3, 1, {0, 1, 0})).correct, 2);
  const L logits(tr::LossKind::binary_crossentropy, true);
  EXPECT_EQ(logits.accuracy_threshold(), 0.0);
  // Logit 0.3 means p = 0.57 > 0.5: class 1 (Keras would compare 0.3 with 0.5 and say 0).
  EXPECT_EQ(logits.accuracy(mat(3, 1, {-0.2, 0.3, 2.0}), mat(3, 1, {0, 1, 1})).correct, 3);
  // Sparse, with ids as integers and as a column of whole numbers.
  const L sparse(tr::LossKind::sparse_categorical_crossentropy);
  const M p = mat(2, 3, {0.1, 0.6, 0.3, 0.05, 0.95, 0});
  EXPECT_EQ(sparse.accuracy(p, std::vector<int>{1, 1}).correct, 2);
  EXPECT_EQ(sparse.accuracy(p, mat(2, 1, {2, 1})).correct, 1);
  // Categorical with a mask.
  birnn::Mask mask(2, 1);
  mask << false, true;
  const tr::AccuracyCount c =
      L(tr::LossKind::categorical_crossentropy).accuracy(p, mat(2, 3, {0, 1, 0, 1, 0, 0}), nullptr, &mask);
  EXPECT_EQ(c.correct, 0);
  EXPECT_EQ(c.total, 1);
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

TEST(TrainLossErrors, AllDeriveFromBirnnError) {
  EXPECT_THROW((void)L::from_name("hinge"), birnn::error);
  EXPECT_THROW((void)L::from_name("hinge"), std::invalid_argument);
}

TEST(TrainLossErrors, AShapeMismatchNamesTheLossAndBothShapes) {
  const L bce(tr::LossKind::binary_crossentropy);
  EXPECT_THAT([&] { (void)bce(mat(2, 1, {0.5, 0.5}), mat(2, 2, {1, 0, 1, 0})); },
              ThrowsMessage<birnn::shape_error>(AllOf(HasSubstr("birnn::train::binary_crossentropy"),
                                                      HasSubstr("y_true shape"), HasSubstr("expected (2, 1)"),
                                                      HasSubstr("got (2, 2)"))));
  EXPECT_THAT([&] { (void)tr::mean_squared_error(mat(2, 1, {0, 0}), mat(3, 1, {0, 0, 0})); },
              ThrowsMessage<birnn::shape_error>(AllOf(HasSubstr("mean_squared_error"), HasSubstr("expected (2, 1)"),
                                                      HasSubstr("got (3, 1)"))));
  EXPECT_THAT([&] { (void)L::from_name("sparse_categorical_crossentropy")(mat(2, 3, {0, 0, 1, 0, 1, 0}),
                                                                          mat(2, 3, {0, 0, 1, 0, 1, 0})); },
              ThrowsMessage<birnn::shape_error>(AllOf(HasSubstr("sparse_categorical_crossentropy"),
                                                      HasSubstr("expected (2, 1)"), HasSubstr("got (2, 3)"))));
  EXPECT_THAT([&] { (void)tr::binary_crossentropy(M(2, 0), M(2, 0)); },
              ThrowsMessage<birnn::shape_error>(AllOf(HasSubstr("y_pred columns"), HasSubstr("expected at least 1"),
                                                      HasSubstr("got 0"))));
}

TEST(TrainLossErrors, ClassIdsOutOfRangeOrNotWholeThrowAValueError) {
  const L sparse(tr::LossKind::sparse_categorical_crossentropy);
  const M p = mat(2, 3, {0.2, 0.7, 0.1, 0.6, 0.3, 0.1});
  EXPECT_THAT([&] { (void)sparse(p, std::vector<int>{1, 3}); },
              ThrowsMessage<birnn::value_error>(AllOf(HasSubstr("sparse_categorical_crossentropy"),
                                                      HasSubstr("class id at row 1"), HasSubstr("[0, 3)"),
                                                      HasSubstr("got 3"))));
  EXPECT_THAT([&] { (void)sparse(p, std::vector<int>{-1, 0}); },
              ThrowsMessage<birnn::value_error>(AllOf(HasSubstr("row 0"), HasSubstr("got -1"))));
  EXPECT_THAT([&] { (void)sparse(p, mat(2, 1, {1.5, 0})); },
              ThrowsMessage<birnn::value_error>(AllOf(HasSubstr("expected an integer"), HasSubstr("got 1.5"))));
  EXPECT_THAT([&] { (void)tr::sparse_categorical_accuracy(p, std::vector<int>{0, 7}); },
              ThrowsMessage<birnn::value_error>(AllOf(HasSubstr("sparse_categorical_accuracy"), HasSubstr("got 7"))));
  EXPECT_THAT([&] { (void)sparse(p, std::vector<int>{0, 1, 2}); },
              ThrowsMessage<birnn::shape_error>(AllOf(HasSubstr("y_true length"), HasSubstr("expected 2"),
                                                      HasSubstr("got 3"))));
}

TEST(TrainLossErrors, WeightsOrMasksOfTheWrongLengthThrow) {
  const L mse(tr::LossKind::mean_squared_error);
  const W two = vec({1, 1});
  EXPECT_THAT([&] { (void)mse(kPred, kZero, &two); },
              ThrowsMessage<birnn::shape_error>(AllOf(HasSubstr("mean_squared_error"),
                                                      HasSubstr("sample_weight length"), HasSubstr("expected 3"),
                                                      HasSubstr("got 2"))));
  const birnn::Mask four = birnn::Mask::Constant(2, 2, true);
  EXPECT_THAT([&] { (void)mse(kPred, kZero, nullptr, nullptr, &four); },
              ThrowsMessage<birnn::mask_error>(AllOf(HasSubstr("mask size"), HasSubstr("expected 3"),
                                                     HasSubstr("got 4"))));
  EXPECT_THAT([&] { (void)tr::categorical_accuracy(mat(1, 2, {0.5, 0.5}), mat(1, 2, {1, 0}), &two); },
              ThrowsMessage<birnn::shape_error>(AllOf(HasSubstr("categorical_accuracy"), HasSubstr("expected 1"),
                                                      HasSubstr("got 2"))));
}

TEST(TrainLossErrors, NaNsThrowAValueErrorNamingWhereTheyAre) {
  const double nan = std::nan("");
  const L bce(tr::LossKind::binary_crossentropy);
  EXPECT_THAT([&] { (void)bce(mat(2, 1, {0.5, nan}), mat(2, 1, {1, 0})); },
              ThrowsMessage<birnn::value_error>(AllOf(HasSubstr("binary_crossentropy"), HasSubstr("y_pred"),
                                                      HasSubstr("expected no NaN"), HasSubstr("row 1, column 0"))));
  EXPECT_THAT([&] { (void)bce(mat(2, 1, {0.5, 0.5}), mat(2, 1, {nan, 0})); },
              ThrowsMessage<birnn::value_error>(AllOf(HasSubstr("y_true"), HasSubstr("row 0, column 0"))));
  const W w = vec({1, nan});
  EXPECT_THAT([&] { (void)bce(mat(2, 1, {0.5, 0.5}), mat(2, 1, {1, 0}), &w); },
              ThrowsMessage<birnn::value_error>(AllOf(HasSubstr("sample_weight"), HasSubstr("row 1"))));
  EXPECT_THAT([&] { (void)tr::binary_accuracy(mat(1, 1, {nan}), mat(1, 1, {1})); },
              ThrowsMessage<birnn::value_error>(AllOf(HasSubstr("binary_accuracy"), HasSubstr("NaN"))));
}

TEST(TrainLossErrors, ProbabilityRowsWithoutAPositiveSumThrow) {
  EXPECT_THAT([&] { (void)tr::categorical_crossentropy(mat(2, 2, {0.5, 0.5, 0, 0}), mat(2, 2, {1, 0, 0, 1})); },
              ThrowsMessage<birnn::value_error>(AllOf(HasSubstr("categorical_crossentropy"), HasSubstr("row 1"),
                                                      HasSubstr("positive sum"), HasSubstr("got sum 0"))));
}

TEST(TrainLossErrors, ConfigurationErrors) {
  EXPECT_THAT([] { (void)L::from_name("hinge"); },
              ThrowsMessage<birnn::config_error>(AllOf(HasSubstr("loss name"), HasSubstr("binary_crossentropy"),
                                                       HasSubstr("got 'hinge'"))));
  EXPECT_THAT([] { (void)L::from_name("mse", /*from_logits=*/true); },
              ThrowsMessage<birnn::config_error>(AllOf(HasSubstr("mean_squared_error"), HasSubstr("from_logits"))));
  L edited;
  edited.from_logits = true;  // public members can be set afterwards; the call checks them
  EXPECT_THROW((void)edited(kPred, kZero), birnn::config_error);
  EXPECT_THAT([] { (void)tr::reduction_from_name("average"); },
              ThrowsMessage<birnn::config_error>(AllOf(HasSubstr("reduction"), HasSubstr("got 'average'"))));
  EXPECT_THAT([] { (void)L(tr::LossKind::categorical_crossentropy)(mat(1, 2, {0.5, 0.5}), std::vector<int>{0}); },
              ThrowsMessage<birnn::config_error>(AllOf(HasSubstr("categorical_crossentropy"), HasSubstr("class ids"))));
}

TEST(TrainLossErrors, AFailedCallLeavesTheGradientUntouched) {
  M grad = mat(1, 1, {42});
  EXPECT_THROW((void)L(tr::LossKind::binary_crossentropy)(mat(2, 1, {0.5, 0.5}), mat(1, 1, {1}), nullptr, &grad),
               birnn::shape_error);
  EXPECT_EQ(grad(0, 0), 42);
}

}  // namespace
