#!/usr/bin/env bash
# gradflow against scipy, numpy and PyTorch on the course's linear-network problem:
# installs what is missing, builds the release benchmark, runs both sides on the
# same data and start, and prints the table (see bench/README.md).
#
# Usage: bash bench/run.sh [DIR]
#   DIR keeps the problem and the results (.npy, gradflow.json); default: a
#   temporary directory, removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install_deps.sh python3-scipy python3-torch
# Debian's numpy, scipy and torch are visible to /usr/bin/python3 only; a
# python3 earlier on PATH may be another interpreter.
python=/usr/bin/python3

build=build/bench
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DGRADFLOW_BUILD_TESTS=OFF >/dev/null
echo "building bench_linear in $build (a first build takes a few minutes)"
if ! cmake --build "$build" -j "$(nproc)" --target bench_linear >"$build/bench_build.log" 2>&1; then
  cat "$build/bench_build.log" >&2
  echo "bench/run.sh: the build failed (log above, also in $build/bench_build.log)" >&2
  exit 1
fi

if [ $# -ge 1 ]; then
  work=$1
  mkdir -p "$work"
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/gradflow-bench.XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi

"$build/bench/bench_linear" "$work"
# -B: no __pycache__ in the source tree
"$python" -B bench/peers_linear.py "$work"
