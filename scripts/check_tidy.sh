#!/usr/bin/env bash
# clang-tidy with the checks of .clang-tidy, before a commit: over src/core, src/io, src/cli by
# default (about 3 minutes on 2 cores); over every library,
# test and benchmark with --all (about 10 minutes on 2 cores), before a commit
# that touches models/ or integrators/. Needs a configured release build for
# compile_commands.json (scripts/build.sh).
# Usage: scripts/check_tidy.sh [--all]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v run-clang-tidy >/dev/null || { echo "check_tidy: clang-tidy is not installed (apt-get install clang-tidy)" >&2; exit 2; }
db=build/release
[ -f "$db/compile_commands.json" ] || { echo "check_tidy: no $db/compile_commands.json: run scripts/build.sh first" >&2; exit 2; }
folders='src/(core|io|cli)/'
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
