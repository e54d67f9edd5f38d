#!/usr/bin/env bash
# Trains the tutorial's Bidirectional(LSTM(128)) on Fashion-MNIST (examples/fashion_mnist).
#
#   scripts/fashion_mnist.sh [ARGS...]    install, unpack, build, run; ARGS go to the example
#   scripts/fashion_mnist.sh --prepare    only install and unpack the data
#
# The data is Debian's dataset-fashion-mnist (installed when missing), unpacked from
# /usr/share/datasets/fashion-mnist into build/data/fashion-mnist. The default run trains
# 8 epochs on all 60000 images (about 4 minutes on 2 cores), prints each epoch's time and the
# test accuracy, and writes the history to build/fashion-history/fashion_mnist.{csv,svg}.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

scripts/install-deps.sh dataset-fashion-mnist
source=/usr/share/datasets/fashion-mnist
data=build/data/fashion-mnist
mkdir -p "$data"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
    if [ ! -s "$data/$f" ] || [ "$source/$f.gz" -nt "$data/$f" ]; then
        gzip -dc "$source/$f.gz" > "$data/$f.tmp"
        mv "$data/$f.tmp" "$data/$f"
    fi
done
if [ "${1:-}" = "--prepare" ]; then
    echo "fashion_mnist.sh: data ready in $data"
    exit 0
fi

example=$(scripts/build-example.sh fashion_mnist)
mkdir -p build/fashion-history
if [ $# -eq 0 ]; then
    set -- --history build/fashion-history --min-accuracy 0.88
fi
exec "$example" --data "$data" "$@"
