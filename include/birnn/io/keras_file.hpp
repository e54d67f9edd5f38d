#pragma once
/// @file
/// A user's Keras model file, read directly in C++ with no Python:
///
/// @code
/// auto model = birnn::keras::load_model<float>("tagger.keras");   // or "tagger.h5"
/// auto y = model.predict(x);
/// @endcode
///
/// - `load_model<Scalar>(path)`: a Keras 3 `.keras` zip (`config.json`, `metadata.json`,
///   `model.weights.h5`, read from memory, no temporary file), or a legacy `.h5` that
///   `model.save` wrote (tf.keras 2.x, or Keras 3 with a `.h5` name): its config and weights.
///   The kind is decided by the file's first bytes, not its name.
/// - `load_weights(model, path)`: weights only, into a model built from a config or by
///   hand: Keras 3 `.weights.h5`, a legacy weights-only `.h5` (tf.keras `save_weights`), or
///   the weights of a full `.keras` / `.h5` file; `load_weights(model, bytes, size, label)`
///   from memory.
///
/// The maths follow the Keras version that wrote the file (`keras_version`): a Keras 2
/// `hard_sigmoid` is `clip(0.2 x + 0.5, 0, 1)`, a GRU config without `reset_after` gets that
/// version's default. tf.keras 2's `CuDNNLSTM` and `CuDNNGRU` load as LSTM and
/// GRU(reset_after=True), which compute the same (their weights are converted).
/// Sequential and Functional models are read (`io/keras_functional.hpp`).
///
/// Every error is an `io_error` (file missing, not zip/HDF5, truncated or corrupt member),
/// a `config_error` (unsupported layer or setting) or a `weight_error` (a weight missing or
/// of the wrong shape), each naming the file. Needs the CMake target `birnn::keras_files`
/// (nlohmann_json, HDF5's C library and libzip: Debian `libhdf5-dev libzip-dev`).

#include "birnn/errors.hpp"
#include "birnn/io/hdf5.hpp"
#include "birnn/io/keras_h5.hpp"
#include "birnn/io/keras_model.hpp"
#include "birnn/io/zip.hpp"
#include "birnn/model/model.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace birnn::keras {

/// What a model file holds, by its first bytes.
enum class FileKind {
  zip,      ///< a Keras 3 `.keras` archive
  hdf5,     ///< an HDF5 file: legacy `.h5`, or a Keras 3 `.weights.h5`
  unknown,  ///< neither
};

/// The kind of the `size` bytes at `bytes`, from their signature.
inline FileKind file_kind(const char* bytes, std::size_t size) {
  if (size >= 4 && std::memcmp(bytes, "PK\x03\x04", 4) == 0) return FileKind::zip;
  if (io::hdf5::File::has_signature(bytes, size)) return FileKind::hdf5;
  return FileKind::unknown;
}

/// The kind of `path`, from its signature. @throws io_error when it cannot be read.
inline FileKind file_kind(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw io_error("birnn::keras: cannot open '" + path + "'");
  char head[8] = {};
  in.read(head, sizeof head);
  return file_kind(head, static_cast<std::size_t>(in.gcount()));
}

