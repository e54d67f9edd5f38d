// What every Google Benchmark program of birnn adds to its report's context: Eigen's version
// and the SIMD instruction sets it was compiled for.
#pragma once

#include <Eigen/Core>

#include <benchmark/benchmark.h>

#include <string>

namespace bench {

inline const bool context_registered = [] {
  benchmark::AddCustomContext("eigen", std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) +
                                           "." + std::to_string(EIGEN_MINOR_VERSION));
  benchmark::AddCustomContext("simd", Eigen::SimdInstructionSetsInUse());
  return true;
}();

}  // namespace bench
