// Writes the seed corpus of fuzz_weights_file with birnn's own io::save_weights: a few small
// BIRNNW01 files in float and double (empty list, a scalar-free rank-0 tensor, LSTM-sized
// kernels, an empty dimension). Not built by CMake; run it when the format changes:
//
//   g++ -std=c++17 -I include $(pkg-config --cflags eigen3) \
//       tests/fuzz/tools/write_weights_seeds.cpp -o /tmp/write_weights_seeds -pthread
//   /tmp/write_weights_seeds tests/fuzz/corpus/fuzz_weights_file
#include <birnn/io/weights_file.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

template <class Scalar>
void write_all(const std::string& dir, const std::string& suffix) {
  using T = birnn::Tensor<Scalar>;
  birnn::io::save_weights<Scalar>(dir + "/empty_" + suffix, {});
  birnn::io::save_weights<Scalar>(dir + "/scalar_" + suffix, {T({}, {Scalar(1.5)})});
  birnn::io::save_weights<Scalar>(dir + "/lstm_" + suffix,
                                  {T({1, 8}, std::vector<Scalar>(8, Scalar(0.25))),
                                   T({2, 8}, std::vector<Scalar>(16, Scalar(-0.5))),
                                   T({8}, std::vector<Scalar>(8, Scalar(1)))});
  birnn::io::save_weights<Scalar>(dir + "/zero_dim_" + suffix, {T({0, 3}, {}), T({2, 1, 1}, {Scalar(2), Scalar(3)})});
  birnn::io::save_weights<Scalar>(
      dir + "/special_" + suffix,
      {T({4}, {std::numeric_limits<Scalar>::quiet_NaN(), std::numeric_limits<Scalar>::infinity(),
               -std::numeric_limits<Scalar>::infinity(), std::numeric_limits<Scalar>::denorm_min()})});
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  write_all<float>(argv[1], "f32.weights");
  write_all<double>(argv[1], "f64.weights");
  return 0;
}
