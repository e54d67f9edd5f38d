#pragma once
/// @file
/// The exceptions birnn throws, and the helpers that build their messages.
///
/// Every runtime input error derives from `std::invalid_argument` (through `birnn::error`), and
/// its message names the layer, what was expected and what came:
/// `birnn::LSTM 'forward_lstm': input features: expected 16, got 12`.
/// Shapes are validated before any output or state is written.

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace birnn {

/// Base of every exception birnn throws for bad input.
struct error : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};
/// An input, output or state of the wrong shape.
struct shape_error : error {
  using error::error;
};
/// A weight list of the wrong length, or a weight of the wrong shape.
struct weight_error : error {
  using error::error;
};
/// A mask of the wrong shape.
struct mask_error : error {
  using error::error;
};
/// A layer configuration birnn (or Keras) does not accept.
struct config_error : error {
  using error::error;
};
/// A value outside the accepted range (a token id past the vocabulary, a NaN where none may be).
struct value_error : error {
  using error::error;
};
/// A file that cannot be read or written, or whose contents are not what birnn wrote.
struct io_error : error {
  using error::error;
};

namespace detail {

template <class... Parts>
std::string cat(Parts&&... parts) {
  std::ostringstream os;
  (os << ... << std::forward<Parts>(parts));
  return os.str();
}

/// Throws `E` with "<layer>: <what>: expected <expected>, got <got>" unless `expected == got`.
template <class E = shape_error, class A, class B>
void require_equal(const std::string& layer, const char* what, const A& expected, const B& got) {
  if (!(expected == got)) throw E(cat(layer, ": ", what, ": expected ", expected, ", got ", got));
}

/// Throws `E` with "<layer>: <message>" unless `ok`.
template <class E = config_error>
void require(bool ok, const std::string& layer, const std::string& message) {
  if (!ok) throw E(cat(layer, ": ", message));
}

}  // namespace detail
}  // namespace birnn
