// The rows of docs/reliability.md's bad-input table that no other test covers with their
// message: each bad input throws its typed error naming the layer or file, the expected and
// the actual value. Bad files are built here (a weights header, a zip archive, a `.weights.h5`
// by HDF5's C API). NaN and inf inputs are not errors: they propagate, as in Keras.
// The file tests need birnn::keras_files; without it CMake defines BIRNN_NO_KERAS_FILES.

#include <birnn/birnn.hpp>
#include <birnn/io/keras_model.hpp>
#include <birnn/io/weights_file.hpp>
#if !defined(BIRNN_NO_KERAS_FILES)
#include <birnn/io/keras_file.hpp>
#include <hdf5.h>
#include <sys/resource.h>
#endif

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "message_of.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
namespace keras = birnn::keras;

std::string temp_path(const std::string& name) { return ::testing::TempDir() + "birnn_bad_input_" + name; }

using birnn_test::message_of;

void put_le(std::string& b, std::uint64_t v, int n) {
  for (int k = 0; k < n; ++k) b.push_back(static_cast<char>((v >> (8 * k)) & 0xFF));
}

// ---- Shapes and masks of a runtime Model ------------------------------------------------

birnn::Model<float> tagger() {
  birnn::Model<float> m(birnn::Shape{5, 3}, "tagger");
  m.add(keras::Bidirectional(keras::LSTM(4).return_sequences(true)));
  m.add(keras::Dense(2));
  m.initialize(7);
  return m;
}

TEST(BadInput, ModelPredictWithTheWrongFeatureCountThrowsAShapeError) {
  auto m = tagger();
  EXPECT_THAT(message_of<birnn::shape_error>([&] { m.predict(birnn::Sequence<float>(2, 5, 4)); }),
              AllOf(HasSubstr("'forward_lstm'"), HasSubstr("input features"), HasSubstr("expected 3, got 4")));
  // Token ids into a model that reads values.
  EXPECT_THAT(message_of<birnn::shape_error>([&] { m.predict(birnn::TokenIds::Zero(2, 5)); }),
              AllOf(HasSubstr("birnn::Model 'tagger'"), HasSubstr("token ids need an Embedding first layer")));
}

TEST(BadInput, ModelPredictWithAMaskOfTheWrongShapeThrowsAMaskError) {
  auto m = tagger();
  const birnn::Sequence<float> x(2, 5, 3);
  EXPECT_THAT(message_of<birnn::mask_error>([&] { m.predict(x, birnn::Mask::Constant(2, 4, true)); }),
              AllOf(HasSubstr("'forward_lstm'"), HasSubstr("expected (2, 5), got (2, 4)")));
  EXPECT_THAT(message_of<birnn::mask_error>([&] { m.predict(x, birnn::Mask::Constant(3, 5, true)); }),
              HasSubstr("expected (2, 5), got (3, 5)"));
}

// ---- NaN and inf: not errors, as in Keras ----------------------------------------------

TEST(BadInput, NaNAndInfInInputsPropagateAndLeaveTheOtherRowsAlone) {
  birnn::Model<float> m(birnn::Shape{4, 3}, "m");
  m.add(keras::Bidirectional(keras::LSTM(4)));
  m.add(keras::Dense(2));
  m.initialize(3);
  birnn::Sequence<float> clean(3, 4, 3);
  for (Eigen::Index i = 0; i < clean.matrix().size(); ++i) clean.data()[i] = static_cast<float>(i % 5) / 5 - 0.3f;
  const auto reference = m.predict(clean).front().matrix;
  for (const float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    SCOPED_TRACE(bad);
    auto x = clean;
    x(1, 2, 0) = bad;  // sample 1, step 2, feature 0
    birnn::Batch<float> y;
    ASSERT_NO_THROW(y = m.predict(x).front().matrix);
    ASSERT_EQ(y.rows(), 3);
    for (Eigen::Index c = 0; c < y.cols(); ++c) {
      if (std::isnan(bad)) {
        EXPECT_TRUE(std::isnan(y(1, c))) << "column " << c;  // both directions saw it
      }
      for (const Eigen::Index r : {0, 2}) {  // the rows without it are those of the clean batch
        EXPECT_TRUE(std::isfinite(y(r, c)));
        EXPECT_EQ(y(r, c), reference(r, c));
      }
    }
  }
}

