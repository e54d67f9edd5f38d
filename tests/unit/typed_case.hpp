#pragma once
// Helpers for replaying golden Keras cases through the compile-time templates (`Rnn`,
// `Bidirectional`) directly, without the runtime model or the Keras config reader: the
// tests build each layer's configuration by hand from the case's config and compare the
// outputs with the case's golden numbers within the case's tolerance.
//
// The variants every case runs in: float or double, and dynamic sizes or fixed sizes
// (InputSize and Units as template arguments, matching the case).

#include "../conformance/case.hpp"

#include <birnn/birnn.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <type_traits>
#include <vector>

namespace birnn_test {

using json = nlohmann::json;
using birnn::conformance::Array;
using birnn::conformance::Tolerance;

/// A test variant: `Scalar`, and whether the sizes are template arguments.
template <class S, bool Fixed>
struct Variant {
  using Scalar = S;
  static constexpr bool fixed = Fixed;
  /// `n` when the sizes are fixed, else `Eigen::Dynamic`.
  static constexpr int size(int n) { return Fixed ? n : Eigen::Dynamic; }
  /// The cell `Cell<Scalar, InputSize, Units>`, sizes fixed or dynamic.
  template <template <class, int, int> class Cell, int InputSize, int Units>
  using cell = Cell<S, size(InputSize), size(Units)>;
};

using Variants = ::testing::Types<Variant<float, false>, Variant<float, true>, Variant<double, false>,
                                  Variant<double, true>>;

struct VariantNames {
  template <class T>
  static std::string GetName(int) {
    return std::string(std::is_same_v<typename T::Scalar, float> ? "float" : "double") +
           (T::fixed ? "_fixed" : "_dynamic");
  }
};

/// A golden case and the pieces of it the tests read.
struct Golden {
  birnn::conformance::Case c;

  const json& layer() const { return c.json.at("layers").at(0); }
  const json& config() const { return layer().at("config"); }
  /// For a Bidirectional: the wrapped forward layer `{class_name, config}`.
  const json& forward_layer() const { return config().at("layer"); }
  /// For a Bidirectional: the backward layer `{class_name, config}` (Keras writes it always).
  const json& backward_layer() const { return config().at("backward_layer"); }
  Tolerance tolerance() const { return c.tolerance; }

