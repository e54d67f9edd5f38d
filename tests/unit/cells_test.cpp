// Properties of the cells, their weights and activations, and identities between the
// recurrent layers that follow from Keras's rules. Expected numbers come from the Keras
// formulas (parameter counts, activation definitions) or from identities (a layer against
// itself on transformed input), never from birnn's own output.

#include <birnn/birnn.hpp>
#include <birnn/layers/dense.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;
namespace seq = birnn::sequences;
namespace st = birnn::state;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

template <class S>
birnn::Sequence<S> random_sequence(Eigen::Index batch, Eigen::Index time, Eigen::Index features, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  birnn::Sequence<S> x(batch, time, features);
  for (Eigen::Index b = 0; b < batch; ++b)
    for (Eigen::Index t = 0; t < time; ++t)
      for (Eigen::Index f = 0; f < features; ++f) x(b, t, f) = static_cast<S>(u(rng));
  return x;
}

/// Random weights of the shapes `specs` lists, values in [-scale, scale].
template <class S>
std::vector<birnn::Tensor<S>> random_weights(const std::vector<birnn::WeightSpec>& specs, unsigned seed,
                                             double scale = 0.6) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-scale, scale);
  std::vector<birnn::Tensor<S>> w;
  for (const auto& s : specs) {
    birnn::Tensor<S> t(s.shape, {});
    for (Eigen::Index i = 0; i < t.size(); ++i) t.values.push_back(static_cast<S>(u(rng)));
    w.push_back(std::move(t));
  }
  return w;
}

/// The sequence with its time axis reversed.
template <class S>
birnn::Sequence<S> reversed(const birnn::Sequence<S>& x) {
  birnn::Sequence<S> r(x.batch(), x.time(), x.features());
  for (Eigen::Index b = 0; b < x.batch(); ++b)
    for (Eigen::Index t = 0; t < x.time(); ++t)
      for (Eigen::Index f = 0; f < x.features(); ++f) r(b, x.time() - 1 - t, f) = x(b, t, f);
  return r;
}

/// Steps [0, time) of every sequence of `x`.
template <class S>
birnn::Sequence<S> first_steps(const birnn::Sequence<S>& x, Eigen::Index time) {
  birnn::Sequence<S> r(x.batch(), time, x.features());
  for (Eigen::Index b = 0; b < x.batch(); ++b)
    for (Eigen::Index t = 0; t < time; ++t)
      for (Eigen::Index f = 0; f < x.features(); ++f) r(b, t, f) = x(b, t, f);
  return r;
}

/// Sequence `b` of `x` alone, as a batch of one.
template <class S>
birnn::Sequence<S> one_sequence(const birnn::Sequence<S>& x, Eigen::Index b) {
  birnn::Sequence<S> r(1, x.time(), x.features());
  for (Eigen::Index t = 0; t < x.time(); ++t)
    for (Eigen::Index f = 0; f < x.features(); ++f) r(0, t, f) = x(b, t, f);
  return r;
}

template <class S>
double max_abs_difference(const birnn::Sequence<S>& a, const birnn::Sequence<S>& b) {
  EXPECT_EQ(a.batch(), b.batch());
  EXPECT_EQ(a.time(), b.time());
  EXPECT_EQ(a.features(), b.features());
  if (a.batch() != b.batch() || a.time() != b.time() || a.features() != b.features()) return INFINITY;
  return (a.matrix() - b.matrix()).cwiseAbs().maxCoeff();
}

template <class A, class B>
double max_abs_difference(const Eigen::MatrixBase<A>& a, const Eigen::MatrixBase<B>& b) {
  EXPECT_EQ(a.rows(), b.rows());
  EXPECT_EQ(a.cols(), b.cols());
  if (a.rows() != b.rows() || a.cols() != b.cols()) return INFINITY;
  if (a.size() == 0) return 0;
  return (a - b).cwiseAbs().maxCoeff();
}

constexpr double kExact = 1e-12;  // double arithmetic on the same operations in another order

std::vector<std::vector<Eigen::Index>> shapes_of(const std::vector<birnn::Tensor<float>>& w) {
  std::vector<std::vector<Eigen::Index>> s;
  for (const auto& t : w) s.push_back(t.shape);
  return s;
}

std::vector<std::string> names_of(const std::vector<birnn::WeightSpec>& specs) {
  std::vector<std::string> n;
  for (const auto& s : specs) n.push_back(s.name);
  return n;
}

Eigen::Index spec_size(const std::vector<birnn::WeightSpec>& specs) {
  Eigen::Index n = 0;
  for (const auto& s : specs) {
    Eigen::Index k = 1;
    for (auto d : s.shape) k *= d;
    n += k;
  }
  return n;
}

using Shapes = std::vector<std::vector<Eigen::Index>>;

