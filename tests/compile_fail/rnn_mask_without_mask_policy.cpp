// A layer declared with mask::none (the default) takes no mask.
// expect: mask::none>::forward takes no mask
#include <birnn/birnn.hpp>

int main() {
  birnn::Rnn<birnn::LSTM<float>> lstm(4, {8});
  const birnn::Sequence<float> x(1, 2, 4);
  const birnn::Mask mask = birnn::Mask::Constant(1, 2, true);
  (void)mask;
  (void)lstm.forward(x);
  (void)lstm.forward(x, mask);  // misuse
}
