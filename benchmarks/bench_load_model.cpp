// Loading Keras model files (issue 12): the time birnn::keras::load_model takes on a model of
// about 10 M parameters in each Keras 3 format, against the time to read the same file's bytes
// into memory; and a loaded model's predict against the same model built by hand (Model::add)
// and the same network stacked from the compile-time templates (they must run at the same
// speed: the runtime layers dispatch to the templates' kernels).
//
// The model (Keras 3 Sequential, 10,202,113 parameters, 40.8 MB of float32):
//   Input((50,), int32) -> Embedding(10000, 128, mask_zero=True)
//   -> Bidirectional(LSTM(512, return_sequences=True)) -> Bidirectional(LSTM(512))
//   -> Dense(1, sigmoid)
//
// No model file is committed and no Python runs here: at the first benchmark the program
// writes the three files into a fresh temporary directory (removed at exit), with HDF5's C
// API and libzip, in the layouts Keras 3.15.1 writes (learnt from the committed fixtures
// tests/data/keras_files/k3_imdb_stacked_left.keras, k3w_*.weights.h5, k3h5_*.h5 and from
// keras v3.15.1 saving_lib.py / legacy_h5_format.py):
//   - model.weights.h5 / .weights.h5 (saving_lib.H5IOStore): root group `vars` (attribute
//     name="sequential"); `layers/<snake_case(class)>[_N]/vars` with a scalar UTF-8
//     attribute `name`; an RNN's weights under `<layer>/cell/vars/0..2`; a Bidirectional's
//     `backward_layer/` and `forward_layer/` (sorted attribute order), each with its own
//     `vars` (name) and `cell/vars` (name "lstm_cell"); float32 contiguous datasets
//     "0", "1", ...; groups and datasets created in Keras's order, no timestamps (h5py).
//   - .keras: a zip of metadata.json, config.json, model.weights.h5 (same bytes as the
//     .weights.h5), all stored (Python zipfile's default), external attributes 0600,
//     time stamps now. config.json is json.dumps of the Keras 3 serialization (module,
//     class_name, config, registered_name, build_config; LSTM initializers with
//     shared_object_id numbered 1, 2, ... as the normalized fixtures have them).
//   - legacy .h5 (legacy_h5_format.save_model_to_hdf5): root attributes keras_version,
//     backend (UTF-8), model_config (ASCII, the legacy config: top-level layers
//     {class_name, config} only); group model_weights with layer_names (ASCII array),
//     backend, keras_version (ASCII); a group per layer in sorted name order with
//     weight_names (ASCII array) and the datasets at those names
//     (`sequential/bidirectional/forward_lstm/lstm_cell/kernel`, ...);
//     top_level_model_weights with an empty float64 weight_names.
// Checked with these writers at the fixture's sizes (Embedding(45, 4), LSTM(2), time 6):
// config.json is byte-identical to k3_imdb_stacked_left.keras's, and `h5dump -p -A -H` of
// model.weights.h5 is the fixture's but for the datasets' byte offsets. What differs from a
// file Keras writes: where HDF5 places the bytes (library version, h5py's order of writes),
// and libzip's "version made by" 6.3 / "needed to extract" 1.0 (Python's zipfile: 2.0 / 2.0).
//
// After writing, each file is written again in one piece (rewrite_in_one_write), so the three
// have the same page-cache state. Under glibc, malloc is set to keep freed memory on its heap
// (fix_allocator), so that "warm" and "cold" below are what they say.
//
// Benchmarks (milliseconds, real time):
//   BM_ReadBytes/<format>      the file's bytes into a std::vector<char> (std::ifstream)
//   BM_LoadModel/<format>      keras, legacy_h5: birnn::keras::load_model<float>(path);
//                              weights_h5: birnn::keras::load_weights(model, path) into a model
//                              built from config.json once, outside the timed loop
//   .../<format>_cold          the same, but every iteration starts on memory the heap gave
//                              back (malloc_trim, untimed), as a first load in a process does
//   BM_LoadModelFromConfigAndWeights   config.json -> Model, then load_weights(.weights.h5)
//   BM_LoadStep/<step>         one step of a load alone (see Step), to tell where time goes
//   BM_PredictLoaded / BM_PredictBuilt / BM_PredictTemplate   predict on (8, 50) token ids
//                              (right padded) with the model loaded from the .keras file, the
//                              model built by hand, and the template stack
//
// Before any timing, the program checks that the three files load, that their weights are
// bitwise the generated ones, that count_params() is 10,202,113, and that every loaded
// model, the hand-built model and the template stack predict the same (within 1e-6); it
// exits with a message otherwise.
//
// Run: ./bench_load_model --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
// (see docs/performance.md, "Loading model files").

#include <birnn/birnn.hpp>
#include <birnn/io/keras_file.hpp>

#include <benchmark/benchmark.h>
#include <hdf5.h>
#include <nlohmann/json.hpp>
#include <zip.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>  // malloc_trim, for the cold-heap variants
#endif

