// Keras's training API on a runtime Model: compile / fit / evaluate / train_step, the data
// helpers (validation split, row gathering), initialize, History (CSV, SVG) and the weights
// file. Expected values are worked out in the tests from first principles (the update rule
// of SGD, the cross-entropy of the predicted probabilities, Keras's split rule), never read
// back from the code under test.

#include <birnn/birnn.hpp>
#include <birnn/model/model.hpp>
#include <birnn/model/recurrent_layer.hpp>
#include <birnn/io/weights_file.hpp>
#include <birnn/detail/atomic_file.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using namespace birnn;
using ::testing::HasSubstr;

std::string temp_path(const std::string& name) { return ::testing::TempDir() + "birnn_" + name; }

// Embedding(6, 3, mask_zero) -> SimpleRNN(4, return_sequences) -> Dense(3, softmax).
Model<double> tagger() {
  Model<double> m({5}, "tagger");
  m.emplace<EmbeddingLayer<double>>(Embedding<double>(6, 3, /*mask_zero*/ true));
  SimpleRNN<double>::Config c;
  c.units = 4;
  LayerOptions o;
  o.name = "rnn";
  m.emplace<RecurrentLayer<SimpleRNN<double>>>(3, c, o, /*return_sequences*/ true, /*return_state*/ false);
  m.emplace<DenseLayer<double>>(Dense<double>(4, 3, Activation::softmax));
  return m;
}

// Four sentences of token ids (0 = padding) with a tag per step.
struct TaggingData {
  TokenIds ids;
  Sequence<double> tags;
};
TaggingData tagging_data() {
  TaggingData d{TokenIds(4, 5), Sequence<double>(4, 5, 1)};
  d.ids << 1, 2, 3, 0, 0,  //
      4, 5, 1, 2, 0,       //
      3, 3, 3, 3, 3,       //
      2, 0, 0, 0, 0;
  for (Eigen::Index b = 0; b < 4; ++b)
    for (Eigen::Index t = 0; t < 5; ++t) d.tags(b, t, 0) = static_cast<double>((d.ids(b, t) + t) % 3);
  return d;
}

TEST(TrainingApi, FitWithoutCompileThrowsConfigError) {
  auto m = tagger();
  const auto d = tagging_data();
  try {
    m.fit(d.ids, Value<double>::of(d.tags));
    FAIL() << "expected config_error";
  } catch (const config_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("birnn::Model 'tagger': fit: expected a compiled model"));
  }
  EXPECT_THROW(m.evaluate(d.ids, Value<double>::of(d.tags)), config_error);
}

TEST(TrainingApi, BadFitArgumentsThrowWithTheExpectedAndActualValue) {
  auto m = tagger();
  m.compile("sgd", "sparse_categorical_crossentropy");
  const auto d = tagging_data();
  train::FitOptions o;
  o.batch_size = 0;
  try {
    m.fit(d.ids, Value<double>::of(d.tags), o);
    FAIL();
  } catch (const config_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("batch_size: expected at least 1, got 0"));
  }
  o.batch_size = 2;
  o.validation_split = 1.0;
  EXPECT_THROW(m.fit(d.ids, Value<double>::of(d.tags), o), config_error);
  o.validation_split = 0;
  Sequence<double> three(3, 5, 1);
  try {
    m.fit(d.ids, Value<double>::of(three), o);
    FAIL();
  } catch (const shape_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("target samples: expected 4, got 3"));
  }
  try {
    m.compile("sgd", "mse", {"precision"});
    FAIL();
  } catch (const config_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("metric: expected \"accuracy\", got 'precision'"));
  }
  EXPECT_THROW(m.compile("adagrad", "mse"), config_error);
}

