// Keras's `dropout` and `recurrent_dropout` in training (`forward_train`), for SimpleRNN, LSTM,
// GRU (reset_after true and false), Rnn, Bidirectional and the runtime model:
// - rate 0 in training is the code without dropout, bit for bit, and inference ignores the rates;
// - with dropout only, a training pass equals a plain forward pass on `x * m`, built here from
//   the exposed mask (the mask broadcast over time, one mask shared by all gates);
// - with recurrent dropout, outputs and final states equal a naive per-step, per-gate
//   reference written below in double (Keras's implementation 1);
// - gradients with both kinds of dropout match central finite differences in double, the
//   masks held fixed by re-seeding before every evaluation (masks, go_backwards, initial
//   states, Bidirectional on its fused and per-direction projections, with a Worker);
// - the masks: zero fraction close to the rate, kept entries exactly 1 / (1 - rate), seeds,
//   new masks per call, independent directions, Keras's mask counts and shapes;
// - rates outside [0, 1) are config_errors naming the layer; JSON configs carry the rates.

#include <birnn/birnn.hpp>
#include <birnn/detail/dropout_rng.hpp>
#include <birnn/io/keras_model.hpp>
#include <birnn/model/layer.hpp>
#include <birnn/model/model.hpp>
#include <birnn/model/recurrent_layer.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace {

using birnn::LayerOptions;
using birnn::Mask;
using Matrix = Eigen::MatrixXd;
using SeqD = birnn::Sequence<double>;
using SeqF = birnn::Sequence<float>;

namespace mask = birnn::mask;
namespace merge = birnn::merge;
namespace sequences = birnn::sequences;
namespace state = birnn::state;

constexpr Eigen::Index kBatch = 3, kTime = 5, kInput = 4, kUnits = 3;

// ---- helpers ----

template <class Scalar>
birnn::Sequence<Scalar> random_sequence(Eigen::Index batch, Eigen::Index time, Eigen::Index features) {
  birnn::Sequence<Scalar> x(batch, time, features);
  x.matrix().setRandom();
  return x;
}

template <class L>
void randomize(L& layer, double scale = 0.7) {
  auto w = layer.get_weights();
  for (auto& t : w)
    for (auto& v : t.values) v = static_cast<std::decay_t<decltype(v)>>(scale * (2.0 * std::rand() / RAND_MAX - 1.0));
  layer.set_weights(w);
}

LayerOptions options(std::string name, double dropout, double recurrent_dropout, std::uint64_t seed,
                     bool go_backwards = false) {
  LayerOptions o;
  o.name = std::move(name);
  o.dropout = dropout;
  o.recurrent_dropout = recurrent_dropout;
  o.seed = seed;
  o.go_backwards = go_backwards;
  return o;
}

// Row b keeps its first time - b steps (post-padding), row 2 also masks step 1.
Mask padding_mask(Eigen::Index batch, Eigen::Index time) {
  Mask m(batch, time);
  m.setConstant(true);
  for (Eigen::Index b = 0; b < batch; ++b)
    for (Eigen::Index t = time - b; t < time; ++t) m(b, t) = false;
  if (batch > 2 && time > 2) m(2, 1) = false;
  return m;
}

// x with step t of sequence b multiplied by row b of `m`, written out element by element.
template <class Scalar, class M>
birnn::Sequence<Scalar> times_mask(const birnn::Sequence<Scalar>& x, const M& m) {
  birnn::Sequence<Scalar> y(x.batch(), x.time(), x.features());
  for (Eigen::Index b = 0; b < x.batch(); ++b)
    for (Eigen::Index t = 0; t < x.time(); ++t)
      for (Eigen::Index f = 0; f < x.features(); ++f) y(b, t, f) = x(b, t, f) * m(b, f);
  return y;
}

template <class A, class B>
void expect_near(const Eigen::MatrixBase<A>& got, const Eigen::MatrixBase<B>& want, double tol, const std::string& what) {
  ASSERT_EQ(got.rows(), want.rows()) << what;
  ASSERT_EQ(got.cols(), want.cols()) << what;
  for (Eigen::Index i = 0; i < got.rows(); ++i)
    for (Eigen::Index j = 0; j < got.cols(); ++j)
      ASSERT_NEAR(static_cast<double>(got(i, j)), static_cast<double>(want(i, j)), tol)
          << what << " (" << i << ", " << j << ")";
}

template <class A, class B>
void expect_equal(const Eigen::MatrixBase<A>& got, const Eigen::MatrixBase<B>& want, const std::string& what) {
  ASSERT_EQ(got.rows(), want.rows()) << what;
  ASSERT_EQ(got.cols(), want.cols()) << what;
  for (Eigen::Index i = 0; i < got.rows(); ++i)
    for (Eigen::Index j = 0; j < got.cols(); ++j)
      ASSERT_EQ(got(i, j), want(i, j)) << what << " (" << i << ", " << j << ")";
}

template <class Scalar>
void expect_same_gradients(const birnn::train::Gradients<Scalar>& a, const birnn::train::Gradients<Scalar>& b,
                           const std::string& what) {
  expect_equal(a.inputs.matrix(), b.inputs.matrix(), what + ": inputs");
  ASSERT_EQ(a.weights.size(), b.weights.size()) << what;
  for (std::size_t k = 0; k < a.weights.size(); ++k) {
    EXPECT_EQ(a.weights[k].shape, b.weights[k].shape) << what << ": weight " << k;
    EXPECT_EQ(a.weights[k].values, b.weights[k].values) << what << ": weight " << k;
  }
  ASSERT_EQ(a.initial_state.size(), b.initial_state.size()) << what;
  for (std::size_t k = 0; k < a.initial_state.size(); ++k)
    expect_equal(a.initial_state[k], b.initial_state[k], what + ": initial state " + std::to_string(k));
}

// Results and cotangents as lists of matrices, in the same order.
template <class D>
void add(std::vector<Matrix>& v, const Eigen::MatrixBase<D>& m) {
  v.push_back(m.template cast<double>());
}
template <class S, int F>
void add(std::vector<Matrix>& v, const birnn::Sequence<S, F>& s) {
  v.push_back(s.matrix().template cast<double>());
}
template <class T>
auto add(std::vector<Matrix>& v, const T& t) -> decltype(t.forward, t.backward, void()) {
  add(v, t.forward);
  add(v, t.backward);
}
template <class... T>
void add(std::vector<Matrix>& v, const std::tuple<T...>& t) {
  std::apply([&](const auto&... e) { (add(v, e), ...); }, t);
}
template <class T, std::size_t N>
void add(std::vector<Matrix>& v, const std::array<T, N>& a) {
  for (const auto& e : a) add(v, e);
}
template <class T>
std::vector<Matrix> flat(const T& t) {
  std::vector<Matrix> v;
  add(v, t);
  return v;
}

// Every state matrix of a cell's State or a Bidirectional's InitialState.
template <class T, std::size_t N, class F>
void for_each_state(std::array<T, N>& a, F&& f) {
  for (auto& e : a) f(e);
}
template <class T, class F>
auto for_each_state(T& t, F&& f) -> decltype(t.forward, t.backward, void()) {
  for_each_state(t.forward, f);
  for_each_state(t.backward, f);
}

