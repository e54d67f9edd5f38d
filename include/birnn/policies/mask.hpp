#pragma once
/// @file
/// Whether a recurrent layer takes a mask. Keras counterpart: the `mask` argument of a
/// recurrent layer's call (from `Embedding(mask_zero=True)`, `Masking`, or given).
///
/// - `mask::none` (the default): `forward(x)` takes no mask, so passing one does not compile.
/// - `mask::masked`: `forward(x, mask)` takes a `birnn::Mask` `(batch, time)`, true = keep.
///   A masked step keeps every state of the previous step; its output is the previous output
///   (zeros before the first unmasked step), or zeros inside a `Bidirectional` returning
///   sequences.

#include "birnn/fwd.hpp"

#include <type_traits>

namespace birnn {
namespace mask {
struct none {
  static constexpr bool takes_mask = false;
};
struct masked {
  static constexpr bool takes_mask = true;
};
}  // namespace mask

template <class T>
inline constexpr bool is_mask_policy_v = std::is_same_v<T, mask::none> || std::is_same_v<T, mask::masked>;

}  // namespace birnn