  /// The expected outputs, after checking that their names are `names`, in that order.
  std::vector<Array> outputs(const std::vector<std::string>& names) const {
    std::vector<Array> out;
    std::vector<std::string> got;
    for (const auto& o : c.json.at("outputs")) {
      out.push_back(birnn::conformance::array_from_json(o));
      got.push_back(out.back().name);
    }
    EXPECT_EQ(got, names) << "the case's outputs are not the ones the test compares";
    return out;
  }
  /// The case's initial states, Keras order.
  std::vector<Array> initial_state() const {
    std::vector<Array> out;
    for (const auto& s : c.json.at("initial_state")) out.push_back(birnn::conformance::array_from_json(s));
    return out;
  }
};

inline Golden load(const std::string& name) {
  return Golden{birnn::conformance::load_case(std::string(BIRNN_TEST_DATA_DIR) + "/keras/" + name + ".json")};
}

/// The weights of `layer` (`{weights: [{shape, data}]}`) as tensors, Keras `get_weights()` order.
template <class S>
std::vector<birnn::Tensor<S>> weights_of(const json& layer) {
  std::vector<birnn::Tensor<S>> w;
  for (const auto& t : layer.at("weights")) {
    birnn::Tensor<S> x;
    x.shape = t.at("shape").get<std::vector<Eigen::Index>>();
    for (double v : t.at("data").get<std::vector<double>>()) x.values.push_back(static_cast<S>(v));
    w.push_back(std::move(x));
  }
  return w;
}

/// The cell configuration of a Keras recurrent layer `{class_name, config}`, read by hand.
template <class Cell>
typename Cell::Config config_of(const json& layer) {
  EXPECT_EQ(layer.at("class_name").get<std::string>(), std::string(Cell::keras_name));
  const json& c = layer.at("config");
  typename Cell::Config cfg;
  cfg.units = c.at("units").get<Eigen::Index>();
  cfg.activation = birnn::activation_from_string(c.at("activation").get<std::string>());
  cfg.use_bias = c.at("use_bias").get<bool>();
  if constexpr (Cell::gates != 1)
    cfg.recurrent_activation = birnn::activation_from_string(c.at("recurrent_activation").get<std::string>());
  if constexpr (Cell::gates == 3) cfg.reset_after = c.at("reset_after").get<bool>();
  return cfg;
}

/// The layer options (name, go_backwards) of a Keras recurrent layer `{class_name, config}`.
inline birnn::LayerOptions options_of(const json& layer) {
  birnn::LayerOptions o;
  o.name = layer.at("config").at("name").get<std::string>();
  o.go_backwards = layer.at("config").at("go_backwards").get<bool>();
  return o;
}

/// Checks that a layer's compile-time policies are the ones the Keras config `c` asks for.
template <class L>
void expect_policies(const json& c) {
  EXPECT_EQ(L::return_sequences, c.at("return_sequences").get<bool>()) << "return_sequences of the case";
  EXPECT_EQ(L::return_state, c.at("return_state").get<bool>()) << "return_state of the case";
}

/// Checks that a Bidirectional layer's merge policy is the case's `merge_mode` (null is "None").
template <class L>
void expect_merge(const json& c) {
  const json& m = c.at("merge_mode");
  EXPECT_EQ(m.is_null() ? std::string("None") : m.get<std::string>(), std::string(birnn::to_string(L::merge_mode)))
      << "merge_mode of the case";
}

/// Checks that two cell configurations are equal (the backward layer Keras copies from the forward one).
template <class Cell>
void expect_same_config(const typename Cell::Config& a, const typename Cell::Config& b) {
  EXPECT_EQ(a.units, b.units);
  EXPECT_EQ(a.activation, b.activation);
  EXPECT_EQ(a.use_bias, b.use_bias);
  if constexpr (Cell::gates != 1) {
    EXPECT_EQ(a.recurrent_activation, b.recurrent_activation);
  }
  if constexpr (Cell::gates == 3) {
    EXPECT_EQ(a.reset_after, b.reset_after);
  }
}

/// The input `(batch, time, features)` of a case.
template <class S, int F>
birnn::Sequence<S, F> input_of(const Golden& g) {
  const Array a = birnn::conformance::array_from_json(g.c.json.at("inputs"));
  birnn::Sequence<S, F> x(a.shape.at(0), a.shape.at(1), a.shape.at(2));
  std::size_t k = 0;
  for (Eigen::Index b = 0; b < x.batch(); ++b)
    for (Eigen::Index t = 0; t < x.time(); ++t)
      for (Eigen::Index f = 0; f < x.features(); ++f) x(b, t, f) = static_cast<S>(a.data.at(k++));
  return x;
}

/// The mask `(batch, time)` of a case, true = keep.
inline birnn::Mask mask_of(const Golden& g) {
  const Array a = birnn::conformance::array_from_json(g.c.json.at("mask"));
  birnn::Mask m(a.shape.at(0), a.shape.at(1));
  std::size_t k = 0;
  for (Eigen::Index b = 0; b < m.rows(); ++b)
    for (Eigen::Index t = 0; t < m.cols(); ++t) m(b, t) = a.data.at(k++) != 0;
  return m;
}

/// A `(batch, units)` state from a case's array.
template <class Hidden>
Hidden batch_of(const Array& a) {
  Hidden m(a.shape.at(0), a.shape.at(1));
  std::size_t k = 0;
  for (Eigen::Index r = 0; r < m.rows(); ++r)
    for (Eigen::Index c = 0; c < m.cols(); ++c) m(r, c) = static_cast<typename Hidden::Scalar>(a.data.at(k++));
  return m;
}

inline ::testing::AssertionResult compared(const std::vector<Eigen::Index>& shape, const std::vector<double>& values,
                                           const Array& expected, Tolerance tol) {
  const auto cmp = birnn::conformance::compare(shape, values, expected, tol);
  if (cmp.ok) return ::testing::AssertionSuccess();
  auto failure = ::testing::AssertionFailure() << "'" << expected.name << "' differs from Keras";
  if (!cmp.problem.empty()) failure << ": " << cmp.problem;
  return failure << " (largest error " << cmp.max_abs_error << ", atol " << tol.atol << ", rtol " << tol.rtol << ")";
}

/// Whether a sequence output equals the golden array within the tolerance.
template <class S, int F>
::testing::AssertionResult matches(const birnn::Sequence<S, F>& y, const Array& expected, Tolerance tol) {
  std::vector<double> v;
  for (Eigen::Index b = 0; b < y.batch(); ++b)
    for (Eigen::Index t = 0; t < y.time(); ++t)
      for (Eigen::Index f = 0; f < y.features(); ++f) v.push_back(static_cast<double>(y(b, t, f)));
  return compared({y.batch(), y.time(), y.features()}, v, expected, tol);
}

/// Whether a `(batch, units)` output or state equals the golden array within the tolerance.
template <class Derived>
::testing::AssertionResult matches(const Eigen::MatrixBase<Derived>& m, const Array& expected, Tolerance tol) {
  std::vector<double> v;
  for (Eigen::Index r = 0; r < m.rows(); ++r)
    for (Eigen::Index c = 0; c < m.cols(); ++c) v.push_back(static_cast<double>(m(r, c)));
  return compared({m.rows(), m.cols()}, v, expected, tol);
}

}  // namespace birnn_test

