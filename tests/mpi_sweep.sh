#!/usr/bin/env bash
# gradflow run under mpirun (3 ranks, oversubscribed on a small machine): the
# files equal a single-process run's, with 1 and 2 threads per rank; a failing
# experiment is named, the others finish, the exit status is not zero; a run
# resumed after an interruption completes only what is missing and equals an
# uninterrupted run. Run by ctest in an MPI build (tests/CMakeLists.txt).
#
# Usage: tests/mpi_sweep.sh GRADFLOW MPIEXEC WORK_DIR
set -euo pipefail
gradflow=$1
mpiexec=$2
work=$3
here=$(cd "$(dirname "$0")" && pwd)
spec=$here/mpi_sweep.json
compare=(/usr/bin/python3 "$here/../scripts/compare_outputs.py")
mpi=("$mpiexec" --allow-run-as-root --oversubscribe -n 3)
fail() { echo "mpi_sweep: FAILED: $*" >&2; exit 1; }

rm -rf "$work"
mkdir -p "$work"
"$gradflow" --version | grep -q "with MPI" || fail "gradflow is not built with MPI"
"$gradflow" run "$spec" --out "$work/single" --jobs 1 -q >/dev/null

# 1. The same files from 3 ranks, with 1 and with 2 threads each.
for jobs in 1 2; do
  "${mpi[@]}" "$gradflow" run "$spec" --out "$work/ranks$jobs" --jobs "$jobs" >"$work/log$jobs"
  "${compare[@]}" "$work/single" "$work/ranks$jobs" || fail "3 ranks x $jobs thread(s) differ"
  # The log in spec order, whichever rank ran what.
  order=$(grep -o '^running [^ ]*' "$work/log$jobs" | cut -d' ' -f2 | tr '\n' ' ')
  [ "$order" = "deep ls_a ls_b sharp ls_c sgd ls_d " ] || fail "log order: $order"
done

# 2. A failing experiment: a file where ls_c's folder must go.
mkdir -p "$work/failing"
echo "in the way" >"$work/failing/ls_c"
if "${mpi[@]}" "$gradflow" run "$spec" --out "$work/failing" --jobs 1 -q \
    >"$work/failing.out" 2>"$work/failing.err"; then
  fail "a failing experiment gave exit status 0"
fi
grep -q 'experiment "ls_c" failed' "$work/failing.err" || fail "the failure is not named"
grep -q '1 of 7 experiment(s) failed' "$work/failing.err" || fail "no failure count"
grep -q '^ls_c,gd,euler,failed,' "$work/failing/summary_runs.csv" || fail "summary lacks the failure"
for name in deep ls_a ls_b sharp sgd ls_d; do
  [ -f "$work/failing/$name/meta.json" ] || fail "$name did not finish beside the failure"
done

# 3. Resume: an interrupted run leaves some folders complete, others missing.
rm -rf "$work/ranks1/ls_b" "$work/ranks1/ls_d" "$work/ranks1/sgd/meta.json" \
  "$work/ranks1/summary_runs.csv" "$work/ranks1/summary_comparisons.csv"
touch -d '2001-01-01' "$work/ranks1/deep/meta.json"
"${mpi[@]}" "$gradflow" run "$spec" --out "$work/ranks1" --jobs 1 --resume >"$work/resume.log"
order=$(grep -o '^running [^ ]*' "$work/resume.log" | cut -d' ' -f2 | tr '\n' ' ')
[ "$order" = "ls_b sgd ls_d " ] || fail "resume ran: $order"
[ "$(stat -c %Y "$work/ranks1/deep/meta.json")" = "$(date -d '2001-01-01' +%s)" ] ||
  fail "resume rewrote a complete folder"
"${compare[@]}" "$work/single" "$work/ranks1" || fail "resumed run differs"
echo "mpi_sweep: all checks passed"
