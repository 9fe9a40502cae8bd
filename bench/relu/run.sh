#!/usr/bin/env bash
# The two-layer ReLU GD step at width 10 000: gradflow vs numpy vs PyTorch,
# side by side. Usage: bash bench/relu/run.sh [BUILD_DIR]   (default build/release)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/build/release}"
bash "$root/scripts/install_deps.sh" python3-scipy python3-torch
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DGRADFLOW_BUILD_BENCH=ON >/dev/null
cmake --build "$build" -j2 --target bench_relu_step >/dev/null
data="$(mktemp -d)"
trap 'rm -rf "$data"' EXIT
"$build/bench/bench_relu_step" "$data"
/usr/bin/python3 "$root/bench/relu/relu_step.py" "$data"