/// A Bidirectional's weight specs: the forward layer's, then the backward layer's.
template <class Bi>
std::vector<birnn::WeightSpec> specs_of(const Bi& bi) {
  auto s = bi.forward_layer().weight_specs();
  for (const auto& b : bi.backward_layer().weight_specs()) s.push_back(b);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Zero weights
// ---------------------------------------------------------------------------------------------

template <class Cell>
void expect_zero_weights_keep_zero_state(typename Cell::Config config) {
  birnn::Rnn<Cell, seq::all, st::keep> layer(4, config);
  const auto x = random_sequence<double>(2, 5, 4, 7);
  const auto result = layer.forward(x);
  EXPECT_EQ(std::get<0>(result).matrix().cwiseAbs().maxCoeff(), 0.0);
  EXPECT_EQ(std::get<1>(result).cwiseAbs().maxCoeff(), 0.0);
  if constexpr (std::tuple_size_v<std::decay_t<decltype(result)>> == 3) {
    EXPECT_EQ(std::get<2>(result).cwiseAbs().maxCoeff(), 0.0);
  }
}

TEST(Lstm, ZeroWeightsKeepAZeroState) {
  birnn::LSTM<double>::Config c;
  c.units = 3;
  expect_zero_weights_keep_zero_state<birnn::LSTM<double>>(c);
}

TEST(Gru, ZeroWeightsKeepAZeroStateInBothResetModes) {
  birnn::GRU<double>::Config c;
  c.units = 3;
  expect_zero_weights_keep_zero_state<birnn::GRU<double>>(c);
  c.reset_after = false;
  expect_zero_weights_keep_zero_state<birnn::GRU<double>>(c);
}

TEST(SimpleRnn, ZeroWeightsKeepAZeroState) {
  birnn::SimpleRNN<double>::Config c;
  c.units = 3;
  expect_zero_weights_keep_zero_state<birnn::SimpleRNN<double>>(c);
}

// ---------------------------------------------------------------------------------------------
// Parameter counts (Keras formulas)
// ---------------------------------------------------------------------------------------------

struct Sizes {
  Eigen::Index in, u;
};
const Sizes kSizes[] = {{1, 1}, {7, 3}, {32, 5}, {16, 64}};

TEST(SimpleRnn, CountsTheTutorialsParameters) {
  birnn::Rnn<birnn::SimpleRNN<float>> rnn(32, {5});
  EXPECT_EQ(rnn.count_params(), 190);
}

TEST(Bidirectional, CountsBothLayersParametersOfTheTutorial) {
  birnn::Bidirectional<birnn::SimpleRNN<float>> bi(32, {5});
  EXPECT_EQ(bi.count_params(), 380);
}

TEST(SimpleRnn, CountsInputTimesUnitsPlusUnitsSquaredPlusUnitsParameters) {
  for (const auto [in, u] : kSizes) {
    birnn::SimpleRNN<float>::Config c;
    c.units = u;
    EXPECT_EQ(birnn::Rnn<birnn::SimpleRNN<float>>(in, c).count_params(), in * u + u * u + u);
    c.use_bias = false;
    EXPECT_EQ(birnn::Rnn<birnn::SimpleRNN<float>>(in, c).count_params(), in * u + u * u);
  }
}

TEST(Lstm, CountsFourTimesTheSimpleRnnParameters) {
  for (const auto [in, u] : kSizes) {
    birnn::LSTM<float>::Config c;
    c.units = u;
    birnn::Rnn<birnn::LSTM<float>> with_bias(in, c);
    EXPECT_EQ(with_bias.count_params(), 4 * (in * u + u * u + u)) << in << " features, " << u << " units";
    EXPECT_EQ(with_bias.count_params(), spec_size(with_bias.weight_specs()));
    c.use_bias = false;
    birnn::Rnn<birnn::LSTM<float>> without_bias(in, c);
    EXPECT_EQ(without_bias.count_params(), 4 * (in * u + u * u));
    EXPECT_EQ(without_bias.count_params(), spec_size(without_bias.weight_specs()));
  }
}

TEST(Gru, CountsSixBiasesPerUnitWhenResettingAfter) {
  for (const auto [in, u] : kSizes) {
    birnn::GRU<float>::Config c;
    c.units = u;
    ASSERT_TRUE(c.reset_after) << "Keras 3's default";
    birnn::Rnn<birnn::GRU<float>> gru(in, c);
    EXPECT_EQ(gru.count_params(), 3 * (in * u + u * u) + 6 * u) << in << " features, " << u << " units";
    EXPECT_EQ(gru.count_params(), spec_size(gru.weight_specs()));
  }
}

TEST(Gru, CountsThreeBiasesPerUnitWhenResettingBefore) {
  for (const auto [in, u] : kSizes) {
    birnn::GRU<float>::Config c;
    c.units = u;
    c.reset_after = false;
    birnn::Rnn<birnn::GRU<float>> gru(in, c);
    EXPECT_EQ(gru.count_params(), 3 * (in * u + u * u + u)) << in << " features, " << u << " units";
    EXPECT_EQ(gru.count_params(), spec_size(gru.weight_specs()));
  }
}

TEST(Gru, CountsNoBiasWithoutBiasInEitherResetMode) {
  for (const bool reset_after : {true, false}) {
    birnn::GRU<float>::Config c;
    c.units = 3;
    c.reset_after = reset_after;
    c.use_bias = false;
    EXPECT_EQ(birnn::Rnn<birnn::GRU<float>>(7, c).count_params(), 3 * (7 * 3 + 3 * 3));
  }
}

TEST(Bidirectional, CountsTheForwardAndTheBackwardLayersParameters) {
  birnn::LSTM<float>::Config f;
  f.units = 3;
  birnn::GRU<float>::Config b;
  b.units = 2;
  birnn::LayerOptions fo, bo;
  bo.go_backwards = true;
  birnn::Bidirectional<birnn::LSTM<float>, birnn::merge::concat, seq::last, st::discard, birnn::mask::none,
                       birnn::GRU<float>>
      bi(5, f, fo, b, bo);
  EXPECT_EQ(bi.count_params(), 4 * (5 * 3 + 3 * 3 + 3) + 3 * (5 * 2 + 2 * 2) + 6 * 2);
  EXPECT_EQ(bi.units(), 5);
}

// ---------------------------------------------------------------------------------------------
// Weights: Keras shapes and order, round trips
// ---------------------------------------------------------------------------------------------

TEST(Lstm, GetWeightsReturnsKerasShapesInKerasOrder) {
  birnn::Rnn<birnn::LSTM<float>> lstm(7, {3});
  EXPECT_EQ(shapes_of(lstm.get_weights()), (Shapes{{7, 12}, {3, 12}, {12}}));
  EXPECT_EQ(names_of(lstm.weight_specs()), (std::vector<std::string>{"kernel", "recurrent_kernel", "bias"}));
  birnn::LSTM<float>::Config no_bias;
  no_bias.units = 3;
  no_bias.use_bias = false;
  EXPECT_EQ(shapes_of(birnn::Rnn<birnn::LSTM<float>>(7, no_bias).get_weights()), (Shapes{{7, 12}, {3, 12}}));
}

TEST(Gru, GetWeightsReturnsATwoRowBiasWhenResettingAfter) {
  birnn::GRU<float>::Config c;
  c.units = 3;
  birnn::Rnn<birnn::GRU<float>> gru(7, c);
  EXPECT_EQ(shapes_of(gru.get_weights()), (Shapes{{7, 9}, {3, 9}, {2, 9}}));
  c.reset_after = false;
  EXPECT_EQ(shapes_of(birnn::Rnn<birnn::GRU<float>>(7, c).get_weights()), (Shapes{{7, 9}, {3, 9}, {9}}));
}

TEST(SimpleRnn, GetWeightsReturnsKerasShapes) {
  birnn::Rnn<birnn::SimpleRNN<float>> rnn(7, {3});
  EXPECT_EQ(shapes_of(rnn.get_weights()), (Shapes{{7, 3}, {3, 3}, {3}}));
}

TEST(Bidirectional, GetWeightsListsTheForwardLayersWeightsThenTheBackwardLayers) {
  birnn::LSTM<float>::Config f;
  f.units = 3;
  birnn::GRU<float>::Config b;
  b.units = 2;
  b.reset_after = false;
  birnn::LayerOptions fo, bo;
  bo.go_backwards = true;
  birnn::Bidirectional<birnn::LSTM<float>, birnn::merge::concat, seq::last, st::discard, birnn::mask::none,
                       birnn::GRU<float>>
      bi(5, f, fo, b, bo);
  EXPECT_EQ(shapes_of(bi.get_weights()), (Shapes{{5, 12}, {3, 12}, {12}, {5, 6}, {2, 6}, {6}}));
}

template <class Layer>
void expect_round_trip(Layer& layer, unsigned seed) {
  std::vector<birnn::WeightSpec> specs;
  for (const auto& t : layer.get_weights()) specs.push_back({"", t.shape});
  const auto w = random_weights<float>(specs, seed);
  layer.set_weights(w);
  const auto back = layer.get_weights();
  ASSERT_EQ(back.size(), w.size());
  for (std::size_t i = 0; i < w.size(); ++i) {
    EXPECT_EQ(back[i].shape, w[i].shape) << "weight " << i;
    EXPECT_EQ(back[i].values, w[i].values) << "weight " << i;
  }
}

TEST(Lstm, SetWeightsThenGetWeightsRoundTrips) {
  birnn::Rnn<birnn::LSTM<float>> lstm(7, {3});
  expect_round_trip(lstm, 1);
}

TEST(Gru, SetWeightsThenGetWeightsRoundTripsBothBiasRows) {
  birnn::Rnn<birnn::GRU<float>> gru(7, {3});
  expect_round_trip(gru, 2);
  birnn::GRU<float>::Config c;
  c.units = 3;
  c.reset_after = false;
  birnn::Rnn<birnn::GRU<float>> reset_before(7, c);
  expect_round_trip(reset_before, 3);
}

TEST(SimpleRnn, SetWeightsThenGetWeightsRoundTrips) {
  birnn::Rnn<birnn::SimpleRNN<float>> rnn(7, {3});
  expect_round_trip(rnn, 4);
}

TEST(Bidirectional, SetWeightsThenGetWeightsRoundTrips) {
  birnn::Bidirectional<birnn::GRU<float>> bi(7, {3});
  expect_round_trip(bi, 5);
}

TEST(Lstm, SetWeightsReadsKerasRowMajorLayout) {
  birnn::Rnn<birnn::LSTM<float>> lstm(7, {3});
  const auto w = random_weights<float>(lstm.weight_specs(), 6);
  lstm.set_weights(w);
  // kernel (7, 12): element (r, c) is value r * 12 + c.
  EXPECT_EQ(lstm.weights().kernel(2, 5), w[0].values[2 * 12 + 5]);
  EXPECT_EQ(lstm.weights().kernel(6, 11), w[0].values[6 * 12 + 11]);
  EXPECT_EQ(lstm.weights().recurrent_kernel(1, 7), w[1].values[1 * 12 + 7]);
  EXPECT_EQ(lstm.weights().bias(9), w[2].values[9]);
}

TEST(Gru, SetWeightsSplitsTheTwoRowBiasIntoInputAndRecurrentSides) {
  birnn::Rnn<birnn::GRU<float>> gru(7, {3});
  const auto w = random_weights<float>(gru.weight_specs(), 7);
  gru.set_weights(w);
  for (Eigen::Index c = 0; c < 9; ++c) {
    EXPECT_EQ(gru.weights().bias(c), w[2].values[static_cast<std::size_t>(c)]);
    EXPECT_EQ(gru.weights().recurrent_bias(c), w[2].values[static_cast<std::size_t>(9 + c)]);
  }
}

TEST(Bidirectional, SetWeightsGivesTheSecondHalfToTheBackwardLayer) {
  birnn::Bidirectional<birnn::LSTM<float>> bi(4, {2});
  const auto specs = bi.forward_layer().weight_specs();
  auto w = random_weights<float>(specs, 8);
  for (auto& t : random_weights<float>(specs, 9)) w.push_back(t);
  bi.set_weights(w);
  EXPECT_EQ(bi.forward_layer().weights().kernel(3, 7), w[0].values[3 * 8 + 7]);
  EXPECT_EQ(bi.backward_layer().weights().kernel(3, 7), w[3].values[3 * 8 + 7]);
  EXPECT_EQ(bi.backward_layer().weights().bias(5), w[5].values[5]);
}

// ---------------------------------------------------------------------------------------------
// Activations (applied through a Dense layer with an identity kernel: y = activation(x))
// ---------------------------------------------------------------------------------------------

template <class S>
std::vector<S> activated(birnn::Activation a, const std::vector<double>& xs) {
  const auto n = static_cast<Eigen::Index>(xs.size());
  birnn::Dense<S> dense(n, n, a);
  dense.kernel().setIdentity();
  birnn::Batch<S> x(1, n);
  for (Eigen::Index i = 0; i < n; ++i) x(0, i) = static_cast<S>(xs[static_cast<std::size_t>(i)]);
  const auto y = dense.forward(x);
  return std::vector<S>(y.data(), y.data() + y.size());
}

std::vector<double> grid(double from, double to, int n) {
  std::vector<double> v;
  for (int i = 0; i < n; ++i) v.push_back(from + (to - from) * i / (n - 1));
  for (double small : {1e-4, -1e-4, 3e-3, -3e-3}) v.push_back(small);
  return v;
}

TEST(Activation, HardSigmoidIsKeras3sClipOfXOverSixPlusOneHalf) {
  const std::vector<double> xs{-10, -3.5, -3, -1.5, -0.6, 0, 0.6, 1.5, 2.9, 3, 3.5, 10};
  const auto y = activated<double>(birnn::Activation::hard_sigmoid, xs);
  for (std::size_t i = 0; i < xs.size(); ++i)
    EXPECT_NEAR(y[i], std::clamp(xs[i] / 6 + 0.5, 0.0, 1.0), 1e-15) << "x = " << xs[i];
  EXPECT_EQ(y[2], 0.0);   // x = -3
  EXPECT_EQ(y[3], 0.25);  // x = -1.5
  EXPECT_EQ(y[5], 0.5);   // x = 0
  EXPECT_EQ(y[7], 0.75);  // x = 1.5
  EXPECT_EQ(y[9], 1.0);   // x = 3
}

TEST(Activation, HardSigmoidIsNotKeras2sLinearSlope) {
  // Keras 2 used 0.2 x + 0.5: at x = 1 that is 0.7, Keras 3's is 2/3.
  const auto y = activated<float>(birnn::Activation::hard_sigmoid, {1.0});
  EXPECT_NEAR(y[0], 2.0 / 3.0, 1e-6);
}

/// The largest relative error of `a` applied in `S` against `reference` over [-12, 12] and a
/// few small inputs, and where it is.
template <class S>
void expect_relative(birnn::Activation a, double (*reference)(double), double rtol) {
  const auto xs = grid(-12, 12, 97);
  const auto y = activated<S>(a, xs);
  double worst = 0, at = 0, got = 0, want = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    // The reference of the input as the layer saw it (rounded to S).
    const double e = reference(static_cast<double>(static_cast<S>(xs[i])));
    const double r = std::abs(static_cast<double>(y[i]) - e) / std::abs(e);
    if (!(r <= worst)) {
      worst = r;
      at = xs[i];
      got = static_cast<double>(y[i]);
      want = e;
    }
  }
  EXPECT_LE(worst, rtol) << "largest relative error of " << birnn::to_string(a) << " at x = " << at << ": got "
                         << got << ", expected " << want;
}

