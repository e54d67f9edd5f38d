// Keras's initializers and the portable generator (birnn/train/initializers.hpp). Expected
// values come from Keras's definitions (compute_fans, the Glorot limit sqrt(6 / (in + out)),
// the variance limit^2 / 3 of a uniform, Q^T Q = I), from the C++ standard (the 10000th output
// of std::mt19937_64), or from statistics with bounds of several standard errors.

#include <birnn/train/initializers.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <Eigen/Core>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;
namespace tr = birnn::train;
using Shape = std::vector<Eigen::Index>;
using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct Moments {
  double mean = 0, variance = 0, min = 0, max = 0;
};

template <class S>
Moments moments(const std::vector<S>& v) {
  Moments m;
  m.min = m.max = static_cast<double>(v.at(0));
  for (S x : v) {
    m.mean += static_cast<double>(x);
    m.min = std::min(m.min, static_cast<double>(x));
    m.max = std::max(m.max, static_cast<double>(x));
  }
  m.mean /= static_cast<double>(v.size());
  for (S x : v) m.variance += (static_cast<double>(x) - m.mean) * (static_cast<double>(x) - m.mean);
  m.variance /= static_cast<double>(v.size());
  return m;
}

template <class S>
RowMatrix as_matrix(const birnn::Tensor<S>& t, Eigen::Index rows, Eigen::Index cols) {
  RowMatrix m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i)
    m.data()[i] = static_cast<double>(t.values.at(static_cast<std::size_t>(i)));
  return m;
}

// ---------------------------------------------------------------------------------------------
// Rng
// ---------------------------------------------------------------------------------------------

TEST(TrainRng, BitsAreStdMt19937_64AsTheStandardFixesThem) {
  // [rand.predef]: the 10000th invocation of a default-constructed mt19937_64 (seed 5489)
  // produces 9981545732273789042.
  tr::Rng rng(5489);
  std::uint64_t x = 0;
  for (int i = 0; i < 10000; ++i) x = rng.bits();
  EXPECT_EQ(x, 9981545732273789042ULL);
}

TEST(TrainRng, UniformIsTheTop53BitsScaledBy2ToTheMinus53) {
  tr::Rng rng(7);
  std::mt19937_64 engine(7);
  for (int i = 0; i < 100; ++i) {
    const double expected = static_cast<double>(engine() >> 11) / 9007199254740992.0;  // 2^53
    EXPECT_EQ(rng.uniform(), expected);
  }
}

TEST(TrainRng, TheSameSeedGivesTheSameStreamAndAnotherSeedAnother) {
  tr::Rng a(42), b(42), c(43);
  int differing = 0;
  for (int i = 0; i < 50; ++i) {
    const double x = a.normal(), y = b.normal(), z = c.normal();
    EXPECT_EQ(x, y);
    differing += x != z;
  }
  EXPECT_EQ(differing, 50);
  EXPECT_EQ(a.seed(), 42u);
}

TEST(TrainRng, UniformNormalAndBernoulliHaveTheirMoments) {
  tr::Rng rng(2024);
  const int n = 200000;
  std::vector<double> u, g, h;
  int ones = 0;
  for (int i = 0; i < n; ++i) {
    u.push_back(rng.uniform());
    g.push_back(rng.normal());
    h.push_back(rng.normal(3.0, 2.0));
    ones += rng.bernoulli(0.3);
  }
  const Moments mu = moments(u), mg = moments(g), mh = moments(h);
  // Standard errors with n = 2e5: uniform mean 6.5e-4, variance 1.9e-4; normal mean 2.2e-3,
  // variance 3.2e-3; bernoulli frequency 1e-3. Bounds are about 5 of them.
  EXPECT_GE(mu.min, 0.0);
  EXPECT_LT(mu.max, 1.0);
  EXPECT_NEAR(mu.mean, 0.5, 3e-3);
  EXPECT_NEAR(mu.variance, 1.0 / 12, 1e-3);
  EXPECT_NEAR(mg.mean, 0.0, 1e-2);
  EXPECT_NEAR(mg.variance, 1.0, 1.6e-2);
  EXPECT_NEAR(mh.mean, 3.0, 2e-2);
  EXPECT_NEAR(mh.variance, 4.0, 6.4e-2);
  EXPECT_NEAR(static_cast<double>(ones) / n, 0.3, 5e-3);
  // The tails: a standard normal exceeds 3 with probability 0.27%.
  int beyond3 = 0;
  for (double x : g) beyond3 += std::abs(x) > 3;
  EXPECT_NEAR(static_cast<double>(beyond3) / n, 0.0027, 6e-4);
  // Ranges and extremes of the other draws.
  for (int i = 0; i < 1000; ++i) {
    const double x = rng.uniform(-2.0, 5.0);
    EXPECT_GE(x, -2.0);
    EXPECT_LT(x, 5.0);
  }
  for (int i = 0; i < 100; ++i) {
    EXPECT_FALSE(rng.bernoulli(0.0));
    EXPECT_TRUE(rng.bernoulli(1.0));
  }
}