namespace {

namespace fs = std::filesystem;
namespace k = birnn::keras;
using birnn::Tensor;
using ojson = nlohmann::ordered_json;

// ---- The model ------------------------------------------------------------------------

struct Spec {
  long vocabulary = 10000;
  long embedding = 128;
  long units = 512;
  long time = 50;
};
constexpr long predict_batch = 8;
constexpr const char* keras_version = "3.15.1";

birnn::Model<float> build_by_hand(const Spec& s) {
  birnn::Model<float> m(birnn::Shape{s.time}, "sequential");
  m.add(k::Embedding(s.vocabulary, s.embedding).mask_zero());
  m.add(k::Bidirectional(k::LSTM(s.units).return_sequences()));
  m.add(k::Bidirectional(k::LSTM(s.units)));
  m.add(k::Dense(1).activation("sigmoid"));
  return m;
}

// Seeded weights in Keras get_weights() order, of the shapes the model reports: embeddings
// uniform in +-0.05 (Keras's RandomUniform), kernels uniform in +-sqrt(6 / (in + out))
// (glorot_uniform's range), biases in +-0.1.
std::vector<Tensor<float>> seeded_weights(const birnn::Model<float>& model, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Tensor<float>> w = model.get_weights();
  std::vector<birnn::WeightSpec> specs;
  for (std::size_t i = 0; i < model.size(); ++i)
    for (auto& spec : model.layer(i).weight_specs()) specs.push_back(spec);
  for (std::size_t i = 0; i < w.size(); ++i) {
    const std::string& name = specs.at(i).name;
    const auto& shape = w[i].shape;
    const bool bias = name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0;
    const double limit = name == "embeddings" ? 0.05
                         : bias || shape.size() != 2
                             ? 0.1
                             : std::sqrt(6.0 / static_cast<double>(shape[0] + shape[1]));
    std::uniform_real_distribution<float> u(static_cast<float>(-limit), static_cast<float>(limit));
    for (float& v : w[i].values) v = u(rng);
  }
  return w;
}

// Token ids (batch, time) in [1, vocabulary), right padded: row b ends with (b % 4) * time / 8 zeros.
birnn::TokenIds token_ids(const Spec& s, long batch) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<std::int64_t> id(1, s.vocabulary - 1);
  birnn::TokenIds ids(batch, s.time);
  for (long b = 0; b < batch; ++b)
    for (long t = 0; t < s.time; ++t) ids(b, t) = t < s.time - (b % 4) * s.time / 8 ? id(rng) : 0;
  return ids;
}

// The same network from the compile-time templates (examples/demo's model 5, with the mask).
struct TemplateStack {
  using First = birnn::Bidirectional<birnn::LSTM<float>, birnn::merge::concat, birnn::sequences::all,
                                     birnn::state::discard, birnn::mask::masked>;
  using Second = birnn::Bidirectional<birnn::LSTM<float>, birnn::merge::concat, birnn::sequences::last,
                                      birnn::state::discard, birnn::mask::masked>;
  birnn::Embedding<float> embedding;
  First first;
  Second second;
  birnn::Dense<float> dense;

  TemplateStack(const Spec& s, const birnn::Model<float>& weights_of)
      : embedding(s.vocabulary, s.embedding, /*mask_zero*/ true),
        first(s.embedding, {s.units}),
        second(2 * s.units, {s.units}),
        dense(2 * s.units, 1, birnn::Activation::sigmoid) {
    embedding.set_weights(weights_of.layer(0).get_weights());
    first.set_weights(weights_of.layer(1).get_weights());
    second.set_weights(weights_of.layer(2).get_weights());
    dense.set_weights(weights_of.layer(3).get_weights());
  }
  birnn::Batch<float> predict(const birnn::TokenIds& ids) {
    const birnn::Sequence<float> x = embedding.forward(ids);
    const birnn::Mask mask = *embedding.compute_mask(ids);
    const birnn::Sequence<float> h = first.forward(x, mask);
    const birnn::Batch<float> last = second.forward(h, mask);
    return dense.forward(last);
  }
};

// ---- Keras's JSON -----------------------------------------------------------------------

// Python's json.dumps (separators ", " and ": ", keys in insertion order).
void py_dump(const ojson& j, std::string& out) {
  if (j.is_object()) {
    out += '{';
    bool first = true;
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (!first) out += ", ";
      first = false;
      out += ojson(it.key()).dump();
      out += ": ";
      py_dump(it.value(), out);
    }
    out += '}';
  } else if (j.is_array()) {
    out += '[';
    for (std::size_t i = 0; i < j.size(); ++i) {
      if (i) out += ", ";
      py_dump(j[i], out);
    }
    out += ']';
  } else {
    out += j.dump();
  }
}
std::string py_dumps(const ojson& j) {
  std::string s;
  py_dump(j, s);
  return s;
}

ojson obj(std::initializer_list<std::pair<const char*, ojson>> members) {
  ojson o = ojson::object();
  for (const auto& m : members) o[m.first] = m.second;
  return o;
}
// A Keras shape with the batch axis None: [null, d...].
ojson shape(std::initializer_list<long> dims) {
  ojson a = ojson::array();
  a.push_back(nullptr);
  for (long d : dims) a.push_back(d);
  return a;
}
ojson dtype_policy() {
  return obj({{"module", "keras"}, {"class_name", "DTypePolicy"}, {"config", obj({{"name", "float32"}})},
              {"registered_name", nullptr}});
}
// An initializer; shared_object_id when `shared` > 0 (the .keras config's LSTM initializers).
ojson initializer(const char* cls, ojson config, int shared) {
  ojson o = obj({{"module", "keras.initializers"}, {"class_name", cls}, {"config", std::move(config)},
                 {"registered_name", nullptr}});
  if (shared > 0) o["shared_object_id"] = shared;
  return o;
}
ojson glorot(int shared) {
  return initializer("GlorotUniform", obj({{"seed", nullptr}, {"input_axes", nullptr}, {"output_axes", nullptr}}),
                     shared);
}

