#pragma once
/// @file
/// `torch::RNN<Scalar>`: a PyTorch `nn.RNN` (tanh or relu), `nn.LSTM` or `nn.GRU` module at
/// run time, with `num_layers`, `bidirectional`, `batch_first` and `bias`, loaded from its
/// `state_dict` and giving PyTorch's `output, h_n[, c_n]` in PyTorch's layouts (the
/// layouts of the torch.nn.RNN / LSTM / GRU documentation).
///
/// It is a stack of birnn runtime layers made by the builder: layer k is Keras's
/// `LSTM(h, return_sequences=True, return_state=True)` (or `SimpleRNN`, or `GRU` with
/// `reset_after=True`, which is PyTorch's GRU), wrapped in `Bidirectional(merge_mode="concat")`
/// when bidirectional. `set_state_dict` turns PyTorch's weights into Keras's: kernel =
/// `weight_ih^T`, recurrent_kernel = `weight_hh^T`, gate blocks reordered (LSTM i,f,g,o is
/// Keras's i,f,c,o; GRU r,z,n becomes z,r,h), bias = `bias_ih + bias_hh` (LSTM, RNN) or the
/// GRU's `(2, 3h)` bias with rows `bias_ih`, `bias_hh`. Every tensor the module has must be
/// there with its shape, and no other (an LSTM's `weight_hr` of `proj_size` is refused).
/// This header reads no file: `io/torch_state_dict.hpp` loads one from safetensors.

#include "birnn/cells/gru.hpp"
#include "birnn/cells/lstm.hpp"
#include "birnn/cells/simple_rnn.hpp"
#include "birnn/errors.hpp"
#include "birnn/model/build_layer.hpp"
#include "birnn/model/layer.hpp"
#include "birnn/model/layer_config.hpp"
#include "birnn/types/sequence.hpp"
#include "birnn/types/tensor.hpp"
#include "birnn/types/value.hpp"