// evaluate's loss is sparse categorical cross-entropy averaged over the UNMASKED steps only
// (Keras turns the output mask into loss weights), and its accuracy counts those steps only.
TEST(TrainingApi, EvaluateAveragesTheLossOverUnmaskedStepsOnly) {
  auto m = tagger();
  m.initialize(11);
  m.compile("sgd", "sparse_categorical_crossentropy", {"accuracy"});
  const auto d = tagging_data();
  const auto r = m.evaluate(d.ids, Value<double>::of(d.tags), /*batch_size*/ 3);  // two batches: 3 + 1

  const Sequence<double> p = m.predict(d.ids).front().sequence;
  double sum = 0, right = 0, steps = 0;
  for (Eigen::Index b = 0; b < 4; ++b)
    for (Eigen::Index t = 0; t < 5; ++t) {
      if (d.ids(b, t) == 0) continue;
      const auto label = static_cast<Eigen::Index>(d.tags(b, t, 0));
      sum += -std::log(p(b, t, label));
      Eigen::Index best = 0;
      for (Eigen::Index k = 1; k < 3; ++k)
        if (p(b, t, k) > p(b, t, best)) best = k;
      right += best == label;
      steps += 1;
    }
  // Per batch the loss is the mean over its valid steps; the epoch value weighs batches by
  // their sample count, as Keras's progress bar does.
  double batch1 = 0, n1 = 0, batch2 = 0, n2 = 0;
  for (Eigen::Index b = 0; b < 4; ++b)
    for (Eigen::Index t = 0; t < 5; ++t) {
      if (d.ids(b, t) == 0) continue;
      const double l = -std::log(p(b, t, static_cast<Eigen::Index>(d.tags(b, t, 0))));
      (b < 3 ? batch1 : batch2) += l;
      (b < 3 ? n1 : n2) += 1;
    }
  const double expected = (3 * batch1 / n1 + 1 * batch2 / n2) / 4;
  EXPECT_NEAR(r.at("loss"), expected, 1e-12);
  EXPECT_NEAR(r.at("accuracy"), right / steps, 1e-12);
  EXPECT_GT(std::abs(r.at("loss") - sum / steps), 1e-6) << "the test data must tell the two averages apart";
}

// One step of plain SGD changes every weight by -lr * dL/dw, with dL/dw from backward() of
// the loss gradient: the wiring of forward_train, the loss, backward and the optimizer.
TEST(TrainingApi, TrainStepWithSgdMovesEveryWeightByMinusLearningRateTimesItsGradient) {
  auto m = tagger();
  m.initialize(5);
  const auto d = tagging_data();
  const auto before = m.get_weights();

  // The gradient, computed by hand from the pieces: softmax outputs p, dL/dp of the mean
  // cross-entropy over valid steps.
  auto y = m.forward_train(d.ids);
  const Sequence<double>& p = y.front().sequence;
  double valid = 0;
  for (Eigen::Index b = 0; b < 4; ++b)
    for (Eigen::Index t = 0; t < 5; ++t) valid += d.ids(b, t) != 0;
  Sequence<double> dp(4, 5, 3);
  for (Eigen::Index b = 0; b < 4; ++b)
    for (Eigen::Index t = 0; t < 5; ++t)
      if (d.ids(b, t) != 0) {
        const auto label = static_cast<Eigen::Index>(d.tags(b, t, 0));
        dp(b, t, label) = -1.0 / (p(b, t, label) * valid);
      }
  const auto g = m.backward({Value<double>::of(dp)});

  train::SGDOptions sgd;
  sgd.learning_rate = 0.5;
  m.compile(std::make_unique<train::SGD<double>>(sgd), train::Loss<double>::from_name("sparse_categorical_crossentropy"));
  m.train_step(d.ids, nullptr, Value<double>::of(d.tags));
  const auto after = m.get_weights();
  ASSERT_EQ(after.size(), g.weights.size());
  double moved = 0;
  for (std::size_t i = 0; i < after.size(); ++i)
    for (std::size_t k = 0; k < after[i].values.size(); ++k) {
      EXPECT_NEAR(after[i].values[k], before[i].values[k] - 0.5 * g.weights[i].values[k], 1e-12) << "weight " << i;
      moved += std::abs(after[i].values[k] - before[i].values[k]);
    }
  EXPECT_GT(moved, 1e-3);
}

