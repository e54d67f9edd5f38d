// A cell's Scalar must be float or double.
// expect: require 'Scalar' to be float or double
#include <birnn/birnn.hpp>

int main() {
  [[maybe_unused]] birnn::LSTM<float> fine;
  [[maybe_unused]] birnn::LSTM<int> cell;  // misuse
}
