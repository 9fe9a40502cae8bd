#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz: the .npy reader, the CSV reader, a
# spec through `gradflow check`) with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer (the fuzz preset), and fuzzes each for SECONDS
# (default 60) from the committed seed corpus tests/fuzz/corpus/<target>/.
# New inputs go to build/fuzz/corpus/<target>/ (not committed); a finding is
# written as build/fuzz/crash-* and the script exits non-zero.
#
#   scripts/fuzz.sh                 # 60 s per target
#   scripts/fuzz.sh 3600 spec       # a long run of one target
#   JOBS=2 scripts/fuzz.sh 600      # build with 2 jobs (default: 2)
#
# Needs clang and libFuzzer (Debian: clang-14, libclang-rt-14-dev).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(npy csv spec)

if ! command -v clang++ >/dev/null ||
   ! compgen -G "/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a" >/dev/null; then
  echo "fuzz.sh: needs clang++ and libFuzzer: apt-get install -y clang-14 libclang-rt-14-dev" >&2
  exit 2
fi

CMAKE_CXX_COMPILER_LAUNCHER="${CMAKE_CXX_COMPILER_LAUNCHER:-$(command -v ccache || true)}" \
  cmake --preset fuzz >/dev/null
cmake --build build/fuzz -j "${JOBS:-2}" --target "${targets[@]/#/fuzz_}"

status=0
for t in "${targets[@]}"; do
  mkdir -p "build/fuzz/corpus/$t"
  echo "== fuzz_$t for ${seconds} s"
  # -max_len: the seed corpus holds 200 KB regression inputs (replayed whole by
  # the test suite, tests/test_fuzz_corpus.cpp); mutating inputs that long
  # would slow every execution. -timeout / -rss_limit_mb: a spec whose check
  # hangs or grows memory without bound is a finding too.
  (cd build/fuzz && "./tests/fuzz/fuzz_$t" "corpus/$t" "../../tests/fuzz/corpus/$t" \
      -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 2>&1 | tail -n 20) || status=1
done
exit $status