namespace detail {
using birnn::detail::cat;

/// The dialect of the Keras whose `keras_version` is `version` ("2.15.0", "3.6.0").
inline Dialect dialect_of(const std::string& version, const std::string& file) {
  Dialect d;
  int major = 0, minor = 0;
  std::size_t i = 0;
  auto number = [&](int& out) {
    const std::size_t start = i;
    while (i < version.size() && i - start < 6 && version[i] >= '0' && version[i] <= '9')
      out = out * 10 + (version[i++] - '0');
    return i > start;
  };
  if (!number(major))
    throw config_error(cat("birnn::keras: '", file, "': keras_version: expected a version such as \"2.15.0\", got \"",
                           version, "\""));
  if (i < version.size() && version[i] == '.') {
    ++i;
    number(minor);
  }
  if (major < 2)
    throw config_error(cat("birnn::keras: '", file, "': written by Keras ", version,
                           "; Keras 1 files are not supported (expected Keras 2 or 3)"));
  d.keras_major = major >= 3 ? 3 : 2;
  d.gru_reset_after_default = major >= 3 || minor >= 3;
  return d;
}

/// Deepest JSON nesting accepted in a file's config (a Keras config nests about ten levels:
/// model, layer, Bidirectional's layer, its config, an initializer, its config): the config
/// code walks and prints JSON recursively, so the depth an attacker controls is bounded.
inline constexpr int max_json_depth = 64;

inline nlohmann::json parse_json(const std::string& text, const std::string& what) {
  using json = nlohmann::json;
  const json::parser_callback_t depth = [&](int level, json::parse_event_t e, json&) {
    if ((e == json::parse_event_t::object_start || e == json::parse_event_t::array_start) && level >= max_json_depth)
      throw io_error(cat("birnn::keras: ", what, ": expected JSON nested at most ", max_json_depth,
                         " levels deep, got more"));
    return true;
  };
  try {
    return json::parse(text, depth);
  } catch (const json::exception& e) {
    throw io_error(cat("birnn::keras: ", what, " is not valid JSON: ", e.what()));
  }
}

/// The `keras_version` attribute of an HDF5 group, or "" when it has none.
inline std::string keras_version(const io::hdf5::Group& g) {
  return g.has_attribute("keras_version") ? g.attribute_string("keras_version") : std::string();
}

/// A model from a Keras config, with the file named in any config error.
template <class Scalar>
Model<Scalar> model_from_file_config(const nlohmann::json& config, const Dialect& dialect, const std::string& file) {
  try {
    return model_from_config<Scalar>(config, dialect);
  } catch (const config_error& e) {
    throw config_error(cat("birnn::keras: '", file, "': ", e.what()));
  } catch (const shape_error& e) {
    throw shape_error(cat("birnn::keras: '", file, "': ", e.what()));
  }
}

template <class Scalar>
Model<Scalar> load_archive(const io::zip::Archive& archive) {
  const std::string& path = archive.path();
  for (const char* member : {"config.json", "model.weights.h5"})
    if (!archive.contains(member))
      throw io_error(cat("birnn::keras: '", path, "': not a Keras 3 .keras file (no '", member, "' in the zip)"));
  Dialect dialect;
  if (archive.contains("metadata.json")) {
    const auto bytes = archive.read("metadata.json");
    const auto meta = parse_json(std::string(bytes.begin(), bytes.end()), cat("'", path, "' metadata.json"));
    if (meta.is_object() && meta.contains("keras_version") && meta["keras_version"].is_string())
      dialect = dialect_of(meta["keras_version"].get<std::string>(), path);
  }
  const auto config_bytes = archive.read("config.json");
  Model<Scalar> model = model_from_file_config<Scalar>(
      parse_json(std::string(config_bytes.begin(), config_bytes.end()), cat("'", path, "' config.json")), dialect,
      path);
  const auto weights = io::hdf5::File::from_memory(archive.read("model.weights.h5"), path + ":model.weights.h5");
  load_keras3_weights(model, weights.root());
  return model;
}

template <class Scalar>
Model<Scalar> load_legacy_h5(const io::hdf5::File& file) {
  const std::string& path = file.name();
  const io::hdf5::Group root = file.root();
  if (!root.has_attribute("model_config"))
    throw io_error(cat("birnn::keras: '", path, "': no 'model_config' attribute: the file holds weights only; ",
                       "build the model (from its config or with the builder) and call load_weights"));
  const std::string version = keras_version(root);
  const Dialect dialect = version.empty() ? Dialect{} : dialect_of(version, path);
  Model<Scalar> model = model_from_file_config<Scalar>(
      parse_json(root.attribute_string("model_config"), cat("'", path, "' model_config")), dialect, path);
  load_legacy_weights(model, root);
  return model;
}

}  // namespace detail