double sigmoid_reference(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double tanh_reference(double x) { return std::tanh(x); }

TEST(Activation, SigmoidMatchesTheStandardLibraryWithinOnePartPerMillionInDouble) {
  expect_relative<double>(birnn::Activation::sigmoid, sigmoid_reference, 1e-6);
}

TEST(Activation, SigmoidMatchesTheStandardLibraryWithinOnePartPerMillionInFloat) {
  expect_relative<float>(birnn::Activation::sigmoid, sigmoid_reference, 1e-6);
}

TEST(Activation, TanhMatchesTheStandardLibraryWithinOnePartPerMillionInDouble) {
  expect_relative<double>(birnn::Activation::tanh, tanh_reference, 1e-6);
}

TEST(Activation, TanhMatchesTheStandardLibraryWithinOnePartPerMillionInFloat) {
  expect_relative<float>(birnn::Activation::tanh, tanh_reference, 1e-6);
}

/// Every binade of float, both signs, a few mantissas each, subnormals, zero and the
/// infinities: the inputs of a whole-range check.
std::vector<float> whole_float_range() {
  std::vector<float> xs{0.0f, -0.0f, std::numeric_limits<float>::denorm_min(), std::numeric_limits<float>::max(),
                        -std::numeric_limits<float>::max(), std::numeric_limits<float>::infinity(),
                        -std::numeric_limits<float>::infinity()};
  for (int e = -149; e <= 127; ++e)
    for (float m : {1.0f, 1.1f, 1.37f, 1.5f, 1.73f, 1.99f})
      for (float sign : {1.0f, -1.0f}) xs.push_back(sign * std::ldexp(m, e));
  return xs;
}

/// `a` as the cells apply it (detail::activate on a gate block, a column range of a row-major
/// matrix, with odd offsets so that packets start unaligned) against `reference` in double:
/// within `rtol` relative where the reference is a normal float, within FLT_MIN absolute below.
void expect_whole_float_range(birnn::Activation a, double (*reference)(double), double rtol) {
  const auto xs = whole_float_range();
  const auto n = static_cast<Eigen::Index>(xs.size());
  Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> gates(2, n + 3);
  gates.setConstant(42.0f);
  for (Eigen::Index i = 0; i < n; ++i) gates(1, 3 + i) = xs[static_cast<std::size_t>(i)];
  auto block = gates.block(1, 3, 1, n);
  birnn::detail::activate(a, block);
  const double tiny = std::numeric_limits<float>::min();
  for (Eigen::Index i = 0; i < n; ++i) {
    const double x = xs[static_cast<std::size_t>(i)], got = gates(1, 3 + i), want = reference(x);
    if (std::abs(want) >= tiny)
      ASSERT_LE(std::abs(got - want), rtol * std::abs(want)) << birnn::to_string(a) << "(" << x << ") = " << got;
    else
      ASSERT_LE(std::abs(got - want), tiny) << birnn::to_string(a) << "(" << x << ") = " << got;
  }
  EXPECT_EQ(gates(0, 0), 42.0f);  // nothing outside the block changed
  EXPECT_EQ(gates(1, 2), 42.0f);
  // NaN stays NaN.
  Eigen::Matrix<float, 1, 5> nan = Eigen::Matrix<float, 1, 5>::Constant(std::numeric_limits<float>::quiet_NaN());
  birnn::detail::activate(a, nan);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(std::isnan(nan(i))) << birnn::to_string(a);
}

double sigmoid_whole_range(double x) {
  if (std::isinf(x)) return x > 0 ? 1.0 : 0.0;
  return 1.0 / (1.0 + std::exp(-x));
}
double hard_sigmoid_reference(double x) { return std::min(1.0, std::max(0.0, x / 6.0 + 0.5)); }

TEST(Activation, FloatTanhIsWithinOnePartPerMillionOverTheWholeFloatRange) {
  expect_whole_float_range(birnn::Activation::tanh, [](double x) { return std::tanh(x); }, 1e-6);
}

TEST(Activation, FloatSigmoidIsWithinOnePartPerMillionOverTheWholeFloatRange) {
  expect_whole_float_range(birnn::Activation::sigmoid, sigmoid_whole_range, 1e-6);
}

TEST(Activation, FloatHardSigmoidIsWithinOnePartPerMillionOverTheWholeFloatRange) {
  expect_whole_float_range(birnn::Activation::hard_sigmoid, hard_sigmoid_reference, 1e-6);
}

TEST(Activation, FloatKeras2HardSigmoidIsWithinOnePartPerMillionOverTheWholeFloatRange) {
  // tf.keras 2's backend.hard_sigmoid: clip(0.2 x + 0.5, 0, 1).
  expect_whole_float_range(birnn::Activation::hard_sigmoid_keras2,
                           [](double x) { return std::min(1.0, std::max(0.0, 0.2 * x + 0.5)); }, 1e-6);
  // Only Keras's names are read: birnn's name for it is not one.
  EXPECT_THROW(birnn::activation_from_string("hard_sigmoid_keras2"), birnn::config_error);
}

TEST(Activation, OthersFollowTheirKerasDefinitions) {
  const std::vector<double> xs{-7, -2.5, -1, -0.25, 0, 0.25, 1, 2.5, 7};
  const auto expect = [&](birnn::Activation a, double (*f)(double)) {
    const auto y = activated<double>(a, xs);
    for (std::size_t i = 0; i < xs.size(); ++i)
      EXPECT_NEAR(y[i], f(xs[i]), 1e-12 * (1 + std::abs(f(xs[i])))) << birnn::to_string(a) << "(" << xs[i] << ")";
  };
  using A = birnn::Activation;
  expect(A::linear, [](double x) { return x; });
  expect(A::relu, [](double x) { return std::max(x, 0.0); });
  expect(A::relu6, [](double x) { return std::min(std::max(x, 0.0), 6.0); });
  expect(A::elu, [](double x) { return x > 0 ? x : std::exp(x) - 1; });
  expect(A::selu, [](double x) {
    return 1.0507009873554804934193349852946 * (x > 0 ? x : 1.6732632423543772848170429916717 * (std::exp(x) - 1));
  });
  expect(A::softplus, [](double x) { return std::log1p(std::exp(x)); });
  expect(A::softsign, [](double x) { return x / (std::abs(x) + 1); });
  expect(A::exponential, [](double x) { return std::exp(x); });
  expect(A::silu, [](double x) { return x / (1 + std::exp(-x)); });
  expect(A::gelu, [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); });
}

