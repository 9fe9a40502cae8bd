#!/usr/bin/env bash
# gradflow's stiff integrators against scipy's (BDF, Radau, LSODA, with and
# without an analytic Jacobian) on the shipped stiff example, side by side in
# one run: builds bench_stiff, runs it (it writes the problem and gradflow's
# figures), then peers_stiff.py on the same files (see bench/stiff/README.md).
#
# Usage: bash bench/stiff/run.sh [DIR]   (DIR keeps the files; default: a temporary one)
set -euo pipefail
cd "$(dirname "$0")/../.."

bash scripts/install_deps.sh python3-scipy
python=/usr/bin/python3  # Debian's numpy and scipy

build=build/bench
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DGRADFLOW_BUILD_TESTS=OFF >/dev/null
echo "building bench_stiff in $build (a first build takes a few minutes)"
if ! cmake --build "$build" -j "$(nproc)" --target bench_stiff >"$build/bench_stiff_build.log" 2>&1; then
  cat "$build/bench_stiff_build.log" >&2
  echo "bench/stiff/run.sh: the build failed (log above)" >&2
  exit 1
fi

if [ $# -ge 1 ]; then
  work=$1
  mkdir -p "$work"
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/gradflow-stiff.XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi

"$build/bench/bench_stiff" data/stiff_linear.json "$work"
"$python" -B bench/stiff/peers_stiff.py "$work"
