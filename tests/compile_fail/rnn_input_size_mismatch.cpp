// A fixed-size input must have the fixed InputSize of the cell.
// expect: the input's Features differ from the cell's InputSize
#include <birnn/birnn.hpp>

int main() {
  birnn::Rnn<birnn::LSTM<float, 4, 8>> lstm(4, {});
  (void)lstm.forward(birnn::Sequence<float, 4>(1, 2, 4));
  (void)lstm.forward(birnn::Sequence<float, 5>(1, 2, 5));  // misuse
}
