#!/usr/bin/env bash
# Builds and runs the demo example (examples/demo/main.cpp).
#
#   scripts/demo.sh [ARGS...]      ARGS are passed on to the demo
#
# Release build in build/demo; only the demo target is built. Missing Debian packages
# (just Eigen and nlohmann_json here) are installed first.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
jobs=$(nproc 2>/dev/null || echo 2)

scripts/install-deps.sh libeigen3-dev nlohmann-json3-dev

cmake -S . -B build/demo \
    -DCMAKE_BUILD_TYPE=Release \
    -DBIRNN_BUILD_TESTS=OFF \
    -DBIRNN_BUILD_BENCHMARKS=OFF \
    -DBIRNN_BUILD_EXAMPLES=ON \
    -DBIRNN_SANITIZE=OFF
cmake --build build/demo --target demo -j "$jobs"

# Run from the repository root, like the example_demo ctest does.
exec build/demo/examples/demo "$@"
