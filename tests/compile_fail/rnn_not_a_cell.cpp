// Rnn's first argument must be a cell (SimpleRNN, LSTM or GRU).
// expect: birnn::Rnn<Cell, ...> requires 'Cell' to be a cell
#include <birnn/birnn.hpp>

struct NotACell {
  using Scalar = float;
};

int main() {
  [[maybe_unused]] constexpr auto fine = sizeof(birnn::Rnn<birnn::GRU<float>>);
  [[maybe_unused]] constexpr auto size = sizeof(birnn::Rnn<NotACell>);  // misuse
}