TEST(TrainingApi, FitLowersTheLossAndRecordsKerasHistoryNames) {
  auto m = tagger();
  m.initialize(3);
  train::AdamOptions adam;
  adam.learning_rate = 0.05;
  m.compile(std::make_unique<train::Adam<double>>(adam), train::Loss<double>::from_name("sparse_categorical_crossentropy"),
            {"accuracy"});
  const auto d = tagging_data();
  train::FitOptions o;
  o.epochs = 30;
  o.batch_size = 2;
  o.validation_split = 0.25;  // Keras: the last sample validates
  o.verbose = train::Verbosity::silent;
  const auto h = m.fit(d.ids, Value<double>::of(d.tags), o);
  EXPECT_EQ(h.names(), (std::vector<std::string>{"accuracy", "loss", "val_accuracy", "val_loss"}));
  ASSERT_EQ(h["loss"].size(), 30u);
  EXPECT_LT(h["loss"].back(), 0.5 * h["loss"].front());
  EXPECT_EQ(h["val_loss"].size(), 30u);
  EXPECT_THROW(h["precision"], config_error);
}

TEST(TrainingApi, FitIsReproducibleForASeedAndShufflingDependsOnIt) {
  const auto d = tagging_data();
  auto run = [&](std::uint64_t seed) {
    auto m = tagger();
    m.initialize(1);
    m.compile("adam", "sparse_categorical_crossentropy");
    train::FitOptions o;
    o.epochs = 3;
    o.batch_size = 1;
    o.seed = seed;
    o.verbose = train::Verbosity::silent;
    m.fit(d.ids, Value<double>::of(d.tags), o);
    return m.get_weights();
  };
  const auto a = run(1), b = run(1), c = run(2);
  EXPECT_EQ(a[1].values, b[1].values);
  EXPECT_NE(a[1].values, c[1].values);
}

TEST(TrainingApi, EpochVerbosityPrintsOneLinePerEpochWithTheMetrics) {
  auto m = tagger();
  m.initialize(2);
  m.compile("sgd", "sparse_categorical_crossentropy", {"accuracy"});
  const auto d = tagging_data();
  std::ostringstream os;
  train::FitOptions o;
  o.epochs = 2;
  o.batch_size = 2;
  o.verbose = train::Verbosity::epoch;
  o.out = &os;
  m.fit(d.ids, Value<double>::of(d.tags), o);
  const std::string s = os.str();
  EXPECT_THAT(s, HasSubstr("Epoch 1/2\n2/2 - "));
  EXPECT_THAT(s, HasSubstr("Epoch 2/2\n2/2 - "));
  EXPECT_THAT(s, HasSubstr(" - loss: "));
  EXPECT_THAT(s, HasSubstr(" - accuracy: "));
  std::ostringstream quiet;
  o.verbose = train::Verbosity::silent;
  o.out = &quiet;
  m.fit(d.ids, Value<double>::of(d.tags), o);
  EXPECT_EQ(quiet.str(), "");
}

TEST(TrainingApi, BarVerbosityRedrawsABarInPlaceAfterEveryBatch) {
  auto m = tagger();
  m.initialize(2);
  m.compile("sgd", "sparse_categorical_crossentropy");
  const auto d = tagging_data();
  std::ostringstream os;
  train::FitOptions o;
  o.epochs = 1;
  o.batch_size = 1;  // 4 batches: 4 redraws and the final line
  o.verbose = train::Verbosity::bar;
  o.out = &os;
  m.fit(d.ids, Value<double>::of(d.tags), o);
  const std::string s = os.str();
  EXPECT_EQ(std::count(s.begin(), s.end(), '\r'), 5);
  EXPECT_THAT(s, HasSubstr("1/4 [=======>"));
  EXPECT_THAT(s, HasSubstr("4/4 [==============================]"));
  EXPECT_EQ(s.back(), '\n');
}