/// The model a Keras file holds, ready to `predict`: a `.keras` zip or a legacy `.h5`.
/// @throws io_error, config_error or weight_error (see the file's text), naming `path`.
template <class Scalar>
Model<Scalar> load_model(const std::string& path) {
  switch (file_kind(path)) {
    case FileKind::zip: return detail::load_archive<Scalar>(io::zip::Archive::open(path));
    case FileKind::hdf5: return detail::load_legacy_h5<Scalar>(io::hdf5::File::open(path));
    case FileKind::unknown: break;
  }
  throw io_error("birnn::keras::load_model: '" + path +
                 "' is neither a Keras 3 .keras zip nor an HDF5 .h5 file (by its first bytes)");
}

/// The model a Keras file held in memory holds (`size` bytes at `bytes`: what a `.keras` or
/// `.h5` file contains); `label` names it in messages, as a path would.
/// @throws as `load_model(path)`.
template <class Scalar>
Model<Scalar> load_model(const char* bytes, std::size_t size, const std::string& label) {
  switch (file_kind(bytes, size)) {
    case FileKind::zip: return detail::load_archive<Scalar>(io::zip::Archive::from_memory(bytes, size, label));
    case FileKind::hdf5:
      return detail::load_legacy_h5<Scalar>(io::hdf5::File::from_memory(std::vector<char>(bytes, bytes + size), label));
    case FileKind::unknown: break;
  }
  throw io_error("birnn::keras::load_model: '" + label +
                 "' is neither a Keras 3 .keras zip nor an HDF5 .h5 file (by its first bytes)");
}

namespace detail {

template <class Scalar>
void load_archive_weights(Model<Scalar>& model, const io::zip::Archive& archive) {
  const auto weights =
      io::hdf5::File::from_memory(archive.read("model.weights.h5"), archive.path() + ":model.weights.h5");
  load_keras3_weights(model, weights.root());
}

template <class Scalar>
void load_h5_weights(Model<Scalar>& model, const io::hdf5::File& file) {
  const io::hdf5::Group root = file.root();
  if (root.has_attribute("layer_names") || root.has_attribute("layer_names0") || root.contains_group("model_weights"))
    load_legacy_weights(model, root);
  else
    load_keras3_weights(model, root);
}

}  // namespace detail

/// Loads the weights of a Keras file into `model`: a Keras 3 `.weights.h5`, a legacy `.h5`
/// (weights only or a full model), or a `.keras` zip's weights. The model's layers must be
/// the file's (same classes, order and sizes). Nothing of `model` changes when it throws.
template <class Scalar>
void load_weights(Model<Scalar>& model, const std::string& path) {
  switch (file_kind(path)) {
    case FileKind::zip: return detail::load_archive_weights(model, io::zip::Archive::open(path));
    case FileKind::hdf5: return detail::load_h5_weights(model, io::hdf5::File::open(path));
    case FileKind::unknown: break;
  }
  throw io_error("birnn::keras::load_weights: '" + path +
                 "' is neither a Keras 3 .keras zip nor an HDF5 .h5 file (by its first bytes)");
}

/// `load_weights(model, path)` for a Keras file held in memory (`size` bytes at `bytes`);
/// `label` names it in messages. @throws as `load_weights(model, path)`.
template <class Scalar>
void load_weights(Model<Scalar>& model, const char* bytes, std::size_t size, const std::string& label) {
  switch (file_kind(bytes, size)) {
    case FileKind::zip: return detail::load_archive_weights(model, io::zip::Archive::from_memory(bytes, size, label));
    case FileKind::hdf5:
      return detail::load_h5_weights(model, io::hdf5::File::from_memory(std::vector<char>(bytes, bytes + size), label));
    case FileKind::unknown: break;
  }
  throw io_error("birnn::keras::load_weights: '" + label +
                 "' is neither a Keras 3 .keras zip nor an HDF5 .h5 file (by its first bytes)");
}

}  // namespace birnn::keras
