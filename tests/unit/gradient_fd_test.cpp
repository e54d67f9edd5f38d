// Finite-difference checks of the backward passes, in double: every gradient birnn computes
// (w.r.t. the input, every weight and the initial states) is compared with the central
// difference (L(p + eps) - L(p - eps)) / (2 eps) of the loss L = sum over outputs of
// sum(output * cotangent), with random weights, inputs and cotangents. Covers SimpleRNN,
// LSTM (also hard_sigmoid), GRU with reset_after true and false, go_backwards, masks (left
// and right padding, gaps, a fully masked row, zero_output_for_mask), initial states,
// Bidirectional with every merge mode and return_state (also another backward cell), and
// runtime models: Embedding, Masking, Dense, stacked recurrent layers.

#include <birnn/birnn.hpp>
#include <birnn/model/layer.hpp>
#include <birnn/model/model.hpp>
#include <birnn/model/recurrent_layer.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace {

using birnn::Batch;
using birnn::Mask;
using Seq = birnn::Sequence<double>;
using Matrix = Eigen::MatrixXd;

constexpr double kEps = 1e-6;
constexpr double kTolerance = 1e-6;  // relative to max(1, |gradient|)

// ---- flattening results and cotangents to a list of matrices, in the same order ----
template <class D>
void add(std::vector<Matrix>& v, const Eigen::MatrixBase<D>& m) {
  v.push_back(m);
}
template <class S, int F>
void add(std::vector<Matrix>& v, const birnn::Sequence<S, F>& s) {
  v.push_back(s.matrix());
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

double dot(const std::vector<Matrix>& a, const std::vector<Matrix>& b) {
  EXPECT_EQ(a.size(), b.size());
  double s = 0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) s += a[i].cwiseProduct(b[i]).sum();
  return s;
}

Matrix random(Eigen::Index rows, Eigen::Index cols, double scale = 1.0) {
  return Matrix::Random(rows, cols) * scale;
}
Seq random_sequence(Eigen::Index batch, Eigen::Index time, Eigen::Index features) {
  Seq x(batch, time, features);
  x.matrix() = random(batch * time, features);
  return x;
}

void expect_close(double analytic, double numeric, const std::string& what) {
  const double tol = kTolerance * std::max({1.0, std::abs(analytic), std::abs(numeric)});
  EXPECT_LE(std::abs(analytic - numeric), tol) << what << ": backward " << analytic << ", finite difference " << numeric;
}

/// Calls `f` on every state matrix of an initial state: a cell's `State`, a Bidirectional's
/// `{forward, backward}`, or the runtime model's list.
template <class T, std::size_t N, class F>
void for_each_state(std::array<T, N>& a, F&& f) {
  for (auto& e : a) f(e);
}
template <class T, class F>
void for_each_state(std::vector<T>& a, F&& f) {
  for (auto& e : a) f(e);
}
template <class T, class F>
auto for_each_state(T& t, F&& f) -> decltype(t.forward, t.backward, void()) {
  for_each_state(t.forward, f);
  for_each_state(t.backward, f);
}

/// What differs between `Rnn` and `Bidirectional` for the harness.
template <class L, class = void>
struct layer_traits {
  using StateCotangent = typename L::State;
  static constexpr bool two_outputs = false;
};
template <class L>
struct layer_traits<L, std::void_t<typename L::InitialState>> {
  using StateCotangent = typename L::InitialState;
  static constexpr bool two_outputs = L::merge_mode == birnn::MergeMode::none;
};