TEST(TrainingApi, ValidationSplitTakesTheLastSamplesLikeKeras) {
  const auto [train_rows, val_rows] = train::split_rows(10, 0.25, "t");
  EXPECT_EQ(train_rows, (train::Rows{0, 1, 2, 3, 4, 5, 6, 7}));  // floor(10 * 0.25) = 2 validate
  EXPECT_EQ(val_rows, (train::Rows{8, 9}));
  EXPECT_THROW(train::split_rows(10, -0.1, "t"), config_error);
  const auto one = train::split_rows(1, 0.99, "t");  // floor(0.99) = 0 samples validate
  EXPECT_EQ(one.first.size(), 1u);
  EXPECT_TRUE(one.second.empty());
}

TEST(TrainingApi, TakeGathersSamplesInTheGivenOrder) {
  Sequence<float> x(3, 2, 2);
  for (Eigen::Index b = 0; b < 3; ++b)
    for (Eigen::Index t = 0; t < 2; ++t)
      for (Eigen::Index f = 0; f < 2; ++f) x(b, t, f) = static_cast<float>(100 * b + 10 * t + f);
  const auto y = train::take(x, {2, 0});
  EXPECT_EQ(y.batch(), 2);
  EXPECT_EQ(y(0, 1, 1), 211.0f);
  EXPECT_EQ(y(1, 0, 1), 1.0f);
  Mask m(3, 2);
  m << true, false, false, false, true, true;
  const Mask mt = train::take(m, {2, 0});
  EXPECT_TRUE(mt(0, 0) && mt(0, 1) && mt(1, 0) && !mt(1, 1));
}

TEST(TrainingApi, ShuffleRowsIsAPermutationThatDependsOnTheState) {
  train::Rows r(50);
  for (Eigen::Index k = 0; k < 50; ++k) r[static_cast<std::size_t>(k)] = k;
  std::uint64_t s1 = 1, s2 = 2;
  auto a = r, b = r;
  train::shuffle_rows(a, s1);
  train::shuffle_rows(b, s2);
  EXPECT_NE(a, r);
  EXPECT_NE(a, b);
  std::sort(a.begin(), a.end());
  EXPECT_EQ(a, r);
}

TEST(TrainingApi, InitializeIsDeterministicAndFollowsKerasDefaults) {
  Model<double> m({-1, 3}, "m");
  LSTM<double>::Config c;
  c.units = 4;
  m.emplace<BidirectionalLayer<LSTM<double>>>(3, c, MergeMode::concat, false);
  m.emplace<DenseLayer<double>>(Dense<double>(8, 2));
  m.initialize(9);
  const auto a = m.get_weights();
  m.initialize(9);
  EXPECT_EQ(a[0].values, m.get_weights()[0].values);
  m.initialize(10);
  EXPECT_NE(a[0].values, m.get_weights()[0].values);
  // Forward kernel (3, 16): glorot_uniform, |w| <= sqrt(6 / (3 + 16)).
  for (double v : a[0].values) EXPECT_LE(std::abs(v), std::sqrt(6.0 / 19.0));
  // Recurrent kernel (4, 16): orthogonal rows.
  Eigen::Map<const Eigen::Matrix<double, 4, 16, Eigen::RowMajor>> u(a[1].values.data());
  EXPECT_TRUE((u * u.transpose()).isApprox(Eigen::Matrix4d::Identity(), 1e-10));
  // LSTM bias: zeros with the forget block (units 4..7) at 1 (unit_forget_bias), both directions.
  for (std::size_t i : {std::size_t{2}, std::size_t{5}})
    for (std::size_t k = 0; k < 16; ++k) EXPECT_EQ(a[i].values[k], (k >= 4 && k < 8) ? 1.0 : 0.0) << i << ' ' << k;
  // Dense bias zeros.
  for (double v : a[7].values) EXPECT_EQ(v, 0.0);
}

TEST(TrainingApi, HistoryWritesKerasCsvLoggerColumns) {
  train::History h;
  h.add("loss", 0.5);
  h.add("loss", 0.25);
  h.add("accuracy", 0.75);
  h.add("accuracy", 1);
  std::ostringstream os;
  h.write_csv(os);
  EXPECT_EQ(os.str(), "epoch,accuracy,loss\n0,0.75,0.5\n1,1,0.25\n");
  EXPECT_EQ(h.epochs(), 2u);
}

