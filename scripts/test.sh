#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, checks the include
# rules and the formatting, runs ctest, then the Python package's tests (pytest
# on python/tests, with Debian's /usr/bin/python3). clang-tidy is a separate
# step before committing (scripts/check_tidy.sh, about 3 minutes): on 2 cores
# it would take the suite past 20 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
bash scripts/build.sh
bash scripts/check_layers.sh
bash scripts/check_format.sh
ctest --preset release -j "$(nproc)"
# -B: no __pycache__ in the source tree; conftest.py finds build/release/python.
/usr/bin/python3 -B -m pytest -q -p no:cacheprovider python/tests
