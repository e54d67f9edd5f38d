#pragma once
/// @file
/// The result types of `Bidirectional` per merge mode, and the element-wise merges.

#include "birnn/policies/merge.hpp"

#include <Eigen/Core>

#include <tuple>
#include <utility>

namespace birnn {
template <class Forward, class Backward>
struct Directions;
}

namespace birnn::detail {

template <class Merge, class Forward, class Backward, template <int> class Out, int Uf, int Ub>
struct merged_output {
  using type = Out<Merge::width(Uf, Ub)>;
};
template <class Forward, class Backward, template <int> class Out, int Uf, int Ub>
struct merged_output<merge::none, Forward, Backward, Out, Uf, Ub> {
  using type = Directions<Forward, Backward>;
};

/// The output part of a `return_state` tuple: one element, or two for `merge::none` (Keras
/// returns the forward and backward outputs first).
template <class Merge, class Output>
struct output_tuple {
  using type = std::tuple<Output>;
  static type make(Output&& o) { return type(std::move(o)); }
};
template <class Output>
struct output_tuple<merge::none, Output> {
  using type = std::tuple<decltype(Output::forward), decltype(Output::backward)>;
  static type make(Output&& o) { return type(std::move(o.forward), std::move(o.backward)); }
};

/// `out = out (op) backward` for sum, mul and ave (`(f + b) / 2`).
template <class A, class B>
void merge_into(MergeMode mode, Eigen::MatrixBase<A>& out, const Eigen::MatrixBase<B>& backward) {
  using Scalar = typename A::Scalar;
  switch (mode) {
    case MergeMode::sum: out += backward; break;
    case MergeMode::mul: out.array() *= backward.array(); break;
    case MergeMode::ave: out = (out + backward) * Scalar(0.5); break;
    default: break;
  }
}
template <class A, class B>
void merge_into(MergeMode mode, Eigen::MatrixBase<A>&& out, const Eigen::MatrixBase<B>& backward) {
  merge_into(mode, out, backward);
}

}  // namespace birnn::detail
