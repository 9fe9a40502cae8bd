#!/usr/bin/env bash
# clang-tidy with the checks of .clang-tidy over the libraries' sources (the
# tests and benchmarks too with --all). Needs a configured release build for
# compile_commands.json (scripts/build.sh).
# Usage: scripts/check_tidy.sh [--all]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v run-clang-tidy >/dev/null || { echo "check_tidy: clang-tidy is not installed (apt-get install clang-tidy)" >&2; exit 2; }
db=build/release
[ -f "$db/compile_commands.json" ] || { echo "check_tidy: no $db/compile_commands.json: run scripts/build.sh first" >&2; exit 2; }
folders='(src|models|integrators)/'
[ "${1:-}" = "--all" ] && folders='(src|models|integrators|tests|bench)/'
# GCC-only flags in the database are unknown to clang: drop them.
if run-clang-tidy -quiet -p "$db" -j "$(nproc)" -extra-arg=-Wno-unknown-warning-option \
     "$PWD/$folders.*\.cpp$" > "$db/clang-tidy.log" 2>&1; then
  echo "check_tidy: no findings ($(grep -c '^clang-tidy' "$db/clang-tidy.log" || true) files)"
else
  grep -E 'warning:|error:' "$db/clang-tidy.log" | sort -u | head -50 >&2
  echo "check_tidy: findings above (full log: $db/clang-tidy.log)" >&2
  exit 1
fi
