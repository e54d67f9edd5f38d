#pragma once
/// @file
/// `torch::load_rnn<Scalar>(path, options)`: a PyTorch `nn.RNN`, `nn.LSTM` or `nn.GRU`
/// module from its `state_dict` saved as safetensors (`safetensors.torch.save_file(
/// module.state_dict(), path)`), as a runnable `torch::RNN<Scalar>` (`model/torch_rnn.hpp`).
/// The options are those given to the PyTorch constructor; sizes left at 0 are inferred
/// from the file. Needs nlohmann_json (CMake target `birnn::keras`), as `io/safetensors.hpp`.

#include "birnn/errors.hpp"
#include "birnn/io/safetensors.hpp"
#include "birnn/model/torch_rnn.hpp"

#include <string>
#include <utility>

namespace birnn::torch {

/// The module whose state_dict the safetensors file `path` holds.
/// @throws io_error when the file cannot be read or is not safetensors; weight_error or
///         config_error when its tensors do not fit `options`; every message names the file.
template <class Scalar>
RNN<Scalar> load_rnn(const std::string& path, RNNOptions options) {
  auto file = io::read_safetensors<Scalar>(path);
  try {
    return RNN<Scalar>::from_state_dict(file.tensors, std::move(options));
  } catch (const weight_error& e) {
    throw weight_error(birnn::detail::cat("birnn::torch::load_rnn '", path, "': ", e.what()));
  } catch (const config_error& e) {
    throw config_error(birnn::detail::cat("birnn::torch::load_rnn '", path, "': ", e.what()));
  }
}

}  // namespace birnn::torch
