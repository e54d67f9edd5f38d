// libFuzzer target: Keras 3 `.keras` archives read from memory: io::zip::Archive::from_memory
// (every member listed and read, io/zip.hpp), then keras::load_model (config.json,
// metadata.json, model.weights.h5 through HDF5's in-memory driver) and keras::load_weights
// (io/keras_file.hpp); a model that loads is run on a small input.
#include "fuzz_common.hpp"
#include "fuzz_model.hpp"

#include <birnn/io/keras_file.hpp>
#include <birnn/io/zip.hpp>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const char* bytes = reinterpret_cast<const char*>(data);
  birnn_fuzz::expect_only_birnn_errors("io::zip::Archive", [&] {
    const auto archive = birnn::io::zip::Archive::from_memory(bytes, size, "fuzz.keras");
    for (const auto& name : archive.members())
      if (archive.contains(name)) (void)archive.read(name);
  });
  birnn_fuzz::expect_only_birnn_errors("keras::load_model", [&] {
    auto model = birnn::keras::load_model<float>(bytes, size, "fuzz.keras");
    birnn_fuzz::predict_small(model, size);
    birnn::keras::load_weights(model, bytes, size, "fuzz.keras");
  });
  return 0;
}
