// Bidirectional's Merge must be one of the merge policies.
// expect: requires 'Merge' to be merge::concat, sum, mul, ave or none
#include <birnn/birnn.hpp>

int main() {
  [[maybe_unused]] constexpr auto fine = sizeof(birnn::Bidirectional<birnn::LSTM<float>, birnn::merge::ave>);
  [[maybe_unused]] constexpr auto size = sizeof(birnn::Bidirectional<birnn::LSTM<float>, birnn::sequences::all>);  // misuse
}