class ConfigWriter {
 public:
  ConfigWriter(const Spec& s, bool legacy) : s_(s), legacy_(legacy) {}

  // The Sequential: config.json (legacy = false) or the legacy .h5's model_config.
  std::string model() {
    ojson layers = ojson::array();
    layers.push_back(obj({{"module", "keras.layers"},
                          {"class_name", "InputLayer"},
                          {"config", obj({{"batch_shape", shape({s_.time})},
                                          {"dtype", "int32"},
                                          {"sparse", false},
                                          {"ragged", false},
                                          {"name", "input_layer"},
                                          {"optional", false}})},
                          {"registered_name", nullptr}}));
    if (legacy_) layers.back() = top_level(layers.back());
    layers.push_back(layer("Embedding", embedding(), shape({s_.time})));
    layers.push_back(layer("Bidirectional", bidirectional("bidirectional", "", s_.embedding, true),
                           shape({s_.time, s_.embedding})));
    layers.push_back(layer("Bidirectional", bidirectional("bidirectional_1", "_1", 2 * s_.units, false),
                           shape({s_.time, 2 * s_.units})));
    layers.push_back(layer("Dense", dense(), shape({2 * s_.units})));
    const ojson config = obj({{"name", "sequential"},
                              {"trainable", true},
                              {"dtype", dtype_policy()},
                              {"layers", layers},
                              {"build_input_shape", shape({s_.time})}});
    if (legacy_) return py_dumps(obj({{"class_name", "Sequential"}, {"config", config}}));
    return py_dumps(obj({{"module", "keras"},
                         {"class_name", "Sequential"},
                         {"config", config},
                         {"registered_name", nullptr},
                         {"build_config", obj({{"input_shape", shape({s_.time})}})},
                         {"compile_config", ojson::object()}}));
  }

 private:
  // A layer of the Sequential's list: the full form in config.json, {class_name, config} in
  // the legacy file (Keras's use_legacy_config).
  ojson layer(const char* cls, ojson config, ojson input_shape) const {
    ojson full = obj({{"module", "keras.layers"},
                      {"class_name", cls},
                      {"config", std::move(config)},
                      {"registered_name", nullptr},
                      {"build_config", obj({{"input_shape", std::move(input_shape)}})}});
    return legacy_ ? top_level(full) : full;
  }
  static ojson top_level(const ojson& full) {
    return obj({{"class_name", full["class_name"]}, {"config", full["config"]}});
  }
  ojson embedding() const {
    return obj({{"name", "embedding"},
                {"trainable", true},
                {"dtype", dtype_policy()},
                {"input_dim", s_.vocabulary},
                {"output_dim", s_.embedding},
                {"embeddings_initializer",
                 initializer("RandomUniform", obj({{"seed", nullptr}, {"minval", -0.05}, {"maxval", 0.05}}), 0)},
                {"embeddings_regularizer", nullptr},
                {"activity_regularizer", nullptr},
                {"embeddings_constraint", nullptr},
                {"mask_zero", true},
                {"quantization_config", nullptr}});
  }
  ojson lstm(const std::string& name, bool return_sequences, bool go_backwards, long input) {
    auto id = [&] { return legacy_ ? 0 : ++shared_; };
    const int kernel = id(), recurrent = id(), bias = id();
    const ojson config = obj({{"name", name},
                              {"trainable", true},
                              {"dtype", dtype_policy()},
                              {"return_sequences", return_sequences},
                              {"return_state", false},
                              {"go_backwards", go_backwards},
                              {"stateful", false},
                              {"unroll", false},
                              {"zero_output_for_mask", return_sequences},
                              {"units", s_.units},
                              {"activation", "tanh"},
                              {"recurrent_activation", "sigmoid"},
                              {"use_bias", true},
                              {"kernel_initializer", glorot(kernel)},
                              {"recurrent_initializer",
                               initializer("Orthogonal", obj({{"seed", nullptr}, {"gain", 1.0}}), recurrent)},
                              {"bias_initializer", initializer("Zeros", ojson::object(), bias)},
                              {"unit_forget_bias", true},
                              {"kernel_regularizer", nullptr},
                              {"recurrent_regularizer", nullptr},
                              {"bias_regularizer", nullptr},
                              {"activity_regularizer", nullptr},
                              {"kernel_constraint", nullptr},
                              {"recurrent_constraint", nullptr},
                              {"bias_constraint", nullptr},
                              {"dropout", 0.0},
                              {"recurrent_dropout", 0.0},
                              {"seed", nullptr}});
    // The wrapped layers keep the full form in both files.
    return obj({{"module", "keras.layers"},
                {"class_name", "LSTM"},
                {"config", config},
                {"registered_name", nullptr},
                {"build_config", obj({{"input_shape", shape({s_.time, input})}})}});
  }
  ojson bidirectional(const char* name, const std::string& suffix, long input, bool return_sequences) {
    ojson forward = lstm("forward_lstm" + suffix, return_sequences, false, input);
    ojson backward = lstm("backward_lstm" + suffix, return_sequences, true, input);
    return obj({{"name", name},
                {"trainable", true},
                {"dtype", dtype_policy()},
                {"merge_mode", "concat"},
                {"layer", std::move(forward)},
                {"backward_layer", std::move(backward)}});
  }
  ojson dense() const {
    return obj({{"name", "dense"},
                {"trainable", true},
                {"dtype", dtype_policy()},
                {"units", 1},
                {"activation", "sigmoid"},
                {"use_bias", true},
                {"kernel_initializer", glorot(0)},
                {"bias_initializer", initializer("Zeros", ojson::object(), 0)},
                {"kernel_regularizer", nullptr},
                {"bias_regularizer", nullptr},
                {"kernel_constraint", nullptr},
                {"bias_constraint", nullptr},
                {"quantization_config", nullptr}});
  }

