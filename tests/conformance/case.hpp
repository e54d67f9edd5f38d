#pragma once
// Reads a golden conformance case (format: tests/data/README.md) and runs it through the
// runtime model built from its Keras configs; when the case carries `gradients`, runs the
// recorded forward pass and the backward pass and compares the gradients too. Shared by the birnn_conformance runner and
// the unit tests that replay cases through the templates directly.

#include <birnn/io/keras_model.hpp>
#include <birnn/io/torch_state_dict.hpp>
#if defined(BIRNN_HAVE_KERAS_FILES)
#include <birnn/io/keras_file.hpp>
#endif

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace birnn::conformance {

struct Tolerance {
  double atol = 0, rtol = 0;
};

/// One named array of a case: shape and row-major values.
struct Array {
  std::string name;
  std::vector<Eigen::Index> shape;
  std::vector<double> data;
};

inline Array array_from_json(const nlohmann::json& j) {
  Array a;
  a.name = j.value("name", std::string());
  a.shape = j.at("shape").get<std::vector<Eigen::Index>>();
  a.data = j.at("data").get<std::vector<double>>();
  return a;
}

/// The largest error of `actual` against `expected` and whether every element is within tolerance:
/// `|actual - expected| <= atol + rtol * |expected|`. NaN fails.
struct Comparison {
  bool ok = true;
  double max_abs_error = 0;
  std::string problem;  // a shape or count mismatch
};

inline Comparison compare(const std::vector<Eigen::Index>& actual_shape, const std::vector<double>& actual,
                          const Array& expected, Tolerance tol) {
  Comparison c;
  if (actual_shape != expected.shape) {
    c.ok = false;
    c.problem = expected.name + ": shape " + shape_string(actual_shape) + " != expected " + shape_string(expected.shape);
    return c;
  }
  for (std::size_t i = 0; i < expected.data.size(); ++i) {
    const double e = expected.data[i], a = actual[i], err = std::abs(a - e);
    if (!(err <= tol.atol + tol.rtol * std::abs(e))) c.ok = false;
    if (!(err <= c.max_abs_error)) c.max_abs_error = std::isnan(err) ? INFINITY : std::max(err, c.max_abs_error);
  }
  return c;
}

/// A parsed case.
struct Case {
  std::string name;
  std::string path;  // of the case file: a `model_file` is relative to it
  nlohmann::json json;
  Tolerance tolerance;
  bool params_only = false;
};

inline Case load_case(const std::string& path) {
  Case c;
  c.json = keras::read_json(path);
  c.path = path;
  c.name = c.json.value("name", path);
  c.tolerance = {c.json.at("tolerance").at("atol").get<double>(), c.json.at("tolerance").at("rtol").get<double>()};
  c.params_only = c.json.at("inputs").is_null();
  return c;
}

/// The result of running a case.
struct Outcome {
  bool ok = true;
  double max_abs_error = 0;
  std::string message;
};

/// A value of the shape `a` gives (rank 2 or 3, batch first) holding `a`'s data.
template <class Scalar>
Value<Scalar> value_from_array(const Array& a) {
  Batch<Scalar> m(a.shape.at(0) * (a.shape.size() == 3 ? a.shape[1] : 1), a.shape.back());
  for (Eigen::Index r = 0; r < m.rows(); ++r)
    for (Eigen::Index k = 0; k < m.cols(); ++k) m(r, k) = Scalar(a.data[std::size_t(r * m.cols() + k)]);
  if (a.shape.size() == 3) return Value<Scalar>::of(Sequence<Scalar>(a.shape[0], a.shape[1], std::move(m)));
  return Value<Scalar>::of(std::move(m));
}

/// Runs the model's backward pass with the case's cotangents and compares the gradients
/// (w.r.t. the inputs, when the case has them, and every weight in order) within the
/// gradients' own tolerance. Appends to `out` what is off.
template <class Scalar>
void check_gradients(Model<Scalar>& model, const nlohmann::json& g, const std::vector<Value<Scalar>>& result,
                     Outcome& out) {
  const Tolerance tol{g.at("tolerance").at("atol").get<double>(), g.at("tolerance").at("rtol").get<double>()};
  std::vector<Value<Scalar>> cotangents;
  for (const auto& c : g.at("cotangents")) cotangents.push_back(value_from_array<Scalar>(array_from_json(c)));
  if (cotangents.size() != result.size()) {
    out.ok = false;
    out.message += "cotangent count: expected " + std::to_string(result.size()) + ", got " +
                   std::to_string(cotangents.size()) + "; ";
    return;
  }
  const auto grads = model.backward(cotangents);
  double max_error = 0;
  bool ok = true;
  auto check = [&](const std::vector<Eigen::Index>& shape, const std::vector<double>& actual, Array expected) {
    expected.name = "d " + expected.name;
    const auto cmp = compare(shape, actual, expected, tol);
    if (!cmp.problem.empty()) out.message += cmp.problem + "; ";
    if (!cmp.ok) {
      ok = false;
      if (cmp.problem.empty()) out.message += expected.name + " off; ";
    }
    max_error = std::max(max_error, cmp.max_abs_error);
  };
  if (g.contains("inputs") && !g.at("inputs").is_null()) {
    Array e = array_from_json(g.at("inputs"));
    if (e.name.empty()) e.name = "inputs";
    const auto& x = grads.inputs;
    check({x.batch(), x.time(), x.features()}, std::vector<double>(x.data(), x.data() + x.matrix().size()), e);
  }
  const auto& weights = g.at("weights");
  if (weights.size() != grads.weights.size()) {
    ok = false;
    out.message += "gradient weight count: expected " + std::to_string(weights.size()) + ", got " +
                   std::to_string(grads.weights.size()) + "; ";
  } else {
    for (std::size_t i = 0; i < weights.size(); ++i)
      check(grads.weights[i].shape,
            std::vector<double>(grads.weights[i].values.begin(), grads.weights[i].values.end()),
            array_from_json(weights[i]));
  }
  if (!ok) {
    out.ok = false;
    char buf[96];
    std::snprintf(buf, sizeof buf, "gradients: max abs error %.3g (atol %g, rtol %g); ", max_error, tol.atol, tol.rtol);
    out.message += buf;
  }
}

/// The path of a case's `model_file` or `weights_file`, relative to the case.
inline std::string case_file(const Case& c, const char* key) {
  return (std::filesystem::path(c.path).parent_path() / c.json.at(key).get<std::string>()).string();
}

/// A case with a `model_file` and a `torch_module`: a PyTorch module loaded from its
/// safetensors state_dict, run on `inputs` (and `initial_state` h_0, c_0), its `output`,
/// `h_n`, `c_n` compared.
template <class Scalar>
Outcome run_torch_case(const Case& c) {
  const auto& j = c.json;
  const std::string file = case_file(c, "model_file");
  const auto& m = j.at("torch_module");
  torch::RNNOptions o;
  o.cls = m.at("class").get<std::string>();
  o.num_layers = m.at("num_layers").get<int>();
  o.bidirectional = m.at("bidirectional").get<bool>();
  o.batch_first = m.at("batch_first").get<bool>();
  o.bias = m.value("bias", true);
  o.nonlinearity = m.value("nonlinearity", std::string("tanh"));
  o.input_size = m.value("input_size", Eigen::Index(0));
  o.hidden_size = m.value("hidden_size", Eigen::Index(0));
  auto rnn = torch::load_rnn<Scalar>(file, o);
  auto tensor = [](const Array& a) { return Tensor<Scalar>(a.shape, std::vector<Scalar>(a.data.begin(), a.data.end())); };
  std::optional<Tensor<Scalar>> h0, c0;
  if (j.contains("initial_state") && !j.at("initial_state").is_null())
    for (const auto& s : j.at("initial_state")) {
      const Array a = array_from_json(s);
      if (a.name != "h_0" && a.name != "c_0") throw config_error("initial_state: expected h_0 or c_0, got '" + a.name + "'");
      (a.name == "h_0" ? h0 : c0) = tensor(a);
    }
  const auto r = rnn.forward(tensor(array_from_json(j.at("inputs"))), h0, c0);
  Outcome out;
  const std::size_t count = o.cls == "LSTM" ? 3 : 2;  // output, h_n (, c_n)
  if (j.at("outputs").size() != count) {
    out.ok = false;
    out.message += "output count: expected " + std::to_string(count) + ", got " + std::to_string(j.at("outputs").size()) + "; ";
  }
  for (const auto& e : j.at("outputs")) {
    const Array a = array_from_json(e);
    const Tensor<Scalar>* got = a.name == "output" ? &r.output : a.name == "h_n" ? &r.h_n : a.name == "c_n" ? &r.c_n : nullptr;
    if (!got) throw config_error("outputs: expected output, h_n or c_n, got '" + a.name + "'");
    const auto cmp = compare(got->shape, std::vector<double>(got->values.begin(), got->values.end()), a, c.tolerance);
    if (!cmp.problem.empty()) out.message += cmp.problem + "; ";
    if (!cmp.ok) {
      out.ok = false;
      if (cmp.problem.empty()) out.message += a.name + " off; ";
    }
    out.max_abs_error = std::max(out.max_abs_error, cmp.max_abs_error);
  }
  return out;
}

/// The case's model in `Scalar`: loaded from its Keras `model_file`, or built from its
/// `layers` with the weights inline or from its `weights_file`. Checks the layers'
/// `param_count` where the case gives them.
template <class Scalar>
Model<Scalar> case_model(const Case& c, Outcome& out) {
  const auto& j = c.json;
#if defined(BIRNN_HAVE_KERAS_FILES)
  if (j.contains("model_file")) return keras::load_model<Scalar>(case_file(c, "model_file"));
#else
  if (j.contains("model_file") || j.contains("weights_file"))
    throw config_error("Keras model and weights files need birnn::keras_files (HDF5, libzip), absent from this build");
#endif
  auto model = keras::model_from_config<Scalar>(j.at("layers"));
  const auto& layers = j.at("layers");
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (layers[i].contains("param_count")) {
      const auto expected = layers[i].at("param_count").get<Eigen::Index>();
      const auto got = model.layer(i).count_params();
      if (expected != got) {
        out.ok = false;
        out.message += "param_count of layer " + model.layer(i).name() + ": expected " + std::to_string(expected) +
                       ", got " + std::to_string(got) + "; ";
      }
    }
    if (layers[i].contains("weights") && !layers[i].at("weights").is_null())
      model.layer(i).set_weights(keras::weights_from_json<Scalar>(layers[i].at("weights")));
  }
#if defined(BIRNN_HAVE_KERAS_FILES)
  if (j.contains("weights_file")) keras::load_weights(model, case_file(c, "weights_file"));
#endif
  return model;
}

