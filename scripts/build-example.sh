#!/usr/bin/env bash
# Builds one example in build/demo (Release, examples only) and prints the path of its
# executable; scripts/demo.sh and scripts/fashion_mnist.sh use it.
#
#   scripts/build-example.sh NAME      NAME: a folder of examples/ (amazon, fashion_mnist, ...)
#
# Missing Debian packages (Eigen and nlohmann_json) are installed first.
set -euo pipefail

name=${1:?usage: scripts/build-example.sh NAME}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
if [ ! -f "examples/$name/main.cpp" ]; then
    echo "build-example.sh: no example '$name' (expected examples/$name/main.cpp)" >&2
    exit 2
fi
jobs=$(nproc 2>/dev/null || echo 2)

scripts/install-deps.sh libeigen3-dev nlohmann-json3-dev >&2
cmake -S . -B build/demo \
    -DCMAKE_BUILD_TYPE=Release \
    -DBIRNN_BUILD_TESTS=OFF \
    -DBIRNN_BUILD_BENCHMARKS=OFF \
    -DBIRNN_BUILD_EXAMPLES=ON \
    -DBIRNN_SANITIZE=OFF >&2
cmake --build build/demo --target "$name" -j "$jobs" >&2
echo "$repo/build/demo/examples/$name"
