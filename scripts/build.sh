#!/usr/bin/env bash
# Configures and builds the release preset (build/release): the command, the
# Python module and the tests. The benchmarks are left out here, which keeps
# the test script within its time on 2 cores: they build in build/bench
# (bench/run.sh, bench/*/run.sh, bench/factorisation/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset release -DGRADFLOW_BUILD_BENCH=OFF >/dev/null
cmake --build --preset release -j "$(nproc)"
