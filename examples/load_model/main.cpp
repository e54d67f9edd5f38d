// load_model: runs a Keras model file in C++, with no Python.
//
//   load_model MODEL.keras|MODEL.h5 [CASE.json]
//
// Loads a Keras 3 `.keras` file or a legacy `.h5` (tf.keras 2.x or Keras 3) with
// birnn::keras::load_model, prints its summary, and runs one prediction. With CASE.json (a
// case of tests/data/keras_files/, which holds the inputs and the outputs Keras computed)
// it predicts on those inputs and compares; without, on random inputs of the model's input
// shapes (token ids below the vocabulary for an input of token ids). Exit status 1
// when the outputs differ from the case's beyond its tolerance.
// Without arguments it runs tests/data/keras_files/k3_tagger.keras and its case.

#include <birnn/io/keras_file.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#ifndef BIRNN_EXAMPLE_DATA
#define BIRNN_EXAMPLE_DATA "tests/data/keras_files"  // relative to the repository root
#endif

int main(int argc, char** argv) try {
  if (argc > 3) {
    std::fprintf(stderr, "usage: load_model [MODEL.keras|MODEL.h5 [CASE.json]]\n");
    return 2;
  }
  const std::string file = argc >= 2 ? argv[1] : BIRNN_EXAMPLE_DATA "/k3_tagger.keras";
  const std::string case_path = argc == 3 ? argv[2] : argc == 1 ? BIRNN_EXAMPLE_DATA "/k3_tagger.json" : "";

  // [load_model]
  birnn::Model<float> model = birnn::keras::load_model<float>(file);
  model.summary(std::cout);
  // [load_model]

  // The inputs, one per model input: the case's (one object, or a list for a Functional
  // model), or random ones of the input's shape (time 8 when free).
  const std::vector<birnn::Shape> shapes = model.input_shapes();
  nlohmann::json doc;
  std::vector<nlohmann::json> arrays;
  if (!case_path.empty()) {
    doc = birnn::keras::read_json(case_path);
    const auto& in = doc.at("inputs");
    if (in.is_array())
      arrays.assign(in.begin(), in.end());
    else
      arrays.push_back(in);
    if (arrays.size() != shapes.size())
      throw birnn::shape_error("load_model: the case has " + std::to_string(arrays.size()) + " inputs, the model " +
                               std::to_string(shapes.size()));
  }
  // Random token ids stay below the smallest vocabulary of the model's Embedding layers.
  Eigen::Index vocabulary = 1 << 30;
  for (std::size_t i = 0; i < model.size(); ++i)
    if (model.layer(i).reads_ids()) vocabulary = std::min(vocabulary, model.layer(i).weight_specs().at(0).shape.at(0));
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<birnn::Flow<float>> flows;
  for (std::size_t k = 0; k < shapes.size(); ++k) {
    std::vector<Eigen::Index> shape{2};
    std::vector<double> data;
    if (!arrays.empty()) {
      shape = arrays[k].at("shape").get<std::vector<Eigen::Index>>();
      data = arrays[k].at("data").get<std::vector<double>>();
    } else {
      for (const Eigen::Index d : shapes[k]) shape.push_back(d < 0 ? 8 : d);
      Eigen::Index n = 1;
      for (const Eigen::Index d : shape) n *= d;
      for (Eigen::Index i = 0; i < n; ++i) data.push_back(u(rng));
    }
    if (shapes[k].size() == 1) {
      if (shape.size() != 2) throw birnn::shape_error("load_model: token ids need (batch, time) inputs");
      birnn::TokenIds ids(shape[0], shape[1]);
      for (Eigen::Index i = 0; i < ids.size(); ++i) {
        const double v = data[static_cast<std::size_t>(i)];
        ids.data()[i] = arrays.empty() ? static_cast<std::int64_t>(std::abs(v) * double(vocabulary - 1))
                                       : static_cast<std::int64_t>(std::llround(v));
      }
      flows.push_back(birnn::Flow<float>::of(std::move(ids)));
    } else {
      if (shape.size() != 3) throw birnn::shape_error("load_model: sequences need (batch, time, features) inputs");
      birnn::Sequence<float> x(shape[0], shape[1], shape[2]);
      for (std::size_t i = 0; i < data.size(); ++i) x.data()[i] = static_cast<float>(data[i]);
      std::optional<birnn::Mask> mask;
      if (doc.contains("mask") && !doc["mask"].is_null()) {
        const auto m = doc["mask"].at("data").get<std::vector<double>>();
        mask = birnn::Mask(shape[0], shape[1]);
        for (Eigen::Index b = 0; b < shape[0]; ++b)
          for (Eigen::Index t = 0; t < shape[1]; ++t) (*mask)(b, t) = m[static_cast<std::size_t>(b * shape[1] + t)] != 0;
      }
      flows.push_back(birnn::Flow<float>::of(std::move(x), std::move(mask)));
    }
  }

  std::vector<birnn::Value<float>> y;
  if (model.is_functional())
    y = model.predict(flows);
  else if (flows[0].ids)
    y = model.predict(*flows[0].ids);
  else
    y = model.predict(flows[0].values.front().sequence, flows[0].mask);

  const auto values = y.at(0).values();
  std::printf("output %s, first values:", birnn::shape_string(y[0].shape()).c_str());
  for (std::size_t i = 0; i < std::min<std::size_t>(values.size(), 6); ++i) std::printf(" %.6f", double(values[i]));
  std::printf("\n");
  if (case_path.empty()) return 0;

  // Keras's own numbers for these inputs.
  const double atol = doc.at("tolerance").at("atol").get<double>(), rtol = doc.at("tolerance").at("rtol").get<double>();
  const auto expected = doc.at("outputs").at(0).at("data").get<std::vector<double>>();
  if (expected.size() != values.size()) {
    std::printf("output size: expected %zu, got %zu\n", expected.size(), values.size());
    return 1;
  }
  double worst = 0;
  bool ok = true;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const double err = std::abs(double(values[i]) - expected[i]);
    worst = std::max(worst, err);
    ok = ok && err <= atol + rtol * std::abs(expected[i]);
  }
  std::printf("%s Keras's output: max abs difference %.2g (tolerance atol %g, rtol %g)\n", ok ? "matches" : "DIFFERS FROM",
              worst, atol, rtol);
  return ok ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "load_model: %s\n", e.what());
  return 1;
}
