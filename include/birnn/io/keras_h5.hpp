#pragma once
/// @file
/// Weights in Keras's HDF5 layouts, loaded into a runtime `Model` whose layers are those of
/// the file (built from the file's config, from JSON, or by hand with the builder):
///
/// - **legacy** (`model.save("m.h5")` of tf.keras 2.x and Keras 3, and tf.keras's
///   `save_weights("w.h5")`): a group per layer, listed in order by the attribute
///   `layer_names` (split into `layer_names0`, `layer_names1`, ... when long); each holds the
///   attribute `weight_names` and the datasets they name, e.g.
///   `bidirectional/forward_lstm/lstm_cell/kernel:0`. A full model file keeps them under
///   `model_weights`. Weights are matched by order, as Keras's own
///   `load_weights_from_hdf5_group` does: the n-th layer of the file that has weights to the
///   n-th layer of the model that has weights, whatever the names (Keras 2's cell levels
///   such as `lstm_cell_3` match no layer name). tf.keras's cuDNN layout (`CuDNNLSTM`:
///   per-gate transposed kernels and two biases; `CuDNNGRU`: the same and a flat bias) is
///   recognised by its bias shape, as tf-keras's `_convert_rnn_weights` does, and converted.
/// - **Keras 3** (`model.save_weights("m.weights.h5")` and the `model.weights.h5` member
///   of a `.keras` file): the store paths Keras 3's `saving_lib` gives the layers
///   (`keras3_store_paths`), each with a `vars` group of datasets "0", "1", ....
///
/// Every shape is compared with the model's before any value is read, so a file cannot make
/// birnn allocate more than the model holds. Optimizer weights (`optimizer_weights`) and a
/// `training_config` are ignored. Needs the `birnn::keras_files` CMake target (HDF5).

#include "birnn/errors.hpp"
#include "birnn/io/hdf5.hpp"
#include "birnn/model/model.hpp"
#include "birnn/types/tensor.hpp"

#include <Eigen/Core>