TEST(TrainingApi, HistorySvgDrawsOnePolylinePerSeriesWithOnePointPerEpoch) {
  train::History h;
  for (int e = 0; e < 4; ++e) {
    h.add("loss", 1.0 / (e + 1));
    h.add("val_loss", 1.2 / (e + 1));
    h.add("accuracy", 0.5 + 0.1 * e);
    h.add("val_accuracy", 0.45 + 0.1 * e);
  }
  std::ostringstream os;
  h.write_svg(os, "a <title> & more");
  const std::string s = os.str();
  EXPECT_EQ(s.rfind("<svg ", 0), 0u);
  EXPECT_THAT(s, HasSubstr("</svg>\n"));
  EXPECT_THAT(s, HasSubstr("a &lt;title&gt; &amp; more"));
  std::size_t polylines = 0, circles = 0;
  for (std::size_t at = 0; (at = s.find("<polyline", at)) != std::string::npos; ++at) ++polylines;
  for (std::size_t at = 0; (at = s.find("<circle", at)) != std::string::npos; ++at) ++circles;
  EXPECT_EQ(polylines, 4u);
  EXPECT_EQ(circles, 16u);
  EXPECT_THROW(h.write_svg("/nonexistent-dir/x.svg"), io_error);
}

TEST(TrainingApi, WeightsFileRoundTripsExactlyAndChecksShapes) {
  auto m = tagger();
  m.initialize(4);
  const std::string path = temp_path("tagger.weights");
  io::save_weights(m, path);
  auto other = tagger();
  other.initialize(8);
  ASSERT_NE(other.get_weights()[0].values, m.get_weights()[0].values);
  io::load_weights(other, path);
  const auto a = m.get_weights(), b = other.get_weights();
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].shape, b[i].shape);
    EXPECT_EQ(a[i].values, b[i].values);
  }
  // In float: the values convert.
  const auto f = io::load_weights<float>(path);
  EXPECT_EQ(f[1].values[3], static_cast<float>(a[1].values[3]));

  // A model of another shape refuses the file with weight_error.
  Model<double> wrong({5}, "wrong");
  wrong.emplace<EmbeddingLayer<double>>(Embedding<double>(7, 3, true));
  EXPECT_THROW(io::load_weights(wrong, path), weight_error);
  std::remove(path.c_str());
}

TEST(TrainingApi, WeightsFileRejectsOtherFilesAndCutFiles) {
  const std::string path = temp_path("bad.weights");
  {
    std::ofstream f(path, std::ios::binary);
    f << "not a weights file";
  }
  try {
    io::load_weights<float>(path);
    FAIL();
  } catch (const io_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("expected a birnn weights file"));
  }
  io::save_weights<float>(path, {Tensor<float>({2, 3}, {1, 2, 3, 4, 5, 6})});
  std::string bytes;
  {
    std::ifstream f(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  {
    std::ofstream f(path, std::ios::binary);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size() - 3));
  }
  try {
    io::load_weights<float>(path);
    FAIL();
  } catch (const io_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("ends early"));
  }
  EXPECT_THROW(io::load_weights<float>(temp_path("missing.weights")), io_error);
  EXPECT_THROW(io::save_weights<float>("/nonexistent-dir/w", {}), io_error);
  std::remove(path.c_str());
}

// ---- Nothing lost: checkpoints, NaN losses, interrupted fits (issue 16) ----------------

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}
bool exists(const std::string& path) { return std::ifstream(path).good(); }
std::size_t csv_rows(const std::string& path) {  // data rows, without the header
  std::istringstream in(read_file(path));
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) n += !line.empty();
  return n == 0 ? 0 : n - 1;
}