// ---- the naive reference: Keras's cells per step and per gate block, in double ----

enum class Kind { simple_rnn, lstm, gru, gru_reset_before };

int gate_count(Kind k) { return k == Kind::simple_rnn ? 1 : k == Kind::lstm ? 4 : 3; }

Matrix to_matrix(const birnn::Tensor<double>& t) {
  const Eigen::Index rows = t.shape.size() == 1 ? 1 : t.shape[0];
  const Eigen::Index cols = t.shape.size() == 1 ? t.shape[0] : t.shape[1];
  Matrix m(rows, cols);
  for (Eigen::Index r = 0; r < rows; ++r)
    for (Eigen::Index c = 0; c < cols; ++c) m(r, c) = t.values[static_cast<std::size_t>(r * cols + c)];
  return m;
}

double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }
Eigen::RowVectorXd sigmoid(const Eigen::RowVectorXd& v) { return v.unaryExpr([](double e) { return sigmoid(e); }); }
Eigen::RowVectorXd tanh_of(const Eigen::RowVectorXd& v) { return v.array().tanh().matrix(); }

struct NaiveResult {
  Matrix outputs;  // (batch * time, units), processing order (reversed for go_backwards, as Keras returns it)
  Matrix h, c;     // final states (batch, units)
};

// `input_masks`: none, one shared, or one per gate; `recurrent_masks`: none or one per gate.
template <class IM, class RM>
NaiveResult naive(Kind kind, const std::vector<birnn::Tensor<double>>& w, const SeqD& x, const std::vector<IM>& input_masks,
                  const std::vector<RM>& recurrent_masks, bool go_backwards) {
  const Matrix W = to_matrix(w[0]), U = to_matrix(w[1]), bias = to_matrix(w[2]);
  const Eigen::Index u = U.rows(), batch = x.batch(), time = x.time();
  const Eigen::RowVectorXd b0 = bias.row(0);
  const Eigen::RowVectorXd b1 = bias.rows() > 1 ? Eigen::RowVectorXd(bias.row(1)) : Eigen::RowVectorXd::Zero(bias.cols());
  NaiveResult out{Matrix(batch * time, u), Matrix(batch, u), Matrix(batch, u)};
  for (Eigen::Index b = 0; b < batch; ++b) {
    Eigen::RowVectorXd h = Eigen::RowVectorXd::Zero(u), c = Eigen::RowVectorXd::Zero(u);
    for (Eigen::Index s = 0; s < time; ++s) {
      const Eigen::Index t = go_backwards ? time - 1 - s : s;
      Eigen::RowVectorXd xt(x.features());
      for (Eigen::Index f = 0; f < x.features(); ++f) xt(f) = x(b, t, f);
      // Gate k's input side (x * m_k) W_k + b0_k and recurrent side (h * r_k) U_k.
      auto in = [&](int k) -> Eigen::RowVectorXd {
        Eigen::RowVectorXd m = Eigen::RowVectorXd::Ones(x.features());
        if (!input_masks.empty()) m = input_masks[input_masks.size() == 1 ? 0 : static_cast<std::size_t>(k)].row(b).template cast<double>();
        return xt.cwiseProduct(m) * W.middleCols(k * u, u) + b0.segment(k * u, u);
      };
      auto dropped_h = [&](int k) -> Eigen::RowVectorXd {
        if (recurrent_masks.empty()) return h;
        return h.cwiseProduct(recurrent_masks[static_cast<std::size_t>(k)].row(b).template cast<double>());
      };
      auto rec = [&](int k) -> Eigen::RowVectorXd { return dropped_h(k) * U.middleCols(k * u, u); };
      switch (kind) {
        case Kind::simple_rnn:
          h = tanh_of(in(0) + rec(0));
          break;
        case Kind::lstm: {
          const Eigen::RowVectorXd i = sigmoid(in(0) + rec(0)), f = sigmoid(in(1) + rec(1));
          const Eigen::RowVectorXd g = tanh_of(in(2) + rec(2)), o = sigmoid(in(3) + rec(3));
          c = f.cwiseProduct(c) + i.cwiseProduct(g);
          h = o.cwiseProduct(tanh_of(c));
          break;
        }
        case Kind::gru: {
          const Eigen::RowVectorXd z = sigmoid(in(0) + rec(0) + b1.segment(0, u));
          const Eigen::RowVectorXd r = sigmoid(in(1) + rec(1) + b1.segment(u, u));
          const Eigen::RowVectorXd hh = tanh_of(in(2) + r.cwiseProduct(rec(2) + b1.segment(2 * u, u)));
          h = z.cwiseProduct(h) + (Eigen::RowVectorXd::Ones(u) - z).cwiseProduct(hh);
          break;
        }
        case Kind::gru_reset_before: {
          const Eigen::RowVectorXd z = sigmoid(in(0) + rec(0)), r = sigmoid(in(1) + rec(1));
          const Eigen::RowVectorXd hh = tanh_of(in(2) + r.cwiseProduct(dropped_h(2)) * U.middleCols(2 * u, u));
          h = z.cwiseProduct(h) + (Eigen::RowVectorXd::Ones(u) - z).cwiseProduct(hh);
          break;
        }
      }
      out.outputs.row(b * time + s) = h;
    }
    out.h.row(b) = h;
    out.c.row(b) = c;
  }
  return out;
}

template <class Cell>
typename Cell::Config config_for(Kind kind) {
  typename Cell::Config c;
  c.units = kUnits;
  if constexpr (std::is_same_v<Cell, birnn::GRU<double>> || std::is_same_v<Cell, birnn::GRU<float>>)
    c.reset_after = kind != Kind::gru_reset_before;
  return c;
}

template <class Cell>
void check_against_naive(Kind kind, double dropout, double recurrent_dropout, bool go_backwards) {
  SCOPED_TRACE(::testing::Message() << "kind " << static_cast<int>(kind) << ", dropout " << dropout
                                    << ", recurrent_dropout " << recurrent_dropout << ", go_backwards " << go_backwards);
  birnn::Rnn<Cell, sequences::all, state::keep> layer(kInput, config_for<Cell>(kind),
                                                     options("layer", dropout, recurrent_dropout, 11, go_backwards));
  randomize(layer);
  const SeqD x = random_sequence<double>(kBatch, kTime, kInput);
  const auto result = layer.forward_train(x);
  const auto& masks = layer.core().dropout_masks();
  // Keras's mask counts: implementation 1 (a mask per gate) as soon as recurrent_dropout > 0.
  const std::size_t gates = static_cast<std::size_t>(gate_count(kind));
  EXPECT_EQ(masks.input.size(), dropout == 0 ? 0u : recurrent_dropout > 0 ? gates : 1u);
  EXPECT_EQ(masks.recurrent.size(), recurrent_dropout == 0 ? 0u : gates);
  for (const auto& m : masks.input) {
    EXPECT_EQ(m.rows(), kBatch);
    EXPECT_EQ(m.cols(), kInput);
  }
  for (const auto& m : masks.recurrent) {
    EXPECT_EQ(m.rows(), kBatch);
    EXPECT_EQ(m.cols(), kUnits);
  }
  const NaiveResult want = naive(kind, layer.get_weights(), x, masks.input, masks.recurrent, go_backwards);
  expect_near(std::get<0>(result).matrix(), want.outputs, 1e-12, "output sequence");
  expect_near(std::get<1>(result), want.h, 1e-12, "final h");
  if constexpr (Cell::state_count == 2) expect_near(std::get<2>(result), want.c, 1e-12, "final c");
  // Sanity: the reference without the masks differs, so the comparison sees them.
  if (recurrent_dropout > 0) {
    const NaiveResult plain = naive(kind, layer.get_weights(), x, masks.input,
                                    std::vector<typename Cell::Hidden>{}, go_backwards);
    EXPECT_GT((plain.outputs - want.outputs).cwiseAbs().maxCoeff(), 1e-6);
  }
}