#include <cctype>
#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace birnn::keras {
namespace detail {
using birnn::detail::cat;

/// Keras's `load_attributes_from_hdf5_group`: the list attribute `name`, or its chunks
/// `name0`, `name1`, ... (tf-keras splits a list longer than HDF5's 64 KiB header limit).
inline std::vector<std::string> chunked_attribute(const io::hdf5::Group& g, const std::string& name) {
  if (g.has_attribute(name)) return g.attribute_strings(name);
  std::vector<std::string> all;
  for (int chunk = 0; g.has_attribute(cat(name, chunk)); ++chunk) {
    if (chunk > 100000) throw io_error(cat("'", g.file_name(), "': too many chunks of the attribute '", name, "'"));
    for (auto& s : g.attribute_strings(cat(name, chunk))) all.push_back(std::move(s));
  }
  return all;
}

/// The dataset at `relative` (a weight name with '/' levels) under `g`.
inline io::hdf5::Dataset dataset_at(const io::hdf5::Group& g, const std::string& relative) {
  const std::size_t slash = relative.rfind('/');
  if (slash == std::string::npos) return g.dataset(relative);
  return g.group_path(relative.substr(0, slash)).dataset(relative.substr(slash + 1));
}

/// The gates of one direction's weights: 1 (SimpleRNN), 3 (GRU) or 4 (LSTM), from the
/// shapes of its kernel `[in, gates * units]` and recurrent kernel `[units, gates * units]`.
inline Eigen::Index gates_of(const WeightSpec& recurrent) {
  const auto& s = recurrent.shape;
  return s.size() == 2 && s[0] > 0 ? s[1] / s[0] : 0;
}

/// tf-keras `_convert_rnn_weights`, cuDNN to plain: each gate's input kernel is stored
/// transposed in column-major order, each gate's recurrent kernel transposed.
template <class Scalar>
void from_cudnn_kernels(Tensor<Scalar>& kernel, Tensor<Scalar>& recurrent, Eigen::Index gates) {
  const Eigen::Index in = kernel.shape[0], units = recurrent.shape[0];
  std::vector<Scalar> k(kernel.values.size()), r(recurrent.values.size());
  const Eigen::Index kcols = gates * units;
  for (Eigen::Index g = 0; g < gates; ++g) {
    // Gate g's block is columns [g*units, (g+1)*units) of a row-major [in, kcols] matrix.
    // tf-keras: block.T.reshape(block.shape, order="F"): element (i, j) of the plain block is
    // element (b, a) of the stored one, where q = i + j*in = a + b*units.
    for (Eigen::Index i = 0; i < in; ++i)
      for (Eigen::Index j = 0; j < units; ++j) {
        const Eigen::Index q = i + j * in, a = q % units, b = q / units;
        k[static_cast<std::size_t>(i * kcols + g * units + j)] =
            kernel.values[static_cast<std::size_t>(b * kcols + g * units + a)];
      }
    for (Eigen::Index i = 0; i < units; ++i)
      for (Eigen::Index j = 0; j < units; ++j)
        r[static_cast<std::size_t>(i * kcols + g * units + j)] =
            recurrent.values[static_cast<std::size_t>(j * kcols + g * units + i)];
  }
  kernel.values = std::move(k);
  recurrent.values = std::move(r);
}

/// One direction's weights `[kernel, recurrent_kernel, bias]` from a legacy group, where the
/// model expects `specs`; converts the cuDNN layout (bias of 2 * gates * units values).
template <class Scalar>
std::vector<Tensor<Scalar>> read_direction(const io::hdf5::Group& g, const std::vector<std::string>& names,
                                           const std::vector<WeightSpec>& specs, const std::string& label) {
  std::vector<Tensor<Scalar>> out;
  const bool rnn_triple = specs.size() == 3 && gates_of(specs[1]) > 1 && specs[2].shape.size() <= 2;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    io::hdf5::Dataset d = dataset_at(g, names[i]);
    const std::string what = cat(label, ": weight '", names[i], "'");
    if (rnn_triple && i == 2 && d.shape() != specs[2].shape) {
      const Eigen::Index gates = gates_of(specs[1]), units = specs[1].shape[0];
      if (d.shape() == std::vector<Eigen::Index>{2 * gates * units}) {
        // cuDNN: two biases, input and recurrent.
        Tensor<Scalar> b = d.template read<Scalar>({2 * gates * units}, what);
        from_cudnn_kernels(out[0], out[1], gates);
        Tensor<Scalar> bias;
        bias.shape = specs[2].shape;
        if (gates == 4) {  // CuDNNLSTM: the two biases add up (tf-keras sums the halves)
          bias.values.assign(b.values.begin(), b.values.begin() + 4 * units);
          for (Eigen::Index j = 0; j < 4 * units; ++j)
            bias.values[static_cast<std::size_t>(j)] += b.values[static_cast<std::size_t>(4 * units + j)];
        } else if (specs[2].shape == std::vector<Eigen::Index>{2, gates * units}) {  // CuDNNGRU: reshaped
          bias.values = std::move(b.values);
        } else {
          throw weight_error(cat(what, ": a cuDNN GRU bias of shape [", 2 * gates * units,
                                 "] fits only GRU(reset_after=True), whose bias is [2, ", gates * units, "]"));
        }
        out.push_back(std::move(bias));
        continue;
      }
    }
    out.push_back(d.template read<Scalar>(specs[i].shape, what));
  }
  return out;
}

/// The runs `[begin, end)` of consecutive weights with the same owner: the part of the
/// name before its last '/' (a Bidirectional layer's weights are "<direction>/kernel", ...,
/// so each direction is one run; any other layer's weights are one run).
inline std::vector<std::pair<std::size_t, std::size_t>> owner_runs(const std::vector<WeightSpec>& specs) {
  auto owner = [](const WeightSpec& w) { return w.name.substr(0, w.name.rfind('/') + 1); };
  std::vector<std::pair<std::size_t, std::size_t>> runs;
  for (std::size_t at = 0; at < specs.size();) {
    std::size_t end = at + 1;
    while (end < specs.size() && owner(specs[end]) == owner(specs[at])) ++end;
    runs.emplace_back(at, end);
    at = end;
  }
  return runs;
}

/// The elements `[run.first, run.second)` of `v`.
template <class T>
std::vector<T> slice(const std::vector<T>& v, std::pair<std::size_t, std::size_t> run) {
  return std::vector<T>(v.begin() + static_cast<std::ptrdiff_t>(run.first),
                        v.begin() + static_cast<std::ptrdiff_t>(run.second));
}