TEST(Activation, SoftplusDoesNotOverflowForLargeInputs) {
  const auto y = activated<float>(birnn::Activation::softplus, {100.0, 1000.0, -1000.0});
  EXPECT_FLOAT_EQ(y[0], 100.0f);
  EXPECT_FLOAT_EQ(y[1], 1000.0f);
  EXPECT_EQ(y[2], 0.0f);
}

TEST(Activation, SoftmaxRowsArePositiveAndSumToOne) {
  birnn::Dense<double> dense(4, 4, birnn::Activation::softmax);
  dense.kernel().setIdentity();
  birnn::Batch<double> x(3, 4);
  x << 1, 2, 3, 4,  //
      -50, 0, 50, 700,  // would overflow exp without the max shift
      0.5, 0.5, 0.5, 0.5;
  const auto y = dense.forward(x);
  for (Eigen::Index r = 0; r < 3; ++r) {
    EXPECT_NEAR(y.row(r).sum(), 1.0, 1e-12) << "row " << r;
    EXPECT_TRUE((y.row(r).array() >= 0).all()) << "row " << r;
  }
  // softmax(x)_i / softmax(x)_j = exp(x_i - x_j), and equal inputs share equally.
  EXPECT_NEAR(y(0, 3) / y(0, 2), std::exp(1.0), 1e-12);
  EXPECT_NEAR(y(2, 1), 0.25, 1e-15);
}