// ---- finite differences ----

constexpr double kEps = 1e-6;
constexpr double kTolerance = 1e-6;  // relative to max(1, |gradient|)

void expect_close(double analytic, double numeric, const std::string& what) {
  const double tol = kTolerance * std::max({1.0, std::abs(analytic), std::abs(numeric)});
  EXPECT_LE(std::abs(analytic - numeric), tol) << what << ": backward " << analytic << ", finite difference " << numeric;
}

double dot(const std::vector<Matrix>& a, const std::vector<Matrix>& b) {
  EXPECT_EQ(a.size(), b.size());
  double s = 0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) s += a[i].cwiseProduct(b[i]).sum();
  return s;
}

/// A layer with `sequences::all`, `state::keep` and `mask::masked` (Rnn or Bidirectional
/// with merge concat): every gradient against central differences, the masks held fixed by
/// `layer.reseed(seed)` before each evaluation. `Init` is the layer's initial-state type.
template <class L, class Init>
void check_gradients(L& layer, const Mask& mask, Init init, std::uint64_t seed) {
  const SeqD first_x = random_sequence<double>(kBatch, kTime, layer.input_size());
  SeqD x = first_x;
  layer.reseed(seed);
  const auto first = layer.forward_train(x, &mask, &init);
  std::vector<Matrix> cot;
  for (const auto& m : flat(first)) cot.push_back(Matrix::Random(m.rows(), m.cols()));
  auto loss = [&] {
    layer.reseed(seed);
    return dot(flat(layer.forward_train(x, &mask, &init)), cot);
  };
  // The cotangents in backward's types.
  SeqD dy(kBatch, kTime, cot[0].cols());
  dy.matrix() = cot[0];
  Init ds;
  std::size_t used = 1;
  for_each_state(ds, [&](auto& s) { s = cot[used++]; });
  ASSERT_EQ(used, cot.size());
  layer.reseed(seed);
  (void)layer.forward_train(x, &mask, &init);
  const birnn::train::Gradients<double> g = layer.backward(dy, &ds);

  for (Eigen::Index i = 0; i < x.matrix().size(); ++i) {
    double& p = x.matrix().data()[i];
    const double keep = p;
    p = keep + kEps;
    const double up = loss();
    p = keep - kEps;
    const double down = loss();
    p = keep;
    expect_close(g.inputs.matrix().data()[i], (up - down) / (2 * kEps), "input " + std::to_string(i));
  }
  auto w = layer.get_weights();
  ASSERT_EQ(g.weights.size(), w.size());
  for (std::size_t k = 0; k < w.size(); ++k) {
    ASSERT_EQ(g.weights[k].shape, w[k].shape);
    for (std::size_t i = 0; i < w[k].values.size(); ++i) {
      const double keep = w[k].values[i];
      w[k].values[i] = keep + kEps;
      layer.set_weights(w);
      const double up = loss();
      w[k].values[i] = keep - kEps;
      layer.set_weights(w);
      const double down = loss();
      w[k].values[i] = keep;
      layer.set_weights(w);
      expect_close(g.weights[k].values[i], (up - down) / (2 * kEps),
                   "weight " + std::to_string(k) + " element " + std::to_string(i));
    }
  }
  std::size_t k = 0;
  for_each_state(init, [&](auto& st) {
    ASSERT_LT(k, g.initial_state.size());
    for (Eigen::Index i = 0; i < st.size(); ++i) {
      double& p = st.data()[i];
      const double keep = p;
      p = keep + kEps;
      const double up = loss();
      p = keep - kEps;
      const double down = loss();
      p = keep;
      expect_close(g.initial_state[k].data()[i], (up - down) / (2 * kEps),
                   "initial state " + std::to_string(k) + " element " + std::to_string(i));
    }
    ++k;
  });
  EXPECT_EQ(k, g.initial_state.size());
}

template <class Cell>
typename Cell::State random_state() {
  typename Cell::State s;
  for (auto& h : s) h = Matrix::Random(kBatch, kUnits) * 0.8;
  return s;
}

template <class Cell>
void gradients_of_rnn(Kind kind, double dropout, double recurrent_dropout, bool go_backwards) {
  SCOPED_TRACE(::testing::Message() << "kind " << static_cast<int>(kind) << ", dropout " << dropout
                                    << ", recurrent_dropout " << recurrent_dropout << ", go_backwards " << go_backwards);
  birnn::Rnn<Cell, sequences::all, state::keep, mask::masked> layer(
      kInput, config_for<Cell>(kind), options("fd", dropout, recurrent_dropout, 5, go_backwards));
  randomize(layer);
  const Mask m = padding_mask(kBatch, kTime);
  // The masks are really there (else the check would not test them).
  layer.forward_train(random_sequence<double>(kBatch, kTime, kInput), &m);
  const auto& masks = layer.core().dropout_masks();
  ASSERT_EQ(masks.input.empty(), dropout == 0);
  ASSERT_EQ(masks.recurrent.empty(), recurrent_dropout == 0);
  check_gradients(layer, m, random_state<Cell>(), 5);
}

template <class Cell>
void gradients_of_bidirectional(Kind kind, double dropout, double recurrent_dropout, birnn::Worker* worker) {
  SCOPED_TRACE(::testing::Message() << "kind " << static_cast<int>(kind) << ", dropout " << dropout
                                    << ", recurrent_dropout " << recurrent_dropout << ", worker " << (worker != nullptr));
  using Bi = birnn::Bidirectional<Cell, merge::concat, sequences::all, state::keep, mask::masked>;
  Bi layer(kInput, config_for<Cell>(kind), options("bi_fd", dropout, recurrent_dropout, 9), "bi");
  layer.set_worker(worker);
  randomize(layer);
  typename Bi::InitialState init{random_state<Cell>(), random_state<Cell>()};
  check_gradients(layer, padding_mask(kBatch, kTime), init, 9);
}

// ---- mask statistics ----

template <class M>
double zero_fraction(const std::vector<M>& masks, double& count) {
  double zeros = 0;
  count = 0;
  for (const auto& m : masks) {
    zeros += static_cast<double>((m.array() == 0).count());
    count += static_cast<double>(m.size());
  }
  return zeros / count;
}

