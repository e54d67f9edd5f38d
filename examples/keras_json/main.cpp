// keras_json: runs a Keras model saved as JSON and checks it against Keras's own output.
//
//   keras_json [CASE.json]
//
// CASE.json is one of birnn's golden cases (tests/data/keras/): the model's layers as Keras's
// `layer.get_config()` writes them (class_name, config, build_config), each with its weights
// in `get_weights()` order, an input, and the output Keras computed for it. Without an
// argument, the example reads model_imdb_0_left.json: Embedding(mask_zero=True) ->
// Bidirectional(LSTM, return_sequences=True) -> Bidirectional(LSTM) -> Dense(1, sigmoid) on
// pre-padded token ids. The example builds the model with birnn::keras::model_from_config,
// loads the weights with weights_from_json, prints the summary and the prediction, and
// compares the prediction with Keras's. Exit status 1 when they differ beyond the case's
// tolerance.

#include <birnn/io/keras_model.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#ifndef BIRNN_EXAMPLE_DATA
#define BIRNN_EXAMPLE_DATA "tests/data/keras"  // relative to the repository root
#endif

int main(int argc, char** argv) try {
  if (argc > 2) {
    std::fprintf(stderr, "usage: keras_json [CASE.json]\n");
    return 2;
  }
  const std::string path = argc == 2 ? argv[1] : BIRNN_EXAMPLE_DATA "/model_imdb_0_left.json";
  const nlohmann::json doc = birnn::keras::read_json(path);
  const nlohmann::json& layers = doc.at("layers");

  // The architecture, from the layers' Keras configs; then each layer's weights.
  birnn::Model<float> model = birnn::keras::model_from_config<float>(layers);
  for (std::size_t i = 0; i < model.size(); ++i)
    model.layer(i).set_weights(birnn::keras::weights_from_json<float>(layers[i].at("weights")));

  std::cout << "Case " << doc.value("name", std::string("?")) << " (reference: "
            << doc.value("reference", std::string("?")) << ")\n";
  model.summary(std::cout);

  // The input: token ids (batch, time) for a model that starts with Embedding, else values
  // (batch, time, features). Keras stores both as numbers with their shape.
  const auto shape = doc.at("inputs").at("shape").get<std::vector<Eigen::Index>>();
  const auto data = doc.at("inputs").at("data").get<std::vector<double>>();
  std::vector<birnn::Value<float>> outputs;
  if (model.layer(0).reads_ids()) {
    birnn::TokenIds ids(shape.at(0), shape.at(1));
    for (Eigen::Index i = 0; i < ids.size(); ++i)
      ids.data()[i] = static_cast<std::int64_t>(std::llround(data[static_cast<std::size_t>(i)]));
    std::cout << "Input: token ids " << birnn::shape_string(shape) << ", 0 = padding (masked by Embedding)\n";
    for (Eigen::Index b = 0; b < ids.rows(); ++b) {
      std::cout << "  ";
      for (Eigen::Index t = 0; t < ids.cols(); ++t) std::cout << (t ? " " : "") << ids(b, t);
      std::cout << '\n';
    }
    outputs = model.predict(ids);
  } else {
    birnn::Sequence<float> x(shape.at(0), shape.at(1), shape.at(2));
    for (Eigen::Index i = 0; i < x.matrix().size(); ++i) x.data()[i] = static_cast<float>(data[static_cast<std::size_t>(i)]);
    std::cout << "Input: values " << birnn::shape_string(shape) << '\n';
    outputs = model.predict(x);
  }

  // Compare every output with Keras's: |ours - keras| <= atol + rtol * |keras|.
  const double atol = doc.at("tolerance").at("atol").get<double>();
  const double rtol = doc.at("tolerance").at("rtol").get<double>();
  const auto& expected = doc.at("outputs");
  bool ok = expected.size() == outputs.size();
  double max_error = 0;
  for (std::size_t k = 0; ok && k < outputs.size(); ++k) {
    const auto want = expected[k].at("data").get<std::vector<double>>();
    const auto got = outputs[k].values();
    ok = outputs[k].shape() == expected[k].at("shape").get<std::vector<Eigen::Index>>();
    std::printf("Output %zu %s:\n  %-7s", k, birnn::shape_string(outputs[k].shape()).c_str(), "birnn");
    for (float v : got) std::printf(" %9.5f", static_cast<double>(v));
    std::printf("\n  %-7s", "Keras");
    for (double v : want) std::printf(" %9.5f", v);
    std::printf("\n");
    for (std::size_t i = 0; ok && i < want.size(); ++i) {
      const double error = std::abs(static_cast<double>(got[i]) - want[i]);
      if (!(error <= atol + rtol * std::abs(want[i]))) ok = false;
      max_error = std::max(max_error, error);
    }
  }
  // The exact error depends on the compiler and CPU; print its order so that the output is
  // the same everywhere (ctest compares it).
  if (max_error < 1e-6)
    std::printf("max abs error: below 1e-6");
  else
    std::printf("max abs error: %.2e", max_error);
  std::printf(" (tolerance: atol %g, rtol %g): %s\n", atol, rtol, ok ? "matches Keras" : "DIFFERS from Keras");
  return ok ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "keras_json: %s\n", e.what());
  return 1;
}