TEST(Activation, SoftmaxOnASequenceNormalisesEveryStep) {
  birnn::Dense<float> dense(3, 3, birnn::Activation::softmax);
  dense.kernel().setIdentity();
  const auto y = dense.forward(random_sequence<float>(2, 4, 3, 11));
  for (Eigen::Index r = 0; r < y.matrix().rows(); ++r) EXPECT_NEAR(y.matrix().row(r).sum(), 1.0f, 1e-6f);
}

TEST(Activation, SwishIsAnotherNameForSilu) {
  EXPECT_EQ(birnn::activation_from_string("swish"), birnn::Activation::silu);
  EXPECT_EQ(birnn::activation_from_string("silu"), birnn::Activation::silu);
}

TEST(Activation, EveryKerasNameMapsBackToItsActivation) {
  for (int i = 0; i <= static_cast<int>(birnn::Activation::softmax); ++i) {
    const auto a = static_cast<birnn::Activation>(i);
    EXPECT_EQ(birnn::activation_from_string(birnn::to_string(a)), a) << birnn::to_string(a);
  }
  EXPECT_STREQ(birnn::to_string(birnn::Activation::hard_sigmoid), "hard_sigmoid");
}

TEST(Activation, AnUnknownNameThrowsAConfigErrorNamingIt) {
  EXPECT_THAT([] { (void)birnn::activation_from_string("swishy"); },
              ThrowsMessage<birnn::config_error>(HasSubstr("'swishy'")));
  EXPECT_THROW((void)birnn::activation_from_string(""), birnn::config_error);
}

