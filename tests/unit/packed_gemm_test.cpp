// The packed recurrent product (detail/packed_gemm.hpp, KerasWeights::add_recurrent): the same
// numbers as Eigen's product over shapes that cross the kernel's blocking, writes only inside
// its output, and layers that use it agree with the unpacked path and follow weight changes.
// Expected values come from Eigen's own product, or from the same layer run on one sequence
// at a time (batches below 4 take Eigen's matrix-vector path, not the packed one).

#include <birnn/birnn.hpp>
#include <birnn/detail/packed_gemm.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace {

template <class S>
using RowMatrix = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Distinct values in [-1, 1) from a small integer hash, so that failures repeat.
template <class S>
void fill(RowMatrix<S>& m, int seed) {
  for (Eigen::Index i = 0; i < m.size(); ++i) {
    const unsigned v = (static_cast<unsigned>(i) * 2654435761u + static_cast<unsigned>(seed) * 40503u) >> 8;
    m.data()[i] = static_cast<S>(static_cast<double>(v % 2001) / 1000.0 - 1.0);
  }
}

// What `C = S + A W` adds A W to: C itself (multiply_add), one row (a bias), another matrix
// (a step's projected input, with its own row stride), or nothing.
enum class Source { accumulate, row, matrix, none };

template <class S>
void expect_matches_eigen(Eigen::Index m, Eigen::Index k, Eigen::Index n, bool allow_own_kernel = true,
                          Source source = Source::accumulate) {
  // A, W, C and S with row strides larger than their widths, to catch a stride taken for a width.
  RowMatrix<S> a_store(m, k + 3), w_store(k, n + 5), c_store(m, n + 2), s_store(m, n + 7);
  fill(a_store, 1);
  fill(w_store, 2);
  fill(c_store, 3);
  fill(s_store, 4);
  const RowMatrix<S> c_before = c_store;
  RowMatrix<S> added = RowMatrix<S>::Zero(m, n);  // what the product is added to
  if (source == Source::accumulate) added = c_before.leftCols(n);
  if (source == Source::row) added = s_store.row(0).leftCols(n).replicate(m, 1);
  if (source == Source::matrix) added = s_store.leftCols(n);
  birnn::detail::PackedRight<S> packed;
  packed.pack(w_store.data(), k, n, w_store.cols(), m, allow_own_kernel);
  if (!allow_own_kernel) {
    ASSERT_FALSE(packed.own_kernel());
  }
  ASSERT_EQ(packed.rows(), k);
  ASSERT_EQ(packed.cols(), n);
  // Scratch exactly as large as asked for, followed by sentinels.
  const Eigen::Index need = packed.scratch_size(m);
  ASSERT_LE(need, birnn::detail::PackedRight<S>::scratch_bound(k, m));
  std::vector<S> scratch(static_cast<std::size_t>(need) + 16, S(7));
  if (source == Source::accumulate)
    packed.multiply_add(a_store.data(), a_store.cols(), m, c_store.data(), c_store.cols(), scratch.data());
  else
    packed.multiply(a_store.data(), a_store.cols(), m, c_store.data(), c_store.cols(), scratch.data(),
                    source == Source::none ? nullptr : s_store.data(), source == Source::row ? 0 : s_store.cols());

  const auto a = a_store.leftCols(k);
  const auto w = w_store.leftCols(n);
  const RowMatrix<S> expected = added + a * w;
  const RowMatrix<S> magnitude = added.cwiseAbs() + a.cwiseAbs() * w.cwiseAbs();
  const double eps = static_cast<double>(Eigen::NumTraits<S>::epsilon());
  for (Eigen::Index i = 0; i < m; ++i)
    for (Eigen::Index j = 0; j < n; ++j)
      ASSERT_LE(std::abs(static_cast<double>(c_store(i, j) - expected(i, j))),
                (4 + 2 * std::sqrt(double(k))) * eps * static_cast<double>(magnitude(i, j)))
          << "C(" << i << ", " << j << ") of " << m << " x " << k << " x " << n
          << (packed.own_kernel() ? " (birnn's kernel)" : " (Eigen's kernel)");
  // The padding columns of C are untouched, and so is everything after the scratch.
  for (Eigen::Index i = 0; i < m; ++i)
    for (Eigen::Index j = n; j < c_store.cols(); ++j) ASSERT_EQ(c_store(i, j), c_before(i, j)) << i << ", " << j;
  for (std::size_t i = static_cast<std::size_t>(need); i < scratch.size(); ++i) ASSERT_EQ(scratch[i], S(7)) << i;
}