/// Checks every gradient of `g` against central differences of `loss()`, perturbing the
/// input `x`, the weights (through get/set_weights of `layer`) and the states `*init`.
template <class Layer, class Loss, class Init>
void check_all(Layer& layer, Seq& x, Init* init, const Loss& loss, const birnn::train::Gradients<double>& g,
               bool check_input = true) {
  if (check_input) {
    ASSERT_EQ(g.inputs.matrix().rows(), x.matrix().rows());
    ASSERT_EQ(g.inputs.matrix().cols(), x.matrix().cols());
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
  }
  auto w = layer.get_weights();
  ASSERT_EQ(g.weights.size(), w.size());
  for (std::size_t k = 0; k < w.size(); ++k) {
    ASSERT_EQ(g.weights[k].shape, w[k].shape) << "weight " << k;
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
  if (init) {
    std::size_t k = 0;
    for_each_state(*init, [&](auto& st) {
      ASSERT_LT(k, g.initial_state.size());
      ASSERT_EQ(g.initial_state[k].rows(), st.rows());
      ASSERT_EQ(g.initial_state[k].cols(), st.cols());
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
}

template <class Cell>
typename Cell::State random_state(Eigen::Index batch, Eigen::Index units) {
  typename Cell::State s;
  for (auto& h : s) h = random(batch, units, 0.8);
  return s;
}

template <class L>
void randomize(L& layer, double scale = 0.6) {
  auto w = layer.get_weights();
  for (auto& t : w)
    for (auto& v : t.values) v = scale * (2.0 * std::rand() / RAND_MAX - 1.0);
  layer.set_weights(w);
}

Mask make_mask(Eigen::Index batch, Eigen::Index time, const std::string& kind) {
  Mask m(batch, time);
  m.setConstant(true);
  if (kind == "right") {  // row b keeps its first time - b steps
    for (Eigen::Index b = 0; b < batch; ++b)
      for (Eigen::Index t = time - b; t < time; ++t) m(b, t) = false;
  } else if (kind == "left") {
    for (Eigen::Index b = 0; b < batch; ++b)
      for (Eigen::Index t = 0; t < b; ++t) m(b, t) = false;
  } else if (kind == "gaps") {
    for (Eigen::Index b = 0; b < batch; ++b)
      for (Eigen::Index t = 0; t < time; ++t) m(b, t) = (t + b) % 3 != 1;
  } else if (kind == "full_row") {  // row 1 fully masked, row 0 masked in the middle
    for (Eigen::Index t = 0; t < time; ++t) m(1, t) = false;
    m(0, 1) = false;
  }
  return m;
}

/// One recurrent template layer (`Rnn` or `Bidirectional`): random weights, input, mask,
/// initial state and cotangents; checks every gradient.
template <class L, class Init>
void check_layer(L& layer, Eigen::Index batch, Eigen::Index time, const Mask* mask, std::optional<Init> init_value) {
  randomize(layer);
  Seq x = random_sequence(batch, time, layer.input_size());
  Init* init = init_value ? &*init_value : nullptr;
  auto first = layer.call(x, mask, init);
  // Cotangents shaped like the result: random values of the same shapes.
  std::vector<Matrix> shapes;
  add(shapes, first);
  std::vector<Matrix> cot;
  for (const auto& s : shapes) cot.push_back(random(s.rows(), s.cols()));
  auto loss = [&]() {
    std::vector<Matrix> r;
    add(r, layer.call(x, mask, init));
    return dot(r, cot);
  };
  // The cotangents in the types backward takes.
  typename L::Output d_out;
  std::size_t used = 0;
  auto fill = [&](auto& target) {
    if constexpr (std::is_base_of_v<Eigen::MatrixBase<std::decay_t<decltype(target)>>, std::decay_t<decltype(target)>>) {
      target = cot[used++];
    } else {
      target = std::decay_t<decltype(target)>(batch, time, cot[used].cols());
      target.matrix() = cot[used++];
    }
  };
  if constexpr (layer_traits<L>::two_outputs) {
    fill(d_out.forward);
    fill(d_out.backward);
  } else {
    fill(d_out);
  }
  const auto outputs = layer.forward_train(x, mask, init);
  std::vector<Matrix> again;
  add(again, outputs);
  for (std::size_t i = 0; i < again.size(); ++i) EXPECT_TRUE(again[i].isApprox(shapes[i])) << "recorded output " << i;
  birnn::train::Gradients<double> g;
  if constexpr (L::return_state) {
    typename layer_traits<L>::StateCotangent ds;
    for_each_state(ds, [&](auto& st) { st = cot[used++]; });
    g = layer.backward(d_out, &ds);
  } else {
    g = layer.backward(d_out);
  }
  ASSERT_EQ(used, cot.size());
  check_all(layer, x, init, loss, g);
}

}  // namespace

namespace {

using namespace birnn;

template <class Cell, class SeqPolicy = sequences::all, class States = state::keep>
using Single = Rnn<Cell, SeqPolicy, States, mask::masked>;
template <class Cell, class Merge, class SeqPolicy = sequences::all, class States = state::keep,
          class BackwardCell = Cell>
using Bi = Bidirectional<Cell, Merge, SeqPolicy, States, mask::masked, BackwardCell>;

LayerOptions options(bool go_backwards = false, bool zero_output_for_mask = false) {
  LayerOptions o;
  o.name = "layer";
  o.go_backwards = go_backwards;
  o.zero_output_for_mask = zero_output_for_mask;
  return o;
}

template <class Cell>
typename Cell::Config config(Eigen::Index units) {
  typename Cell::Config c;
  c.units = units;
  return c;
}

constexpr Eigen::Index kBatch = 3, kTime = 5, kFeatures = 3, kUnits = 3;

// ---- single recurrent layers ----

TEST(GradientFd, SimpleRnnSequencesWithInitialState) {
  using Cell = SimpleRNN<double>;
  Single<Cell> l(kFeatures, config<Cell>(kUnits));
  check_layer<decltype(l), Cell::State>(l, kBatch, kTime, nullptr, random_state<Cell>(kBatch, kUnits));
}

TEST(GradientFd, SimpleRnnReluGoBackwardsGapsLastStep) {
  using Cell = SimpleRNN<double>;
  auto c = config<Cell>(kUnits);
  c.activation = Activation::relu;
  Single<Cell, sequences::last> l(kFeatures, c, options(true));
  const Mask m = make_mask(kBatch, kTime, "gaps");
  check_layer<decltype(l), Cell::State>(l, kBatch, kTime, &m, std::nullopt);
}

TEST(GradientFd, LstmSequencesWithInitialState) {
  using Cell = LSTM<double>;
  Single<Cell> l(kFeatures, config<Cell>(kUnits));
  check_layer<decltype(l), Cell::State>(l, kBatch, kTime, nullptr, random_state<Cell>(kBatch, kUnits));
}

TEST(GradientFd, LstmHardSigmoidLeftPaddingGoBackwards) {
  using Cell = LSTM<double>;
  auto c = config<Cell>(kUnits);
  c.recurrent_activation = Activation::hard_sigmoid;
  Single<Cell, sequences::last> l(kFeatures, c, options(true));
  const Mask m = make_mask(kBatch, kTime, "left");
  check_layer<decltype(l), Cell::State>(l, kBatch, kTime, &m, random_state<Cell>(kBatch, kUnits));
}

TEST(GradientFd, LstmKeras2HardSigmoid) {
  using Cell = LSTM<double>;
  auto c = config<Cell>(kUnits);
  c.recurrent_activation = Activation::hard_sigmoid_keras2;
  Single<Cell, sequences::last> l(kFeatures, c, options(true));
  check_layer<decltype(l), Cell::State>(l, kBatch, kTime, nullptr, random_state<Cell>(kBatch, kUnits));
}

TEST(GradientFd, LstmFullyMaskedRowZeroOutputForMask) {
  using Cell = LSTM<double>;
  Single<Cell> l(kFeatures, config<Cell>(kUnits), options(false, true));
  const Mask m = make_mask(kBatch, kTime, "full_row");
  check_layer<decltype(l), Cell::State>(l, kBatch, kTime, &m, random_state<Cell>(kBatch, kUnits));
}

TEST(GradientFd, LstmFullyMaskedRowLastStepNoBias) {
  using Cell = LSTM<double>;
  auto c = config<Cell>(kUnits);
  c.use_bias = false;
  Single<Cell, sequences::last> l(kFeatures, c);
  const Mask m = make_mask(kBatch, kTime, "full_row");
  check_layer<decltype(l), Cell::State>(l, kBatch, kTime, &m, random_state<Cell>(kBatch, kUnits));
}

TEST(GradientFd, GruResetAfterRightPadding) {
  using Cell = GRU<double>;
  Single<Cell> l(kFeatures, config<Cell>(kUnits));
  const Mask m = make_mask(kBatch, kTime, "right");
  check_layer<decltype(l), Cell::State>(l, kBatch, kTime, &m, random_state<Cell>(kBatch, kUnits));
}

TEST(GradientFd, GruResetAfterGoBackwardsLastStep) {
  using Cell = GRU<double>;
  Single<Cell, sequences::last> l(kFeatures, config<Cell>(kUnits), options(true));
  check_layer<decltype(l), Cell::State>(l, kBatch, kTime, nullptr, random_state<Cell>(kBatch, kUnits));
}

TEST(GradientFd, GruResetBeforeGapsGoBackwards) {
  using Cell = GRU<double>;
  auto c = config<Cell>(kUnits);
  c.reset_after = false;
  Single<Cell> l(kFeatures, c, options(true));
  const Mask m = make_mask(kBatch, kTime, "gaps");
  check_layer<decltype(l), Cell::State>(l, kBatch, kTime, &m, random_state<Cell>(kBatch, kUnits));
}

TEST(GradientFd, GruResetBeforeHardSigmoidLastStep) {
  using Cell = GRU<double>;
  auto c = config<Cell>(kUnits);
  c.reset_after = false;
  c.recurrent_activation = Activation::hard_sigmoid;
  Single<Cell, sequences::last, state::discard> l(kFeatures, c);
  const Mask m = make_mask(kBatch, kTime, "left");
  check_layer<decltype(l), Cell::State>(l, kBatch, kTime, &m, std::nullopt);
}

TEST(GradientFd, FixedSizeLstm) {
  using Cell = LSTM<double, kFeatures, 2>;
  Single<Cell> l(kFeatures, config<Cell>(2));
  const Mask m = make_mask(kBatch, kTime, "gaps");
  check_layer<decltype(l), Cell::State>(l, kBatch, kTime, &m, random_state<Cell>(kBatch, 2));
}

// ---- Bidirectional ----

/// Random initial states for both directions of `l`.
template <class L>
typename L::InitialState random_bi_state(const L& l) {
  typename L::InitialState s;
  for (auto& h : s.forward) h = random(kBatch, l.forward_layer().units(), 0.8);
  for (auto& h : s.backward) h = random(kBatch, l.backward_layer().units(), 0.8);
  return s;
}

TEST(GradientFd, BidirectionalLstmConcatReturnStateRightPadding) {
  using Cell = LSTM<double>;
  Bi<Cell, merge::concat> l(kFeatures, config<Cell>(kUnits));
  const Mask m = make_mask(kBatch, kTime, "right");
  check_layer<decltype(l), decltype(l)::InitialState>(l, kBatch, kTime, &m, random_bi_state(l));
}

TEST(GradientFd, BidirectionalGruSumGaps) {
  using Cell = GRU<double>;
  Bi<Cell, merge::sum, sequences::all, state::discard> l(kFeatures, config<Cell>(kUnits));
  const Mask m = make_mask(kBatch, kTime, "gaps");
  check_layer<decltype(l), decltype(l)::InitialState>(l, kBatch, kTime, &m, std::nullopt);
}

TEST(GradientFd, BidirectionalSimpleRnnMulReturnState) {
  using Cell = SimpleRNN<double>;
  Bi<Cell, merge::mul> l(kFeatures, config<Cell>(kUnits));
  check_layer<decltype(l), decltype(l)::InitialState>(l, kBatch, kTime, nullptr, random_bi_state(l));
}

TEST(GradientFd, BidirectionalLstmAveLastStepLeftPadding) {
  using Cell = LSTM<double>;
  Bi<Cell, merge::ave, sequences::last> l(kFeatures, config<Cell>(kUnits));
  const Mask m = make_mask(kBatch, kTime, "left");
  check_layer<decltype(l), decltype(l)::InitialState>(l, kBatch, kTime, &m, random_bi_state(l));
}

TEST(GradientFd, BidirectionalGruNoneReturnStateFullyMaskedRow) {
  using Cell = GRU<double>;
  Bi<Cell, merge::none> l(kFeatures, config<Cell>(kUnits));
  const Mask m = make_mask(kBatch, kTime, "full_row");
  check_layer<decltype(l), decltype(l)::InitialState>(l, kBatch, kTime, &m, random_bi_state(l));
}

TEST(GradientFd, BidirectionalGruResetBeforeMulLastStep) {
  using Cell = GRU<double>;
  auto c = config<Cell>(kUnits);
  c.reset_after = false;
  Bi<Cell, merge::mul, sequences::last, state::discard> l(kFeatures, c);
  check_layer<decltype(l), decltype(l)::InitialState>(l, kBatch, kTime, nullptr, std::nullopt);
}

TEST(GradientFd, BidirectionalNoneLastStepReturnState) {
  using Cell = SimpleRNN<double>;
  Bi<Cell, merge::none, sequences::last> l(kFeatures, config<Cell>(kUnits));
  const Mask m = make_mask(kBatch, kTime, "right");
  check_layer<decltype(l), decltype(l)::InitialState>(l, kBatch, kTime, &m, random_bi_state(l));
}

TEST(GradientFd, BidirectionalOtherBackwardCellConcat) {
  using F = LSTM<double>;
  using B = GRU<double>;
  Bi<F, merge::concat, sequences::all, state::keep, B> l(kFeatures, config<F>(kUnits), options(false),
                                                         config<B>(2), options(true));
  const Mask m = make_mask(kBatch, kTime, "gaps");
  check_layer<decltype(l), decltype(l)::InitialState>(l, kBatch, kTime, &m, random_bi_state(l));
}

// ---- runtime models ----

/// Checks every gradient of a runtime model: w.r.t. the input (when `x` holds values and
/// `check_input`), every weight, and the initial states.
template <class Input>
void check_model(Model<double>& model, Input x, std::optional<Mask> mask, std::vector<Batch<double>>* init,
                 bool check_input = true) {
  randomize(model);
  auto run = [&](bool train) {
    if constexpr (std::is_same_v<Input, TokenIds>)
      return train ? model.forward_train(x, init) : model.predict(x, init);
    else
      return train ? model.forward_train(x, mask, init) : model.predict(x, mask, init);
  };
  const auto first = run(false);
  std::vector<Value<double>> cot;
  std::vector<Matrix> cm;
  for (const auto& v : first) {
    Value<double> c = v;
    if (c.rank == 3)
      c.sequence.matrix() = random(c.sequence.matrix().rows(), c.sequence.matrix().cols());
    else
      c.matrix = random(c.matrix.rows(), c.matrix.cols());
    cm.push_back(c.rank == 3 ? Matrix(c.sequence.matrix()) : Matrix(c.matrix));
    cot.push_back(std::move(c));
  }
  auto loss = [&]() {
    std::vector<Matrix> r;
    for (const auto& v : run(false)) r.push_back(v.rank == 3 ? Matrix(v.sequence.matrix()) : Matrix(v.matrix));
    return dot(r, cm);
  };
  run(true);
  const auto g = model.backward(cot);
  if constexpr (std::is_same_v<Input, TokenIds>) {
    Seq none;
    check_all(model, none, init, loss, g, false);
  } else {
    check_all(model, x, init, loss, g, check_input);
  }
}

template <class Cell>
std::unique_ptr<Layer<double>> recurrent(Eigen::Index input, Eigen::Index units, bool sequences, bool state = false,
                                         std::string name = "rnn") {
  return std::make_unique<RecurrentLayer<Cell>>(input, config<Cell>(units), LayerOptions{name, false, false}, sequences,
                                                state);
}

TEST(GradientFd, ModelEmbeddingBidirectionalDense) {
  Model<double> model({kTime});
  model.emplace<EmbeddingLayer<double>>(Embedding<double>(7, 3, true));
  model.emplace<BidirectionalLayer<LSTM<double>>>(3, config<LSTM<double>>(2), MergeMode::concat, true);
  model.emplace<DenseLayer<double>>(Dense<double>(4, 3, Activation::softmax));
  TokenIds ids(kBatch, kTime);
  ids << 1, 2, 3, 4, 5, 0, 0, 6, 1, 2, 3, 0, 4, 0, 6;
  check_model(model, ids, std::nullopt, nullptr);
}

TEST(GradientFd, ModelMaskingStackedRecurrentDense) {
  Model<double> model({kTime, kFeatures});
  model.emplace<MaskingLayer<double>>(Masking<double>(0.0));
  model.add(recurrent<GRU<double>>(kFeatures, 3, true, false, "gru"));
  model.emplace<BidirectionalLayer<SimpleRNN<double>>>(3, config<SimpleRNN<double>>(2), MergeMode::ave, false);
  model.emplace<DenseLayer<double>>(Dense<double>(2, 2, Activation::tanh));
  Seq x = random_sequence(kBatch, kTime, kFeatures);
  x.matrix().row(0 * kTime + 4).setZero();  // masked steps: right padding, a gap
  x.matrix().row(1 * kTime + 2).setZero();
  std::vector<Batch<double>> init{random(kBatch, 3, 0.8)};
  // Perturbing a masked step's zeros would change the mask: the input is checked by the next test.
  check_model(model, x, std::nullopt, &init, false);
}

TEST(GradientFd, ModelDenseThenRecurrentWithInitialStateAndReturnState) {
  Model<double> model({kTime, kFeatures});
  model.emplace<DenseLayer<double>>(Dense<double>(kFeatures, 4, Activation::relu));
  model.emplace<BidirectionalLayer<GRU<double>>>(4, config<GRU<double>>(2), MergeMode::mul, true);
  model.add(recurrent<LSTM<double>>(2, 3, false, true, "lstm"));
  Seq x = random_sequence(kBatch, kTime, kFeatures);
  std::vector<Batch<double>> init{random(kBatch, 2, 0.8), random(kBatch, 2, 0.8)};
  check_model(model, x, make_mask(kBatch, kTime, "left"), &init);
}

TEST(GradientFd, ModelBidirectionalNoneReturnState) {
  Model<double> model({kTime, kFeatures});
  model.emplace<BidirectionalLayer<LSTM<double>>>(kFeatures, config<LSTM<double>>(2), MergeMode::none, true, true);
  Seq x = random_sequence(kBatch, kTime, kFeatures);
  std::vector<Batch<double>> init;
  for (int k = 0; k < 4; ++k) init.push_back(random(kBatch, 2, 0.8));
  check_model(model, x, make_mask(kBatch, kTime, "gaps"), &init);
}

}  // namespace
