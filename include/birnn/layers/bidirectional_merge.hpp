#pragma once
/// @file
/// How `Bidirectional` merges its two directions, both ways: `Directions`, the output of
/// `merge::none`; where each direction writes its sequence and how sum, mul and ave combine
/// the two; and, in training, how the merged output's cotangent splits into each direction's.
/// Keras counterpart: the `merge_mode` of `keras.layers.Bidirectional` (`call` and its
/// gradient).

#include "birnn/detail/merge_outputs.hpp"
#include "birnn/layers/recurrent_core.hpp"
#include "birnn/policies/merge.hpp"

#include <Eigen/Core>

#include <utility>

namespace birnn {

/// The two outputs of a `Bidirectional` with `merge::none` (Keras `merge_mode=None`).
template <class Forward, class Backward>
struct Directions {
  Forward forward;
  Backward backward;
};

}  // namespace birnn

namespace birnn::detail {

/// The buffers of a `Bidirectional`'s merge. They live in the layer, so calls with the same
/// shapes reuse them and allocate nothing.
template <class Scalar, class ForwardHidden, class BackwardHidden>
struct MergeBuffers {
  using Buffer = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  BackwardHidden backward_sequence;  // the backward sequence before sum/mul/ave
  // Training: the record (both outputs for merge::mul) and the backward's buffers.
  Buffer recorded_forward, recorded_backward;
  Buffer d_forward, d_backward;
  ForwardHidden d_last_forward;
  BackwardHidden d_last_backward;
};

/// Sizes the sequence `output` (batch, time, ...) and returns where the forward and the
/// backward direction write: their columns of `output` for none and concat; for sum, mul and
/// ave the forward one writes `output`, the backward one `buffers.backward_sequence`, merged
/// after the run by `merge_sequences`.
template <class Merge, class Output, class Scalar, class ForwardHidden, class BackwardHidden>
std::pair<SequenceSink<Scalar>, SequenceSink<Scalar>> sequence_sinks(
    Output& output, Eigen::Index batch, Eigen::Index time, Eigen::Index uf, Eigen::Index ub,
    MergeBuffers<Scalar, ForwardHidden, BackwardHidden>& buffers) {
  // Every value of a sequence output is written by the run (each direction writes each of its
  // rows at every step), so the output is resized without being cleared first.
  SequenceSink<Scalar> fs, bs;
  if constexpr (Merge::mode == MergeMode::none) {
    output.forward.resize(batch, time, uf);
    output.backward.resize(batch, time, ub);
    fs = {output.forward.data(), uf, false};
    bs = {output.backward.data(), ub, true};
  } else if constexpr (Merge::mode == MergeMode::concat) {
    output.resize(batch, time, uf + ub);
    fs = {output.data(), uf + ub, false};
    // An empty output's data() may be null: no offset then (nothing is written through it).
    bs = {output.matrix().size() == 0 ? output.data() : output.data() + uf, uf + ub, true};
  } else {
    output.resize(batch, time, uf);
    buffers.backward_sequence.resize(batch * time, ub);
    fs = {output.data(), uf, false};
    bs = {buffers.backward_sequence.data(), ub, true};
  }
  return {fs, bs};
}

/// After a sequence run into `sequence_sinks`: records both factors of merge::mul when
/// `recording`, and merges the backward sequence into `output` for sum, mul and ave.
template <class Merge, class Output, class Scalar, class ForwardHidden, class BackwardHidden>
void merge_sequences(Output& output, bool recording, MergeBuffers<Scalar, ForwardHidden, BackwardHidden>& buffers) {
  if constexpr (Merge::mode == MergeMode::mul) {
    if (recording) {  // the backward of a product needs both factors
      buffers.recorded_forward = output.matrix();
      buffers.recorded_backward = buffers.backward_sequence;
    }
  }
  if constexpr (Merge::mode != MergeMode::none && Merge::mode != MergeMode::concat)
    merge_into(Merge::mode, output.matrix(), buffers.backward_sequence);
}

/// The merged last outputs (`sequences::last`): `forward_last` (batch, uf) and `backward_last`
/// (batch, ub) into `output`; records both factors of merge::mul when `recording`.
template <class Merge, class Output, class Scalar, class ForwardHidden, class BackwardHidden>
void merge_last(Output& output, const ForwardHidden& forward_last, const BackwardHidden& backward_last,
                Eigen::Index batch, Eigen::Index uf, Eigen::Index ub, bool recording,
                MergeBuffers<Scalar, ForwardHidden, BackwardHidden>& buffers) {
  if constexpr (Merge::mode == MergeMode::mul) {
    if (recording) {
      buffers.recorded_forward = forward_last;
      buffers.recorded_backward = backward_last;
    }
  }
  if constexpr (Merge::mode == MergeMode::none) {
    output.forward = forward_last;
    output.backward = backward_last;
  } else {
    output.resize(batch, Merge::mode == MergeMode::concat ? uf + ub : uf);
    if constexpr (Merge::mode == MergeMode::concat) {
      output.leftCols(uf) = forward_last;
      output.rightCols(ub) = backward_last;
    } else {
      output = forward_last;
      merge_into(Merge::mode, output, backward_last);
    }
  }
}

/// Checks that the cotangent `d` of the merged output has the output's shape (`units` wide;
/// for `merge::none` each direction's): `check(what, expected, got)` throws if not.
template <class Merge, bool ReturnSequences, class Output, class Check>
void check_merged_cotangent(const Output& d, Eigen::Index batch, Eigen::Index time, Eigen::Index uf,
                            Eigen::Index ub, Eigen::Index units, Check&& check) {
  if constexpr (ReturnSequences) {
    if constexpr (Merge::mode == MergeMode::none) {
      check("forward output", {batch, time, uf}, {d.forward.batch(), d.forward.time(), d.forward.features()});
      check("backward output", {batch, time, ub}, {d.backward.batch(), d.backward.time(), d.backward.features()});
    } else {
      check("output", {batch, time, units}, {d.batch(), d.time(), d.features()});
    }
  } else {
    if constexpr (Merge::mode == MergeMode::none) {
      check("forward output", {batch, uf}, {d.forward.rows(), d.forward.cols()});
      check("backward output", {batch, ub}, {d.backward.rows(), d.backward.cols()});
    } else {
      check("output", {batch, units}, {d.rows(), d.cols()});
    }
  }
}

/// Where each direction reads the cotangent of its sequence, from the cotangent `d` of the
/// merged sequence output (its shape checked): in `d` itself for none, concat and sum; in
/// `buffers` for ave (half of `d`, shared) and mul (`d` times the other direction's output).
template <class Merge, class Output, class Scalar, class ForwardHidden, class BackwardHidden>
std::pair<SequenceSource<Scalar>, SequenceSource<Scalar>> sequence_cotangents(
    const Output& d, Eigen::Index uf, Eigen::Index ub, MergeBuffers<Scalar, ForwardHidden, BackwardHidden>& buffers) {
  SequenceSource<Scalar> fs, bs;
  if constexpr (Merge::mode == MergeMode::none) {
    fs = {d.forward.data(), uf, false};
    bs = {d.backward.data(), ub, true};
  } else if constexpr (Merge::mode == MergeMode::concat) {
    fs = {d.data(), uf + ub, false};
    bs = {d.data() + uf, uf + ub, true};
  } else if constexpr (Merge::mode == MergeMode::sum) {
    fs = {d.data(), uf, false};
    bs = {d.data(), uf, true};
  } else if constexpr (Merge::mode == MergeMode::ave) {
    buffers.d_forward = d.matrix() * Scalar(0.5);
    fs = {buffers.d_forward.data(), uf, false};
    bs = {buffers.d_forward.data(), uf, true};
  } else {
    buffers.d_forward = d.matrix().array() * buffers.recorded_backward.array();
    buffers.d_backward = d.matrix().array() * buffers.recorded_forward.array();
    fs = {buffers.d_forward.data(), uf, false};
    bs = {buffers.d_backward.data(), uf, true};
  }
  return {fs, bs};
}

/// Each direction's cotangent of its last output, from the cotangent `d` of the merged last
/// output (its shape checked), into `buffers.d_last_forward` and `buffers.d_last_backward`.
template <class Merge, class Output, class Scalar, class ForwardHidden, class BackwardHidden>
void last_cotangents(const Output& d, Eigen::Index uf, Eigen::Index ub,
                     MergeBuffers<Scalar, ForwardHidden, BackwardHidden>& buffers) {
  if constexpr (Merge::mode == MergeMode::none) {
    buffers.d_last_forward = d.forward;
    buffers.d_last_backward = d.backward;
  } else if constexpr (Merge::mode == MergeMode::concat) {
    buffers.d_last_forward = d.leftCols(uf);
    buffers.d_last_backward = d.rightCols(ub);
  } else if constexpr (Merge::mode == MergeMode::sum) {
    buffers.d_last_forward = d;
    buffers.d_last_backward = d;
  } else if constexpr (Merge::mode == MergeMode::ave) {
    buffers.d_last_forward = d * Scalar(0.5);
    buffers.d_last_backward = d * Scalar(0.5);
  } else {
    buffers.d_last_forward = d.array() * buffers.recorded_backward.array();
    buffers.d_last_backward = d.array() * buffers.recorded_forward.array();
  }
}

}  // namespace birnn::detail