TEST(PackedGemm, MatchesEigensProductAcrossTheKernelsBlocking) {
  // m: below, at and above the kernel's column panel (4) and block sizes; k: across the depth
  // blocking (a few hundred); n: odd widths and gate widths.
  for (Eigen::Index m : {1, 3, 4, 5, 17, 64, 130})
    for (Eigen::Index k : {1, 7, 64, 300, 513})
      for (Eigen::Index n : {1, 5, 16, 31, 32, 33, 48, 97, 256}) {
        expect_matches_eigen<float>(m, k, n);
        expect_matches_eigen<float>(m, k, n, false);
        expect_matches_eigen<double>(m, k, n);
      }
}

TEST(PackedGemm, AddsTheProductToOneRowToAnotherMatrixOrToNothing) {
  for (Source source : {Source::row, Source::matrix, Source::none})
    for (Eigen::Index m : {1, 13, 64, 300})
      for (Eigen::Index k : {1, 40, 513})
        for (Eigen::Index n : {5, 32, 97}) {
          expect_matches_eigen<float>(m, k, n, true, source);
          expect_matches_eigen<float>(m, k, n, false, source);
          expect_matches_eigen<double>(m, k, n, true, source);
        }
}

TEST(PackedGemm, UsesBirnnsKernelForFloatStepsWhereTheCpuHasAvx512) {
  birnn::detail::PackedRight<float> packed;
  RowMatrix<float> w(64, 256);
  fill(w, 4);
  packed.pack(w.data(), 64, 256, 256, 64);
  EXPECT_EQ(packed.own_kernel(), birnn::detail::avx512::available());
  birnn::detail::PackedRight<double> packed_double;
  RowMatrix<double> wd(64, 256);
  fill(wd, 4);
  packed_double.pack(wd.data(), 64, 256, 256, 64);
  EXPECT_FALSE(packed_double.own_kernel());
}

TEST(PackedGemm, HandlesAProductLargerThanOneColumnBlock) {
  // More rows of A than the packing was blocked for: several column blocks per depth block
  // (Eigen's kernel), several row blocks and the one-block depth (birnn's); depth above 512.
  expect_matches_eigen<float>(1500, 40, 33);
  expect_matches_eigen<float>(1500, 40, 33, false);
  expect_matches_eigen<float>(300, 700, 40);
  expect_matches_eigen<float>(70, 900, 64);
}

TEST(PackedGemm, AnUnpackedMatrixIsEmptyAndAddsNothing) {
  birnn::detail::PackedRight<float> packed;
  EXPECT_TRUE(packed.empty());
  RowMatrix<float> c = RowMatrix<float>::Constant(2, 2, 1.5f);
  packed.multiply_add(nullptr, 0, 2, c.data(), 2, nullptr);
  EXPECT_EQ(c, RowMatrix<float>::Constant(2, 2, 1.5f));
}

// ---------------------------------------------------------------------------------------------
// Layers on the packed path
// ---------------------------------------------------------------------------------------------

std::vector<birnn::Tensor<float>> weights_for(const std::vector<birnn::WeightSpec>& specs, int seed) {
  std::vector<birnn::Tensor<float>> w;
  for (const auto& s : specs) {
    birnn::Tensor<float> t(s.shape, {});
    RowMatrix<float> values(1, t.size());
    fill(values, seed++);
    t.values.assign(values.data(), values.data() + values.size());
    for (auto& v : t.values) v *= 0.3f;
    w.push_back(std::move(t));
  }
  return w;
}

