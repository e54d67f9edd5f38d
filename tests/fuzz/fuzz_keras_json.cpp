// libFuzzer target: Keras JSON configs (io/keras_model.hpp). The bytes are parsed as
// keras::read_json does (nlohmann_json); then keras::model_from_config builds the model,
// either from `Sequential.to_json()` or from a golden case's list of layers, whose
// per-layer `weights` go through keras::weights_from_json and Model::set_weights; a model
// that loads is run on a small input. Both dialects (Keras 3, tf.keras 2) are exercised.
#include "fuzz_common.hpp"
#include "fuzz_model.hpp"

#include <birnn/io/keras_model.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(data, data + size);
  } catch (const nlohmann::json::exception&) {
    return 0;  // keras::read_json turns this into a config_error
  }
  // A golden case ({"layers": [...], ...}) or what Keras writes (Sequential.to_json(), a list).
  const nlohmann::json& config =
      j.is_object() && j.contains("layers") && !j.contains("class_name") ? j["layers"] : j;
  birnn::keras::Dialect dialect;
  if (size % 3 == 1) {
    dialect.keras_major = 2;
    dialect.gru_reset_after_default = size % 2 == 0;
  }
  birnn_fuzz::expect_only_birnn_errors("keras::model_from_config", [&] {
    auto model = birnn::keras::model_from_config<float>(config, dialect);
    std::vector<birnn::Tensor<float>> weights;
    if (config.is_array())
      for (const auto& layer : config)
        if (layer.is_object() && layer.contains("weights"))
          for (auto& t : birnn::keras::weights_from_json<float>(layer["weights"])) weights.push_back(std::move(t));
    if (!weights.empty()) model.set_weights(weights);
    birnn_fuzz::predict_small(model, size);
  });
  // One layer alone, as keras::layer_from_config reads it.
  if (config.is_array() && !config.empty())
    birnn_fuzz::expect_only_birnn_errors("keras::layer_from_config", [&] {
      (void)birnn::keras::layer_from_config<float>(config[config.size() - 1], birnn::Shape{3, 2});
    });
  return 0;
}