  Spec s_;
  bool legacy_;
  int shared_ = 0;
};

// ---- HDF5 writing (what h5py does for Keras) -------------------------------------------

class H5Id {
 public:
  H5Id(hid_t id, herr_t (*close)(hid_t), const std::string& what) : id_(id), close_(close) {
    if (id_ < 0) throw std::runtime_error("HDF5: cannot " + what);
  }
  ~H5Id() {
    if (id_ >= 0) close_(id_);
  }
  H5Id(H5Id&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = -1; }
  H5Id(const H5Id&) = delete;
  H5Id& operator=(const H5Id&) = delete;
  H5Id& operator=(H5Id&&) = delete;
  hid_t get() const { return id_; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

void check(herr_t status, const std::string& what) {
  if (status < 0) throw std::runtime_error("HDF5: cannot " + what);
}

class H5Writer {
 public:
  explicit H5Writer(const std::string& path)
      : file_(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose, "create " + path),
        lcpl_(H5Pcreate(H5P_LINK_CREATE), H5Pclose, "create a link property list"),
        gcpl_(H5Pcreate(H5P_GROUP_CREATE), H5Pclose, "create a group property list"),
        dcpl_(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "create a dataset property list") {
    // h5py: intermediate groups for paths with '/', UTF-8 link names, no object timestamps.
    check(H5Pset_create_intermediate_group(lcpl_.get(), 1), "set create_intermediate_group");
    check(H5Pset_char_encoding(lcpl_.get(), H5T_CSET_UTF8), "set the link name encoding");
    check(H5Pset_obj_track_times(gcpl_.get(), 0), "switch group timestamps off");
    check(H5Pset_obj_track_times(dcpl_.get(), 0), "switch dataset timestamps off");
  }
  hid_t root() const { return file_.get(); }

  // Creates `path` under `parent` (with the groups above it) and returns it.
  std::unique_ptr<H5Id> group(hid_t parent, const std::string& path) const {
    return std::make_unique<H5Id>(H5Gcreate2(parent, path.c_str(), lcpl_.get(), gcpl_.get(), H5P_DEFAULT), H5Gclose,
                                  "create group " + path);
  }
  // A float32 contiguous dataset (h5py's `group[name] = array` / create_dataset).
  void dataset(hid_t parent, const std::string& path, const Tensor<float>& t) const {
    std::vector<hsize_t> dims(t.shape.begin(), t.shape.end());
    H5Id space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose, "create a dataspace");
    H5Id d(H5Dcreate2(parent, path.c_str(), H5T_IEEE_F32LE, space.get(), lcpl_.get(), dcpl_.get(), H5P_DEFAULT),
           H5Dclose, "create dataset " + path);
    check(H5Dwrite(d.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.values.data()), "write " + path);
  }
  // A variable-length string: scalar for a Python str (UTF-8) or bytes (ASCII).
  static void attribute(hid_t obj, const char* name, const std::string& value, H5T_cset_t cset) {
    const H5Id type = string_type(cset);
    H5Id space(H5Screate(H5S_SCALAR), H5Sclose, "create a scalar dataspace");
    H5Id a(H5Acreate2(obj, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
           std::string("create attribute ") + name);
    const char* p = value.c_str();
    check(H5Awrite(a.get(), type.get(), &p), std::string("write attribute ") + name);
  }
  // A list of bytes: a 1-D array of variable-length ASCII strings; an empty list is
  // numpy's empty float64 array.
  static void attribute(hid_t obj, const char* name, const std::vector<std::string>& values) {
    const hsize_t n = values.size();
    H5Id space(H5Screate_simple(1, &n, nullptr), H5Sclose, "create a dataspace");
    if (values.empty()) {
      H5Id a(H5Acreate2(obj, name, H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
             std::string("create attribute ") + name);
      return;
    }
    const H5Id type = string_type(H5T_CSET_ASCII);
    H5Id a(H5Acreate2(obj, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
           std::string("create attribute ") + name);
    std::vector<const char*> p;
    for (const auto& v : values) p.push_back(v.c_str());
    check(H5Awrite(a.get(), type.get(), p.data()), std::string("write attribute ") + name);
  }

 private:
  static H5Id string_type(H5T_cset_t cset) {
    H5Id type(H5Tcopy(H5T_C_S1), H5Tclose, "copy a string type");
    check(H5Tset_size(type.get(), H5T_VARIABLE), "make a variable-length string type");
    check(H5Tset_cset(type.get(), cset), "set a string type's character set");
    return type;
  }
  H5Id file_, lcpl_, gcpl_, dcpl_;
};

// The weights by layer, in get_weights() order: embedding [0], bidirectional forward [1, 4),
// backward [4, 7), bidirectional_1 forward [7, 10), backward [10, 13), dense [13, 15).
struct Slices {
  const std::vector<Tensor<float>>& w;
  std::vector<const Tensor<float>*> range(std::size_t from, std::size_t to) const {
    std::vector<const Tensor<float>*> r;
    for (std::size_t i = from; i < to; ++i) r.push_back(&w.at(i));
    return r;
  }
};

// Keras 3 saving_lib: model.save_weights("m.weights.h5"), and the .keras member.
void write_keras3_weights(const std::string& path, const std::vector<Tensor<float>>& w) {
  const H5Writer h5(path);
  const Slices s{w};
  // H5IOStore.make(path, metadata={"name": ...}): `<path>/vars` with the attribute, then the values.
  auto vars = [&](const std::string& at, const char* name, const std::vector<const Tensor<float>*>& values) {
    const auto g = h5.group(h5.root(), at.empty() ? "vars" : at + "/vars");
    H5Writer::attribute(g->get(), "name", name, H5T_CSET_UTF8);
    for (std::size_t i = 0; i < values.size(); ++i) h5.dataset(g->get(), std::to_string(i), *values[i]);
  };
  vars("", "sequential", {});
  vars("layers/embedding", "embedding", s.range(0, 1));
  const char* const bidis[] = {"bidirectional", "bidirectional_1"};
  for (std::size_t b = 0; b < 2; ++b) {
    const std::string path = std::string("layers/") + bidis[b], suffix = b ? "_1" : "";
    const std::size_t first = 1 + 6 * b;
    vars(path, bidis[b], {});
    // _walk_saveable visits attributes in sorted order: backward_layer before forward_layer.
    vars(path + "/backward_layer", ("backward_lstm" + suffix).c_str(), {});
    vars(path + "/backward_layer/cell", "lstm_cell", s.range(first + 3, first + 6));
    vars(path + "/forward_layer", ("forward_lstm" + suffix).c_str(), {});
    vars(path + "/forward_layer/cell", "lstm_cell", s.range(first, first + 3));
  }
  vars("layers/dense", "dense", s.range(13, 15));
}

// Keras 3 legacy_h5_format.save_model_to_hdf5: model.save("m.h5").
void write_legacy_h5(const std::string& path, const Spec& spec, const std::vector<Tensor<float>>& w) {
  const H5Writer h5(path);
  const Slices s{w};
  H5Writer::attribute(h5.root(), "keras_version", keras_version, H5T_CSET_UTF8);
  H5Writer::attribute(h5.root(), "backend", "numpy", H5T_CSET_UTF8);  // the fixtures' writer ran the numpy backend
  H5Writer::attribute(h5.root(), "model_config", ConfigWriter(spec, true).model(), H5T_CSET_ASCII);
  const auto mw = h5.group(h5.root(), "model_weights");
  H5Writer::attribute(mw->get(), "layer_names",
                      std::vector<std::string>{"embedding", "bidirectional", "bidirectional_1", "dense"});
  H5Writer::attribute(mw->get(), "backend", "numpy", H5T_CSET_ASCII);
  H5Writer::attribute(mw->get(), "keras_version", keras_version, H5T_CSET_ASCII);
  auto layer = [&](const std::string& name, const std::vector<std::string>& names,
                   const std::vector<const Tensor<float>*>& values) {
    const auto g = h5.group(mw->get(), name);
    H5Writer::attribute(g->get(), "weight_names", names);
    for (std::size_t i = 0; i < names.size(); ++i) h5.dataset(g->get(), names[i], *values.at(i));
  };
  auto lstm_names = [](const std::string& bidi, const std::string& suffix) {
    std::vector<std::string> n;
    for (const char* dir : {"forward_lstm", "backward_lstm"})
      for (const char* v : {"kernel", "recurrent_kernel", "bias"})
        n.push_back("sequential/" + bidi + "/" + dir + suffix + "/lstm_cell/" + v);
    return n;
  };
  // Groups in sorted layer-name order; weight names are the variables' paths.
  layer("bidirectional", lstm_names("bidirectional", ""), s.range(1, 7));
  layer("bidirectional_1", lstm_names("bidirectional_1", "_1"), s.range(7, 13));
  layer("dense", {"sequential/dense/kernel", "sequential/dense/bias"}, s.range(13, 15));
  layer("embedding", {"sequential/embedding/embeddings"}, s.range(0, 1));
  const auto top = h5.group(mw->get(), "top_level_model_weights");
  H5Writer::attribute(top->get(), "weight_names", std::vector<std::string>{});
}

// ---- The .keras zip ---------------------------------------------------------------------

std::vector<char> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(0, std::ios::beg);
  std::vector<char> bytes(static_cast<std::size_t>(size));
  if (!in.read(bytes.data(), size)) throw std::runtime_error("cannot read " + path);
  return bytes;
}

// Writes `path` again with a single write of its bytes. libzip writes an archive in small
// pieces, and the page cache then holds it in small pages: reading such a file back was about
// 45% slower here than reading a copy of the same bytes (11.0 against 7.6 ms). Rewriting all
// three files this way gives them the same page-cache state, as a downloaded or copied file has.
void rewrite_in_one_write(const std::string& path) {
  const std::vector<char> bytes = read_bytes(path);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out.write(bytes.data(), static_cast<std::streamsize>(bytes.size())) || !out.flush())
      throw std::runtime_error("cannot write " + tmp);
  }
  fs::rename(tmp, path);
}

std::string metadata_json() {
  const std::time_t now = std::time(nullptr);
  char date[32] = {};
  std::strftime(date, sizeof date, "%Y-%m-%d@%H:%M:%S", std::localtime(&now));
  return py_dumps(obj({{"keras_version", keras_version}, {"date_saved", date}}));
}

// saving_lib._save_model_to_fileobj: zipfile.ZipFile(f, "w") (stored members) with
// metadata.json, config.json, then model.weights.h5.
void write_keras_zip(const std::string& path, const std::string& metadata, const std::string& config,
                     const std::vector<char>& weights) {
  int err = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  if (!z) throw std::runtime_error("libzip: cannot create " + path);
  const std::time_t now = std::time(nullptr);
  auto add = [&](const char* name, const void* data, std::size_t size) {
    zip_source_t* src = zip_source_buffer(z, data, size, 0);
    const zip_int64_t index = src ? zip_file_add(z, name, src, ZIP_FL_ENC_UTF_8) : -1;
    if (index < 0) {
      if (src) zip_source_free(src);
      const std::string why = zip_strerror(z);
      zip_discard(z);
      throw std::runtime_error("libzip: cannot add " + std::string(name) + ": " + why);
    }
    const auto i = static_cast<zip_uint64_t>(index);
    // Python's ZipInfo: stored, made on Unix, mode 0600, the time of writing.
    if (zip_set_file_compression(z, i, ZIP_CM_STORE, 0) < 0 ||
        zip_file_set_external_attributes(z, i, 0, ZIP_OPSYS_UNIX, 0600u << 16) < 0 ||
        zip_file_set_mtime(z, i, now, 0) < 0) {
      const std::string why = zip_strerror(z);
      zip_discard(z);
      throw std::runtime_error("libzip: cannot set the attributes of " + std::string(name) + ": " + why);
    }
  };
  add("metadata.json", metadata.data(), metadata.size());
  add("config.json", config.data(), config.size());
  add("model.weights.h5", weights.data(), weights.size());
  if (zip_close(z) < 0) {
    const std::string why = zip_strerror(z);
    zip_discard(z);
    throw std::runtime_error("libzip: cannot write " + path + ": " + why);
  }
}

// ---- The fixture: files, models, checks ---------------------------------------------------

enum class Format { keras, weights_h5, legacy_h5 };

struct Fixture {
  Spec spec;
  fs::path dir;
  std::string keras_path, weights_path, legacy_path, config_json;
  std::vector<Tensor<float>> weights;
  birnn::TokenIds ids;
  std::unique_ptr<birnn::Model<float>> built, loaded, from_config;
  std::unique_ptr<TemplateStack> templates;

