#pragma once
/// @file
/// Forward declarations of birnn's public templates. This is the only place where default
/// template arguments are written: every definition repeats none of them, so the defaults
/// cannot drift apart between headers. It also checks that the Eigen in use is 3.4 or newer
/// (birnn relies on its slicing and `Ref` rules): every public template's header includes it.

#include <Eigen/Core>

#if !EIGEN_VERSION_AT_LEAST(3, 4, 0)
#error "birnn requires Eigen 3.4 or newer (Debian: apt-get install libeigen3-dev)"
#endif

namespace birnn {

namespace merge {
struct concat;
struct sum;
struct mul;
struct ave;
struct none;
}  // namespace merge

namespace sequences {
struct last;
struct all;
}  // namespace sequences

namespace state {
struct discard;
struct keep;
}  // namespace state

namespace mask {
struct none;
struct masked;
}  // namespace mask

template <class Scalar, int Features = Eigen::Dynamic>
class Sequence;

template <class Scalar>
struct Tensor;

template <class Scalar, int InputSize = Eigen::Dynamic, int Units = Eigen::Dynamic>
struct SimpleRNN;
template <class Scalar, int InputSize = Eigen::Dynamic, int Units = Eigen::Dynamic>
struct LSTM;
template <class Scalar, int InputSize = Eigen::Dynamic, int Units = Eigen::Dynamic>
struct GRU;

template <class Cell, class Seq = sequences::last, class States = state::discard,
          class Mask = mask::none>
class Rnn;

template <class Cell, class Merge = merge::concat, class Seq = sequences::last,
          class States = state::discard, class Mask = mask::none, class BackwardCell = Cell>
class Bidirectional;

template <class Scalar>
class Embedding;
template <class Scalar>
class Masking;
template <class Scalar>
class Dense;

}  // namespace birnn
