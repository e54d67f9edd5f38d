#pragma once
/// @file
/// What every cell shares: the trait `is_cell_v`, the description of a weight (Keras name and
/// shape), the common static checks, and the column blocks of a gate matrix.
///
/// A cell is a stateless struct with a static interface (see `cells/lstm.hpp`): its `Config`
/// (units, activations, bias), its `Weights` in Keras layout, its `State` (Keras state order),
/// `project()` (the input side of every step, one matrix product for all of them) and
/// `step()` (one time step for the whole batch). For training, a cell also provides
/// `recorded()` (what a recorded forward pass keeps of a step's workspace: the
/// post-activation gates), a `BackwardWorkspace` with `prepare_backward()`, and
/// `step_backward()`, the backward of `step()` (see `layers/recurrent_core.hpp`). Keras's
/// `recurrent_dropout` in training uses overloads of `step()` and `step_backward()` that also
/// take the recurrent masks, one `(batch, units)` mask per gate block.

#include "birnn/math/activation.hpp"
#include "birnn/types/size.hpp"
#include "birnn/types/tensor.hpp"

#include <Eigen/Core>

#include <string>
#include <type_traits>
#include <vector>

namespace birnn {

template <class T, class = void>
struct is_cell : std::false_type {};
template <class T>
struct is_cell<T, std::void_t<typename T::Config, typename T::Weights, typename T::State,
                              decltype(T::gates), decltype(T::state_count)>> : std::true_type {};
/// True for birnn's cells (`SimpleRNN`, `LSTM`, `GRU`) and any type with their interface.
template <class T>
inline constexpr bool is_cell_v = is_cell<T>::value;

namespace detail {

/// Columns [k * u, (k + 1) * u) of `m`: gate `k` of a gate matrix whose gates are `u` wide.
template <int Units, class Derived>
auto gate(Eigen::MatrixBase<Derived>& m, int k, Eigen::Index u) {
  return m.template middleCols<Units>(k * u, u);
}
template <int Units, class Derived>
auto gate(const Eigen::MatrixBase<Derived>& m, int k, Eigen::Index u) {
  return m.template middleCols<Units>(k * u, u);
}

/// The compile-time checks every cell template makes of its parameters.
template <class Scalar, int InputSize, int Units>
constexpr bool check_cell_parameters() {
  static_assert(std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>,
                "birnn cells (SimpleRNN, LSTM, GRU) require 'Scalar' to be float or double");
  static_assert(InputSize == Eigen::Dynamic || InputSize > 0,
                "birnn cells require 'InputSize' to be positive or Eigen::Dynamic");
  static_assert(Units == Eigen::Dynamic || Units > 0,
                "birnn cells require 'Units' to be positive or Eigen::Dynamic");
  return true;
}

/// Checks a runtime size against its compile-time value (when there is one).
inline void check_size(const std::string& layer, const char* what, int compile_time, Eigen::Index runtime) {
  if (runtime <= 0) throw config_error(cat(layer, ": ", what, ": expected a positive number, got ", runtime));
  if (compile_time != Eigen::Dynamic) require_equal<config_error>(layer, what, compile_time, runtime);
}

}  // namespace detail
}  // namespace birnn