// Linear SimpleRNN(3) -> Dense(1) regression on (8, 4, 2) values, SGD without shuffling, one
// batch per epoch. With a learning rate far past 2 / the largest curvature the weights grow
// by orders of magnitude at every step, so the loss overflows to inf or NaN after a few epochs.
struct Regression {
  Model<double> model{{4, 2}, "regression"};
  Sequence<double> x{8, 4, 2};
  Value<double> y = Value<double>::of(Batch<double>(8, 1));
  explicit Regression(double learning_rate) {
    model.add(keras::SimpleRNN(3).activation("linear"));
    model.add(keras::Dense(1));
    model.initialize(11);
    train::SGDOptions sgd;
    sgd.learning_rate = learning_rate;
    model.compile(std::make_unique<train::SGD<double>>(sgd), train::Loss<double>::from_name("mean_squared_error"));
    for (Eigen::Index b = 0; b < 8; ++b) {
      for (Eigen::Index t = 0; t < 4; ++t)
        for (Eigen::Index f = 0; f < 2; ++f) x(b, t, f) = std::sin(1.0 + b + 3.0 * t + 7.0 * f) * 10.0;
      y.matrix(b, 0) = std::cos(static_cast<double>(b));
    }
  }
  train::FitOptions options(int epochs) const {
    train::FitOptions o;
    o.epochs = epochs;
    o.batch_size = 8;
    o.shuffle = false;
    o.verbose = train::Verbosity::silent;
    return o;
  }
};

void expect_same_weights(const std::vector<Tensor<double>>& a, const std::vector<Tensor<double>>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].shape, b[i].shape) << "weight " << i;
    EXPECT_EQ(a[i].values, b[i].values) << "weight " << i;
  }
}

TEST(FitCheckpoint, HoldsTheWeightsAndHistoryOfTheLastEpoch) {
  Regression r(1e-4);
  auto o = r.options(3);
  o.checkpoint.weights = temp_path("ckpt.weights");
  o.checkpoint.history = temp_path("ckpt.csv");
  const auto h = r.model.fit(r.x, r.y, o);
  expect_same_weights(io::load_weights<double>(o.checkpoint.weights), r.model.get_weights());
  std::ostringstream csv;
  h.write_csv(csv);
  EXPECT_EQ(read_file(o.checkpoint.history), csv.str());
  EXPECT_FALSE(exists(o.checkpoint.weights + ".tmp"));
  EXPECT_FALSE(exists(o.checkpoint.history + ".tmp"));
  // A checkpoint that cannot be written is an io_error naming the model and the path.
  o.checkpoint.weights = "/nonexistent-dir/w";
  try {
    r.model.fit(r.x, r.y, o);
    FAIL();
  } catch (const io_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("birnn::Model 'regression': fit: checkpoint '/nonexistent-dir/w'"));
  }
  std::remove(temp_path("ckpt.weights").c_str());
  std::remove(temp_path("ckpt.csv").c_str());
}

TEST(FitCheckpoint, ANonFiniteLossStopsFitWithTheLastGoodEpochInTheModelAndOnDisk) {
  Regression r(1e40);
  auto o = r.options(50);
  o.checkpoint.weights = temp_path("nan.weights");
  o.checkpoint.history = temp_path("nan.csv");
  std::remove(o.checkpoint.weights.c_str());
  std::remove(o.checkpoint.history.c_str());
  const auto start = r.model.get_weights();
  try {
    r.model.fit(r.x, r.y, o);
    FAIL() << "the loss should have overflowed";
  } catch (const value_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("fit stopped in epoch"));
    EXPECT_THAT(e.what(), HasSubstr("(as the checkpoint has)"));
  }
  // The good epochs are on disk, every loss finite; the model holds their weights.
  const std::size_t good = csv_rows(o.checkpoint.history);
  ASSERT_GE(good, 1u) << "the setup should diverge after at least one good epoch";
  std::istringstream csv(read_file(o.checkpoint.history));
  std::string line;
  std::getline(csv, line);
  EXPECT_EQ(line, "epoch,loss");
  while (std::getline(csv, line)) EXPECT_TRUE(std::isfinite(std::stod(line.substr(line.find(',') + 1)))) << line;
  expect_same_weights(r.model.get_weights(), io::load_weights<double>(o.checkpoint.weights));
  // Those are the weights of `good` epochs trained afresh, which do not fail.
  Regression fresh(1e40);
  fresh.model.set_weights(start);
  fresh.model.fit(fresh.x, fresh.y, fresh.options(static_cast<int>(good)));
  expect_same_weights(r.model.get_weights(), fresh.model.get_weights());
  // The optimizer went back too: one more good epoch from here is that fresh run's next one.
  EXPECT_EQ(r.model.optimizer().iterations(), fresh.model.optimizer().iterations());
  std::remove(o.checkpoint.weights.c_str());
  std::remove(o.checkpoint.history.c_str());
}

