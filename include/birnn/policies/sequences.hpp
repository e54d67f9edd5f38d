#pragma once
/// @file
/// Whether a recurrent layer returns its whole output sequence or only the last output.
/// Keras counterpart: `return_sequences`.
///
/// - `sequences::last` (`return_sequences=False`, the default): `(batch, units)`.
/// - `sequences::all` (`return_sequences=True`): `(batch, time, units)` as a `Sequence`.

#include "birnn/fwd.hpp"

#include <type_traits>

namespace birnn {
namespace sequences {
struct last {
  static constexpr bool return_sequences = false;
};
struct all {
  static constexpr bool return_sequences = true;
};
}  // namespace sequences

template <class T>
inline constexpr bool is_sequences_policy_v = std::is_same_v<T, sequences::last> || std::is_same_v<T, sequences::all>;

}  // namespace birnn