// ---- Weights and birnn weights files ----------------------------------------------------

TEST(BadInput, ModelSetWeightsOfTheWrongCountOrAWeightsFileOfAnotherModel) {
  auto m = tagger();
  auto w = m.get_weights();
  w.pop_back();
  EXPECT_THAT(message_of<birnn::weight_error>([&] { m.set_weights(w); }),
              HasSubstr("birnn::Model 'tagger': weight count: expected 8, got 7"));  // 2 * 3 LSTM + 2 Dense
  const std::string path = temp_path("other.weights");
  birnn::io::save_weights<float>(path, {birnn::Tensor<float>({2, 3}, {1, 2, 3, 4, 5, 6})});
  EXPECT_THAT(message_of<birnn::weight_error>([&] { birnn::io::load_weights(m, path); }),
              AllOf(HasSubstr("birnn::Model 'tagger'"), HasSubstr("expected 8, got 1")));
  std::remove(path.c_str());
  const std::string missing = temp_path("missing.weights");
  EXPECT_THAT(message_of<birnn::io_error>([&] { birnn::io::load_weights<float>(missing); }),
              AllOf(HasSubstr(missing), HasSubstr("cannot open the file for reading")));
}

/// A BIRNNW01 header: value size, one tensor of `dims`, and no values.
std::string weights_header(std::uint32_t value_size, const std::vector<std::uint64_t>& dims, std::uint64_t count = 1) {
  std::string b = "BIRNNW01";
  put_le(b, value_size, 4);
  put_le(b, count, 8);
  put_le(b, dims.size(), 8);
  for (auto d : dims) put_le(b, d, 8);
  return b;
}

std::string parse_message(const std::string& bytes) {
  return message_of<birnn::io_error>([&] {
    birnn::io::parse_weights<float>(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), "w.bin");
  });
}

TEST(BadInput, AWeightsFileClaimingAHugeTensorIsAnIoErrorBeforeAnyAllocation) {
  // 2^17 x 2^17 = 2^34 floats (64 GiB) claimed by a 40-byte file.
  EXPECT_THAT(parse_message(weights_header(4, {131072, 131072})),
              AllOf(HasSubstr("birnn::io::load_weights 'w.bin'"), HasSubstr("tensor 0 of shape (131072, 131072)"),
                    HasSubstr("needs 68719476736 bytes, the file holds 0 more: the file ends early")));
  EXPECT_THAT(parse_message(weights_header(4, {4294967296, 8})), HasSubstr("tensor 0 is too large"));
  // A zero makes the tensor empty, but the other dimensions' product (2^64, which wraps to 0
  // in 64 bits) is refused all the same (fuzz finding 11).
  EXPECT_THAT(parse_message(weights_header(4, {4294967296, 4294967296, 0})), HasSubstr("tensor 0 is too large"));
  EXPECT_THAT(parse_message(weights_header(4, {0, 4294967296, 4294967296})), HasSubstr("tensor 0 is too large"));
  EXPECT_THAT(parse_message(weights_header(4, {8589934592})), HasSubstr("tensor 0 dimension too large: 8589934592"));
  EXPECT_THAT(parse_message(weights_header(4, {2}, 1ull << 40)),
              HasSubstr("tensor count: expected at most 1048576, got 1099511627776"));
}

TEST(BadInput, AWeightsFileOfAnotherValueTypeIsAnIoError) {
  // Two-byte (half) values: birnn writes 4 (float) or 8 (double).
  EXPECT_THAT(parse_message(weights_header(2, {1}) + "xx"),
              AllOf(HasSubstr("'w.bin'"), HasSubstr("value size: expected 4 or 8, got 2")));
}

// ---- Keras configs and JSON -------------------------------------------------------------