namespace birnn_test {

/// A Bidirectional built as Keras builds it from one `layer` (the three-argument constructor),
/// after checking the case's policies, merge mode and that the case's backward layer is the copy.
template <class Bi, class Cell>
Bi default_bidirectional(const Golden& g, Eigen::Index features) {
  expect_policies<Bi>(g.forward_layer().at("config"));
  expect_merge<Bi>(g.config());
  const auto config = config_of<Cell>(g.forward_layer());
  expect_same_config<Cell>(config, config_of<Cell>(g.backward_layer()));
  Bi bi(features, config, g.config().at("name").get<std::string>());
  EXPECT_EQ(bi.forward_layer().options().name, g.forward_layer().at("config").at("name").get<std::string>());
  EXPECT_EQ(bi.backward_layer().options().name, g.backward_layer().at("config").at("name").get<std::string>());
  EXPECT_FALSE(bi.forward_layer().options().go_backwards);
  EXPECT_TRUE(bi.backward_layer().options().go_backwards);
  bi.set_weights(weights_of<typename Bi::Scalar>(g.layer()));
  return bi;
}

/// A Bidirectional with an explicit backward layer (Keras `backward_layer`): the five-argument constructor.
template <class Bi, class Forward, class Backward>
Bi explicit_bidirectional(const Golden& g, Eigen::Index features) {
  expect_policies<Bi>(g.forward_layer().at("config"));
  expect_policies<Bi>(g.backward_layer().at("config"));
  expect_merge<Bi>(g.config());
  Bi bi(features, config_of<Forward>(g.forward_layer()), options_of(g.forward_layer()),
        config_of<Backward>(g.backward_layer()), options_of(g.backward_layer()), g.config().at("name").get<std::string>());
  EXPECT_EQ(bi.backward_layer().options().name, g.backward_layer().at("config").at("name").get<std::string>());
  bi.set_weights(weights_of<typename Bi::Scalar>(g.layer()));
  return bi;
}

}  // namespace birnn_test
