// The Keras model-file loaders (io/keras_file.hpp): what a file's kind is decided by, the
// Keras versions' meanings, and every kind of bad file giving a typed error that names the
// file (docs/keras_files.md lists them). The numbers of good files are checked by the
// conformance runner on tests/data/keras_files (golden outputs from the conformance cases
// and Keras). Built only with birnn::keras_files (HDF5, libzip).

#include <birnn/birnn.hpp>
#include <birnn/io/keras_file.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "message_of.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
namespace fs = std::filesystem;
namespace keras = birnn::keras;

const std::string dir = BIRNN_TEST_DATA_DIR "/keras_files/";

std::vector<char> bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// A file in the test's temporary directory holding `bytes`.
std::string temp_file(const std::string& name, const std::vector<char>& bytes) {
  const fs::path p = fs::temp_directory_path() / ("birnn_keras_files_" + name);
  std::ofstream out(p, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return p.string();
}

using birnn_test::message_of;

TEST(KerasFiles, TheKindComesFromTheBytesNotTheName) {
  EXPECT_EQ(keras::file_kind(dir + "k3_tagger.keras"), keras::FileKind::zip);
  EXPECT_EQ(keras::file_kind(dir + "tf2_tagger.h5"), keras::FileKind::hdf5);
  // A Keras 3 archive named .h5 and an HDF5 file named .keras load all the same.
  const auto zip = temp_file("archive.h5", bytes_of(dir + "k3_tagger.keras"));
  const auto h5 = temp_file("legacy.keras", bytes_of(dir + "tf2_tagger.h5"));
  const auto a = keras::load_model<float>(zip), b = keras::load_model<float>(h5);
  EXPECT_EQ(a.count_params(), keras::load_model<float>(dir + "k3_tagger.keras").count_params());
  EXPECT_EQ(b.count_params(), keras::load_model<float>(dir + "tf2_tagger.h5").count_params());
  EXPECT_EQ(a.get_weights().size(), b.get_weights().size());
  fs::remove(zip);
  fs::remove(h5);
}

TEST(KerasFiles, LayersAndParameterCountsAreKeras) {
  // Embedding(29, 3) -> Bidirectional(LSTM(3), concat) -> Dense(3): Keras counts
  // input_dim * output_dim, 2 directions * 4 gates * (units * (in + units) + units), and
  // in * units + units.
  const auto m = keras::load_model<float>(dir + "k3_tagger.keras");
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m.layer(0).class_name(), "Embedding");
  EXPECT_EQ(m.layer(1).class_name(), "Bidirectional");
  EXPECT_EQ(m.layer(2).class_name(), "Dense");
  EXPECT_EQ(m.layer(0).count_params(), 29 * 3);
  EXPECT_EQ(m.layer(1).count_params(), 2 * 4 * (3 * (3 + 3) + 3));
  EXPECT_EQ(m.layer(2).count_params(), 6 * 3 + 3);
  EXPECT_EQ(m.count_params(), 29 * 3 + 2 * 4 * (3 * (3 + 3) + 3) + 6 * 3 + 3);
}

TEST(KerasFiles, Keras3StorePathsAreClassNamesMadeUnique) {
  birnn::Model<float> m(birnn::Shape{4, 3}, "m");
  m.add(keras::Bidirectional(keras::LSTM(2).return_sequences(true)).name("first"));
  m.add(keras::Bidirectional(keras::GRU(2)).name("second"));
  m.add(keras::Dense(1).name("out"));
  m.add(keras::Dense(1));
  EXPECT_EQ(keras::keras3_store_paths(m),
            (std::vector<std::string>{"layers/bidirectional", "layers/bidirectional_1", "layers/dense",
                                      "layers/dense_1"}));
  EXPECT_EQ(keras::detail::snake_case("SimpleRNN"), "simple_rnn");
  EXPECT_EQ(keras::detail::snake_case("GlobalAveragePooling1D"), "global_average_pooling1d");
  EXPECT_EQ(keras::detail::snake_case("LSTM"), "lstm");
}