// ---------------------------------------------------------------------------------------------
// Default layer names (Keras's)
// ---------------------------------------------------------------------------------------------

TEST(LayerNames, KerasClassNamesBecomeSnakeCase) {
  EXPECT_EQ(birnn::detail::default_layer_name("SimpleRNN"), "simple_rnn");
  EXPECT_EQ(birnn::detail::default_layer_name("LSTM"), "lstm");
  EXPECT_EQ(birnn::detail::default_layer_name("GRU"), "gru");
  EXPECT_EQ(birnn::detail::default_layer_name("Bidirectional"), "bidirectional");
}

TEST(LayerNames, AnUnnamedRnnTakesItsCellsKerasName) {
  EXPECT_EQ(birnn::Rnn<birnn::SimpleRNN<float>>(3, {2}).name(), "simple_rnn");
  EXPECT_EQ(birnn::Rnn<birnn::LSTM<float>>(3, {2}).name(), "lstm");
  EXPECT_EQ(birnn::Rnn<birnn::GRU<float>>(3, {2}).name(), "gru");
  birnn::LayerOptions named;
  named.name = "encoder";
  EXPECT_EQ(birnn::Rnn<birnn::GRU<float>>(3, {2}, named).name(), "encoder");
}

TEST(LayerNames, BidirectionalNamesItsLayersForwardAndBackward) {
  birnn::Bidirectional<birnn::SimpleRNN<float>> bi(3, {2});
  EXPECT_EQ(bi.name(), "bidirectional");
  EXPECT_EQ(bi.forward_layer().options().name, "forward_simple_rnn");
  EXPECT_EQ(bi.backward_layer().options().name, "backward_simple_rnn");
  EXPECT_FALSE(bi.forward_layer().options().go_backwards);
  EXPECT_TRUE(bi.backward_layer().options().go_backwards);
}

// ---------------------------------------------------------------------------------------------
// Identities that follow from Keras's rules
// ---------------------------------------------------------------------------------------------

using Lstm = birnn::LSTM<double>;
using Gru = birnn::GRU<double>;

TEST(Rnn, GoingBackwardsEqualsRunningForwardOverTheReversedSequence) {
  birnn::LayerOptions back;
  back.go_backwards = true;
  birnn::Rnn<Lstm, seq::all, st::keep> backwards(3, {4}, back), forwards(3, {4});
  const auto w = random_weights<double>(forwards.weight_specs(), 21);
  backwards.set_weights(w);
  forwards.set_weights(w);
  const auto x = random_sequence<double>(2, 5, 3, 22);

  auto [yb, hb, cb] = backwards.forward(x);
  auto [yf, hf, cf] = forwards.forward(reversed(x));

  // Keras returns a go_backwards sequence in processing order: step s is time T - 1 - s.
  EXPECT_LE(max_abs_difference(yb, yf), kExact);
  EXPECT_LE(max_abs_difference(hb, hf), kExact);
  EXPECT_LE(max_abs_difference(cb, cf), kExact);
}

