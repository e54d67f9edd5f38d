// libFuzzer target: what a user passes at run time. The bytes choose a model, built with
// Model::add from keras:: configs (Embedding, Masking, Dense, SimpleRNN, LSTM, GRU,
// Bidirectional with any merge mode and backward layer; sizes may be 0 or wrong), its
// weights (right or wrong count and shapes; any values: NaN, inf, huge), and inputs (zero
// batch or time, wrong feature count, masks and initial states of any shape, token ids out
// of range) for Model::predict; then the same for the compile-time Bidirectional templates
// (dynamic and fixed sizes). Only birnn::error may come out.
#include "fuzz_common.hpp"

#include <birnn/layers/bidirectional.hpp>
#include <birnn/model/model.hpp>

#include <Eigen/Core>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace {

using birnn_fuzz::Bytes;
namespace keras = birnn::keras;

/// A batch or time size drawn from the bytes; 0 included (findings 1-3 and 7 of
/// docs/reliability.md were empty batches or time axes; tests/fuzz/regressions/fuzz_predict).
Eigen::Index extent(Bytes& in, int hi) { return in.in(0, hi); }

const char* const activations[] = {"tanh", "sigmoid", "relu", "linear", "hard_sigmoid", "softmax", "elu", "bogus"};
const char* const merges[] = {"concat", "sum", "mul", "ave", "None", "max"};

std::string activation(Bytes& in) { return activations[in.in(0, 7)]; }

template <class R>
R recurrent(Bytes& in) {
  R r(in.in(0, 4));  // 0 is a config_error
  r.activation(activation(in)).use_bias(in.flag()).return_sequences(in.flag()).go_backwards(in.flag());
  if (in.flag()) r.return_state(true);
  if (in.flag()) r.zero_output_for_mask(true);
  if constexpr (!std::is_same_v<R, keras::SimpleRNN>) r.recurrent_activation(activation(in));
  if constexpr (std::is_same_v<R, keras::GRU>) r.reset_after(in.flag());
  return r;
}

template <class F>
decltype(auto) any_recurrent(Bytes& in, F&& f) {
  switch (in.in(0, 2)) {
    case 0: return f(recurrent<keras::SimpleRNN>(in));
    case 1: return f(recurrent<keras::LSTM>(in));
    default: return f(recurrent<keras::GRU>(in));
  }
}

keras::LayerConfig layer(Bytes& in) {
  switch (in.in(0, 5)) {
    case 0: return keras::Masking(static_cast<double>(in.value()));
    case 1: return keras::Dense(in.in(0, 4)).activation(activation(in)).use_bias(in.flag());
    case 2: return keras::Embedding(in.in(0, 6), in.in(0, 3)).mask_zero(in.flag());
    case 3:
      return any_recurrent(in, [&](const auto& r) {
        keras::Bidirectional b(r);
        b.merge_mode(merges[in.in(0, 5)]);
        if (in.flag()) any_recurrent(in, [&](const auto& back) { b.backward_layer(back); return 0; });
        return keras::LayerConfig(b);
      });
    default: return any_recurrent(in, [](const auto& r) { return keras::LayerConfig(r); });
  }
}

std::vector<birnn::Tensor<float>> weights(Bytes& in, std::vector<birnn::Tensor<float>> w) {
  switch (in.in(0, 3)) {
    case 0: break;  // as built
    case 1:         // new values, any bits
      for (auto& t : w)
        for (auto& v : t.values) v = in.value();
      break;
    case 2:  // one tensor reshaped, dropped or added
      if (!w.empty()) {
        auto& t = w[in.byte() % w.size()];
        switch (in.in(0, 3)) {
          case 0: t.shape.push_back(1); break;
          case 1: if (!t.shape.empty()) t.shape.back() += in.in(-1, 1); break;
          case 2: w.erase(w.begin() + static_cast<std::ptrdiff_t>(in.byte() % w.size())); break;
          default: w.push_back(t); break;
        }
      }
      break;
    default: {  // any list
      w.clear();
      for (int k = in.in(0, 4); k > 0; --k) {
        birnn::Tensor<float> t;
        Eigen::Index n = 1;
        for (int d = in.in(0, 3); d > 0; --d) {
          t.shape.push_back(in.in(0, 8));
          n *= t.shape.back();
        }
        t.values.assign(static_cast<std::size_t>(in.flag() ? n : in.in(0, 8)), 0.5f);
        w.push_back(std::move(t));
      }
    }
  }
  return w;
}

birnn::Sequence<float> sequence(Bytes& in, Eigen::Index features) {
  const Eigen::Index batch = extent(in, 3), time = extent(in, 5);
  if (in.byte() < 40) features += in.in(-1, 1);
  if (features < 0) features = 0;
  birnn::Sequence<float> x(batch, time, features);
  for (Eigen::Index k = 0; k < x.matrix().size(); ++k) x.data()[k] = in.value();
  return x;
}

