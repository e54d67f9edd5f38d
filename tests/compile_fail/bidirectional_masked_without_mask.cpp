// A layer declared with mask::masked needs its mask.
// expect: Bidirectional<..., mask::masked, ...>::forward.x. needs a mask
#include <birnn/birnn.hpp>

int main() {
  namespace b = birnn;
  b::Bidirectional<b::LSTM<float>, b::merge::concat, b::sequences::last, b::state::discard, b::mask::masked> bi(4, {8});
  const b::Sequence<float> x(1, 2, 4);
  (void)bi.forward(x, b::Mask::Constant(1, 2, true));
  (void)bi.forward(x);  // misuse
}