#include <Eigen/Core>

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace birnn::torch {

/// The arguments of the PyTorch constructor that birnn runs (dropout acts in training only).
struct RNNOptions {
  std::string cls = "LSTM";          ///< "RNN", "LSTM" or "GRU"
  int num_layers = 1;
  bool bidirectional = false;
  bool batch_first = false;          ///< x and output are (batch, time, features), else (time, batch, features)
  std::string nonlinearity = "tanh"; ///< "tanh" or "relu" (RNN only)
  bool bias = true;
  Eigen::Index input_size = 0;       ///< 0: inferred from `weight_ih_l0` by `from_state_dict`
  Eigen::Index hidden_size = 0;      ///< 0: inferred from `weight_hh_l0` by `from_state_dict`
};

/// A PyTorch `state_dict`: tensors by name (`weight_ih_l0`, `bias_hh_l1_reverse`, ...).
template <class Scalar>
using StateDict = std::map<std::string, Tensor<Scalar>>;

/// What the module's `forward` returns.
template <class Scalar>
struct RNNOutput {
  Tensor<Scalar> output;  ///< (batch, time, D * hidden) when batch_first, else (time, batch, D * hidden)
  Tensor<Scalar> h_n;     ///< (num_layers * D, batch, hidden): layer 0 forward, layer 0 reverse, layer 1 ...
  Tensor<Scalar> c_n;     ///< the same for an LSTM's cell states; empty for RNN and GRU
};

template <class Scalar>
class RNN {
 public:
  /// A module of the given options, sizes included (its weights unset until `set_state_dict`).
  /// @throws config_error for a class, nonlinearity, layer count or size PyTorch would refuse.
  explicit RNN(RNNOptions options) : o_(std::move(options)) {
    using birnn::detail::cat;
    if (o_.cls != "RNN" && o_.cls != "LSTM" && o_.cls != "GRU")
      throw config_error(cat("birnn::torch::RNN: class: expected RNN, LSTM or GRU, got '", o_.cls, "'"));
    if (o_.nonlinearity != "tanh" && !(o_.nonlinearity == "relu" && o_.cls == "RNN"))
      throw config_error(cat(label(), ": nonlinearity: expected ", o_.cls == "RNN" ? "tanh or relu" : "tanh",
                             ", got '", o_.nonlinearity, "'"));
    if (o_.num_layers < 1) throw config_error(cat(label(), ": num_layers: expected at least 1, got ", o_.num_layers));
    if (o_.input_size < 1 || o_.hidden_size < 1)
      throw config_error(cat(label(), ": input_size and hidden_size: expected positive sizes, got ", o_.input_size,
                             " and ", o_.hidden_size));
    birnn::detail::LayerNames names;
    for (int k = 0; k < o_.num_layers; ++k) {
      const Eigen::Index in = k == 0 ? o_.input_size : directions() * o_.hidden_size;
      layers_.push_back(build_layer<Scalar>(config(k), Shape{keras::None, in}, cat("l", k), names));
    }
  }

  /// The module `state` holds; sizes the options leave at 0 are inferred from it.
  /// @throws weight_error as `set_state_dict`; config_error as the constructor.
  static RNN from_state_dict(const StateDict<Scalar>& state, RNNOptions options) {
    auto dim = [&](const char* name, Eigen::Index& size) {
      if (size != 0) return;
      const auto it = state.find(name);
      if (it == state.end() || it->second.shape.size() != 2 || it->second.shape[1] < 1)
        throw weight_error(birnn::detail::cat("birnn::torch::", options.cls, ": tensor '", name,
                                              "': expected a matrix, got ",
                                              it == state.end() ? std::string("none") : shape_string(it->second.shape)));
      size = it->second.shape[1];
    };
    dim("weight_ih_l0", options.input_size);
    dim("weight_hh_l0", options.hidden_size);
    RNN rnn(std::move(options));
    rnn.set_state_dict(state);
    return rnn;
  }

  /// Loads PyTorch's weights (see the file comment).
  /// @throws weight_error naming the tensor for one missing, of the wrong shape, or unused.
  void set_state_dict(const StateDict<Scalar>& state) {
    using birnn::detail::cat;
    for (const auto& entry : state)
      if (entry.first.rfind("weight_hr_l", 0) == 0)
        throw weight_error(cat(label(), ": tensor '", entry.first, "': expected no projection (an LSTM with proj_size "
                               "is not supported), got one of shape ", shape_string(entry.second.shape)));
    std::set<std::string> used;
    auto get = [&](const std::string& name, const std::vector<Eigen::Index>& shape) -> const Tensor<Scalar>& {
      const auto it = state.find(name);
      if (it == state.end())
        throw weight_error(cat(label(), ": tensor '", name, "': expected shape ", shape_string(shape), ", got none"));
      birnn::detail::check_tensor(label(), name, it->second, shape);
      used.insert(name);
      return it->second;
    };
    const Eigen::Index h = o_.hidden_size, gh = gates() * h;
    std::vector<std::vector<Tensor<Scalar>>> layers;  // Keras's weights of each layer
    for (int k = 0; k < o_.num_layers; ++k) {
      const Eigen::Index in = k == 0 ? o_.input_size : directions() * h;
      std::vector<Tensor<Scalar>> weights;
      for (int d = 0; d < directions(); ++d) {
        const std::string s = cat("_l", k, d ? "_reverse" : "");
        weights.push_back(transposed(get("weight_ih" + s, {gh, in})));
        weights.push_back(transposed(get("weight_hh" + s, {gh, h})));
        if (!o_.bias) continue;
        const auto& bi = get("bias_ih" + s, {gh});
        const auto& bh = get("bias_hh" + s, {gh});
        Tensor<Scalar> b;
        if (o_.cls == "GRU") {
          b.shape = {2, gh};
          b.values = reordered(bi.values, 1);
          const auto r1 = reordered(bh.values, 1);
          b.values.insert(b.values.end(), r1.begin(), r1.end());
        } else {
          b.shape = {gh};
          for (Eigen::Index j = 0; j < gh; ++j) b.values.push_back(bi.values[std::size_t(j)] + bh.values[std::size_t(j)]);
          b.values = reordered(b.values, 1);
        }
        weights.push_back(std::move(b));
      }
      layers.push_back(std::move(weights));
    }
    for (const auto& entry : state)
      if (!used.count(entry.first))
        throw weight_error(cat(label(), ": tensor '", entry.first, "' (shape ", shape_string(entry.second.shape),
                               "): expected none such in this module (check num_layers, bidirectional, bias), got it"));
    for (std::size_t k = 0; k < layers.size(); ++k) layers_[k]->set_weights(layers[k]);
  }

  /// Runs the module as its `forward(x, hx)`: `h0` (and `c0` for an LSTM, given together) are
  /// `(num_layers * D, batch, hidden)`, zeros when absent.
  /// @throws shape_error for an input or state of the wrong shape; config_error for `c0` to RNN or GRU.
  RNNOutput<Scalar> forward(const Tensor<Scalar>& x, const std::optional<Tensor<Scalar>>& h0 = std::nullopt,
                            const std::optional<Tensor<Scalar>>& c0 = std::nullopt) {
    using birnn::detail::cat;
    const char* layout = o_.batch_first ? "(batch, time, features)" : "(time, batch, features)";
    if (x.shape.size() != 3 || x.shape[0] < 1 || x.shape[1] < 1 || x.shape[2] < 1 ||
        static_cast<Eigen::Index>(x.values.size()) != x.size())
      throw shape_error(cat(label(), ": input: expected a non-empty ", layout, " tensor, got shape ",
                            shape_string(x.shape), " with ", x.values.size(), " values"));
    const Eigen::Index batch = x.shape[o_.batch_first ? 0 : 1];
    birnn::detail::require_equal(label(), "input features", o_.input_size, x.shape[2]);
    const Eigen::Index h = o_.hidden_size, stack = o_.num_layers * directions();
    const std::vector<Eigen::Index> state_shape{stack, batch, h};
    if (c0 && o_.cls != "LSTM") throw config_error(cat(label(), ": c0: expected none (only an LSTM has cell states)"));
    if (o_.cls == "LSTM" && h0.has_value() != c0.has_value())
      throw config_error(cat(label(), ": initial states: expected both h0 and c0 or neither (PyTorch's (h_0, c_0)), got only ",
                             h0 ? "h0" : "c0"));
    for (const auto* s : {&h0, &c0})
      if (*s && ((*s)->shape != state_shape || static_cast<Eigen::Index>((*s)->values.size()) != (*s)->size()))
        throw shape_error(cat(label(), ": ", s == &h0 ? "h0" : "c0", ": expected shape ", shape_string(state_shape),
                              ", got ", shape_string((*s)->shape), " with ", (*s)->values.size(), " values"));
    Flow<Scalar> flow;
    flow.values.push_back(Value<Scalar>::of(swap_leading(x, !o_.batch_first)));

    const bool lstm = o_.cls == "LSTM";
    RNNOutput<Scalar> out;
    out.h_n = Tensor<Scalar>(state_shape, std::vector<Scalar>(std::size_t(stack * batch * h), Scalar(0)));
    if (lstm) out.c_n = out.h_n;
    // The hidden values of sequence b for (layer, direction) `row` in PyTorch's (stack, batch, hidden) layout.
    auto at = [&](Tensor<Scalar>& s, Eigen::Index row, Eigen::Index b) { return s.values.data() + (row * batch + b) * h; };
    for (int k = 0; k < o_.num_layers; ++k) {
      std::vector<Batch<Scalar>> init;  // Keras's list: per direction h (and c)
      for (int d = 0; d < directions() && (h0 || c0); ++d)
        for (const auto* s : lstm ? std::vector<const std::optional<Tensor<Scalar>>*>{&h0, &c0}
                                  : std::vector<const std::optional<Tensor<Scalar>>*>{&h0}) {
          Batch<Scalar> m = Batch<Scalar>::Zero(batch, h);
          if (*s)
            for (Eigen::Index b = 0; b < batch; ++b)
              for (Eigen::Index u = 0; u < h; ++u)
                m(b, u) = (*s)->values[std::size_t(((k * directions() + d) * batch + b) * h + u)];
          init.push_back(std::move(m));
        }
      Flow<Scalar> next = layers_[std::size_t(k)]->call(flow, init.empty() ? nullptr : &init);
      const int per = lstm ? 2 : 1;
      for (int d = 0; d < directions(); ++d)
        for (int j = 0; j < per; ++j) {
          const Batch<Scalar>& m = next.values.at(std::size_t(1 + d * per + j)).matrix;
          for (Eigen::Index b = 0; b < batch; ++b)
            for (Eigen::Index u = 0; u < h; ++u) at(j ? out.c_n : out.h_n, k * directions() + d, b)[u] = m(b, u);
        }
      flow.values = {std::move(next.values.front())};
    }
    const Sequence<Scalar>& y = flow.values.front().sequence;
    out.output = o_.batch_first ? to_tensor(y) : to_tensor(swap_leading(to_tensor(y), true));
    return out;
  }

  const RNNOptions& options() const noexcept { return o_; }
  int directions() const noexcept { return o_.bidirectional ? 2 : 1; }
  /// Layer k of the stack (a birnn runtime `RecurrentLayer` or `BidirectionalLayer`).
  Layer<Scalar>& layer(int k) { return *layers_.at(std::size_t(k)); }
  /// "birnn::torch::LSTM (num_layers 2, bidirectional)": how errors name the module.
  std::string label() const {
    return birnn::detail::cat("birnn::torch::", o_.cls, " (num_layers ", o_.num_layers,
                              o_.bidirectional ? ", bidirectional)" : ")");
  }

 private:
  int gates() const noexcept { return o_.cls == "LSTM" ? 4 : o_.cls == "GRU" ? 3 : 1; }

  keras::LayerConfig config(int k) const {
    const std::string name = birnn::detail::cat("l", k);
    auto wrap = [&](const auto& r) -> keras::LayerConfig {
      if (!o_.bidirectional) return r;
      return keras::Bidirectional(r).merge_mode(MergeMode::concat).name(name);
    };
    if (o_.cls == "LSTM") return wrap(keras::LSTM(o_.hidden_size).use_bias(o_.bias).return_sequences().return_state().name(name));
    if (o_.cls == "GRU")
      return wrap(keras::GRU(o_.hidden_size).reset_after().use_bias(o_.bias).return_sequences().return_state().name(name));
    return wrap(keras::SimpleRNN(o_.hidden_size).activation(o_.nonlinearity).use_bias(o_.bias).return_sequences()
                    .return_state().name(name));
  }

  // Keras gate block j is PyTorch's block order[j]: GRU r,z,n -> z,r,h; the others keep theirs.
  Eigen::Index source_block(Eigen::Index j) const { return o_.cls == "GRU" && j < 2 ? 1 - j : j; }

  /// `v` (gates() blocks of hidden_size, `stride` values apart per element) in Keras's gate order.
  std::vector<Scalar> reordered(const std::vector<Scalar>& v, Eigen::Index stride) const {
    const Eigen::Index h = o_.hidden_size;
    std::vector<Scalar> r(v.size());
    for (Eigen::Index j = 0; j < gates(); ++j)
      for (Eigen::Index e = 0; e < h * stride; ++e)
        r[std::size_t(j * h * stride + e)] = v[std::size_t(source_block(j) * h * stride + e)];
    return r;
  }

  /// Keras's kernel `(in, G h)` from PyTorch's weight `(G h, in)`: transposed, gates reordered.
  Tensor<Scalar> transposed(const Tensor<Scalar>& w) const {
    const Eigen::Index rows = w.shape[0], cols = w.shape[1];
    const std::vector<Scalar> v = reordered(w.values, cols);
    Tensor<Scalar> t({cols, rows}, std::vector<Scalar>(v.size()));
    for (Eigen::Index r = 0; r < rows; ++r)
      for (Eigen::Index c = 0; c < cols; ++c) t.values[std::size_t(c * rows + r)] = v[std::size_t(r * cols + c)];
    return t;
  }

  /// A rank-3 tensor as a Sequence, its first two axes swapped when `swap`.
  static Sequence<Scalar> swap_leading(const Tensor<Scalar>& x, bool swap) {
    const Eigen::Index a = x.shape[0], b = x.shape[1], f = x.shape[2];
    Sequence<Scalar> s(swap ? b : a, swap ? a : b, f);
    for (Eigen::Index i = 0; i < a; ++i)
      for (Eigen::Index j = 0; j < b; ++j)
        for (Eigen::Index k = 0; k < f; ++k)
          (swap ? s(j, i, k) : s(i, j, k)) = x.values[std::size_t((i * b + j) * f + k)];
    return s;
  }
  static Tensor<Scalar> to_tensor(const Sequence<Scalar>& s) {
    return Tensor<Scalar>({s.batch(), s.time(), s.features()}, std::vector<Scalar>(s.data(), s.data() + s.matrix().size()));
  }

  RNNOptions o_;
  std::vector<std::unique_ptr<Layer<Scalar>>> layers_;
};

}  // namespace birnn::torch
