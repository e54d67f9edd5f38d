#!/usr/bin/env bash
# Builds and runs the main demo, examples/amazon: the tutorial's "Amazon" tagging problem,
# where a unidirectional and a bidirectional LSTM tagger are trained on the same generated
# data and compared on the words whose tag only the words after them tell.
#
#   scripts/demo.sh [ARGS...]      ARGS are passed on to the demo (--epochs N, --history DIR)
#
# Release build in build/demo (scripts/build-example.sh); only the amazon target is built.
# Missing Debian packages (just Eigen and nlohmann_json here) are installed first.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
demo=$(scripts/build-example.sh amazon)
# Run from the repository root, like the example_amazon ctest does.
exec "$demo" "$@"