/// The weights of one model layer from its legacy group.
template <class Scalar>
std::vector<Tensor<Scalar>> read_legacy_layer(const io::hdf5::Group& g, const Layer<Scalar>& layer) {
  const std::string label = cat("birnn::keras::load_weights: layer '", layer.name(), "' (file group '", g.path(), "')");
  const std::vector<WeightSpec> specs = layer.weight_specs();
  const std::vector<std::string> names = chunked_attribute(g, "weight_names");
  if (names.size() != specs.size())
    throw weight_error(cat(label, ": weight count: expected ", specs.size(), ", got ", names.size(), " in '",
                           g.file_name(), "'"));
  // A Bidirectional layer's two directions are converted one at a time.
  std::vector<Tensor<Scalar>> out;
  for (const auto& run : owner_runs(specs))
    for (auto& t : read_direction<Scalar>(g, slice(names, run), slice(specs, run), label)) out.push_back(std::move(t));
  return out;
}

/// Keras's `naming.to_snake_case` of a class name: "SimpleRNN" is "simple_rnn", "LSTM" "lstm".
inline std::string snake_case(const std::string& cls) {
  std::string s;
  for (const char c : cls)
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') s += c;
  // "(.)([A-Z][a-z]+)" -> "\1_\2", then "([a-z])([A-Z])" -> "\1_\2", then lower case.
  auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
  std::string a;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i > 0 && upper(s[i]) && i + 1 < s.size() && lower(s[i + 1])) a += '_';
    a += s[i];
  }
  std::string b;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (i > 0 && upper(a[i]) && lower(a[i - 1])) b += '_';
    b += a[i];
  }
  for (char& c : b) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return b;
}

/// The `vars` group of a Keras 3 store path: the datasets "0", "1", ... in variable order.
template <class Scalar>
std::vector<Tensor<Scalar>> read_vars(const io::hdf5::Group& root, const std::string& path,
                                      const std::vector<WeightSpec>& specs, const std::string& label) {
  if (specs.empty()) return {};
  const std::string where = path + "/vars";
  io::hdf5::Group vars = [&] {
    try {
      return root.group_path(where);
    } catch (const io_error&) {
      throw weight_error(cat(label, ": expected its weights at '", where, "' in '", root.file_name(), "'"));
    }
  }();
  const std::vector<std::string> members = vars.members();
  if (members.size() != specs.size())
    throw weight_error(cat(label, ": weight count at '", where, "': expected ", specs.size(), ", got ",
                           members.size(), " in '", root.file_name(), "'"));
  std::vector<Tensor<Scalar>> out;
  for (std::size_t i = 0; i < specs.size(); ++i)
    out.push_back(vars.dataset(std::to_string(i))
                      .template read<Scalar>(specs[i].shape, cat(label, ": weight '", specs[i].name, "'")));
  return out;
}

/// The store paths under `g` (relative to the root, without "/vars") whose `vars` group
/// holds datasets: what a Keras 3 weights file stores. Depth and count are bounded (a
/// file's nesting is not trusted).
inline void stored_paths(const io::hdf5::Group& g, const std::string& path, int depth, std::vector<std::string>& out) {
  constexpr int max_depth = 32;
  constexpr std::size_t max_paths = 1u << 16;
  if (depth > max_depth)
    throw io_error(cat("'", g.file_name(), "': groups nested deeper than ", max_depth, " levels at ", g.path()));
  for (const std::string& name : g.members()) {
    if (!g.contains_group(name)) continue;
    const io::hdf5::Group child = g.group(name);
    if (name == "vars") {
      if (!child.members().empty()) out.push_back(path);
    } else {
      stored_paths(child, path.empty() ? name : path + "/" + name, depth + 1, out);
    }
    if (out.size() > max_paths) throw io_error(cat("'", g.file_name(), "': more than ", max_paths, " weight groups"));
  }
}

}  // namespace detail

/// Keras 3's store paths of a Sequential model's layers (`saving_lib._save_container_state`):
/// `layers/<class in snake case>`, made unique within the model by `_1`, `_2`, ... in layer
/// order, whatever the layers' names.
template <class Scalar>
std::vector<std::string> keras3_store_paths(const Model<Scalar>& model) {
  std::map<std::string, int> used;
  std::vector<std::string> paths;
  for (std::size_t i = 0; i < model.size(); ++i) {
    const std::string base = detail::snake_case(model.layer(i).class_name());
    const int n = used[base]++;
    paths.push_back(n == 0 ? "layers/" + base : birnn::detail::cat("layers/", base, '_', n));
  }
  return paths;
}

