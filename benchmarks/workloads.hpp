// The workloads of the performance issue and the peers-bench harness, and the same
// deterministic fill as peers-bench uses (a 32-bit integer hash of the element index, so
// every peer gets bit-identical inputs and weights and their outputs can be compared).
#pragma once

#include <birnn/birnn.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

namespace bench {

struct Workload {
  const char* id;
  long batch, time, input, units;
};

inline const Workload workloads[] = {
    {"W1", 32, 100, 32, 32},
    {"W2", 64, 100, 128, 128},
    {"W3", 64, 200, 512, 512},
    {"W4", 1, 100, 32, 64},
};

/// FLOPs of one Bidirectional forward call: 2 directions x batch x time x 2 x (input + units) x gates x units.
inline double flops(long batch, long time, long input, long units, int gates) {
  return 2.0 * double(batch) * double(time) * 2.0 * double(input + units) * gates * double(units);
}

// The peers-bench fill: value i = scale * (u24(hash(i + seed * golden)) / 2^24 * 2 - 1).
inline std::uint32_t mix(std::uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}
inline void fill(float* p, std::size_t n, std::uint32_t seed, float scale) {
  const std::uint32_t base = seed * 0x9E3779B9u;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t u = mix(base + std::uint32_t(i)) >> 8;
    p[i] = scale * (float(u) / 16777216.0f * 2.0f - 1.0f);
  }
}

/// Keras weights of direction d (0 forward, 1 backward) with the peers-bench seeds:
/// kernel 10+d, recurrent 20+d, bias 30+d, GRU recurrent bias 40+d.
template <class Cell>
std::vector<birnn::Tensor<float>> direction_weights(long input, long units, int d, bool gru_reset_after) {
  const long g = Cell::gates * units;
  const float ws = 1.0f / std::sqrt(float(units));
  std::vector<birnn::Tensor<float>> w(3);
  w[0] = {{input, g}, std::vector<float>(std::size_t(input * g))};
  w[1] = {{units, g}, std::vector<float>(std::size_t(units * g))};
  fill(w[0].values.data(), w[0].values.size(), 10u + unsigned(d), ws);
  fill(w[1].values.data(), w[1].values.size(), 20u + unsigned(d), ws);
  if (gru_reset_after) {
    w[2] = {{2, g}, std::vector<float>(std::size_t(2 * g))};
    fill(w[2].values.data(), std::size_t(g), 30u + unsigned(d), 0.1f);
    fill(w[2].values.data() + g, std::size_t(g), 40u + unsigned(d), 0.1f);
  } else {
    w[2] = {{g}, std::vector<float>(std::size_t(g))};
    fill(w[2].values.data(), std::size_t(g), 30u + unsigned(d), 0.1f);
  }
  return w;
}

/// Both directions' weights, forward then backward, as Keras's Bidirectional lists them.
template <class Cell>
std::vector<birnn::Tensor<float>> bidirectional_weights(long input, long units, bool gru_reset_after) {
  auto w = direction_weights<Cell>(input, units, 0, gru_reset_after);
  for (auto& t : direction_weights<Cell>(input, units, 1, gru_reset_after)) w.push_back(std::move(t));
  return w;
}

/// The input (batch, time, input), seed 1, scale 1.
inline birnn::Sequence<float> input_sequence(long batch, long time, long input) {
  birnn::Sequence<float> x(batch, time, input);
  fill(x.data(), std::size_t(x.matrix().size()), 1u, 1.0f);
  return x;
}

}  // namespace bench