TEST(BadInput, MalformedOrMissingKerasJsonIsAConfigErrorNamingTheFile) {
  const std::string path = temp_path("model.json");
  std::ofstream(path) << R"({"class_name": "Sequential", "config": {"layers": [)";
  EXPECT_THAT(message_of<birnn::config_error>([&] { keras::read_json(path); }),
              AllOf(HasSubstr("birnn::keras: '" + path + "' is not valid JSON"), HasSubstr("parse error")));
  std::remove(path.c_str());
  EXPECT_THAT(message_of<birnn::config_error>([&] { keras::read_json(temp_path("missing.json")); }),
              HasSubstr("birnn::keras: cannot open '" + temp_path("missing.json") + "'"));
  // Valid JSON, a value of the wrong type.
  const auto wrong = nlohmann::json::parse(R"([{"class_name": "LSTM", "config": {"name": "lstm", "units": "four"},
                                               "build_config": {"input_shape": [null, 6, 4]}}])");
  EXPECT_THAT(message_of<birnn::config_error>([&] { keras::model_from_config<float>(wrong); }),
              HasSubstr("birnn::keras: LSTM 'lstm': units: expected a positive integer, got \"four\""));
}

TEST(BadInput, UnsupportedKerasSettingsNameTheLayerTheSettingAndTheChoices) {
  const auto lstm = [](const nlohmann::json& extra) {
    nlohmann::json c = {{"name", "lstm_7"}, {"units", 4}};
    c.update(extra);
    return nlohmann::json{{"class_name", "LSTM"}, {"config", c}};
  };
  const auto message = [](const nlohmann::json& layer) {
    return message_of<birnn::config_error>([&] { (void)keras::layer_from_config<float>(layer, birnn::Shape{6, 4}); });
  };
  for (const std::string key : {"stateful", "unroll", "time_major"})
    EXPECT_THAT(message(lstm({{key, true}})), HasSubstr("birnn::keras: LSTM 'lstm_7': " + key + "=True is not supported"));
  EXPECT_THAT(message(lstm({{"activation", "swishy"}})),
              AllOf(HasSubstr("LSTM 'lstm_7': 'activation'"), HasSubstr("expected one of linear, tanh, sigmoid"),
                    HasSubstr("got 'swishy'")));
  EXPECT_THAT(message({{"class_name", "Conv1D"}, {"config", {{"name", "conv1d"}}}}),
              AllOf(HasSubstr("birnn::keras: Conv1D 'conv1d': layer class 'Conv1D' is not supported (expected Embedding"),
                    HasSubstr("Average or Multiply)")));
  const nlohmann::json bi = {{"class_name", "Bidirectional"},
                             {"config", {{"name", "bidirectional"},
                                         {"layer", lstm({{"name", "forward_lstm"}, {"return_sequences", true}})},
                                         {"backward_layer", lstm({{"name", "lstm_1"}, {"go_backwards", true}})}}}};
  EXPECT_THAT(message(bi), HasSubstr("'bidirectional': backward layer 'lstm_1': return_sequences: expected True (as "
                                     "forward layer 'forward_lstm'), got False"));
}

#if !defined(BIRNN_NO_KERAS_FILES)

// ---- Zip archives (.keras) ----------------------------------------------------------------