  const std::string& path(Format f) const {
    return f == Format::keras ? keras_path : f == Format::weights_h5 ? weights_path : legacy_path;
  }
  ~Fixture() {
    std::error_code ec;
    if (!dir.empty()) fs::remove_all(dir, ec);
  }
};

birnn::Model<float> model_from_config_text(const std::string& text) {
  return k::model_from_config<float>(nlohmann::json::parse(text));
}

bool same_weights(const std::vector<Tensor<float>>& a, const std::vector<Tensor<float>>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].shape != b[i].shape || a[i].values != b[i].values) return false;
  return true;
}

[[noreturn]] void fail(Fixture& f, const std::string& why) {
  std::fprintf(stderr, "bench_load_model: %s\n", why.c_str());
  std::error_code ec;
  if (!f.dir.empty()) fs::remove_all(f.dir, ec);
  std::exit(EXIT_FAILURE);
}

// glibc's default malloc serves a 40 MB block from its heap when the heap happens to hold
// that much free memory, and from fresh mmap'd pages otherwise, depending on what the
// benchmarks before did: warm loads then came out bimodal (e.g. 24 or 50 ms for the same
// benchmark in two runs). With mmap off and no trimming, the heap keeps and reuses what was
// freed, so warm runs really are warm and the cold variants (malloc_trim) really are cold.
void fix_allocator() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

