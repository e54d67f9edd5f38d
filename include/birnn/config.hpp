#pragma once
/// @file
/// Checks that the Eigen in use is 3.4 or newer; birnn relies on its slicing and `Ref` rules.

#include <Eigen/Core>

#if !EIGEN_VERSION_AT_LEAST(3, 4, 0)
#error "birnn requires Eigen 3.4 or newer (Debian: apt-get install libeigen3-dev)"
#endif