/// Compares `result` with the case's `outputs`.
template <class Scalar>
void compare_outputs(const Case& c, const std::vector<Value<Scalar>>& result, Outcome& out) {
  const auto& outputs = c.json.at("outputs");
  if (outputs.size() != result.size()) {
    out.ok = false;
    out.message += "output count: expected " + std::to_string(outputs.size()) + ", got " + std::to_string(result.size());
    return;
  }
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const Array e = array_from_json(outputs[i]);
    const auto v = result[i].values();
    const auto cmp = compare(result[i].shape(), std::vector<double>(v.begin(), v.end()), e, c.tolerance);
    if (!cmp.problem.empty()) out.message += cmp.problem + "; ";
    if (!cmp.ok) {
      out.ok = false;
      if (cmp.problem.empty()) out.message += e.name + " off; ";
    }
    out.max_abs_error = std::max(out.max_abs_error, cmp.max_abs_error);
  }
}

/// A case whose `inputs` is a list (a Functional model's inputs, in order): token ids for an
/// input of shape `{time}`, else values.
template <class Scalar>
Outcome run_functional_case(const Case& c, Model<Scalar>& model, Outcome out) {
  const auto shapes = model.input_shapes();
  const auto& inputs = c.json.at("inputs");
  if (inputs.size() != shapes.size())
    throw config_error("inputs: expected " + std::to_string(shapes.size()) + " (the model's), got " +
                       std::to_string(inputs.size()));
  std::vector<Flow<Scalar>> flows;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    const Array a = array_from_json(inputs[k]);
    if (shapes[k].size() == 1) {
      TokenIds ids(a.shape.at(0), a.shape.at(1));
      for (Eigen::Index i = 0; i < ids.size(); ++i)
        ids.data()[i] = static_cast<std::int64_t>(std::llround(a.data[static_cast<std::size_t>(i)]));
      flows.push_back(Flow<Scalar>::of(std::move(ids)));
    } else {
      Sequence<Scalar> x(a.shape.at(0), a.shape.at(1), a.shape.at(2));
      for (std::size_t i = 0; i < a.data.size(); ++i) x.data()[i] = Scalar(a.data[i]);
      flows.push_back(Flow<Scalar>::of(std::move(x)));
    }
  }
  compare_outputs(c, model.predict(flows), out);
  return out;
}

