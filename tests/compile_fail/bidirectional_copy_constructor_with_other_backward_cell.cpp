// The three-argument constructor copies the forward configuration: it needs BackwardCell == Cell.
// expect: with another BackwardCell, give the backward layer's configuration to the constructor
#include <birnn/birnn.hpp>

int main() {
  namespace b = birnn;
  using Bi = b::Bidirectional<b::LSTM<float>, b::merge::concat, b::sequences::last, b::state::discard, b::mask::none,
                              b::GRU<float>>;
  b::LayerOptions forward, backward;
  backward.go_backwards = true;
  Bi five(4, {8}, forward, {8}, backward);
  Bi three(4, {8});  // misuse
}
