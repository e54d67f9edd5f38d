// libFuzzer target: HDF5 files read from memory (io/hdf5.hpp File::from_memory): the
// objects the loaders read are walked, then keras::load_model reads a legacy `.h5` (config
// and weights, io/keras_file.hpp), and keras::load_weights reads Keras 3 `.weights.h5` and
// legacy weights into models built from the weights-only fixtures' configs (the loaders of
// io/keras_h5.hpp: load_keras3_weights, load_legacy_weights).
#include "fuzz_common.hpp"
#include "fuzz_model.hpp"

#include <birnn/io/hdf5.hpp>
#include <birnn/io/keras_file.hpp>
#include <birnn/io/keras_model.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace {

/// Models for weights-only files: the configs of tests/data/keras_files/*w_*.json.
std::vector<birnn::Model<float>>& models() {
  static std::vector<birnn::Model<float>> m = [] {
    std::vector<birnn::Model<float>> out;
    for (const char* name : {"k3w_tagger", "k3w_bidi_lstm_concat", "tf2w_tagger"}) {
      const std::string path = std::string(BIRNN_FUZZ_DATA_DIR) + "/keras_files/" + name + ".json";
      const auto j = birnn::keras::read_json(path);
      const auto& config = j.at("model_config");  // {"layers": [...]}, as a golden case holds them
      out.push_back(birnn::keras::model_from_config<float>(config.contains("layers") ? config.at("layers") : config));
    }
    return out;
  }();
  return m;
}

/// Walks groups (bounded), reading attributes and dataset shapes as the loaders do.
void walk(const birnn::io::hdf5::Group& g, int depth, int& budget) {
  for (const auto& name : g.members()) {
    if (--budget < 0) return;
    if (g.contains_group(name)) {
      if (depth < 8) walk(g.group(name), depth + 1, budget);
    } else if (g.contains_dataset(name)) {
      const auto d = g.dataset(name);
      birnn_fuzz::expect_only_birnn_errors("hdf5::Dataset::read", [&] {
        if (birnn::io::hdf5::detail::element_count(d.shape()) <= 4096) (void)d.read<float>(d.shape(), "fuzz");
      });
    }
  }
  for (const char* attr : {"layer_names", "weight_names", "keras_version", "backend", "model_config"})
    if (g.has_attribute(attr))
      birnn_fuzz::expect_only_birnn_errors("hdf5 attribute", [&] { (void)g.attribute_strings(attr); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static auto& candidates = models();
  const char* bytes = reinterpret_cast<const char*>(data);
  birnn_fuzz::expect_only_birnn_errors("io::hdf5::File::from_memory", [&] {
    const auto file = birnn::io::hdf5::File::from_memory(std::vector<char>(bytes, bytes + size), "fuzz.h5");
    int budget = 256;
    walk(file.root(), 0, budget);
  });
  birnn_fuzz::expect_only_birnn_errors("keras::load_model", [&] {
    auto model = birnn::keras::load_model<float>(bytes, size, "fuzz.h5");
    birnn_fuzz::predict_small(model, size);
  });
  // Each model built by hand, as a user would before load_weights.
  for (auto& model : candidates)
    birnn_fuzz::expect_only_birnn_errors("keras::load_weights", [&] {
      birnn::keras::load_weights(model, bytes, size, "fuzz.weights.h5");
      birnn_fuzz::predict_small(model, size);
    });
  return 0;
}