void setup(Fixture& f) {
  fix_allocator();
  const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
  f.dir = fs::temp_directory_path() / ("birnn_bench_load_" + std::to_string(std::random_device{}()) + "_" +
                                       std::to_string(stamp % 1000000));
  fs::create_directories(f.dir);
  f.keras_path = (f.dir / "model.keras").string();
  f.weights_path = (f.dir / "model.weights.h5").string();
  f.legacy_path = (f.dir / "model.h5").string();

  f.built = std::make_unique<birnn::Model<float>>(build_by_hand(f.spec));
  f.weights = seeded_weights(*f.built, 20240612);
  f.built->set_weights(f.weights);

  f.config_json = ConfigWriter(f.spec, false).model();
  write_keras3_weights(f.weights_path, f.weights);
  write_keras_zip(f.keras_path, metadata_json(), f.config_json, read_bytes(f.weights_path));
  write_legacy_h5(f.legacy_path, f.spec, f.weights);
  for (const std::string* p : {&f.keras_path, &f.weights_path, &f.legacy_path}) rewrite_in_one_write(*p);

  f.loaded = std::make_unique<birnn::Model<float>>(k::load_model<float>(f.keras_path));
  auto legacy = k::load_model<float>(f.legacy_path);
  f.from_config = std::make_unique<birnn::Model<float>>(model_from_config_text(f.config_json));
  k::load_weights(*f.from_config, f.weights_path);
  f.templates = std::make_unique<TemplateStack>(f.spec, *f.built);

  constexpr Eigen::Index expected_params = 10202113;
  const std::pair<const char*, const birnn::Model<float>*> models[] = {
      {"the hand-built model", f.built.get()},
      {"model.keras", f.loaded.get()},
      {"model.h5", &legacy},
      {"model.weights.h5 (into the model built from config.json)", f.from_config.get()}};
  for (const auto& [what, m] : models) {
    if (m->count_params() != expected_params)
      fail(f, std::string(what) + ": count_params() is " + std::to_string(m->count_params()) + ", expected " +
                  std::to_string(expected_params));
    if (!same_weights(m->get_weights(), f.weights))
      fail(f, std::string(what) + ": its weights are not bitwise the ones written");
  }

  f.ids = token_ids(f.spec, predict_batch);
  const birnn::Batch<float> reference = f.built->predict(f.ids).front().matrix;
  const std::pair<const char*, birnn::Batch<float>> outputs[] = {
      {"model.keras", f.loaded->predict(f.ids).front().matrix},
      {"model.h5", legacy.predict(f.ids).front().matrix},
      {"model.weights.h5", f.from_config->predict(f.ids).front().matrix},
      {"the template stack", f.templates->predict(f.ids)}};
  double worst = 0;
  for (const auto& [what, y] : outputs) {
    if (y.rows() != reference.rows() || y.cols() != reference.cols())
      fail(f, std::string(what) + ": predict gives another shape than the hand-built model");
    const double d = static_cast<double>((y - reference).cwiseAbs().maxCoeff());
    if (!(d <= 1e-6))
      fail(f, std::string(what) + ": predict differs from the hand-built model's by " + std::to_string(d) +
                  " (more than 1e-6)");
    worst = std::max(worst, d);
  }
  std::fprintf(stderr,
               "bench_load_model: %ld parameters; files in %s: .keras %ld bytes, .weights.h5 %ld, .h5 %ld; "
               "predict (batch %ld, time %ld): 3 loaded models and the template stack within %.3g of the "
               "hand-built model%s\n",
               static_cast<long>(expected_params), f.dir.string().c_str(),
               static_cast<long>(fs::file_size(f.keras_path)), static_cast<long>(fs::file_size(f.weights_path)),
               static_cast<long>(fs::file_size(f.legacy_path)), predict_batch, f.spec.time, worst,
               worst == 0 ? " (bitwise equal)" : "");
}