std::optional<birnn::Mask> mask(Bytes& in, Eigen::Index batch, Eigen::Index time) {
  if (in.byte() < 128) return std::nullopt;
  if (in.byte() < 40) {
    batch += in.in(-1, 1);
    time += in.in(-1, 1);
  }
  birnn::Mask m(batch < 0 ? 0 : batch, time < 0 ? 0 : time);
  for (Eigen::Index k = 0; k < m.size(); ++k) m.data()[k] = in.flag();
  return m;
}

std::vector<birnn::Batch<float>> states(Bytes& in, Eigen::Index batch) {
  std::vector<birnn::Batch<float>> s;
  for (int k = in.in(0, 4); k > 0; --k) {
    birnn::Batch<float> b(batch + (in.byte() < 40 ? in.in(-1, 1) : 0) < 0 ? 0 : batch, in.in(0, 5));
    for (Eigen::Index i = 0; i < b.size(); ++i) b.data()[i] = in.value();
    s.push_back(std::move(b));
  }
  return s;
}

void fuzz_model(Bytes& in) {
  const bool ids = in.byte() < 64;
  const Eigen::Index time = in.flag() ? -1 : in.in(0, 5);
  birnn::Shape shape = ids ? birnn::Shape{time} : birnn::Shape{time, in.in(0, 5)};
  birnn::Model<float> model(shape);
  if (ids) model.add(keras::Embedding(in.in(1, 6), in.in(1, 3)).mask_zero(in.flag()));
  for (int k = in.in(1, 3); k > 0; --k) model.add(layer(in));
  model.set_weights(weights(in, model.get_weights()));
  for (int run = in.in(1, 2); run > 0; --run) {
    if (ids) {
      birnn::TokenIds x(extent(in, 3), extent(in, 5));
      for (Eigen::Index k = 0; k < x.size(); ++k) x.data()[k] = in.in(-2, 8);
      (void)model.predict(x);
    } else {
      const auto x = sequence(in, shape[1]);
      const auto m = mask(in, x.batch(), x.time());
      const auto s = states(in, x.batch());
      (void)model.predict(x, m, in.flag() ? &s : nullptr);
    }
  }
}

/// A compile-time Bidirectional: built with sizes from the bytes, given weights, run.
template <class Bi>
void fuzz_template(Bytes& in) {
  using Forward = typename Bi::ForwardConfig;
  Forward config;
  const Eigen::Index input = Bi::input_size_at_compile_time != Eigen::Dynamic && in.byte() < 200
                                 ? Bi::input_size_at_compile_time
                                 : in.in(0, 4);
  if (config.units == 0 || in.byte() < 20) config.units = in.in(0, 4);
  Bi bi(input, config);
  std::vector<birnn::Tensor<float>> w = bi.get_weights();
  bi.set_weights(weights(in, std::move(w)));
  const auto x = sequence(in, input);
  if constexpr (Bi::masked) {
    auto m = mask(in, x.batch(), x.time());
    if (!m) m = birnn::Mask::Constant(x.batch(), x.time(), true);
    if (in.flag()) {
      typename Bi::InitialState s;
      for (auto* st : {&s.forward, &s.backward})
        for (auto& h : *st) {
          using Hidden = std::decay_t<decltype(h)>;
          const Eigen::Index units = bi.forward_layer().units() + (in.byte() < 40 ? 1 : 0);
          // A fixed-width state cannot be resized to another width (that is a compile-time type).
          h.resize(x.batch() + (in.byte() < 40 ? 1 : 0),
                   Hidden::ColsAtCompileTime == Eigen::Dynamic ? units : Eigen::Index(Hidden::ColsAtCompileTime));
          for (Eigen::Index i = 0; i < h.size(); ++i) h.data()[i] = in.value();
        }
      (void)bi.forward(x, *m, s);
    } else {
      (void)bi.forward(x, *m);
    }
  } else {
    (void)bi.forward(x);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Bytes in(data, size);
  const std::uint8_t which = in.byte();
  switch (which % 5) {
    case 0:
    case 1: birnn_fuzz::expect_only_birnn_errors("Model::predict", [&] { fuzz_model(in); }); break;
    case 2:
      birnn_fuzz::expect_only_birnn_errors("Bidirectional<LSTM, concat, all, keep, masked>", [&] {
        fuzz_template<birnn::Bidirectional<birnn::LSTM<float>, birnn::merge::concat, birnn::sequences::all,
                                           birnn::state::keep, birnn::mask::masked>>(in);
      });
      break;
    case 3:
      birnn_fuzz::expect_only_birnn_errors("Bidirectional<GRU, ave, last>", [&] {
        fuzz_template<birnn::Bidirectional<birnn::GRU<float>, birnn::merge::ave, birnn::sequences::last>>(in);
      });
      break;
    default:
      birnn_fuzz::expect_only_birnn_errors("Bidirectional<SimpleRNN<float, 3, 2>, none, all, discard, masked>", [&] {
        fuzz_template<birnn::Bidirectional<birnn::SimpleRNN<float, 3, 2>, birnn::merge::none, birnn::sequences::all,
                                           birnn::state::discard, birnn::mask::masked>>(in);
      });
  }
  return 0;
}
