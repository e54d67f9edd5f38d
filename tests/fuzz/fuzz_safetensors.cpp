// libFuzzer target: safetensors bytes (io/safetensors.hpp), parsed by io::parse_safetensors
// in both precisions, then, as torch::load_rnn reads a PyTorch state_dict
// (io/torch_state_dict.hpp), turned into a torch::RNN with the options its tensor names and
// shapes suggest, and run on a small input.
#include "fuzz_common.hpp"

#include <birnn/io/safetensors.hpp>
#include <birnn/io/torch_state_dict.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace {

/// PyTorch constructor options that fit the tensors, as a user would pass them.
birnn::torch::RNNOptions guess_options(const birnn::io::Safetensors<float>& file, std::size_t size) {
  birnn::torch::RNNOptions o;
  const auto& t = file.tensors;
  const auto ih = t.find("weight_ih_l0"), hh = t.find("weight_hh_l0");
  if (ih != t.end() && hh != t.end() && ih->second.shape.size() == 2 && hh->second.shape.size() == 2 &&
      hh->second.shape[1] > 0) {
    const Eigen::Index gates = hh->second.shape[0] / hh->second.shape[1];
    o.cls = gates == 4 ? "LSTM" : gates == 3 ? "GRU" : "RNN";
  }
  while (t.count("weight_ih_l" + std::to_string(o.num_layers)) && o.num_layers < 8) ++o.num_layers;
  o.bidirectional = t.count("weight_ih_l0_reverse") > 0;
  o.bias = t.count("bias_ih_l0") > 0;
  o.batch_first = size % 2 == 1;
  if (o.cls == "RNN" && size % 3 == 0) o.nonlinearity = "relu";
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  birnn_fuzz::expect_only_birnn_errors("io::parse_safetensors<double>",
                                       [&] { (void)birnn::io::parse_safetensors<double>(data, size, "fuzz input"); });
  birnn_fuzz::expect_only_birnn_errors("torch::load_rnn", [&] {
    const auto file = birnn::io::parse_safetensors<float>(data, size, "fuzz input");
    auto rnn = birnn::torch::load_rnn<float>(data, size, "fuzz input", guess_options(file, size));
    const auto ih = file.tensors.find("weight_ih_l0");
    const Eigen::Index features = ih != file.tensors.end() && ih->second.shape.size() == 2 ? ih->second.shape[1] : 2;
    if (features < 0 || features > 256) return;
    // (time, batch, features), or (batch, time, features) when batch_first: both 2 x 3 here.
    birnn::Tensor<float> x({2, 3, features}, std::vector<float>(static_cast<std::size_t>(6 * features), 0.25f));
    (void)rnn.forward(x);
  });
  return 0;
}
