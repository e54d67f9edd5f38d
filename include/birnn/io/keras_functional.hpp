#pragma once
/// @file
/// Functional models from Keras JSON (`model.to_json()`, a `.keras` file's `config.json`, a
/// legacy `.h5`'s `model_config`): class `Functional` (Keras 3, tf.keras 2.4+) or `Model`
/// (older tf.keras). The config lists the layers; each non-input layer names the tensors it
/// reads in `inbound_nodes`:
///
/// - Keras 3: `[{"args": [tensor or [tensors]], "kwargs": {...}}]`, a tensor being
///   `{"class_name": "__keras_tensor__", "config": {"keras_history": [layer, node, index]}}`;
/// - tf.keras 2: `[[[layer, node, index, kwargs], ...]]`.
///
/// `input_layers` and `output_layers` name the model's inputs and outputs (a list of
/// `[layer, node, index]`, or one such triple). The layers are added in an order where each
/// comes after what it reads, whatever the config's order. Keras 3's mask operations are
/// skipped (`is_operation`). Refused with a `config_error`:
/// a layer called more than once (shared layers), call arguments other than `mask` and
/// `training` (e.g. `initial_state`), an input of rank 1 that is not integer token ids.

#include "birnn/errors.hpp"
#include "birnn/io/keras_model.hpp"
#include "birnn/model/model.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace birnn::keras::detail {

/// A tensor reference of a Functional config: its layer's name and output index.
struct TensorRef {
  std::string layer;
  std::size_t index = 0;
};

/// `[layer, node, index]` (and tf.keras 2's optional kwargs).
inline TensorRef tensor_ref(const json& t, const std::string& label) {
  if (!t.is_array() || t.size() < 3 || !t[0].is_string() || !t[1].is_number_integer() || !t[2].is_number_integer())
    throw config_error(cat(label, ": expected a tensor [layer, node, index], got ", t.dump().substr(0, 120)));
  if (t[1].get<long long>() != 0)
    throw config_error(cat(label, ": reads node ", t[1].dump(), " of layer '", t[0].get<std::string>(),
                           "': expected node 0 (birnn does not run layers called more than once)"));
  const auto index = t[2].get<long long>();
  if (index < 0 || index > 64) throw config_error(cat(label, ": tensor index: expected 0 to 64, got ", index));
  return {t[0].get<std::string>(), static_cast<std::size_t>(index)};
}

/// The call arguments birnn runs: `mask` (given by the graph anyway) and `training`.
inline void check_call_kwargs(const json& kwargs, const std::string& label) {
  if (!kwargs.is_object()) return;
  for (const auto& [key, value] : kwargs.items())
    if (key != "mask" && key != "training")
      throw config_error(cat(label, ": call argument '", key, "' is not supported by birnn (expected only mask or "
                             "training)"));
}

/// The tensors a layer of a Functional config reads.
inline std::vector<TensorRef> inbound_tensors(const json& layer, const std::string& label) {
  if (!layer.contains("inbound_nodes") || !layer["inbound_nodes"].is_array())
    throw config_error(cat(label, ": expected 'inbound_nodes' (a Functional model's layer)"));
  const json& nodes = layer["inbound_nodes"];
  if (nodes.size() != 1)
    throw config_error(cat(label, ": called ", nodes.size(), " times: expected once (birnn does not run shared layers)"));
  const json& node = nodes[0];
  std::vector<TensorRef> refs;
  if (node.is_object()) {  // Keras 3
    if (!node.contains("args") || !node["args"].is_array() || node["args"].size() != 1)
      throw config_error(cat(label, ": inbound node: expected 'args' holding the input tensor(s)"));
    if (node.contains("kwargs")) check_call_kwargs(node["kwargs"], label);
    const json& a = node["args"][0];
    const json one = json::array({a});
    for (const json& t : a.is_array() ? a : one) {
      if (!t.is_object() || !t.contains("config") || !t["config"].is_object() || !t["config"].contains("keras_history"))
        throw config_error(cat(label, ": inbound node: expected Keras tensors, got ", t.dump().substr(0, 120)));
      refs.push_back(tensor_ref(t["config"]["keras_history"], label));
    }
  } else if (node.is_array()) {  // tf.keras 2
    for (const json& t : node) {
      if (t.is_array() && t.size() >= 4) check_call_kwargs(t[3], label);
      refs.push_back(tensor_ref(t, label));
    }
  } else {
    throw config_error(cat(label, ": inbound node: expected an object or a list, got ", node.dump().substr(0, 120)));
  }
  if (refs.empty()) throw config_error(cat(label, ": inbound node: expected at least one input tensor"));
  return refs;
}

/// `input_layers` / `output_layers`: a list of triples, or one triple.
inline std::vector<TensorRef> io_tensors(const json& c, const char* key, const std::string& label) {
  if (!c.contains(key) || !c[key].is_array() || c[key].empty())
    throw config_error(cat(label, ": expected '", key, "'"));
  const json& v = c[key];
  std::vector<TensorRef> refs;
  if (v[0].is_string()) {
    refs.push_back(tensor_ref(v, label));
  } else {
    for (const json& t : v) refs.push_back(tensor_ref(t, label));
  }
  return refs;
}

/// Whether a config entry is a Keras operation (`module` "keras.src.ops..."), not a layer.
/// Keras 3 records the ops that compute masks (`not_equal`, `expand_dims`, `logical_or`,
/// `any`, ...) in a Functional config, feeding only `mask=` call arguments; birnn computes
/// every mask by Keras's rules itself, so it skips them.
inline bool is_operation(const json& l) {
  return l.is_object() && l.contains("module") && l["module"].is_string() &&
         l["module"].get<std::string>().rfind("keras.src.ops", 0) == 0;
}