/// Loads a Keras 3 weights store (`.weights.h5`, or a `.keras` file's `model.weights.h5`)
/// into `model`. A recurrent layer's weights are its cell's (`<path>/cell/vars`); a
/// Bidirectional's are `<path>/forward_layer/cell/vars` then `<path>/backward_layer/...`; a
/// TimeDistributed's its wrapped layer's (`<path>/layer/vars`).
/// @throws weight_error when a layer's weights are missing or differ in count or shape.
template <class Scalar>
void load_keras3_weights(Model<Scalar>& model, const io::hdf5::Group& root) {
  using birnn::detail::cat;
  const std::vector<std::string> paths = keras3_store_paths(model);
  std::vector<Tensor<Scalar>> all;
  std::set<std::string> read;  // the store paths whose weights were taken
  auto vars = [&](const std::string& path, std::vector<WeightSpec> specs, const std::string& label) {
    if (!specs.empty()) read.insert(path);
    return detail::read_vars<Scalar>(root, path, specs, label);
  };
  for (std::size_t i = 0; i < model.size(); ++i) {
    const Layer<Scalar>& layer = model.layer(i);
    const std::vector<WeightSpec> specs = layer.weight_specs();
    const std::string label = cat("birnn::keras::load_weights: layer '", layer.name(), "' (", layer.class_name(), ")");
    const std::string cls = layer.class_name();
    std::vector<Tensor<Scalar>> w;
    if (cls == "Bidirectional") {
      // The forward direction's weights come first, then the backward one's.
      const auto runs = detail::owner_runs(specs);
      if (runs.size() != 2)
        throw weight_error(cat(label, ": expected the weights of two directions, got ", runs.size(), " groups"));
      w = vars(paths[i] + "/forward_layer/cell", detail::slice(specs, runs[0]), label);
      for (auto& t : vars(paths[i] + "/backward_layer/cell", detail::slice(specs, runs[1]), label))
        w.push_back(std::move(t));
    } else if (cls == "SimpleRNN" || cls == "LSTM" || cls == "GRU") {
      w = vars(paths[i] + "/cell", specs, label);
    } else if (cls == "TimeDistributed") {  // the wrapped layer is its attribute `layer`
      w = vars(paths[i] + "/layer", specs, label);
    } else {
      w = vars(paths[i], specs, label);
    }
    for (auto& t : w) all.push_back(std::move(t));
  }
  // Weights of the file that no layer took: the file is another model's.
  std::vector<std::string> stored;
  detail::stored_paths(root, "", 0, stored);
  for (const auto& p : stored)
    if (!read.count(p))
      throw weight_error(cat("birnn::keras::load_weights '", root.file_name(), "': the weights at '", p,
                             "/vars' belong to no layer of model '", model.name(), "' (expected ", read.size(),
                             " weight groups, the file has ", stored.size(), ")"));
  model.set_weights(all);
}

/// Loads the weights of a legacy Keras HDF5 group (the file's root, or its `model_weights`
/// group) into `model`, by order as Keras does. @throws weight_error when the layers with
/// weights or their weights do not match in count or shape; io_error for a corrupt file.
template <class Scalar>
void load_legacy_weights(Model<Scalar>& model, const io::hdf5::Group& file_root) {
  using birnn::detail::cat;
  io::hdf5::Group g = file_root;
  if (!g.has_attribute("layer_names") && !g.has_attribute("layer_names0") && g.contains_group("model_weights"))
    g = g.group("model_weights");
  const std::vector<std::string> layer_names = detail::chunked_attribute(g, "layer_names");
  if (layer_names.empty() && !g.has_attribute("layer_names"))
    throw io_error(cat("'", g.file_name(), "': not a Keras weights file (no 'layer_names' attribute in ", g.path(), ")"));
  std::vector<std::string> with_weights;
  for (const auto& name : layer_names) {
    const io::hdf5::Group lg = g.group(name);
    if (!detail::chunked_attribute(lg, "weight_names").empty()) with_weights.push_back(name);
  }
  std::vector<std::size_t> layers;
  for (std::size_t i = 0; i < model.size(); ++i)
    if (!model.layer(i).weight_specs().empty()) layers.push_back(i);
  if (layers.size() != with_weights.size())
    throw weight_error(cat("birnn::keras::load_weights '", g.file_name(), "': layers with weights: expected ",
                           layers.size(), " (model '", model.name(), "'), got ", with_weights.size(), " in the file"));
  std::vector<Tensor<Scalar>> all;
  for (std::size_t k = 0; k < layers.size(); ++k)
    for (auto& t : detail::read_legacy_layer<Scalar>(g.group(with_weights[k]), model.layer(layers[k])))
      all.push_back(std::move(t));
  model.set_weights(all);
}

}  // namespace birnn::keras
