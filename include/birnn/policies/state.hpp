#pragma once
/// @file
/// Whether a recurrent layer also returns its final states. Keras counterpart: `return_state`.
///
/// - `state::discard` (the default): the result is the output alone.
/// - `state::keep`: the result is a `std::tuple` in Keras's order, for structured bindings:
///   `auto [y, h, c] = lstm.forward(x);`, and for `Bidirectional`
///   `auto [y, forward_h, forward_c, backward_h, backward_c] = bi.forward(x);`.

#include "birnn/fwd.hpp"

#include <type_traits>

namespace birnn {
namespace state {
struct discard {
  static constexpr bool return_state = false;
};
struct keep {
  static constexpr bool return_state = true;
};
}  // namespace state

template <class T>
inline constexpr bool is_state_policy_v = std::is_same_v<T, state::discard> || std::is_same_v<T, state::keep>;

}  // namespace birnn