std::uint32_t crc32(const std::string& s) {
  std::uint32_t c = 0xFFFFFFFFu;
  for (unsigned char ch : s) {
    c ^= ch;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return ~c;
}

struct Member {
  std::string name, data;
  std::uint64_t claimed;  // the uncompressed size the headers claim; past 4 GiB as Zip64
};

/// A zip archive of stored members, each header claiming its member's `claimed` size.
std::string zip_of(const std::vector<Member>& members) {
  std::string out, central;
  for (const auto& m : members) {
    const bool z64 = m.claimed >= 0xFFFFFFFFu;
    std::string head;
    put_le(head, z64 ? 45 : 20, 2);  // version needed
    put_le(head, 0, 8);              // flags, method (0: stored), time, date
    put_le(head, crc32(m.data), 4);
    put_le(head, z64 ? 0xFFFFFFFFu : m.data.size(), 4);
    put_le(head, z64 ? 0xFFFFFFFFu : m.claimed, 4);
    put_le(head, m.name.size(), 2);
    std::string extra;
    if (z64) {
      put_le(extra, 1, 2);
      put_le(extra, 16, 2);
      put_le(extra, m.claimed, 8);
      put_le(extra, m.data.size(), 8);
    }
    put_le(head, extra.size(), 2);
    const std::uint64_t offset = out.size();
    out += "PK\x03\x04" + head + m.name + extra + m.data;
    central += "PK\x01\x02";
    put_le(central, 20, 2);  // version made by
    central += head;
    put_le(central, 0, 6);  // comment length, disk, internal attributes
    put_le(central, 0, 4);  // external attributes
    put_le(central, offset, 4);
    central += m.name + extra;
  }
  const std::uint64_t at = out.size();
  out += central + "PK\x05\x06";
  put_le(out, 0, 4);
  put_le(out, members.size(), 2);
  put_le(out, members.size(), 2);
  put_le(out, central.size(), 4);
  put_le(out, at, 4);
  put_le(out, 0, 2);
  return out;
}

std::string load_model_message(const std::string& bytes, const std::string& label, std::size_t size = 0) {
  return message_of<birnn::io_error>([&] { keras::load_model<float>(bytes.data(), size ? size : bytes.size(), label); });
}

std::string fixture(const std::string& name) {
  std::ifstream in(BIRNN_TEST_DATA_DIR "/keras_files/" + name, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(BadInput, CutOrCorruptKerasFilesInMemoryAreIoErrors) {
  for (const std::string name : {"k3_tagger.keras", "tf2_tagger.h5"}) {
    const std::string bytes = fixture(name);
    ASSERT_GT(bytes.size(), 1000u) << name;
    for (const double keep : {0.1, 0.5, 0.9, 0.99}) {
      const std::string label = name + " cut at " + std::to_string(keep);
      EXPECT_THAT(load_model_message(bytes, label, static_cast<std::size_t>(bytes.size() * keep)),
                  HasSubstr("'" + label + "': cannot open it as " +
                            (name == "tf2_tagger.h5" ? "an HDF5 file (corrupt?)" : "a zip archive: Not a zip archive")));
    }
  }
  // A flipped byte in the middle of the archive, inside the stored member model.weights.h5.
  std::string bytes = fixture("k3_tagger.keras");
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x5A);
  EXPECT_THAT(load_model_message(bytes, "flipped.keras"),
              HasSubstr("'flipped.keras' member 'model.weights.h5': cannot read it: CRC error"));
}

TEST(BadInput, AKerasZipMemberClaimingMoreThanAllowedIsRefusedBeforeReading) {
  const std::string config = R"({"class_name": "Sequential"})";
  // Claims as they are: the archive reads back (the builder makes valid archives).
  const auto good = zip_of({{"config.json", config, config.size()}, {"model.weights.h5", "w", 1}});
  EXPECT_EQ(birnn::io::zip::Archive::from_memory(good.data(), good.size(), "good").read("config.json"),
            std::vector<char>(config.begin(), config.end()));
  // config.json claims 1 TiB (Zip64), past the 8 GiB accepted.
  const auto huge = zip_of({{"config.json", config, 1ull << 40}, {"model.weights.h5", "w", 1}});
  EXPECT_THAT(load_model_message(huge, "huge.keras"),
              AllOf(HasSubstr("'huge.keras' member 'config.json'"),
                    HasSubstr("claims 1099511627776 bytes, more than the 8589934592 accepted")));
}

/// A copy of a Keras 3 fixture whose config.json claims `claim(size)` in the size field
/// `field` (0: compressed, 1: uncompressed) of both its headers; `size` is the real one.
template <class Claim>
std::string fixture_claiming(int field, Claim claim, std::uint64_t& size) {
  std::string bytes = fixture("k3_tagger.keras");
  int patched = 0;
  for (std::size_t at = 0; at + 46 < bytes.size(); ++at) {
    const bool local = bytes.compare(at, 4, "PK\x03\x04") == 0, central = bytes.compare(at, 4, "PK\x01\x02") == 0;
    const std::size_t name_at = at + (local ? 30 : 46), size_at = at + (local ? 18 : 20) + 4 * field;
    if ((!local && !central) || bytes.compare(name_at, 11, "config.json") != 0) continue;
    size = 0;
    for (int k = 0; k < 4; ++k) size |= std::uint64_t(static_cast<unsigned char>(bytes[size_at + k])) << (8 * k);
    std::string value;
    put_le(value, claim(size), 4);
    bytes.replace(size_at, 4, value);
    ++patched;
  }
  EXPECT_EQ(patched, 2) << "config.json's local and central headers";
  return bytes;
}

long max_rss_kib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

TEST(BadInput, AKerasZipMemberClaimingMoreThanTheArchiveHoldsIsAnIoError) {
  // config.json's uncompressed size claims 4 GiB in a 30 KB archive: refused, nothing allocated.
  std::uint64_t size = 0;
  const long before = max_rss_kib();
  const auto four = fixture_claiming(1, [](std::uint64_t) { return 0xFFFFFFFEu; }, size);
  EXPECT_THAT(load_model_message(four, "claims.keras"),
              AllOf(HasSubstr("'claims.keras' member 'config.json': cannot read it: Zip archive inconsistent"),
                    HasSubstr("(truncated or corrupt archive?)")));
  EXPECT_LT(max_rss_kib() - before, 256 * 1024) << "KiB more at most";
  // Its stored data claims 1000 bytes more than its size: they run into the next header.
  const auto more = fixture_claiming(0, [](std::uint64_t s) { return s + 1000; }, size);
  EXPECT_THAT(load_model_message(more, "more.keras"),
              HasSubstr("'more.keras' member 'config.json': the directory says " + std::to_string(size) +
                        " bytes, the data holds more"));
}

TEST(BadInput, AKerasZipWhoseConfigIsNotJsonIsAnIoError) {
  const auto bytes = zip_of({{"config.json", "{\"class_name\": ", 15}, {"model.weights.h5", "w", 1}});
  EXPECT_THAT(load_model_message(bytes, "text.keras"),
              AllOf(HasSubstr("birnn::keras: 'text.keras' config.json is not valid JSON"), HasSubstr("parse error")));
}

// ---- Keras 3 .weights.h5 ----------------------------------------------------------------

struct H5Var {
  std::string path;  // e.g. "layers/dense/vars/0"
  std::vector<hsize_t> dims;
  std::vector<double> values;
  bool integer = false;  // stored as int32
};

/// An HDF5 file holding `vars` (intermediate groups made as needed), as Keras 3's saving_lib lays out.
void write_h5(const std::string& path, const std::vector<H5Var>& vars) {
  const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  const hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  for (const auto& v : vars) {
    const hid_t space = H5Screate_simple(static_cast<int>(v.dims.size()), v.dims.data(), nullptr);
    const hid_t set = H5Dcreate2(file, v.path.c_str(), v.integer ? H5T_STD_I32LE : H5T_IEEE_F32LE, space, lcpl,
                                 H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE(set, 0) << v.path;
    std::vector<int> ints(v.values.begin(), v.values.end());
    EXPECT_GE(v.integer ? H5Dwrite(set, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, ints.data())
                        : H5Dwrite(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.values.data()),
              0);
    H5Dclose(set);
    H5Sclose(space);
  }
  H5Pclose(lcpl);
  H5Fclose(file);
}

/// Dense(2) on 3 features: Keras 3 stores it at layers/dense/vars/{0: kernel (3, 2), 1: bias (2,)}.
birnn::Model<float> dense_model() {
  birnn::Model<float> m(birnn::Shape{4, 3}, "head");
  m.add(keras::Dense(2));
  return m;
}
const H5Var kernel{"layers/dense/vars/0", {3, 2}, {1, -2, 0.5, 4, -0.25, 6}};
const H5Var bias{"layers/dense/vars/1", {2}, {0.75, -1}};

template <class E>
std::string load_weights_message(const std::vector<H5Var>& vars, const std::string& name) {
  const std::string path = temp_path(name);
  write_h5(path, vars);
  auto m = dense_model();
  const auto before = m.get_weights();
  const std::string what = message_of<E>([&] { keras::load_weights(m, path); });
  const auto after = m.get_weights();  // a failed load changes nothing
  for (std::size_t i = 0; i < before.size(); ++i) EXPECT_EQ(after[i].values, before[i].values) << name;
  std::remove(path.c_str());
  return what;
}

TEST(BadInput, Keras3WeightOfAnIntegerTypeIsAnIoError) {
  // The layout as written here loads exactly (so the files below break only what they say).
  const std::string path = temp_path("good.weights.h5");
  write_h5(path, {kernel, bias});
  auto m = dense_model();
  keras::load_weights(m, path);
  std::remove(path.c_str());
  ASSERT_EQ(m.get_weights().size(), 2u);
  EXPECT_EQ(m.get_weights()[0].values, (std::vector<float>{1, -2, 0.5, 4, -0.25, 6}));
  EXPECT_EQ(m.get_weights()[1].values, (std::vector<float>{0.75, -1}));
  H5Var ints = kernel;
  ints.integer = true;
  EXPECT_THAT(load_weights_message<birnn::io_error>({ints, bias}, "ints.weights.h5"),
              AllOf(HasSubstr("layer 'dense' (Dense): weight 'kernel'"), HasSubstr("expected a floating-point dataset"),
                    HasSubstr("ints.weights.h5"), HasSubstr("/layers/dense/vars/0")));
}

TEST(BadInput, Keras3WeightOfAnotherShapeIsAWeightError) {
  const H5Var transposed{"layers/dense/vars/0", {2, 3}, {1, -2, 0.5, 4, -0.25, 6}};
  EXPECT_THAT(load_weights_message<birnn::weight_error>({transposed, bias}, "shape.weights.h5"),
              AllOf(HasSubstr("layer 'dense' (Dense): weight 'kernel': shape: expected [3, 2], got [2, 3]"),
                    HasSubstr("shape.weights.h5' at /layers/dense/vars/0")));
}

TEST(BadInput, Keras3WeightsFileMissingAWeightIsAWeightError) {
  EXPECT_THAT(load_weights_message<birnn::weight_error>({kernel}, "missing.weights.h5"),
              AllOf(HasSubstr("layer 'dense' (Dense)"), HasSubstr("weight count at 'layers/dense/vars': expected 2, got 1"),
                    HasSubstr("missing.weights.h5")));
  EXPECT_THAT(load_weights_message<birnn::weight_error>({{"layers/other/vars/0", {2}, {1, 2}}}, "none.weights.h5"),
              AllOf(HasSubstr("layer 'dense' (Dense)"), HasSubstr("expected its weights at 'layers/dense/vars'")));
}

TEST(BadInput, Keras3WeightsFileWithWeightsOfNoLayerIsAWeightError) {
  EXPECT_THAT(load_weights_message<birnn::weight_error>({kernel, bias, {"layers/dense_1/vars/0", {2, 2}, {1, 2, 3, 4}}},
                                                        "extra.weights.h5"),
              AllOf(HasSubstr("extra.weights.h5"), HasSubstr("the weights at 'layers/dense_1/vars' belong to no layer"),
                    HasSubstr("model 'head'"), HasSubstr("expected 1 weight groups, the file has 2")));
}

#endif  // !BIRNN_NO_KERAS_FILES

// ---- Training: fit arguments ------------------------------------------------------------

TEST(BadInput, FitGivenAMaskOrAValidationSplitThatDoesNotFit) {
  birnn::Model<double> m(birnn::Shape{3, 2}, "regression");
  m.add(keras::SimpleRNN(2));
  m.add(keras::Dense(1));
  m.initialize(1);
  m.compile("sgd", "mse");
  const birnn::Sequence<double> x(4, 3, 2);
  const auto y = birnn::Value<double>::of(birnn::Batch<double>::Zero(4, 1));
  birnn::train::FitOptions o;
  o.verbose = birnn::train::Verbosity::silent;
  EXPECT_THAT(message_of<birnn::mask_error>([&] { m.fit(x, y, o, birnn::Mask::Constant(3, 3, true)); }),
              HasSubstr("birnn::Model 'regression': fit: mask rows: expected 4, got 3"));
  o.validation_split = 1.0;
  EXPECT_THAT(message_of<birnn::config_error>([&] { m.fit(x, y, o); }),
              AllOf(HasSubstr("birnn::Model 'regression': fit"),
                    HasSubstr("validation_split: expected a value in [0, 1), got 1")));
}

}  // namespace