birnn::Sequence<float> input(Eigen::Index batch, Eigen::Index time, Eigen::Index features) {
  birnn::Sequence<float> x(batch, time, features);
  RowMatrix<float> values(batch * time, features);
  fill(values, 11);
  x.matrix() = values;
  return x;
}

birnn::Sequence<float> one_sequence(const birnn::Sequence<float>& x, Eigen::Index b) {
  birnn::Sequence<float> s(1, x.time(), x.features());
  s.matrix() = x.matrix().middleRows(b * x.time(), x.time());
  return s;
}

std::vector<birnn::WeightSpec> specs_of(const std::vector<birnn::Tensor<float>>& weights) {
  std::vector<birnn::WeightSpec> specs;
  for (const auto& t : weights) specs.push_back({"w", t.shape});
  return specs;
}

template <class Cell>
void expect_batch_matches_one_sequence_at_a_time(typename Cell::Config config) {
  const Eigen::Index batch = 9, time = 6, features = 20;
  birnn::Rnn<Cell, birnn::sequences::all> layer(features, config);
  layer.set_weights(weights_for(layer.weight_specs(), 5));
  ASSERT_TRUE(layer.weights().packs_for(batch)) << "the test must exercise the packed product";
  ASSERT_FALSE(layer.weights().packs_for(1));
  const auto x = input(batch, time, features);
  const auto y = layer.forward(x);
  for (Eigen::Index b = 0; b < batch; ++b) {
    const auto alone = layer.forward(one_sequence(x, b));
    const auto rows = y.matrix().middleRows(b * time, time);
    EXPECT_LE((rows - alone.matrix()).cwiseAbs().maxCoeff(), 1e-5f) << "sequence " << b;
  }
}

TEST(PackedGemm, LstmBatchEqualsItsSequencesOneAtATime) {
  birnn::LSTM<float>::Config c;
  c.units = 24;
  expect_batch_matches_one_sequence_at_a_time<birnn::LSTM<float>>(c);
}

TEST(PackedGemm, GruBatchEqualsItsSequencesOneAtATime) {
  birnn::GRU<float>::Config c;
  c.units = 24;
  expect_batch_matches_one_sequence_at_a_time<birnn::GRU<float>>(c);
}

TEST(PackedGemm, SimpleRnnBatchEqualsItsSequencesOneAtATime) {
  birnn::SimpleRNN<float>::Config c;
  c.units = 40;
  expect_batch_matches_one_sequence_at_a_time<birnn::SimpleRNN<float>>(c);
}

TEST(PackedGemm, FixedSizeLstmUsesThePackedProductToo) {
  using Cell = birnn::LSTM<float, 20, 24>;
  expect_batch_matches_one_sequence_at_a_time<Cell>(Cell::Config{});
}

TEST(PackedGemm, ALayerRepacksAfterItsWeightsChange) {
  const Eigen::Index batch = 8, time = 5, features = 12;
  birnn::LSTM<float>::Config c;
  c.units = 32;
  const auto x = input(batch, time, features);
  birnn::Rnn<birnn::LSTM<float>, birnn::sequences::all> layer(features, c), fresh(features, c);
  layer.set_weights(weights_for(layer.weight_specs(), 1));
  (void)layer.forward(x);  // packs the first weights

  // set_weights
  const auto second = weights_for(layer.weight_specs(), 2);
  layer.set_weights(second);
  fresh.set_weights(second);
  EXPECT_EQ(layer.forward(x).matrix(), fresh.forward(x).matrix());

  // a write through weights()
  layer.weights().recurrent_kernel *= 0.5f;
  fresh.weights().recurrent_kernel *= 0.5f;
  birnn::Rnn<birnn::LSTM<float>, birnn::sequences::all> third(features, c);
  third.set_weights(fresh.get_weights());
  EXPECT_EQ(layer.forward(x).matrix(), third.forward(x).matrix());
}

