// The input's Scalar must be the cell's.
// expect: requires the input's Scalar to be the cell's Scalar
#include <birnn/birnn.hpp>

int main() {
  birnn::Rnn<birnn::LSTM<float>> lstm(4, {8});
  (void)lstm.forward(birnn::Sequence<float>(1, 2, 4));
  (void)lstm.forward(birnn::Sequence<double>(1, 2, 4));  // misuse
}