template <class M, class S>
void expect_kept_entries(const std::vector<M>& masks, S keep) {
  for (const auto& m : masks)
    for (Eigen::Index i = 0; i < m.rows(); ++i)
      for (Eigen::Index j = 0; j < m.cols(); ++j)
        if (m(i, j) != 0) {
          ASSERT_EQ(m(i, j), keep) << "(" << i << ", " << j << ")";
        }
}

template <class M>
bool same_masks(const std::vector<M>& a, const std::vector<M>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t k = 0; k < a.size(); ++k)
    if (a[k].rows() != b[k].rows() || a[k].cols() != b[k].cols() || a[k] != b[k]) return false;
  return true;
}

}  // namespace

// =============================================================================================
// rate 0 and inference
// =============================================================================================

// Rate 0 in training runs the code without dropout: forward_train gives exactly forward's
// outputs, and the gradients of a layer whose rates were set back to 0 after a pass with
// dropout are exactly those of a layer that never had any (no stale mask is used).
template <class Cell>
void rate_zero_is_the_plain_code(Kind kind) {
  SCOPED_TRACE(::testing::Message() << "kind " << static_cast<int>(kind));
  using R = birnn::Rnn<Cell, sequences::all, state::keep, mask::masked>;
  R plain(kInput, config_for<Cell>(kind), options("plain", 0, 0, 1));
  R used(kInput, config_for<Cell>(kind), options("used", 0.4, 0.3, 2));
  randomize(plain);
  used.set_weights(plain.get_weights());
  const SeqD x = random_sequence<double>(kBatch, kTime, kInput);
  const Mask m = padding_mask(kBatch, kTime);
  const auto init = random_state<Cell>();
  const auto inferred = flat(plain.call(x, &m, &init));
  const auto trained = flat(plain.forward_train(x, &m, &init));
  ASSERT_EQ(inferred.size(), trained.size());
  for (std::size_t i = 0; i < inferred.size(); ++i) expect_equal(trained[i], inferred[i], "output " + std::to_string(i));
  EXPECT_TRUE(plain.core().dropout_masks().input.empty());
  EXPECT_TRUE(plain.core().dropout_masks().recurrent.empty());

  SeqD dy(kBatch, kTime, kUnits);
  dy.matrix().setRandom();
  typename Cell::State ds = random_state<Cell>();
  const auto g_plain = plain.backward(dy, &ds);

  (void)used.forward_train(x, &m, &init);  // draws masks
  ASSERT_FALSE(used.core().dropout_masks().recurrent.empty());
  used.core().options().dropout = 0;
  used.core().options().recurrent_dropout = 0;
  const auto again = flat(used.forward_train(x, &m, &init));
  for (std::size_t i = 0; i < inferred.size(); ++i) expect_equal(again[i], inferred[i], "output after rates 0 " + std::to_string(i));
  EXPECT_TRUE(used.core().dropout_masks().input.empty());
  EXPECT_TRUE(used.core().dropout_masks().recurrent.empty());
  expect_same_gradients(used.backward(dy, &ds), g_plain, "rates set to 0");
}

TEST(Dropout, RateZeroInTrainingIsThePlainCodeBitForBit) {
  rate_zero_is_the_plain_code<birnn::SimpleRNN<double>>(Kind::simple_rnn);
  rate_zero_is_the_plain_code<birnn::LSTM<double>>(Kind::lstm);
  rate_zero_is_the_plain_code<birnn::GRU<double>>(Kind::gru);
  rate_zero_is_the_plain_code<birnn::GRU<double>>(Kind::gru_reset_before);
}

TEST(Dropout, RateZeroBidirectionalTrainingIsThePlainCodeBitForBit) {
  using Bi = birnn::Bidirectional<birnn::LSTM<float>, merge::concat, sequences::all, state::keep, mask::masked>;
  Bi plain(kInput, {kUnits});
  Bi zero(kInput, {kUnits}, options("zero", 0, 0, 3));
  randomize(plain);
  zero.set_weights(plain.get_weights());
  const SeqF x = random_sequence<float>(kBatch, kTime, kInput);
  const Mask m = padding_mask(kBatch, kTime);
  const auto inferred = flat(plain.call(x, &m, nullptr));
  const auto trained = flat(zero.forward_train(x, &m));
  (void)plain.forward_train(x, &m);
  for (std::size_t i = 0; i < inferred.size(); ++i) expect_equal(trained[i], inferred[i], "output " + std::to_string(i));
  SeqF dy(kBatch, kTime, 2 * kUnits);
  dy.matrix().setRandom();
  expect_same_gradients(zero.backward(dy), plain.backward(dy), "Bidirectional, rates 0");
}

// Inference ignores the rates: forward/call and Model::predict give exactly the outputs of
// the same layers without dropout, also right after a training pass that used dropout.
TEST(Dropout, InferenceIgnoresTheRates) {
  {
    using R = birnn::Rnn<birnn::GRU<float>, sequences::all, state::keep>;
    R with(kInput, {kUnits}, options("with", 0.5, 0.3, 4));
    R without(kInput, {kUnits});
    randomize(with);
    without.set_weights(with.get_weights());
    const SeqF x = random_sequence<float>(kBatch, kTime, kInput);
    const auto want = flat(without.forward(x));
    auto got = flat(with.forward(x));
    for (std::size_t i = 0; i < want.size(); ++i) expect_equal(got[i], want[i], "Rnn forward " + std::to_string(i));
    const auto trained = flat(with.forward_train(x));
    EXPECT_GT((trained[0] - want[0]).cwiseAbs().maxCoeff(), 1e-4) << "training uses dropout";
    got = flat(with.forward(x));
    for (std::size_t i = 0; i < want.size(); ++i) expect_equal(got[i], want[i], "Rnn forward after training " + std::to_string(i));
  }
  {
    using Bi = birnn::Bidirectional<birnn::LSTM<float>, merge::sum, sequences::last, state::keep, mask::masked>;
    Bi with(kInput, {kUnits}, options("bi", 0.5, 0.5, 4));
    Bi without(kInput, {kUnits});
    randomize(with);
    without.set_weights(with.get_weights());
    const SeqF x = random_sequence<float>(kBatch, kTime, kInput);
    const Mask m = padding_mask(kBatch, kTime);
    const auto want = flat(without.forward(x, m));
    (void)with.forward_train(x, &m);
    const auto got = flat(with.forward(x, m));
    for (std::size_t i = 0; i < want.size(); ++i) expect_equal(got[i], want[i], "Bidirectional forward " + std::to_string(i));
  }
  {
    auto model = [](double dropout, double recurrent_dropout) {
      birnn::Model<float> mdl({kTime, kInput});
      mdl.emplace<birnn::RecurrentLayer<birnn::LSTM<float>>>(kInput, birnn::LSTM<float>::Config{kUnits},
                                                             options("lstm", dropout, recurrent_dropout, 1), true, false);
      mdl.emplace<birnn::BidirectionalLayer<birnn::GRU<float>>>(
          kUnits, birnn::GRU<float>::Config{kUnits}, options("gru", dropout, recurrent_dropout, 2), birnn::MergeMode::concat,
          false);
      return mdl;
    };
    auto with = model(0.4, 0.3), without = model(0, 0);
    randomize(without);
    with.set_weights(without.get_weights());
    const SeqF x = random_sequence<float>(kBatch, kTime, kInput);
    const Mask m = padding_mask(kBatch, kTime);
    const auto want = without.predict(x, m);
    auto got = with.predict(x, m);
    expect_equal(got[0].matrix, want[0].matrix, "Model predict");
    const auto trained = with.forward_train(x, m);
    EXPECT_GT((trained[0].matrix - want[0].matrix).cwiseAbs().maxCoeff(), 1e-4) << "forward_train uses dropout";
    got = with.predict(x, m);
    expect_equal(got[0].matrix, want[0].matrix, "Model predict after forward_train");
  }
}