TEST(KerasFiles, KerasVersionsGiveTheirMaths) {
  // keras_version decides hard_sigmoid and the GRU reset_after default.
  const auto k2 = keras::detail::dialect_of("2.15.0", "f");
  EXPECT_EQ(k2.keras_major, 2);
  EXPECT_TRUE(k2.gru_reset_after_default);
  EXPECT_FALSE(keras::detail::dialect_of("2.2.4", "f").gru_reset_after_default);
  EXPECT_EQ(keras::detail::dialect_of("3.6.0", "f").keras_major, 3);
  EXPECT_THAT(message_of<birnn::config_error>([] { keras::detail::dialect_of("1.2.2", "old.h5"); }),
              AllOf(HasSubstr("old.h5"), HasSubstr("Keras 1")));
  EXPECT_THAT(message_of<birnn::config_error>([] { keras::detail::dialect_of("tf", "x.h5"); }), HasSubstr("x.h5"));
  // Keras 2's hard_sigmoid is clip(0.2 x + 0.5): at x = 2 it is 0.9 (Keras 3's: 5/6).
  Eigen::MatrixXd v(1, 2);
  v << 2.0, -3.0;
  Eigen::MatrixXd w = v;
  birnn::detail::activate(birnn::Activation::hard_sigmoid_keras2, v);
  birnn::detail::activate(birnn::Activation::hard_sigmoid, w);
  EXPECT_DOUBLE_EQ(v(0, 0), 0.9);
  EXPECT_DOUBLE_EQ(v(0, 1), 0.0);
  EXPECT_DOUBLE_EQ(w(0, 0), 2.0 / 6 + 0.5);
}

// ---- Bad files: each a typed error naming the file ------------------------------------

TEST(KerasFilesBad, MissingFile) {
  EXPECT_THAT(message_of<birnn::io_error>([] { keras::load_model<float>("/nonexistent/m.keras"); }),
              HasSubstr("/nonexistent/m.keras"));
}

TEST(KerasFilesBad, NeitherZipNorHdf5) {
  const auto p = temp_file("text.keras", std::vector<char>{'{', '}', '\n'});
  EXPECT_THAT(message_of<birnn::io_error>([&] { keras::load_model<float>(p); }),
              AllOf(HasSubstr(p), HasSubstr("neither")));
  const auto empty = temp_file("empty.h5", {});
  EXPECT_THAT(message_of<birnn::io_error>([&] { keras::load_model<float>(empty); }), HasSubstr(empty));
  fs::remove(p);
  fs::remove(empty);
}

TEST(KerasFilesBad, TruncatedFiles) {
  for (const char* name : {"k3_tagger.keras", "tf2_tagger.h5", "k3w_tagger.weights.h5"}) {
    const auto bytes = bytes_of(dir + name);
    for (const double keep : {0.1, 0.5, 0.9, 0.99}) {
      std::vector<char> part(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(bytes.size() * keep));
      const auto p = temp_file(std::string("truncated_") + name, part);
      SCOPED_TRACE(std::string(name) + " cut at " + std::to_string(keep));
      const std::string what = message_of<birnn::error>([&] {
        if (std::string(name).find("weights") != std::string::npos) {
          auto m = keras::load_model<float>(dir + "k3_tagger.keras");
          keras::load_weights(m, p);
        } else {
          keras::load_model<float>(p);
        }
      });
      EXPECT_THAT(what, HasSubstr(p));
      fs::remove(p);
    }
  }
}

TEST(KerasFilesBad, CorruptZipMemberFailsItsChecksum) {
  auto bytes = bytes_of(dir + "k3_tagger.keras");
  // The members are stored: flip a byte in the middle of the archive (inside model.weights.h5).
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x5A);
  const auto p = temp_file("corrupt.keras", bytes);
  EXPECT_THAT(message_of<birnn::io_error>([&] { keras::load_model<float>(p); }), HasSubstr(p));
  fs::remove(p);
}