// Written and checked once, at the first benchmark (not timed); removed at exit.
Fixture& fixture() {
  static Fixture f;
  static const bool ready = [] {
    try {
      setup(f);
    } catch (const std::exception& e) {
      fail(f, std::string("setup failed: ") + e.what());
    }
    return true;
  }();
  (void)ready;
  return f;
}

// ---- Benchmarks -------------------------------------------------------------------------

// Warm: each iteration reuses the heap memory the previous one freed (see fix_allocator),
// the steady state of a loop. Cold (`cold` true): after each iteration, untimed, malloc_trim(0)
// gives the free memory back to the system, so every iteration faults its pages in again,
// as the first load in a fresh process does (glibc only; elsewhere the same as warm).
void give_back_free_memory(benchmark::State& state, bool cold) {
  if (!cold) return;
  state.PauseTiming();
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
  state.ResumeTiming();
}

void BM_ReadBytes(benchmark::State& state, Format format, bool cold) {
  const std::string& path = fixture().path(format);
  for (auto _ : state) {
    {
      std::vector<char> bytes = read_bytes(path);
      benchmark::DoNotOptimize(bytes.data());
      benchmark::ClobberMemory();
    }
    give_back_free_memory(state, cold);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(fs::file_size(path)));
}

// .keras and .h5: load_model (config and weights). .weights.h5: load_weights into a model
// built from config.json once, outside the loop (weights only: open, read, set_weights).
void BM_LoadModel(benchmark::State& state, Format format, bool cold) {
  Fixture& f = fixture();
  const std::string& path = f.path(format);
  for (auto _ : state) {
    if (format == Format::weights_h5) {
      k::load_weights(*f.from_config, path);
    } else {
      birnn::Model<float> m = k::load_model<float>(path);
      benchmark::DoNotOptimize(&m);
    }
    benchmark::ClobberMemory();
    give_back_free_memory(state, cold);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(fs::file_size(path)));
}

// .weights.h5 as a whole model: build from config.json (parse + Model) and load_weights,
// the same work as load_model on a .keras file but for the zip.
void BM_LoadModelFromConfigAndWeights(benchmark::State& state) {
  Fixture& f = fixture();
  for (auto _ : state) {
    birnn::Model<float> m = model_from_config_text(f.config_json);
    k::load_weights(m, f.weights_path);
    benchmark::DoNotOptimize(&m);
    benchmark::ClobberMemory();
  }
}