// =============================================================================================
// dropout only: a training pass is a plain pass on x * m
// =============================================================================================

template <class Cell>
void dropout_only_is_forward_on_masked_input(Kind kind) {
  SCOPED_TRACE(::testing::Message() << "kind " << static_cast<int>(kind));
  using Scalar = typename Cell::Scalar;
  using R = birnn::Rnn<Cell, sequences::all, state::keep, mask::masked>;
  for (bool go_backwards : {false, true}) {
    R layer(kInput, config_for<Cell>(kind), options("drop", 0.4, 0, 21, go_backwards));
    R plain(kInput, config_for<Cell>(kind), options("plain", 0, 0, 0, go_backwards));
    randomize(layer);
    plain.set_weights(layer.get_weights());
    const auto x = random_sequence<Scalar>(kBatch, kTime, kInput);
    const Mask m = padding_mask(kBatch, kTime);
    const auto got = flat(layer.forward_train(x, &m));
    const auto& masks = layer.core().dropout_masks();
    ASSERT_EQ(masks.input.size(), 1u) << "one input mask shared by all gates (Keras's implementation 2)";
    EXPECT_TRUE(masks.recurrent.empty());
    ASSERT_EQ(masks.input[0].rows(), kBatch);
    ASSERT_EQ(masks.input[0].cols(), kInput);
    const auto want = flat(plain.forward(times_mask(x, masks.input[0]), m));
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i) expect_near(got[i], want[i], 1e-6, "output " + std::to_string(i));
    // And not the output without the mask.
    EXPECT_GT((flat(plain.forward(x, m))[0] - got[0]).cwiseAbs().maxCoeff(), 1e-4);
  }
}

TEST(Dropout, DropoutOnlyEqualsForwardOnTheMaskedInputRnn) {
  dropout_only_is_forward_on_masked_input<birnn::SimpleRNN<float>>(Kind::simple_rnn);
  dropout_only_is_forward_on_masked_input<birnn::LSTM<float>>(Kind::lstm);
  dropout_only_is_forward_on_masked_input<birnn::GRU<float>>(Kind::gru);
  dropout_only_is_forward_on_masked_input<birnn::GRU<float>>(Kind::gru_reset_before);
  dropout_only_is_forward_on_masked_input<birnn::LSTM<double>>(Kind::lstm);
}

// Each direction of a Bidirectional masks its own copy of the input: forward output = the
// forward direction of a plain layer on x * m_forward, backward output = the backward
// direction of a plain layer on x * m_backward.
template <class Cell>
void bidirectional_dropout_only(Kind kind, birnn::Worker* worker) {
  SCOPED_TRACE(::testing::Message() << "kind " << static_cast<int>(kind) << ", worker " << (worker != nullptr));
  using Bi = birnn::Bidirectional<Cell, merge::none, sequences::all, state::keep, mask::masked>;
  Bi layer(kInput, config_for<Cell>(kind), options("bi_drop", 0.5, 0, 8));
  Bi plain(kInput, config_for<Cell>(kind));
  layer.set_worker(worker);
  randomize(layer);
  plain.set_weights(layer.get_weights());
  const auto x = random_sequence<float>(kBatch, kTime, kInput);
  const Mask m = padding_mask(kBatch, kTime);
  const auto got = layer.forward_train(x, &m);
  const auto& mf = layer.forward_layer().dropout_masks();
  const auto& mb = layer.backward_layer().dropout_masks();
  ASSERT_EQ(mf.input.size(), 1u);
  ASSERT_EQ(mb.input.size(), 1u);
  EXPECT_NE(mf.input[0], mb.input[0]) << "the directions draw independent masks";
  const auto on_forward = plain.forward(times_mask(x, mf.input[0]), m);
  const auto on_backward = plain.forward(times_mask(x, mb.input[0]), m);
  expect_near(std::get<0>(got).matrix(), std::get<0>(on_forward).matrix(), 1e-6, "forward output");
  expect_near(std::get<1>(got).matrix(), std::get<1>(on_backward).matrix(), 1e-6, "backward output");
  constexpr std::size_t s = Cell::state_count;
  for (std::size_t k = 0; k < s; ++k) {
    const auto gf = flat(got), wf = flat(on_forward), wb = flat(on_backward);
    expect_near(gf[2 + k], wf[2 + k], 1e-6, "forward state " + std::to_string(k));
    expect_near(gf[2 + s + k], wb[2 + s + k], 1e-6, "backward state " + std::to_string(k));
  }
}

TEST(Dropout, DropoutOnlyEqualsForwardOnTheMaskedInputBidirectional) {
  birnn::Worker worker;
  bidirectional_dropout_only<birnn::SimpleRNN<float>>(Kind::simple_rnn, nullptr);
  bidirectional_dropout_only<birnn::LSTM<float>>(Kind::lstm, nullptr);
  bidirectional_dropout_only<birnn::GRU<float>>(Kind::gru, &worker);
  bidirectional_dropout_only<birnn::GRU<float>>(Kind::gru_reset_before, nullptr);
}

// A Bidirectional with another backward cell, and the concat merge: same check on the merged output.
TEST(Dropout, DropoutOnlyBidirectionalWithAnotherBackwardCell) {
  using Bi = birnn::Bidirectional<birnn::LSTM<float>, merge::concat, sequences::last, state::discard, mask::none,
                                  birnn::GRU<float>>;
  Bi layer(kInput, {kUnits}, options("forward_l", 0.3, 0, 1), {2}, options("backward_g", 0.6, 0, 2, true));
  Bi plain(kInput, {kUnits}, options("forward_l", 0, 0, 1), {2}, options("backward_g", 0, 0, 2, true));
  randomize(layer);
  plain.set_weights(layer.get_weights());
  const auto x = random_sequence<float>(kBatch, kTime, kInput);
  const auto got = layer.forward_train(x);
  const auto& mf = layer.forward_layer().dropout_masks().input;
  const auto& mb = layer.backward_layer().dropout_masks().input;
  ASSERT_EQ(mf.size(), 1u);
  ASSERT_EQ(mb.size(), 1u);
  const auto want_f = plain.forward(times_mask(x, mf[0]));
  const auto want_b = plain.forward(times_mask(x, mb[0]));
  expect_near(got.leftCols(kUnits), want_f.leftCols(kUnits), 1e-6, "forward half");
  expect_near(got.rightCols(2), want_b.rightCols(2), 1e-6, "backward half");
}

// =============================================================================================
// recurrent dropout: against the naive per-gate reference
// =============================================================================================