TEST(KerasFilesBad, WeightsOfAnotherModel) {
  // The tagger's weights into a model of other sizes: the layer, the expected and the actual shape.
  birnn::Model<float> m(birnn::Shape{4}, "m");
  m.add(keras::Embedding(29, 3).mask_zero(true));
  m.add(keras::Bidirectional(keras::LSTM(5).return_sequences(true)));
  m.add(keras::Dense(2));
  const std::string w = dir + "k3w_tagger.weights.h5";
  EXPECT_THAT(message_of<birnn::weight_error>([&] { keras::load_weights(m, w); }),
              AllOf(HasSubstr(w), HasSubstr("bidirectional"), HasSubstr("expected"), HasSubstr("got")));
  EXPECT_THAT(message_of<birnn::weight_error>([&] { keras::load_weights(m, dir + "tf2w_tagger.h5"); }),
              AllOf(HasSubstr("tf2w_tagger.h5"), HasSubstr("expected"), HasSubstr("got")));
  // Fewer layers with weights than the file has.
  birnn::Model<float> small(birnn::Shape{4}, "small");
  small.add(keras::Embedding(29, 3));
  EXPECT_THAT(message_of<birnn::weight_error>([&] { keras::load_weights(small, dir + "tf2w_tagger.h5"); }),
              AllOf(HasSubstr("layers with weights"), HasSubstr("expected 1"), HasSubstr("got 3")));
  EXPECT_THAT(message_of<birnn::weight_error>([&] { keras::load_weights(small, w); }), HasSubstr(w));
}

TEST(KerasFilesBad, AFailedLoadLeavesTheWeights) {
  auto m = keras::load_model<float>(dir + "k3_tagger.keras");
  const auto before = m.get_weights();
  EXPECT_THROW(keras::load_weights(m, dir + "k3w_bidi_lstm_concat.weights.h5"), birnn::weight_error);
  const auto after = m.get_weights();
  ASSERT_EQ(before.size(), after.size());
  for (std::size_t i = 0; i < before.size(); ++i) EXPECT_EQ(before[i].values, after[i].values);
}

TEST(KerasFilesBad, WeightsOnlyFileGivenToLoadModel) {
  EXPECT_THAT(message_of<birnn::io_error>([&] { keras::load_model<float>(dir + "tf2w_tagger.h5"); }),
              AllOf(HasSubstr("tf2w_tagger.h5"), HasSubstr("load_weights")));
}

TEST(KerasFiles, FunctionalModelsLoadWithTheirInputsAndLayers) {
  // Keras's config: Input a [5, 3], Input b [5, 2] -> Concatenate -> Bidirectional(GRU(3)) -> Dense(2).
  const auto m = keras::load_model<float>(dir + "functional/k3_func_two_inputs.keras");
  ASSERT_TRUE(m.is_functional());
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m.layer(0).class_name(), "Concatenate");
  EXPECT_EQ(m.output_shape(0), (birnn::Shape{5, 5}));
  // GRU(reset_after) on 5 features: 2 directions * 3 gates * (3 * (5 + 3) + 2 * 3).
  EXPECT_EQ(m.layer(1).count_params(), 2 * 3 * (3 * (5 + 3) + 2 * 3));
  EXPECT_EQ(m.name(), "two_inputs");
}