/// Whether an InputLayer's dtype is an integer type (token ids).
inline bool integer_dtype(const json& c) {
  if (!c.contains("dtype")) return false;
  const json& d = c["dtype"];
  std::string name = d.is_string() ? d.get<std::string>() : std::string();
  if (d.is_object() && d.contains("config") && d["config"].is_object() && d["config"].contains("name") &&
      d["config"]["name"].is_string())
    name = d["config"]["name"].get<std::string>();
  return name.rfind("int", 0) == 0 || name.rfind("uint", 0) == 0;
}

template <class Scalar>
Model<Scalar> functional_from_config(const json& j, const Dialect& dialect) {
  const std::string label = "birnn::keras: Functional";
  const json& c = config_of(j, label);
  const std::string name = get(c, "name", std::string("functional"), label);
  if (!c.contains("layers") || !c["layers"].is_array() || c["layers"].empty())
    throw config_error(cat(label, " '", name, "': expected a list of 'layers'"));
  const json& layers = c["layers"];
  if (layers.size() > 100000) throw config_error(cat(label, " '", name, "': more than 100000 layers"));
  std::map<std::string, const json*> by_name;
  for (const json& l : layers) {
    const std::string n = l.contains("name") && l["name"].is_string()
                              ? l["name"].get<std::string>()
                              : get(config_of(l, label_of(l)), "name", std::string(), label_of(l));
    if (n.empty() || !by_name.emplace(n, &l).second)
      throw config_error(cat(label, " '", name, "': layer name '", n, "': expected a unique, non-empty name"));
  }
  // The model's inputs, in the config's order.
  const std::vector<TensorRef> in = io_tensors(c, "input_layers", label);
  std::vector<Shape> shapes;
  std::map<std::string, Node> nodes;  // by layer name: the node of its output 0
  for (std::size_t k = 0; k < in.size(); ++k) {
    const auto it = by_name.find(in[k].layer);
    if (it == by_name.end() || it->second->value("class_name", "") != "InputLayer")
      throw config_error(cat(label, " '", name, "': input '", in[k].layer, "': expected an InputLayer of the model"));
    const json& ic = config_of(*it->second, label_of(*it->second));
    Shape s = shape_from_json(ic.contains("batch_shape") ? ic["batch_shape"] : ic.value("batch_input_shape", json()));
    if (s.size() == 1 && !integer_dtype(ic))
      throw config_error(cat(label_of(*it->second), ": an input of shape ", keras_shape_string(s),
                             " is read as token ids by birnn: expected an integer dtype, got another"));
    shapes.push_back(std::move(s));
    nodes[in[k].layer] = Node{-1 - static_cast<std::ptrdiff_t>(k), 0};
  }
  Model<Scalar> model = Model<Scalar>::functional(shapes, name);
  // Add each layer once every layer it reads is there (a topological order).
  std::vector<const json*> pending;
  std::map<std::string, std::string> operations;  // name -> class, of the skipped mask operations
  for (const json& l : layers) {
    if (is_operation(l))
      operations[l.value("name", std::string())] = l.value("class_name", std::string());
    else if (l.value("class_name", "") != "InputLayer")
      pending.push_back(&l);
  }
  auto refuse_operation = [&](const std::string& reader, const std::string& op) {
    throw config_error(cat(reader, ": reads the output of the Keras operation '", op, "' (", operations[op],
                           "): birnn runs layers; it skips operations only where they compute masks"));
  };
  while (!pending.empty()) {
    std::vector<const json*> later;
    for (const json* l : pending) {
      const std::string ll = label_of(*l);
      std::vector<Node> reads;
      bool ready = true;
      for (const TensorRef& r : inbound_tensors(*l, ll)) {
        if (operations.count(r.layer)) refuse_operation(ll, r.layer);
        if (!by_name.count(r.layer))
          throw config_error(cat(ll, ": reads layer '", r.layer, "': expected a layer of the model"));
        const auto it = nodes.find(r.layer);
        if (it == nodes.end()) {
          ready = false;
          break;
        }
        reads.push_back(it->second.is_input() ? it->second : model.node(static_cast<std::size_t>(it->second.layer), r.index));
      }
      if (!ready) {
        later.push_back(l);
        continue;
      }
      // Other layers name it by its entry's "name" (the same as its config's, which the
      // layer takes; without one, the layer's automatic name).
      const Node n = model.add(layer_config(*l, dialect), reads);
      nodes[l->contains("name") && (*l)["name"].is_string() ? (*l)["name"].get<std::string>()
                                                           : model.layer(static_cast<std::size_t>(n.layer)).name()] = n;
    }
    if (later.size() == pending.size())
      throw config_error(cat(label, " '", name, "': layer '", label_of(*later.front()),
                             "' reads tensors no layer makes (a cycle or an unknown input)"));
    pending = std::move(later);
  }
  std::vector<Node> outputs;
  for (const TensorRef& r : io_tensors(c, "output_layers", label)) {
    if (operations.count(r.layer)) refuse_operation(cat(label, " '", name, "': an output"), r.layer);
    const auto it = nodes.find(r.layer);
    if (it == nodes.end() || it->second.is_input())
      throw config_error(cat(label, " '", name, "': output '", r.layer, "': expected a layer of the model"));
    outputs.push_back(model.node(static_cast<std::size_t>(it->second.layer), r.index));
  }
  model.set_outputs(std::move(outputs));
  return model;
}

}  // namespace birnn::keras::detail