TEST(Dropout, RecurrentDropoutMatchesTheNaiveReference) {
  for (bool go_backwards : {false, true}) {
    for (double dropout : {0.0, 0.3}) {
      check_against_naive<birnn::SimpleRNN<double>>(Kind::simple_rnn, dropout, 0.4, go_backwards);
      check_against_naive<birnn::LSTM<double>>(Kind::lstm, dropout, 0.4, go_backwards);
      check_against_naive<birnn::GRU<double>>(Kind::gru, dropout, 0.4, go_backwards);
      check_against_naive<birnn::GRU<double>>(Kind::gru_reset_before, dropout, 0.4, go_backwards);
    }
  }
  // Dropout only, through the same reference (one shared input mask).
  check_against_naive<birnn::LSTM<double>>(Kind::lstm, 0.3, 0.0, false);
  check_against_naive<birnn::GRU<double>>(Kind::gru_reset_before, 0.3, 0.0, true);
}

// Bidirectional with recurrent dropout only keeps the fused projection; each direction still
// applies its own recurrent masks: compare with the naive reference per direction.
TEST(Dropout, BidirectionalRecurrentDropoutMatchesTheNaiveReference) {
  using Bi = birnn::Bidirectional<birnn::GRU<double>, merge::none, sequences::all, state::keep>;
  for (double dropout : {0.0, 0.25}) {
    Bi layer(kInput, {kUnits}, options("bi_rec", dropout, 0.5, 13));
    randomize(layer);
    const SeqD x = random_sequence<double>(kBatch, kTime, kInput);
    const auto got = layer.forward_train(x);
    const auto& mf = layer.forward_layer().dropout_masks();
    const auto& mb = layer.backward_layer().dropout_masks();
    ASSERT_EQ(mf.recurrent.size(), 3u);
    ASSERT_EQ(mf.input.size(), dropout > 0 ? 3u : 0u);
    const auto w = layer.get_weights();
    const std::vector<birnn::Tensor<double>> wf(w.begin(), w.begin() + 3), wb(w.begin() + 3, w.end());
    const NaiveResult f = naive(Kind::gru, wf, x, mf.input, mf.recurrent, false);
    const NaiveResult b = naive(Kind::gru, wb, x, mb.input, mb.recurrent, true);
    expect_near(std::get<0>(got).matrix(), f.outputs, 1e-12, "forward sequence");
    // The backward sequence is returned in time order: row t is processing step time - 1 - t.
    Matrix b_in_time(b.outputs.rows(), b.outputs.cols());
    for (Eigen::Index s = 0; s < kBatch; ++s)
      for (Eigen::Index t = 0; t < kTime; ++t) b_in_time.row(s * kTime + t) = b.outputs.row(s * kTime + kTime - 1 - t);
    expect_near(std::get<1>(got).matrix(), b_in_time, 1e-12, "backward sequence");
    expect_near(std::get<2>(got), f.h, 1e-12, "forward h");
    expect_near(std::get<3>(got), b.h, 1e-12, "backward h");
  }
}

// =============================================================================================
// gradients: central finite differences in double, masks held fixed by re-seeding
// =============================================================================================

TEST(DropoutGradients, SimpleRnnMatchesFiniteDifferences) {
  for (bool go_backwards : {false, true}) {
    gradients_of_rnn<birnn::SimpleRNN<double>>(Kind::simple_rnn, 0.3, 0.4, go_backwards);
    gradients_of_rnn<birnn::SimpleRNN<double>>(Kind::simple_rnn, 0.3, 0.0, go_backwards);
  }
}

TEST(DropoutGradients, LstmMatchesFiniteDifferences) {
  for (bool go_backwards : {false, true}) {
    gradients_of_rnn<birnn::LSTM<double>>(Kind::lstm, 0.3, 0.4, go_backwards);
    gradients_of_rnn<birnn::LSTM<double>>(Kind::lstm, 0.0, 0.4, go_backwards);
    gradients_of_rnn<birnn::LSTM<double>>(Kind::lstm, 0.3, 0.0, go_backwards);
  }
}

TEST(DropoutGradients, GruMatchesFiniteDifferences) {
  for (Kind kind : {Kind::gru, Kind::gru_reset_before}) {
    for (bool go_backwards : {false, true}) {
      gradients_of_rnn<birnn::GRU<double>>(kind, 0.3, 0.4, go_backwards);
      gradients_of_rnn<birnn::GRU<double>>(kind, 0.0, 0.4, go_backwards);
      gradients_of_rnn<birnn::GRU<double>>(kind, 0.3, 0.0, go_backwards);
    }
  }
}

// Through Bidirectional: per-direction projections (dropout > 0) and the fused projection
// (recurrent dropout only), with and without a Worker.
TEST(DropoutGradients, BidirectionalMatchesFiniteDifferences) {
  birnn::Worker worker;
  gradients_of_bidirectional<birnn::LSTM<double>>(Kind::lstm, 0.3, 0.4, nullptr);
  gradients_of_bidirectional<birnn::LSTM<double>>(Kind::lstm, 0.3, 0.0, &worker);
  gradients_of_bidirectional<birnn::GRU<double>>(Kind::gru, 0.0, 0.4, nullptr);
  gradients_of_bidirectional<birnn::GRU<double>>(Kind::gru_reset_before, 0.3, 0.4, &worker);
  gradients_of_bidirectional<birnn::SimpleRNN<double>>(Kind::simple_rnn, 0.3, 0.4, nullptr);
}

// =============================================================================================
// the masks
// =============================================================================================

// The generator's bits are std::mt19937_64's, whose 10000th output from the default seed
// 5489 the C++ standard fixes at 9981545732273789042; uniforms are its top 53 bits * 2^-53.
TEST(DropoutMasks, GeneratorIsPortable) {
  birnn::detail::DropoutRng rng(5489u);
  for (int i = 1; i < 10000; ++i) (void)rng.uniform();
  EXPECT_EQ(rng.uniform(), static_cast<double>(9981545732273789042ULL >> 11) / 9007199254740992.0);
  rng.seed(5489u);
  std::mt19937_64 reference;
  for (int i = 0; i < 100; ++i) EXPECT_EQ(rng.uniform(), static_cast<double>(reference() >> 11) / 9007199254740992.0);
}

