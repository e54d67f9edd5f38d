#pragma once
/// @file
/// How `Bidirectional` merges its forward and backward outputs. Keras counterpart: the
/// `merge_mode` argument of `keras.layers.Bidirectional`.
///
/// | policy         | Keras `merge_mode` | output                       | width         |
/// |----------------|--------------------|------------------------------|---------------|
/// | `merge::concat`| `"concat"`         | forward, then backward       | `u_f + u_b`   |
/// | `merge::sum`   | `"sum"`            | `forward + backward`         | `u` (equal)   |
/// | `merge::mul`   | `"mul"`            | `forward * backward`         | `u` (equal)   |
/// | `merge::ave`   | `"ave"`            | `(forward + backward) / 2`   | `u` (equal)   |
/// | `merge::none`  | `None`             | `.forward` and `.backward`   | `u_f`, `u_b`  |

#include "birnn/fwd.hpp"
#include "birnn/types/size.hpp"

#include <type_traits>

namespace birnn {

/// The merge modes at run time (the runtime model reads them from a Keras config).
enum class MergeMode { concat, sum, mul, ave, none };

inline const char* to_string(MergeMode m) noexcept {
  switch (m) {
    case MergeMode::concat: return "concat";
    case MergeMode::sum: return "sum";
    case MergeMode::mul: return "mul";
    case MergeMode::ave: return "ave";
    case MergeMode::none: return "None";
  }
  return "?";
}

namespace merge {
/// Forward output, then backward output, side by side.
struct concat {
  static constexpr MergeMode mode = MergeMode::concat;
  static constexpr int width(int forward, int backward) { return detail::plus(forward, backward); }
};
/// Element-wise sum; both directions need the same width.
struct sum {
  static constexpr MergeMode mode = MergeMode::sum;
  static constexpr int width(int forward, int) { return forward; }
};
/// Element-wise product; both directions need the same width.
struct mul {
  static constexpr MergeMode mode = MergeMode::mul;
  static constexpr int width(int forward, int) { return forward; }
};
/// Element-wise mean `(f + b) / 2`; both directions need the same width.
struct ave {
  static constexpr MergeMode mode = MergeMode::ave;
  static constexpr int width(int forward, int) { return forward; }
};
/// No merge: the result has `.forward` and `.backward`.
struct none {
  static constexpr MergeMode mode = MergeMode::none;
};
}  // namespace merge

template <class T>
inline constexpr bool is_merge_mode_v = std::is_same_v<T, merge::concat> || std::is_same_v<T, merge::sum> ||
                                        std::is_same_v<T, merge::mul> || std::is_same_v<T, merge::ave> ||
                                        std::is_same_v<T, merge::none>;

}  // namespace birnn