TEST(TrainRng, SplitAndForkAreDeterministicAndGiveDistinctStreams) {
  tr::Rng p1(9), p2(9);
  tr::Rng c1 = p1.split(), c2 = p2.split();
  for (int i = 0; i < 20; ++i) EXPECT_EQ(c1.bits(), c2.bits());
  // The child differs from the parent's continuation and from a generator of the parent's seed.
  tr::Rng fresh(9);
  (void)fresh.bits();
  tr::Rng child = tr::Rng(9).split();
  int same_as_parent = 0, same_as_seed = 0;
  tr::Rng again(9);
  for (int i = 0; i < 20; ++i) {
    const std::uint64_t x = child.bits();
    same_as_parent += x == fresh.bits();
    same_as_seed += x == again.bits();
  }
  EXPECT_EQ(same_as_parent, 0);
  EXPECT_EQ(same_as_seed, 0);
  // fork(k) is k splits; its children differ from each other.
  tr::Rng f(11), s(11);
  std::vector<tr::Rng> kids = f.fork(3);
  ASSERT_EQ(kids.size(), 3u);
  std::vector<std::uint64_t> firsts;
  for (auto& k : kids) {
    tr::Rng expected = s.split();
    EXPECT_EQ(k.seed(), expected.seed());
    const std::uint64_t x = k.bits();
    EXPECT_EQ(x, expected.bits());
    firsts.push_back(x);
  }
  EXPECT_NE(firsts[0], firsts[1]);
  EXPECT_NE(firsts[1], firsts[2]);
  EXPECT_NE(firsts[0], firsts[2]);
}

TEST(TrainRng, BadArgumentsAreValueErrors) {
  tr::Rng rng(1);
  EXPECT_THAT([&] { (void)rng.uniform(1.0, 0.0); },
              ThrowsMessage<birnn::value_error>(AllOf(HasSubstr("Rng::uniform"), HasSubstr("lo <= hi"),
                                                      HasSubstr("got [1, 0)"))));
  EXPECT_THAT([&] { (void)rng.bernoulli(1.5); },
              ThrowsMessage<birnn::value_error>(
                  AllOf(HasSubstr("bernoulli"), HasSubstr("[0, 1]"), HasSubstr("got 1.5"))));
  EXPECT_THAT([&] { (void)rng.normal(0.0, -1.0); },
              ThrowsMessage<birnn::value_error>(AllOf(HasSubstr("Rng::normal"), HasSubstr("stddev -1"))));
  EXPECT_THROW((void)rng.bernoulli(std::nan("")), birnn::value_error);
}

// ---------------------------------------------------------------------------------------------
// compute_fans and Glorot uniform
// ---------------------------------------------------------------------------------------------

