// keras::Bidirectional wraps a recurrent layer; a Dense is a mistake caught at compile time.
// expect: birnn::keras::Bidirectional\(layer\) requires 'layer' to be a keras::SimpleRNN, LSTM or GRU
#include <birnn/birnn.hpp>

int main() {
  [[maybe_unused]] const birnn::keras::Bidirectional fine(birnn::keras::LSTM(4));
  [[maybe_unused]] const birnn::keras::Bidirectional wrong(birnn::keras::Dense(4));  // misuse
}