// The steps of a load, one at a time, to tell where the time goes.
enum class Step { zip_member, h5_open_file, h5_open_image, build_from_config, read_weights, set_weights };

void BM_LoadStep(benchmark::State& state, Step step) {
  Fixture& f = fixture();
  const std::vector<char> image = read_bytes(f.weights_path);
  const birnn::io::hdf5::File file = birnn::io::hdf5::File::open(f.weights_path);
  birnn::Model<float> model = model_from_config_text(f.config_json);
  for (auto _ : state) {
    switch (step) {
      case Step::zip_member: {  // open the .keras zip and copy model.weights.h5 out of it
        const auto archive = birnn::io::zip::Archive::open(f.keras_path);
        std::vector<char> bytes = archive.read("model.weights.h5");
        benchmark::DoNotOptimize(bytes.data());
        break;
      }
      case Step::h5_open_file: {  // H5Fopen of the .weights.h5 on disk
        const auto h5 = birnn::io::hdf5::File::open(f.weights_path);
        benchmark::DoNotOptimize(&h5);
        break;
      }
      case Step::h5_open_image: {  // the same bytes opened from memory (core driver, file image)
        const auto h5 = birnn::io::hdf5::File::from_memory(image, "model.weights.h5");
        benchmark::DoNotOptimize(&h5);
        break;
      }
      case Step::build_from_config: {  // parse config.json and build the Model (zero weights)
        birnn::Model<float> m = model_from_config_text(f.config_json);
        benchmark::DoNotOptimize(&m);
        break;
      }
      case Step::read_weights:  // H5Dread of every dataset of an open file, then set_weights
        k::load_keras3_weights(model, file.root());
        break;
      case Step::set_weights:  // set_weights alone, from tensors in memory
        model.set_weights(f.weights);
        break;
    }
    benchmark::ClobberMemory();
  }
}

void BM_PredictLoaded(benchmark::State& state) {
  Fixture& f = fixture();
  for (auto _ : state) {
    auto y = f.loaded->predict(f.ids);
    benchmark::DoNotOptimize(y.front().matrix.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * predict_batch);
}

void BM_PredictBuilt(benchmark::State& state) {
  Fixture& f = fixture();
  for (auto _ : state) {
    auto y = f.built->predict(f.ids);
    benchmark::DoNotOptimize(y.front().matrix.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * predict_batch);
}

void BM_PredictTemplate(benchmark::State& state) {
  Fixture& f = fixture();
  for (auto _ : state) {
    auto y = f.templates->predict(f.ids);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * predict_batch);
}

void ms(benchmark::internal::Benchmark* b) { b->Unit(benchmark::kMillisecond)->UseRealTime(); }

BENCHMARK_CAPTURE(BM_ReadBytes, keras, Format::keras, false)->Apply(ms);
BENCHMARK_CAPTURE(BM_ReadBytes, weights_h5, Format::weights_h5, false)->Apply(ms);
BENCHMARK_CAPTURE(BM_ReadBytes, legacy_h5, Format::legacy_h5, false)->Apply(ms);
BENCHMARK_CAPTURE(BM_LoadModel, keras, Format::keras, false)->Apply(ms);
BENCHMARK_CAPTURE(BM_LoadModel, weights_h5, Format::weights_h5, false)->Apply(ms);
BENCHMARK_CAPTURE(BM_LoadModel, legacy_h5, Format::legacy_h5, false)->Apply(ms);
BENCHMARK_CAPTURE(BM_ReadBytes, keras_cold, Format::keras, true)->Apply(ms);
BENCHMARK_CAPTURE(BM_ReadBytes, weights_h5_cold, Format::weights_h5, true)->Apply(ms);
BENCHMARK_CAPTURE(BM_ReadBytes, legacy_h5_cold, Format::legacy_h5, true)->Apply(ms);
BENCHMARK_CAPTURE(BM_LoadModel, keras_cold, Format::keras, true)->Apply(ms);
BENCHMARK_CAPTURE(BM_LoadModel, weights_h5_cold, Format::weights_h5, true)->Apply(ms);
BENCHMARK_CAPTURE(BM_LoadModel, legacy_h5_cold, Format::legacy_h5, true)->Apply(ms);
BENCHMARK(BM_LoadModelFromConfigAndWeights)->Apply(ms);
BENCHMARK_CAPTURE(BM_LoadStep, zip_member, Step::zip_member)->Apply(ms);
BENCHMARK_CAPTURE(BM_LoadStep, h5_open_file, Step::h5_open_file)->Apply(ms);
BENCHMARK_CAPTURE(BM_LoadStep, h5_open_image, Step::h5_open_image)->Apply(ms);
BENCHMARK_CAPTURE(BM_LoadStep, build_from_config, Step::build_from_config)->Apply(ms);
BENCHMARK_CAPTURE(BM_LoadStep, read_weights, Step::read_weights)->Apply(ms);
BENCHMARK_CAPTURE(BM_LoadStep, set_weights, Step::set_weights)->Apply(ms);
BENCHMARK(BM_PredictLoaded)->Apply(ms);
BENCHMARK(BM_PredictBuilt)->Apply(ms);
BENCHMARK(BM_PredictTemplate)->Apply(ms);

}  // namespace