TEST(Rnn, SequencesOfABatchDoNotInfluenceEachOther) {
  birnn::Rnn<Gru, seq::all, st::keep> gru(3, {4});
  gru.set_weights(random_weights<double>(gru.weight_specs(), 23));
  const auto x = random_sequence<double>(3, 4, 3, 24);
  auto [y, h] = gru.forward(x);
  for (Eigen::Index b = 0; b < 3; ++b) {
    auto [yb, hb] = gru.forward(one_sequence(x, b));
    EXPECT_LE(max_abs_difference(yb, one_sequence(y, b)), kExact) << "sequence " << b;
    EXPECT_LE(max_abs_difference(hb, h.row(b)), kExact) << "sequence " << b;
  }
}

TEST(Rnn, CallsWithOtherShapesInBetweenGiveTheSameResult) {
  birnn::Rnn<Lstm, seq::all, st::keep> lstm(3, {4});
  lstm.set_weights(random_weights<double>(lstm.weight_specs(), 25));
  const auto x = random_sequence<double>(2, 5, 3, 26);
  auto [y1, h1, c1] = lstm.forward(x);
  (void)lstm.forward(random_sequence<double>(4, 2, 3, 27));
  (void)lstm.forward(random_sequence<double>(1, 9, 3, 28));
  auto [y2, h2, c2] = lstm.forward(x);
  EXPECT_EQ(max_abs_difference(y1, y2), 0.0);
  EXPECT_EQ(max_abs_difference(h1, h2), 0.0);
  EXPECT_EQ(max_abs_difference(c1, c2), 0.0);
}

TEST(Rnn, AMaskThatKeepsEveryStepChangesNothing) {
  birnn::Rnn<Gru, seq::all, st::keep, birnn::mask::masked> with_mask(3, {4});
  birnn::Rnn<Gru, seq::all, st::keep> without_mask(3, {4});
  const auto w = random_weights<double>(without_mask.weight_specs(), 29);
  with_mask.set_weights(w);
  without_mask.set_weights(w);
  const auto x = random_sequence<double>(2, 5, 3, 30);
  const birnn::Mask all = birnn::Mask::Constant(2, 5, true);

  auto [ym, hm] = with_mask.forward(x, all);
  auto [y, h] = without_mask.forward(x);

  EXPECT_EQ(max_abs_difference(ym, y), 0.0);
  EXPECT_EQ(max_abs_difference(hm, h), 0.0);
}

TEST(Rnn, MaskedTrailingStepsRepeatTheLastOutputAndKeepTheStates) {
  birnn::Rnn<Lstm, seq::all, st::keep, birnn::mask::masked> lstm(3, {4});
  lstm.set_weights(random_weights<double>(lstm.weight_specs(), 31));
  const auto x = random_sequence<double>(1, 5, 3, 32);
  birnn::Mask mask(1, 5);
  mask << true, true, true, false, false;

  auto [y, h, c] = lstm.forward(x, mask);
  birnn::Rnn<Lstm, seq::all, st::keep> plain(3, {4});
  plain.set_weights(lstm.get_weights());
  auto [y3, h3, c3] = plain.forward(first_steps(x, 3));

  EXPECT_LE(max_abs_difference(first_steps(y, 3), y3), kExact);
  for (Eigen::Index t = 3; t < 5; ++t)
    for (Eigen::Index u = 0; u < 4; ++u) EXPECT_EQ(y(0, t, u), y(0, 2, u)) << "step " << t;
  EXPECT_LE(max_abs_difference(h, h3), kExact);
  EXPECT_LE(max_abs_difference(c, c3), kExact);
}

TEST(Rnn, ZeroOutputForMaskOutputsZerosAtMaskedSteps) {
  birnn::LayerOptions zeros;
  zeros.zero_output_for_mask = true;
  birnn::Rnn<Lstm, seq::all, st::discard, birnn::mask::masked> lstm(3, {4}, zeros);
  lstm.set_weights(random_weights<double>(lstm.weight_specs(), 33));
  birnn::Mask mask(1, 4);
  mask << true, false, true, false;
  const auto y = lstm.forward(random_sequence<double>(1, 4, 3, 34), mask);
  for (Eigen::Index u = 0; u < 4; ++u) {
    EXPECT_NE(y(0, 0, u), 0.0);
    EXPECT_EQ(y(0, 1, u), 0.0);
    EXPECT_EQ(y(0, 3, u), 0.0);
  }
}