TEST(PackedGemm, BidirectionalWithAWorkerEqualsWithout) {
  const Eigen::Index batch = 8, time = 9, features = 16;  // 72 rows: the projection runs in two halves
  birnn::GRU<float>::Config c;
  c.units = 32;
  birnn::Bidirectional<birnn::GRU<float>, birnn::merge::concat, birnn::sequences::all> alone(features, c),
      paired(features, c);
  const auto w = weights_for(specs_of(alone.get_weights()), 3);
  alone.set_weights(w);
  paired.set_weights(w);
  birnn::Worker worker;
  paired.set_worker(&worker);
  const auto x = input(batch, time, features);
  EXPECT_EQ(alone.forward(x).matrix(), paired.forward(x).matrix());
}

// A batch large enough that the fused projection runs in two halves and the recurrent products
// are packed, against the same layer on one sequence at a time (one half, Eigen's products):
// the outputs, and in training the input gradient rows and the weight gradients (their sum).
template <class Cell>
void expect_bidirectional_batch_matches_its_sequences(bool with_worker) {
  const Eigen::Index batch = 10, time = 11, features = 14;  // 110 rows
  typename Cell::Config c;
  c.units = 24;
  using Bi = birnn::Bidirectional<Cell, birnn::merge::concat, birnn::sequences::all>;
  Bi layer(features, c);
  layer.set_weights(weights_for(specs_of(layer.get_weights()), 7));
  birnn::Worker worker;
  if (with_worker) layer.set_worker(&worker);
  const auto x = input(batch, time, features);
  const auto y = layer.forward_train(x);
  birnn::Sequence<float> dy(batch, time, 2 * c.units);
  RowMatrix<float> d(batch * time, 2 * c.units);
  fill(d, 13);
  dy.matrix() = d;
  const auto g = layer.backward(dy);

  std::vector<RowMatrix<float>> weight_sum;
  for (Eigen::Index b = 0; b < batch; ++b) {
    const auto y1 = layer.forward_train(one_sequence(x, b));
    EXPECT_LE((y.matrix().middleRows(b * time, time) - y1.matrix()).cwiseAbs().maxCoeff(), 1e-5f) << "output " << b;
    const auto g1 = layer.backward(one_sequence(dy, b));
    EXPECT_LE((g.inputs.matrix().middleRows(b * time, time) - g1.inputs.matrix()).cwiseAbs().maxCoeff(), 1e-4f)
        << "input gradient " << b;
    for (std::size_t i = 0; i < g1.weights.size(); ++i) {
      const auto& t = g1.weights[i];
      const Eigen::Map<const RowMatrix<float>> m(t.values.data(), 1, t.size());
      if (b == 0)
        weight_sum.push_back(m);
      else
        weight_sum[i] += m;
    }
  }
  for (std::size_t i = 0; i < g.weights.size(); ++i) {
    const auto& t = g.weights[i];
    const Eigen::Map<const RowMatrix<float>> m(t.values.data(), 1, t.size());
    EXPECT_LE((m - weight_sum[i]).cwiseAbs().maxCoeff(), 1e-3f * (1 + weight_sum[i].cwiseAbs().maxCoeff()))
        << "weight gradient " << i;
  }
}

TEST(PackedGemm, BidirectionalLstmBatchEqualsItsSequencesInForwardAndBackward) {
  expect_bidirectional_batch_matches_its_sequences<birnn::LSTM<float>>(false);
}

TEST(PackedGemm, BidirectionalGruBatchWithAWorkerEqualsItsSequencesInForwardAndBackward) {
  expect_bidirectional_batch_matches_its_sequences<birnn::GRU<float>>(true);
}

TEST(PackedGemm, BidirectionalSimpleRnnBatchWithAWorkerEqualsItsSequencesInForwardAndBackward) {
  expect_bidirectional_batch_matches_its_sequences<birnn::SimpleRNN<float>>(true);
}

}  // namespace
