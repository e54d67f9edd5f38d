// quickstart: a bidirectional LSTM with weights in Keras's order, a mask, and its final
// states. The README's usage snippet is the code between the two [quickstart] markers.
// [quickstart]
#include <birnn/birnn.hpp>

#include <iomanip>
#include <iostream>
#include <vector>

// n stand-in weights spread over [-scale, scale] (use your trained model's instead).
std::vector<float> ramp(int n, float scale) {
  std::vector<float> v;
  for (int k = 0; k < n; ++k) v.push_back(scale * static_cast<float>((k * 7) % 11 - 5) / 5);
  return v;
}

int main() {
  // Keras: Bidirectional(LSTM(2, return_state=True), merge_mode="concat") on 3 features.
  using BiLSTM = birnn::Bidirectional<birnn::LSTM<float>, birnn::merge::concat, birnn::sequences::last,
                                      birnn::state::keep, birnn::mask::masked>;
  BiLSTM bi(/*input features*/ 3, {/*units*/ 2});

  // Keras get_weights() order: forward kernel, recurrent_kernel, bias, then the backward layer's.
  // Gate blocks i, f, c, o side by side: 4 * units columns.
  bi.set_weights({{{3, 8}, ramp(24, 0.5f)}, {{2, 8}, ramp(16, 0.3f)}, {{8}, ramp(8, 0.1f)},
                  {{3, 8}, ramp(24, -0.5f)}, {{2, 8}, ramp(16, 0.3f)}, {{8}, ramp(8, 0.1f)}});

  birnn::Sequence<float> x(/*batch*/ 2, /*time*/ 4, /*features*/ 3);
  for (int b = 0; b < 2; ++b)
    for (int t = 0; t < 4; ++t)
      for (int f = 0; f < 3; ++f) x(b, t, f) = 0.1f * static_cast<float>(t + 1) * (b == 0 ? 1.0f : -1.0f) + 0.1f * f;
  birnn::Mask mask(2, 4);  // true = keep; the second sequence ends with two padding steps
  mask << true, true, true, true,
          true, true, false, false;

  // Keras order: output, then the forward layer's [h, c], then the backward layer's.
  auto [y, forward_h, forward_c, backward_h, backward_c] = bi.forward(x, mask);
  std::cout << std::fixed << std::setprecision(4)
            << "output (batch, 2 * units):\n" << y << "\n"
            << "forward h:\n" << forward_h << "\n"
            << "backward c:\n" << backward_c << "\n";
}
// [quickstart]
