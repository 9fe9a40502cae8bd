#!/usr/bin/env bash
# The first result: installs what is missing, builds the gradflow command, and
# runs the course experiment (depth 2, 3, 4 linear networks, GD against
# gradient flow), then draws its report (report.html and figures/, with the
# Python package and matplotlib).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
cmake --preset release >/dev/null
echo "building gradflow (a first build takes a few minutes)"
cmake --build --preset release -j "$(nproc)" --target gradflow _gradflow >/dev/null
./build/release/gradflow run data/course_linear.json --out out/course_linear --report