TEST(DropoutMasks, ZeroFractionIsTheRateAndKeptEntriesAreInverted) {
  constexpr Eigen::Index batch = 300, input = 40, units = 30;
  for (double rate : {0.1, 0.3, 0.5, 0.85}) {
    SCOPED_TRACE(rate);
    birnn::Rnn<birnn::LSTM<float>> layer(input, {units}, options("stats", rate, rate / 2, 77));
    const auto x = random_sequence<float>(batch, 2, input);
    (void)layer.forward_train(x);
    const auto& masks = layer.core().dropout_masks();
    ASSERT_EQ(masks.input.size(), 4u);
    ASSERT_EQ(masks.recurrent.size(), 4u);
    double n_in = 0, n_rec = 0;
    const double f_in = zero_fraction(masks.input, n_in), f_rec = zero_fraction(masks.recurrent, n_rec);
    // Binomial: 5 standard deviations (a false alarm about once in 3.5 million).
    EXPECT_NEAR(f_in, rate, 5 * std::sqrt(rate * (1 - rate) / n_in));
    EXPECT_NEAR(f_rec, rate / 2, 5 * std::sqrt(rate / 2 * (1 - rate / 2) / n_rec));
    expect_kept_entries(masks.input, static_cast<float>(1.0 / (1.0 - rate)));
    expect_kept_entries(masks.recurrent, static_cast<float>(1.0 / (1.0 - rate / 2)));
    // Every gate and every sequence has its own mask.
    for (std::size_t k = 1; k < 4; ++k) {
      EXPECT_NE(masks.input[k], masks.input[0]);
      EXPECT_NE(masks.recurrent[k], masks.recurrent[0]);
    }
    EXPECT_NE(masks.input[0].row(0), masks.input[0].row(1));
  }
  // Double masks hold the double value.
  birnn::Rnn<birnn::SimpleRNN<double>> d(input, {units}, options("d", 0.3, 0.3, 1));
  (void)d.forward_train(random_sequence<double>(batch, 2, input));
  expect_kept_entries(d.core().dropout_masks().input, 1.0 / (1.0 - 0.3));
  expect_kept_entries(d.core().dropout_masks().recurrent, 1.0 / (1.0 - 0.3));
}

TEST(DropoutMasks, SeedsDecideTheMasks) {
  using R = birnn::Rnn<birnn::GRU<float>>;
  const auto x = random_sequence<float>(kBatch, kTime, kInput);
  R a(kInput, {kUnits}, options("a", 0.5, 0.5, 42));
  R b(kInput, {kUnits}, options("b", 0.5, 0.5, 42));  // another name, the same seed
  R c(kInput, {kUnits}, options("a", 0.5, 0.5, 43));
  (void)a.forward_train(x);
  (void)b.forward_train(x);
  (void)c.forward_train(x);
  EXPECT_EQ(a.core().seed(), 42u);
  EXPECT_TRUE(same_masks(a.core().dropout_masks().input, b.core().dropout_masks().input));
  EXPECT_TRUE(same_masks(a.core().dropout_masks().recurrent, b.core().dropout_masks().recurrent));
  EXPECT_FALSE(same_masks(a.core().dropout_masks().input, c.core().dropout_masks().input));
  EXPECT_FALSE(same_masks(a.core().dropout_masks().recurrent, c.core().dropout_masks().recurrent));
  // Each call draws new masks; reseeding repeats the stream.
  const auto first = a.core().dropout_masks();
  (void)a.forward_train(x);
  EXPECT_FALSE(same_masks(first.input, a.core().dropout_masks().input));
  EXPECT_FALSE(same_masks(first.recurrent, a.core().dropout_masks().recurrent));
  a.reseed(42);
  (void)a.forward_train(x);
  EXPECT_TRUE(same_masks(first.input, a.core().dropout_masks().input));
  EXPECT_TRUE(same_masks(first.recurrent, a.core().dropout_masks().recurrent));
  // Inference draws nothing: the next training pass gets the second masks of the stream.
  R d(kInput, {kUnits}, options("d", 0.5, 0.5, 42));
  (void)d.forward_train(x);
  (void)d.forward_train(x);
  const auto second = d.core().dropout_masks();
  a.reseed(42);
  (void)a.forward_train(x);
  (void)a.forward(x);
  (void)a.forward_train(x);
  EXPECT_TRUE(same_masks(second.input, a.core().dropout_masks().input));
  // Without a seed: derived from the name, so equal names repeat and different names differ.
  LayerOptions unseeded;
  unseeded.dropout = 0.5;
  unseeded.name = "same";
  R e(kInput, {kUnits}, unseeded), f(kInput, {kUnits}, unseeded);
  unseeded.name = "other";
  R g(kInput, {kUnits}, unseeded);
  (void)e.forward_train(x);
  (void)f.forward_train(x);
  (void)g.forward_train(x);
  EXPECT_EQ(e.core().seed(), birnn::detail::seed_from_name("same"));
  EXPECT_TRUE(same_masks(e.core().dropout_masks().input, f.core().dropout_masks().input));
  EXPECT_FALSE(same_masks(e.core().dropout_masks().input, g.core().dropout_masks().input));
}

TEST(DropoutMasks, TheTwoDirectionsDrawIndependentMasks) {
  using Bi = birnn::Bidirectional<birnn::LSTM<float>>;
  const auto x = random_sequence<float>(kBatch, kTime, kInput);
  for (bool seeded : {true, false}) {
    SCOPED_TRACE(seeded);
    LayerOptions o = options("lstm", 0.5, 0.5, 7);
    if (!seeded) o.seed.reset();
    Bi bi(kInput, {kUnits}, o);
    EXPECT_EQ(bi.forward_layer().options().name, "forward_lstm");
    EXPECT_EQ(bi.backward_layer().options().name, "backward_lstm");
    EXPECT_EQ(bi.backward_layer().options().dropout, 0.5);
    EXPECT_EQ(bi.backward_layer().options().recurrent_dropout, 0.5);
    EXPECT_NE(bi.forward_layer().seed(), bi.backward_layer().seed());
    if (seeded) {
      EXPECT_EQ(bi.forward_layer().seed(), 7u);
      EXPECT_EQ(bi.backward_layer().seed(), birnn::detail::backward_direction_seed(7));
    }
    (void)bi.forward_train(x);
    const auto& f = bi.forward_layer().dropout_masks();
    const auto& b = bi.backward_layer().dropout_masks();
    ASSERT_EQ(f.input.size(), 4u);
    ASSERT_EQ(b.input.size(), 4u);
    for (std::size_t k = 0; k < 4; ++k) {
      EXPECT_NE(f.input[k], b.input[k]);
      EXPECT_NE(f.recurrent[k], b.recurrent[k]);
    }
  }
}

// =============================================================================================
// errors and JSON
// =============================================================================================

template <class F>
void expect_config_error(F&& f, const std::string& name, const std::string& what) {
  try {
    f();
    ADD_FAILURE() << "expected a config_error for " << what;
  } catch (const birnn::config_error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("'" + name + "'"), std::string::npos) << message;
    EXPECT_NE(message.find(what), std::string::npos) << message;
  }
}