TEST(FitCheckpoint, AFailureInTheFirstEpochGivesBackTheStartingWeights) {
  Regression r(1e-4);
  const auto start = r.model.get_weights();
  r.y.matrix(7, 0) = std::numeric_limits<double>::quiet_NaN();  // the last sample's target
  auto o = r.options(3);
  o.batch_size = 2;  // three good steps before the NaN target's batch
  try {
    r.model.fit(r.x, r.y, o);
    FAIL();
  } catch (const value_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("fit stopped in epoch 1, the model has the weights it started with"));
  }
  expect_same_weights(r.model.get_weights(), start);
  EXPECT_EQ(r.model.optimizer().iterations(), 0);
}

TEST(FitCheckpoint, AKilledFitLeavesACompleteCheckpointOfAFinishedEpoch) {
  const std::string weights = temp_path("killed.weights"), history = temp_path("killed.csv");
  for (int delay_ms : {1, 9, 37}) {
    std::remove(weights.c_str());
    std::remove(history.c_str());
    Regression r(1e-4);
    const auto start = r.model.get_weights();
    auto o = r.options(1000000);
    o.checkpoint.weights = weights;
    o.checkpoint.history = history;
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {  // trains until it is killed
      try {
        r.model.fit(r.x, r.y, o);
      } catch (...) {
      }
      _exit(3);
    }
    for (int i = 0; i < 20000 && !exists(history); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the child ended by itself, status " << status;
    // Both files are whole: the weights parse, the history has one row per finished epoch.
    // The weights are renamed first, so they are of that epoch or of the one after it.
    const auto saved = io::load_weights<double>(weights);
    const std::size_t epochs = csv_rows(history);
    ASSERT_GE(epochs, 1u);
    Regression fresh(1e-4);
    fresh.model.set_weights(start);
    fresh.model.fit(fresh.x, fresh.y, fresh.options(static_cast<int>(epochs)));
    if (saved[0].values != fresh.model.get_weights()[0].values)
      fresh.model.fit(fresh.x, fresh.y, fresh.options(1));
    expect_same_weights(saved, fresh.model.get_weights());
  }
  std::remove(weights.c_str());
  std::remove(history.c_str());
  std::remove((weights + ".tmp").c_str());
  std::remove((history + ".tmp").c_str());
}

TEST(AtomicFile, AWriterThatThrowsLeavesTheOldFileWholeAndNoTemporary) {
  const std::string path = temp_path("atomic.txt");
  detail::write_file_atomically(path, "test", [](std::ostream& os) { os << "old contents"; });
  EXPECT_EQ(read_file(path), "old contents");
  EXPECT_THROW(detail::write_file_atomically(path, "test",
                                             [](std::ostream& os) {
                                               os << "half of the new";
                                               throw std::runtime_error("interrupted");
                                             }),
               std::runtime_error);
  EXPECT_EQ(read_file(path), "old contents");
  EXPECT_FALSE(exists(path + ".tmp"));
  detail::write_file_atomically(path, "test", [](std::ostream& os) { os << "new"; });
  EXPECT_EQ(read_file(path), "new");
  try {
    detail::write_file_atomically("/nonexistent-dir/f", "birnn::io::save_weights '/nonexistent-dir/f'",
                                  [](std::ostream& os) { os << "x"; });
    FAIL();
  } catch (const io_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("birnn::io::save_weights '/nonexistent-dir/f': cannot open '/nonexistent-dir/f.tmp'"));
  }
  std::remove(path.c_str());
}

}  // namespace
