// merge::sum (mul, ave) needs both directions to have the same width.
// expect: merge::sum, mul and ave require both cells to have the same Units
#include <birnn/birnn.hpp>

namespace b = birnn;
template <class Merge>
using Bi = b::Bidirectional<b::LSTM<float, 4, 8>, Merge, b::sequences::last, b::state::discard, b::mask::none,
                            b::LSTM<float, 4, 6>>;

int main() {
  [[maybe_unused]] constexpr auto fine = sizeof(Bi<b::merge::concat>);
  [[maybe_unused]] constexpr auto size = sizeof(Bi<b::merge::sum>);  // misuse
}
