#pragma once
/// @file
/// `torch::load_rnn<Scalar>(path, options)`: a PyTorch `nn.RNN`, `nn.LSTM` or `nn.GRU`
/// module from its `state_dict` saved as safetensors (`safetensors.torch.save_file(
/// module.state_dict(), path)`), as a runnable `torch::RNN<Scalar>` (`model/torch_rnn.hpp`).
/// The options are those given to the PyTorch constructor; sizes left at 0 are inferred
/// from the file; `load_rnn<Scalar>(bytes, size, label, options)` reads safetensors bytes held
/// in memory. Needs nlohmann_json (CMake target `birnn::keras`), as `io/safetensors.hpp`.

#include "birnn/errors.hpp"
#include "birnn/io/safetensors.hpp"
#include "birnn/model/torch_rnn.hpp"

#include <cstdint>
#include <string>
#include <utility>

namespace birnn::torch {

namespace detail {

template <class Scalar>
RNN<Scalar> rnn_from_file(io::Safetensors<Scalar> file, RNNOptions options, const std::string& label) {
  try {
    return RNN<Scalar>::from_state_dict(file.tensors, std::move(options));
  } catch (const weight_error& e) {
    throw weight_error(birnn::detail::cat("birnn::torch::load_rnn '", label, "': ", e.what()));
  } catch (const config_error& e) {
    throw config_error(birnn::detail::cat("birnn::torch::load_rnn '", label, "': ", e.what()));
  }
}

}  // namespace detail

/// The module whose state_dict the safetensors file `path` holds.
/// @throws io_error when the file cannot be read or is not safetensors; weight_error or
///         config_error when its tensors do not fit `options`; every message names the file.
template <class Scalar>
RNN<Scalar> load_rnn(const std::string& path, RNNOptions options) {
  return detail::rnn_from_file(io::read_safetensors<Scalar>(path), std::move(options), path);
}

/// `load_rnn(path, options)` for safetensors bytes held in memory (`size` bytes at `bytes`);
/// `label` names them in messages. @throws as `load_rnn(path, options)`.
template <class Scalar>
RNN<Scalar> load_rnn(const unsigned char* bytes, std::uint64_t size, const std::string& label, RNNOptions options) {
  return detail::rnn_from_file(io::parse_safetensors<Scalar>(bytes, size, label), std::move(options), label);
}

}  // namespace birnn::torch