TEST(Bidirectional, IsTheForwardLayerAndTheTimeReversedBackwardLayerSideBySide) {
  using Bi = birnn::Bidirectional<Lstm, birnn::merge::none, seq::all, st::keep>;
  Bi bi(3, {4});
  const auto wf = random_weights<double>(bi.forward_layer().weight_specs(), 35);
  const auto wb = random_weights<double>(bi.backward_layer().weight_specs(), 36);
  auto w = wf;
  w.insert(w.end(), wb.begin(), wb.end());
  bi.set_weights(w);
  birnn::LayerOptions back;
  back.go_backwards = true;
  birnn::Rnn<Lstm, seq::all, st::keep> forward(3, {4}), backward(3, {4}, back);
  forward.set_weights(wf);
  backward.set_weights(wb);
  const auto x = random_sequence<double>(2, 5, 3, 37);

  auto [yf, yb, fh, fc, bh, bc] = bi.forward(x);
  auto [rf, rfh, rfc] = forward.forward(x);
  auto [rb, rbh, rbc] = backward.forward(x);

  EXPECT_LE(max_abs_difference(yf, rf), kExact);
  // Bidirectional puts the backward sequence back into time order.
  EXPECT_LE(max_abs_difference(yb, reversed(rb)), kExact);
  EXPECT_LE(max_abs_difference(fh, rfh), kExact);
  EXPECT_LE(max_abs_difference(fc, rfc), kExact);
  EXPECT_LE(max_abs_difference(bh, rbh), kExact);
  EXPECT_LE(max_abs_difference(bc, rbc), kExact);
}

TEST(Bidirectional, MergeModesCombineTheTwoDirectionsElementWise) {
  const auto x = random_sequence<double>(2, 4, 3, 38);
  birnn::Bidirectional<Gru, birnn::merge::none, seq::all> none(3, {2});
  const auto w = random_weights<double>(specs_of(none), 39);
  none.set_weights(w);
  const auto parts = none.forward(x);
  const auto& f = parts.forward.matrix();
  const auto& b = parts.backward.matrix();

  birnn::Bidirectional<Gru, birnn::merge::concat, seq::all> concat(3, {2});
  birnn::Bidirectional<Gru, birnn::merge::sum, seq::all> sum(3, {2});
  birnn::Bidirectional<Gru, birnn::merge::mul, seq::all> mul(3, {2});
  birnn::Bidirectional<Gru, birnn::merge::ave, seq::all> ave(3, {2});
  concat.set_weights(w);
  sum.set_weights(w);
  mul.set_weights(w);
  ave.set_weights(w);

  const auto yc = concat.forward(x);
  ASSERT_EQ(yc.features(), 4);
  EXPECT_LE(max_abs_difference(yc.matrix().leftCols(2), f), kExact);
  EXPECT_LE(max_abs_difference(yc.matrix().rightCols(2), b), kExact);
  EXPECT_LE(max_abs_difference(sum.forward(x).matrix(), f + b), kExact);
  EXPECT_LE(max_abs_difference(mul.forward(x).matrix(), f.cwiseProduct(b)), kExact);
  EXPECT_LE(max_abs_difference(ave.forward(x).matrix(), (f + b) / 2), kExact);
}

TEST(Bidirectional, LastOutputsAreTheLastStepOfEachDirection) {
  birnn::Bidirectional<Lstm, birnn::merge::concat, seq::all> all(3, {2});
  birnn::Bidirectional<Lstm, birnn::merge::concat, seq::last> last(3, {2});
  const auto w = random_weights<double>(specs_of(all), 40);
  all.set_weights(w);
  last.set_weights(w);
  const auto x = random_sequence<double>(2, 4, 3, 41);
  const auto ys = all.forward(x);
  const auto y = last.forward(x);
  // Forward: its last step is time T - 1; backward: its last step is time 0 (in time order).
  for (Eigen::Index b = 0; b < 2; ++b)
    for (Eigen::Index u = 0; u < 2; ++u) {
      EXPECT_NEAR(y(b, u), ys(b, 3, u), kExact);
      EXPECT_NEAR(y(b, 2 + u), ys(b, 0, 2 + u), kExact);
    }
}

TEST(Bidirectional, WeightsChangedInPlaceTakeEffectOnTheNextCall) {
  using Bi = birnn::Bidirectional<Lstm, birnn::merge::none, seq::all, st::keep>;
  Bi bi(3, {2});
  bi.set_weights(random_weights<double>(specs_of(bi), 44));
  const auto x = random_sequence<double>(2, 4, 3, 45);
  const auto before = bi.forward(x);  // builds the fused input kernel

  bi.update_weights([](auto& forward_weights, auto& backward_weights) {
    forward_weights.kernel(0, 0) += 0.5;
    backward_weights.bias(1) -= 0.25;
  });
  const auto after = bi.forward(x);

  Bi fresh(3, {2});
  fresh.set_weights(bi.get_weights());
  const auto expected = fresh.forward(x);
  EXPECT_GT(max_abs_difference(std::get<0>(expected), std::get<0>(before)), 1e-6) << "the change matters";
  EXPECT_LE(max_abs_difference(std::get<0>(after), std::get<0>(expected)), kExact);
  EXPECT_LE(max_abs_difference(std::get<1>(after), std::get<1>(expected)), kExact);
}

TEST(Bidirectional, MaskedStepsOutputZerosWhenReturningSequences) {
  birnn::Bidirectional<Lstm, birnn::merge::concat, seq::all, st::discard, birnn::mask::masked> bi(3, {2});
  bi.set_weights(random_weights<double>(specs_of(bi), 42));
  birnn::Mask mask(1, 4);
  mask << true, false, true, false;
  const auto y = bi.forward(random_sequence<double>(1, 4, 3, 43), mask);
  for (Eigen::Index u = 0; u < 4; ++u) {
    EXPECT_NE(y(0, 0, u), 0.0);
    EXPECT_EQ(y(0, 1, u), 0.0);
    EXPECT_NE(y(0, 2, u), 0.0);
    EXPECT_EQ(y(0, 3, u), 0.0);
  }
}

}  // namespace