TEST(TrainInit, ComputeFansFollowsKeras) {
  auto fans = [](Shape s) {
    const tr::Fans f = tr::compute_fans(s);
    return std::make_pair(f.fan_in, f.fan_out);
  };
  EXPECT_EQ(fans({}), std::make_pair(Eigen::Index{1}, Eigen::Index{1}));
  EXPECT_EQ(fans({5}), std::make_pair(Eigen::Index{5}, Eigen::Index{5}));
  EXPECT_EQ(fans({3, 4}), std::make_pair(Eigen::Index{3}, Eigen::Index{4}));
  // (2, 3, 4, 5): receptive field 2 * 3 = 6; fan_in 4 * 6, fan_out 5 * 6.
  EXPECT_EQ(fans({2, 3, 4, 5}), std::make_pair(Eigen::Index{24}, Eigen::Index{30}));
}

TEST(TrainInit, GlorotUniformStaysWithinItsLimitAndHasVarianceTwoOverFanSum) {
  EXPECT_DOUBLE_EQ(tr::glorot_uniform_limit({3, 5}), std::sqrt(6.0 / 8));
  EXPECT_DOUBLE_EQ(tr::glorot_uniform_limit({16, 64}), std::sqrt(6.0 / 80));
  EXPECT_DOUBLE_EQ(tr::glorot_uniform_limit({}), std::sqrt(3.0));  // max(1, (1 + 1) / 2) = 1
  tr::Rng rng(3);
  const birnn::Tensor<double> w = tr::glorot_uniform<double>({200, 300}, rng);
  EXPECT_EQ(w.shape, (Shape{200, 300}));
  ASSERT_EQ(w.values.size(), 60000u);
  const double limit = std::sqrt(6.0 / 500);
  const Moments m = moments(w.values);
  EXPECT_GE(m.min, -limit);
  EXPECT_LE(m.max, limit);
  EXPECT_LT(m.min, -0.99 * limit);  // the whole range is used
  EXPECT_GT(m.max, 0.99 * limit);
  // Var U(-L, L) = L^2 / 3 = 2 / (fan_in + fan_out) = 0.004; its standard error here is 1.5e-5.
  EXPECT_NEAR(m.variance, 2.0 / 500, 0.05 * 0.004);
  EXPECT_NEAR(m.mean, 0.0, 1.5e-3);  // standard error 2.6e-4
  // float and the in-place form.
  tr::Rng r2(4);
  birnn::Tensor<float> t({4, 6}, {});
  tr::glorot_uniform(t, r2);
  ASSERT_EQ(t.values.size(), 24u);
  for (float x : t.values) EXPECT_LE(std::abs(x), static_cast<float>(std::sqrt(0.6)));
}

TEST(TrainInit, RandomUniformDefaultsToPlusMinus005) {
  tr::Rng rng(5);
  const birnn::Tensor<float> e = tr::random_uniform<float>({100, 100}, rng);
  const Moments m = moments(e.values);
  EXPECT_GE(m.min, -0.05);
  EXPECT_LE(m.max, 0.05);
  EXPECT_NEAR(m.variance, 0.05 * 0.05 / 3, 0.05 * 0.05 * 0.05 / 3);
  const birnn::Tensor<double> r = tr::random_uniform<double>({1000}, rng, 2.0, 3.0);
  const Moments mr = moments(r.values);
  EXPECT_GE(mr.min, 2.0);
  EXPECT_LT(mr.max, 3.0);
  EXPECT_NEAR(mr.mean, 2.5, 0.05);
}

TEST(TrainInit, ASeedDeterminesTheWeights) {
  tr::Rng a(100), b(100), c(101);
  EXPECT_EQ(tr::glorot_uniform<float>({8, 32}, a).values, tr::glorot_uniform<float>({8, 32}, b).values);
  EXPECT_EQ(tr::orthogonal<double>({8, 32}, a).values, tr::orthogonal<double>({8, 32}, b).values);
  tr::Rng a2(100);
  EXPECT_NE(tr::glorot_uniform<float>({8, 32}, a2).values, tr::glorot_uniform<float>({8, 32}, c).values);
  tr::Rng d(100), e(101);
  EXPECT_NE(tr::orthogonal<double>({8, 8}, d).values, tr::orthogonal<double>({8, 8}, e).values);
}

// ---------------------------------------------------------------------------------------------
// Orthogonal
// ---------------------------------------------------------------------------------------------

