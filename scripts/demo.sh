#!/usr/bin/env bash
# Builds (debug preset) and runs the Deferreds example, examples/deferreds/main.cpp.
# Usage: bash scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
cmake --preset debug >/dev/null
cmake --build --preset debug --target deferreds_demo
build/debug/examples/deferreds/deferreds_demo