TEST(KerasFiles, FunctionalWeightsFilesLoadIntoTheModelOfTheirConfig) {
  // Each case of tests/data/keras_layers/functional_weights names the .keras file whose model
  // the weights belong to; the weights replace zeroed ones, and the outputs are Keras's.
  const std::string layers = std::string(BIRNN_TEST_DATA_DIR) + "/keras_layers/";
  int cases = 0;
  for (const auto& entry : std::filesystem::directory_iterator(layers + "functional_weights")) {
    if (entry.path().extension() != ".json") continue;
    ++cases;
    std::ifstream in(entry.path());
    const auto c = nlohmann::json::parse(in);
    auto model = keras::load_model<double>(layers + c.at("model_of").get<std::string>());
    auto zero = model.get_weights();
    for (auto& t : zero) std::fill(t.values.begin(), t.values.end(), 0.0);
    model.set_weights(zero);
    keras::load_weights(model, entry.path().parent_path().string() + "/" + c.at("file").get<std::string>());
    const auto shapes = model.input_shapes();
    std::vector<birnn::Flow<double>> flows;
    for (std::size_t k = 0; k < shapes.size(); ++k) {
      const auto& a = c.at("inputs").at(k);
      const auto shape = a.at("shape").get<std::vector<Eigen::Index>>();
      const auto data = a.at("data").get<std::vector<double>>();
      if (shapes[k].size() == 1) {
        birnn::TokenIds ids(shape[0], shape[1]);
        for (Eigen::Index i = 0; i < ids.size(); ++i) ids.data()[i] = static_cast<std::int64_t>(data[std::size_t(i)]);
        flows.push_back(birnn::Flow<double>::of(std::move(ids)));
      } else {
        birnn::Sequence<double> x(shape[0], shape[1], shape[2]);
        std::copy(data.begin(), data.end(), x.data());
        flows.push_back(birnn::Flow<double>::of(std::move(x)));
      }
    }
    const auto y = model.predict(flows);
    ASSERT_EQ(y.size(), c.at("outputs").size()) << entry.path();
    for (std::size_t i = 0; i < y.size(); ++i) {
      const auto expected = c.at("outputs").at(i).at("data").get<std::vector<double>>();
      const auto got = y[i].values();
      ASSERT_EQ(got.size(), expected.size()) << entry.path();
      for (std::size_t k = 0; k < got.size(); ++k) EXPECT_NEAR(got[k], expected[k], 1e-5) << entry.path() << " output " << i;
    }
  }
  EXPECT_EQ(cases, 3);
}

TEST(KerasFilesBad, SharedLayersAndCallArgumentsAreRefusedByName) {
  // A Functional config whose Dense is called twice (Keras 3 spelling), then one that passes
  // initial_state (tf.keras 2 spelling).
  const auto shared = nlohmann::json::parse(R"({"class_name": "Functional", "config": {"name": "f",
      "layers": [{"class_name": "InputLayer", "name": "x", "config": {"batch_shape": [null, 4, 3], "name": "x"},
                  "inbound_nodes": []},
                 {"class_name": "Dense", "name": "d", "config": {"name": "d", "units": 2}, "inbound_nodes": [
                   {"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": ["x", 0, 0]}}], "kwargs": {}},
                   {"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": ["x", 0, 0]}}], "kwargs": {}}]}],
      "input_layers": [["x", 0, 0]], "output_layers": [["d", 0, 0]]}})");
  EXPECT_THAT(message_of<birnn::config_error>([&] { keras::model_from_config<float>(shared); }),
              AllOf(HasSubstr("Dense 'd'"), HasSubstr("called 2 times")));
  const auto state = nlohmann::json::parse(R"({"class_name": "Model", "config": {"name": "f",
      "layers": [{"class_name": "InputLayer", "name": "x", "config": {"batch_input_shape": [null, 4, 3], "name": "x"},
                  "inbound_nodes": []},
                 {"class_name": "LSTM", "name": "l", "config": {"name": "l", "units": 2},
                  "inbound_nodes": [[["x", 0, 0, {"initial_state": [["x", 0, 0]]}]]]}],
      "input_layers": [["x", 0, 0]], "output_layers": [["l", 0, 0]]}})");
  EXPECT_THAT(message_of<birnn::config_error>([&] { keras::model_from_config<float>(state); }),
              AllOf(HasSubstr("LSTM 'l'"), HasSubstr("call argument 'initial_state' is not supported")));
}

}  // namespace