TEST(TrainInit, OrthogonalSquareMatrixIsOrthogonal) {
  tr::Rng rng(6);
  const birnn::Tensor<double> q = tr::orthogonal<double>({6, 6}, rng);
  const RowMatrix m = as_matrix(q, 6, 6);
  EXPECT_TRUE((m.transpose() * m).isApprox(RowMatrix::Identity(6, 6), 1e-12));
  EXPECT_TRUE((m * m.transpose()).isApprox(RowMatrix::Identity(6, 6), 1e-12));
}

TEST(TrainInit, OrthogonalRecurrentKernelHasOrthonormalRows) {
  // LSTM recurrent_kernel (units, 4 * units): rows < cols, so W W^T = I_units.
  const Eigen::Index units = 5;
  tr::Rng rng(7);
  const birnn::Tensor<double> w = tr::orthogonal<double>({units, 4 * units}, rng);
  EXPECT_EQ(w.shape, (Shape{units, 4 * units}));
  const RowMatrix m = as_matrix(w, units, 4 * units);
  EXPECT_TRUE((m * m.transpose()).isApprox(RowMatrix::Identity(units, units), 1e-12));
  // Every entry of an orthonormal row is at most 1 in magnitude, and the columns are not orthonormal.
  EXPECT_LE(m.cwiseAbs().maxCoeff(), 1.0 + 1e-12);
  EXPECT_FALSE((m.transpose() * m).isApprox(RowMatrix::Identity(4 * units, 4 * units), 1e-3));
}

TEST(TrainInit, OrthogonalTallAndHigherRankShapesHaveOrthonormalColumns) {
  tr::Rng rng(8);
  const RowMatrix tall = as_matrix(tr::orthogonal<double>({20, 5}, rng), 20, 5);
  EXPECT_TRUE((tall.transpose() * tall).isApprox(RowMatrix::Identity(5, 5), 1e-12));
  // (2, 3, 4) flattens to (6, 4).
  const RowMatrix conv = as_matrix(tr::orthogonal<double>({2, 3, 4}, rng), 6, 4);
  EXPECT_TRUE((conv.transpose() * conv).isApprox(RowMatrix::Identity(4, 4), 1e-12));
  // gain 2: W^T W = 4 I.
  const RowMatrix g = as_matrix(tr::orthogonal<double>({4, 4}, rng, 2.0), 4, 4);
  EXPECT_TRUE((g.transpose() * g).isApprox(4 * RowMatrix::Identity(4, 4), 1e-12));
  // float.
  const RowMatrix f = as_matrix(tr::orthogonal<float>({3, 12}, rng), 3, 12);
  EXPECT_TRUE((f * f.transpose()).isApprox(RowMatrix::Identity(3, 3), 1e-6));
}

TEST(TrainInit, OrthogonalIsTheQOfTheNormalMatrixWithAPositiveDiagonalR) {
  // Keras: A (max(r, c), min(r, c)) standard normal, A = QR, Q times sign(diag(R)). So Q^T A
  // (= the sign-corrected R) is upper triangular with a positive diagonal. Redraw A from a
  // generator of the same seed, in row-major order.
  for (const Shape& shape : {Shape{5, 3}, Shape{3, 5}, Shape{4, 4}}) {
    const Eigen::Index rows = shape[0], cols = shape[1];
    const Eigen::Index m = std::max(rows, cols), n = std::min(rows, cols);
    tr::Rng draw(21), init(21);
    RowMatrix a(m, n);
    for (Eigen::Index i = 0; i < a.size(); ++i) a.data()[i] = draw.normal();
    const RowMatrix w = as_matrix(tr::orthogonal<double>(shape, init), rows, cols);
    const RowMatrix q = rows >= cols ? w : RowMatrix(w.transpose());
    const RowMatrix r = q.transpose() * a;
    for (Eigen::Index i = 0; i < n; ++i) {
      EXPECT_GT(r(i, i), 0.0) << "shape (" << rows << ", " << cols << ")";
      for (Eigen::Index j = 0; j < i; ++j) EXPECT_NEAR(r(i, j), 0.0, 1e-12);
    }
    // And Q R reproduces A.
    EXPECT_TRUE((q * r).isApprox(a, 1e-12));
  }
}

