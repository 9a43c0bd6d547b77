#!/usr/bin/env bash
# Builds (debug preset) and runs the Deferreds example, examples/deferreds/main.cpp.
# Usage: bash scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
if [[ -z ${CMAKE_GENERATOR:-} ]] && command -v ninja >/dev/null; then
  export CMAKE_GENERATOR=Ninja
fi
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2}
cmake --preset debug >/dev/null
cmake --build --preset debug --target deferreds_demo
build/debug/examples/deferreds/deferreds_demo
