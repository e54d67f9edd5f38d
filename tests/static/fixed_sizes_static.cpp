// Every layer template must compile with fixed sizes, down to one unit and one feature: the
// explicit instantiations below compile every non-template member (set_weights, get_weights,
// ...), and `run` calls forward. This file only has to compile.

#include <birnn/birnn.hpp>

template class birnn::Rnn<birnn::SimpleRNN<float, 5, 1>>;
template class birnn::Rnn<birnn::SimpleRNN<double, 1, 1>, birnn::sequences::all, birnn::state::keep>;
template class birnn::Rnn<birnn::LSTM<float, 1, 1>, birnn::sequences::all, birnn::state::keep>;
template class birnn::Rnn<birnn::GRU<float, 1, 1>, birnn::sequences::all, birnn::state::keep>;
template class birnn::Bidirectional<birnn::SimpleRNN<float, 2, 1>, birnn::merge::sum, birnn::sequences::all>;

namespace {

[[maybe_unused]] float run(const birnn::Sequence<float, 5>& x) {
  birnn::Rnn<birnn::SimpleRNN<float, 5, 1>, birnn::sequences::all> rnn(5, {});
  rnn.set_weights(rnn.get_weights());
  return rnn.forward(x)(0, 0, 0);
}

}  // namespace
