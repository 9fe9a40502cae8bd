#!/usr/bin/env bash
# Installs the Debian packages gradflow builds and tests with, when missing.
# Usage: scripts/install_deps.sh [extra-package ...]   (as root on Debian 12)
set -euo pipefail
packages=(g++ cmake make libboost-dev libeigen3-dev libfmt-dev catch2 libcli11-dev
          nlohmann-json3-dev libspectra-dev libsundials-dev python3-numpy clang-format clang-tidy
          # the Python module and its tests (docs/python.md)
          pybind11-dev python3-pybind11 python3-pytest python3-scipy python3-torch
          # figures and the report (gradflow.plot, gradflow.report)
          python3-matplotlib
          # the browser test of the report (python/tests/test_report.py)
          chromium
          # MPI sweeps (mpirun -n K gradflow run ...; optional: without them no MPI)
          openmpi-bin libopenmpi-dev "$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