/// Builds the case's model in `Scalar`, checks parameter counts, runs it and compares the outputs.
template <class Scalar>
Outcome run_case(const Case& c, Worker* worker = nullptr) {
  const auto& j = c.json;
  if (j.contains("model_file") && j.contains("torch_module")) return run_torch_case<Scalar>(c);
  Outcome out;
  auto model = case_model<Scalar>(c, out);
  model.set_worker(worker);
  if (c.params_only) return out;

  if (j.at("inputs").is_array()) return run_functional_case(c, model, out);
  const Array input = array_from_json(j.at("inputs"));
  std::optional<Mask> mask;
  if (j.contains("mask") && !j.at("mask").is_null()) {
    const Array m = array_from_json(j.at("mask"));
    mask = Mask(m.shape.at(0), m.shape.at(1));
    for (Eigen::Index b = 0; b < m.shape[0]; ++b)
      for (Eigen::Index t = 0; t < m.shape[1]; ++t) (*mask)(b, t) = m.data[std::size_t(b * m.shape[1] + t)] != 0;
  }
  std::vector<Batch<Scalar>> initial;
  const bool has_initial = j.contains("initial_state") && !j.at("initial_state").is_null();
  if (has_initial)
    for (const auto& s : j.at("initial_state")) {
      const Array a = array_from_json(s);
      Batch<Scalar> m(a.shape.at(0), a.shape.at(1));
      for (Eigen::Index r = 0; r < m.rows(); ++r)
        for (Eigen::Index k = 0; k < m.cols(); ++k) m(r, k) = Scalar(a.data[std::size_t(r * m.cols() + k)]);
      initial.push_back(std::move(m));
    }
  const auto* init = has_initial ? &initial : nullptr;

  // With gradients, the recorded forward pass gives the outputs (so they are checked too).
  const bool train = j.contains("gradients") && !j.at("gradients").is_null();
  std::vector<Value<Scalar>> result;
  if (model.input_shapes().front().size() == 1) {
    TokenIds ids(input.shape.at(0), input.shape.at(1));
    for (Eigen::Index b = 0; b < ids.rows(); ++b)
      for (Eigen::Index t = 0; t < ids.cols(); ++t)
        ids(b, t) = static_cast<std::int64_t>(std::llround(input.data[std::size_t(b * ids.cols() + t)]));
    if (mask) throw config_error("a case with token ids takes its mask from Embedding, not from 'mask'");
    result = train ? model.forward_train(ids, init) : model.predict(ids, init);
  } else {
    Sequence<Scalar> x(input.shape.at(0), input.shape.at(1), input.shape.at(2));
    for (std::size_t i = 0; i < input.data.size(); ++i) x.data()[i] = Scalar(input.data[i]);
    result = train ? model.forward_train(x, mask, init) : model.predict(x, mask, init);
  }

  compare_outputs(c, result, out);
  if (train) check_gradients(model, j.at("gradients"), result, out);
  return out;
}

}  // namespace birnn::conformance
