#pragma once
/// @file
/// States as tuples (for structured bindings in Keras's order) and Keras's default layer names.

#include <Eigen/Core>

#include <cctype>
#include <string>
#include <tuple>
#include <utility>

namespace birnn::detail {

template <class T, std::size_t>
using repeat = T;

template <class Cell, class = std::make_index_sequence<Cell::state_count>>
struct state_tuple;
template <class Cell, std::size_t... I>
struct state_tuple<Cell, std::index_sequence<I...>> {
  using type = std::tuple<repeat<typename Cell::Hidden, I>...>;
};
/// `std::tuple<Hidden, ...>` with one element per state of `Cell`.
template <class Cell>
using state_tuple_t = typename state_tuple<Cell>::type;

template <class Head, class Tuple>
struct prepend;
template <class Head, class... T>
struct prepend<Head, std::tuple<T...>> {
  using type = std::tuple<Head, T...>;
};
template <class Head, class Tuple>
using prepend_t = typename prepend<Head, Tuple>::type;

template <class Cell, std::size_t... I>
state_tuple_t<Cell> to_tuple(const typename Cell::State& s, std::index_sequence<I...>) {
  return state_tuple_t<Cell>(s[I]...);
}
/// The states of a cell as a tuple, Keras order.
template <class Cell>
state_tuple_t<Cell> to_tuple(const typename Cell::State& s) {
  return to_tuple<Cell>(s, std::make_index_sequence<Cell::state_count>{});
}

/// Keras's default name of a layer of class `keras_name`: "LSTM" -> "lstm", "SimpleRNN" -> "simple_rnn".
inline std::string default_layer_name(const std::string& keras_name) {
  std::string out;
  for (std::size_t i = 0; i < keras_name.size(); ++i) {
    const char c = keras_name[i];
    const bool upper = std::isupper(static_cast<unsigned char>(c)) != 0;
    // A capital that starts a new word ("SimpleRNN": the R after "Simple") gets an underscore.
    if (upper && i > 0 && std::islower(static_cast<unsigned char>(keras_name[i - 1]))) out += '_';
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

}  // namespace birnn::detail