TEST(TrainInit, OrthogonalNeedsRankTwo) {
  tr::Rng rng(1);
  EXPECT_THAT([&] { (void)tr::orthogonal<double>({5}, rng); },
              ThrowsMessage<birnn::shape_error>(AllOf(HasSubstr("birnn::train::orthogonal"), HasSubstr("rank"),
                                                      HasSubstr("expected at least 2, got 1"), HasSubstr("(5,)"))));
  // A size 0 gives an empty tensor of that shape.
  EXPECT_TRUE(tr::orthogonal<double>({0, 4}, rng).values.empty());
}

// ---------------------------------------------------------------------------------------------
// Constants, the LSTM bias, names, errors
// ---------------------------------------------------------------------------------------------

TEST(TrainInit, ZerosAndOnes) {
  const birnn::Tensor<float> z = tr::zeros<float>({2, 3});
  EXPECT_EQ(z.shape, (Shape{2, 3}));
  EXPECT_EQ(z.values, std::vector<float>(6, 0.0f));
  const birnn::Tensor<double> o = tr::ones<double>({4});
  EXPECT_EQ(o.values, std::vector<double>(4, 1.0));
  EXPECT_EQ(tr::ones<double>({}).values, std::vector<double>{1.0});  // a scalar
}

TEST(TrainInit, LstmBiasSetsTheForgetBlockToOne) {
  const birnn::Tensor<float> b = tr::lstm_bias<float>(3);
  EXPECT_EQ(b.shape, (Shape{12}));
  EXPECT_EQ(b.values, (std::vector<float>{0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(tr::lstm_bias<double>(2, false).values, std::vector<double>(8, 0.0));
  EXPECT_THAT([] { (void)tr::lstm_bias<float>(-1); },
              ThrowsMessage<birnn::shape_error>(AllOf(HasSubstr("lstm_bias"), HasSubstr("got -1"))));
}

TEST(TrainInit, InitializeByKerasName) {
  tr::Rng a(12), b(12);
  EXPECT_EQ(tr::initialize<float>("glorot_uniform", {3, 4}, a).values, tr::glorot_uniform<float>({3, 4}, b).values);
  EXPECT_EQ(tr::initialize<float>("Orthogonal", {3, 4}, a).values, tr::orthogonal<float>({3, 4}, b).values);
  EXPECT_EQ(tr::initialize<float>("uniform", {7}, a).values, tr::random_uniform<float>({7}, b).values);
  EXPECT_EQ(tr::initialize<float>("zeros", {2}, a).values, std::vector<float>(2, 0.0f));
  EXPECT_EQ(tr::initialize<float>("ones", {2}, a).values, std::vector<float>(2, 1.0f));
  EXPECT_THAT([&] { (void)tr::initialize<float>("he_normal", {2, 2}, a); },
              ThrowsMessage<birnn::config_error>(AllOf(HasSubstr("initializer name"), HasSubstr("glorot_uniform"),
                                                       HasSubstr("got 'he_normal'"))));
}

TEST(TrainInit, NegativeSizesAreShapeErrors) {
  tr::Rng rng(1);
  EXPECT_THAT([&] { (void)tr::glorot_uniform<float>({3, -2}, rng); },
              ThrowsMessage<birnn::shape_error>(AllOf(HasSubstr("compute_fans"), HasSubstr("sizes >= 0"),
                                                      HasSubstr("got (3, -2)"))));
  EXPECT_THAT([] { (void)tr::zeros<double>({-1}); },
              ThrowsMessage<birnn::shape_error>(AllOf(HasSubstr("birnn::train::zeros"), HasSubstr("got (-1,)"))));
  EXPECT_THROW((void)tr::orthogonal<double>({-1, 4}, rng), birnn::shape_error);
  EXPECT_THROW((void)tr::random_uniform<double>({2}, rng, 1.0, -1.0), birnn::value_error);
}

}  // namespace