TEST(DropoutErrors, RatesOutsideZeroToOneAreConfigErrorsNamingTheLayer) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (double bad : {1.0, 1.5, -0.1, nan}) {
    SCOPED_TRACE(bad);
    expect_config_error([&] { birnn::Rnn<birnn::LSTM<float>> l(kInput, {kUnits}, options("my_lstm", bad, 0, 1)); },
                        "my_lstm", "dropout");
    expect_config_error(
        [&] { birnn::Rnn<birnn::GRU<float>> l(kInput, {kUnits}, options("my_gru", 0, bad, 1)); }, "my_gru",
        "recurrent_dropout");
    expect_config_error(
        [&] { birnn::Bidirectional<birnn::SimpleRNN<float>> l(kInput, {kUnits}, options("rnn", bad, 0, 1)); },
        "forward_rnn", "dropout");
    expect_config_error(
        [&] {
          birnn::RecurrentLayer<birnn::LSTM<float>> l(kInput, {kUnits}, options("runtime", 0, bad, 1), true, false);
        },
        "runtime", "recurrent_dropout");
    expect_config_error(
        [&] {
          birnn::BidirectionalLayer<birnn::GRU<float>> l(kInput, {kUnits}, options("bi_rt", bad, 0, 1),
                                                         birnn::MergeMode::concat, true);
        },
        "forward_bi_rt", "dropout");
  }
  // Rates just below 1 are accepted.
  birnn::Rnn<birnn::LSTM<float>> ok(kInput, {kUnits}, options("ok", 0.999, 0.999, 1));
  (void)ok.forward_train(random_sequence<float>(kBatch, kTime, kInput));
  // A rate changed to a bad one after construction is rejected by the next training pass;
  // inference is unaffected.
  birnn::Rnn<birnn::LSTM<float>> later(kInput, {kUnits}, options("later", 0.2, 0, 1));
  later.core().options().dropout = 1.0;
  const auto x = random_sequence<float>(kBatch, kTime, kInput);
  expect_config_error([&] { (void)later.forward_train(x); }, "later", "dropout");
  EXPECT_NO_THROW((void)later.forward(x));
}

namespace {

nlohmann::json recurrent_json(const std::string& cls, const std::string& name, nlohmann::json extra) {
  nlohmann::json c = {{"name", name}, {"units", kUnits}, {"return_sequences", true}};
  for (auto it = extra.begin(); it != extra.end(); ++it) c[it.key()] = it.value();
  return {{"class_name", cls}, {"config", c}};
}

nlohmann::json sequential(std::vector<nlohmann::json> layers) {
  nlohmann::json list = nlohmann::json::array();
  list.push_back({{"class_name", "InputLayer"}, {"config", {{"batch_shape", {nullptr, kTime, kInput}}}}});
  for (auto& l : layers) list.push_back(std::move(l));
  return {{"class_name", "Sequential"}, {"config", {{"name", "seq"}, {"layers", list}}}};
}

}  // namespace

TEST(DropoutJson, RatesAndSeedsArriveInTheLayers) {
  const nlohmann::json bidirectional = {
      {"class_name", "Bidirectional"},
      {"config",
       {{"name", "bi"},
        {"merge_mode", "concat"},
        {"layer", recurrent_json("GRU", "gru", {{"dropout", 0.5}, {"recurrent_dropout", 0.25}, {"seed", 1234}})}}}};
  const nlohmann::json unseeded = {
      {"class_name", "Bidirectional"},
      {"config",
       {{"name", "bi2"},
        {"layer", recurrent_json("SimpleRNN", "rnn", {{"dropout", 0.2}, {"recurrent_dropout", 0.0}, {"seed", nullptr}})}}}};
  auto model = birnn::keras::model_from_config<float>(sequential(
      {recurrent_json("LSTM", "lstm", {{"dropout", 0.25}, {"recurrent_dropout", 0.125}, {"seed", 42}}), bidirectional,
       unseeded}));
  ASSERT_EQ(model.size(), 3u);
  auto& lstm = dynamic_cast<birnn::RecurrentLayer<birnn::LSTM<float>>&>(model.layer(0));
  EXPECT_EQ(lstm.options().dropout, 0.25);
  EXPECT_EQ(lstm.options().recurrent_dropout, 0.125);
  ASSERT_TRUE(lstm.options().seed.has_value());
  EXPECT_EQ(*lstm.options().seed, 42u);
  auto& gru = dynamic_cast<birnn::BidirectionalLayer<birnn::GRU<float>>&>(model.layer(1));
  EXPECT_EQ(gru.forward_options().dropout, 0.5);
  EXPECT_EQ(gru.backward_options().dropout, 0.5);
  EXPECT_EQ(gru.forward_options().recurrent_dropout, 0.25);
  EXPECT_EQ(gru.backward_options().recurrent_dropout, 0.25);
  EXPECT_EQ(gru.forward_options().seed, std::optional<std::uint64_t>(1234));
  EXPECT_EQ(gru.backward_options().seed, std::optional<std::uint64_t>(birnn::detail::backward_direction_seed(1234)));
  auto& rnn = dynamic_cast<birnn::BidirectionalLayer<birnn::SimpleRNN<float>>&>(model.layer(2));
  EXPECT_EQ(rnn.forward_options().dropout, 0.2);
  EXPECT_FALSE(rnn.forward_options().seed.has_value());  // null: derived from the name
  EXPECT_EQ(rnn.backward_options().name, "backward_rnn");

  // The rates act in forward_train and not in predict.
  randomize(model);
  const auto x = random_sequence<float>(kBatch, kTime, kInput);
  const auto p1 = model.predict(x), p2 = model.predict(x);
  expect_equal(p1[0].sequence.matrix(), p2[0].sequence.matrix(), "predict is deterministic");
  const auto t1 = model.forward_train(x);
  EXPECT_EQ(lstm.dropout_masks().input.size(), 4u);
  EXPECT_EQ(lstm.dropout_masks().recurrent.size(), 4u);
  const auto t2 = model.forward_train(x);
  EXPECT_GT((t1[0].sequence.matrix() - p1[0].sequence.matrix()).cwiseAbs().maxCoeff(), 1e-4);
  EXPECT_GT((t1[0].sequence.matrix() - t2[0].sequence.matrix()).cwiseAbs().maxCoeff(), 1e-4) << "new masks per call";
  lstm.reseed(42);
  gru.reseed(1234);
  rnn.reseed(99);
  const auto t3 = model.forward_train(x);
  lstm.reseed(42);
  gru.reseed(1234);
  rnn.reseed(99);
  const auto t4 = model.forward_train(x);
  expect_equal(t3[0].sequence.matrix(), t4[0].sequence.matrix(), "reseeded runs repeat");
}

TEST(DropoutJson, BadRatesAndSeedsAreConfigErrors) {
  expect_config_error(
      [] { (void)birnn::keras::model_from_config<float>(sequential({recurrent_json("LSTM", "big", {{"dropout", 1.0}})})); },
      "big", "dropout");
  expect_config_error(
      [] {
        (void)birnn::keras::model_from_config<float>(
            sequential({recurrent_json("GRU", "neg", {{"recurrent_dropout", -0.5}})}));
      },
      "neg", "recurrent_dropout");
  expect_config_error(
      [] {
        (void)birnn::keras::model_from_config<float>(
            sequential({recurrent_json("SimpleRNN", "s", {{"dropout", "much"}})}));
      },
      "s", "dropout");
  expect_config_error(
      [] {
        (void)birnn::keras::model_from_config<float>(sequential({recurrent_json("LSTM", "t", {{"seed", "abc"}})}));
      },
      "t", "seed");
  // Negative integer seeds (Keras accepts any int) wrap to 64 bits.
  auto model =
      birnn::keras::model_from_config<float>(sequential({recurrent_json("LSTM", "n", {{"seed", -1}, {"dropout", 0.1}})}));
  EXPECT_EQ(dynamic_cast<birnn::RecurrentLayer<birnn::LSTM<float>>&>(model.layer(0)).options().seed,
            std::optional<std::uint64_t>(~std::uint64_t{0}));
}
