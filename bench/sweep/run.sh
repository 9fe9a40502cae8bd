#!/usr/bin/env bash
# A sweep of 32 independent experiments (sweep_32.json) with --jobs 1 and
# --jobs 2, side by side in one run, alternating, 3 times each: prints each
# wall time, the medians and their ratio, the CPU seconds used, and the
# machine's load average before and after (other work on the machine slows
# the threaded run more than the serial one: read the ratio with the load). It
# also checks that both folders hold the same files (scripts/compare_outputs.py).
# With mpirun on PATH and a gradflow built with MPI, also `mpirun -n 2
# gradflow run ... --jobs 1`.
#
# bench/sweep/run_inner.sh does the same for the runs of ONE experiment (an
# η-sweep, an ensemble) on the threads.
#
# Usage: bash bench/sweep/run.sh [BUILD_DIR]   (default build/release, built already)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/release}
gradflow=$build/gradflow
spec=bench/sweep/sweep_32.json
work=$(mktemp -d "${TMPDIR:-/tmp}/gradflow-sweep.XXXXXX")
trap 'rm -rf "$work"' EXIT

mpi=()
if command -v mpirun >/dev/null && "$gradflow" --version | grep -q "with MPI"; then
  mpi=(mpirun --allow-run-as-root --oversubscribe -n 2)
fi

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
/usr/bin/python3 bench/sweep/cpu_share.py  # when 2 busy processes get no more than 1, threads cannot help
declare -A times
for rep in 1 2 3; do
  for mode in jobs1 jobs2 mpi2; do
    case $mode in
      jobs1) cmd=("$gradflow" run "$spec" --out "$work/$mode" -q --jobs 1) ;;
      jobs2) cmd=("$gradflow" run "$spec" --out "$work/$mode" -q --jobs 2) ;;
      mpi2) [ ${#mpi[@]} -gt 0 ] || continue
            cmd=("${mpi[@]}" "$gradflow" run "$spec" --out "$work/$mode" -q --jobs 1) ;;
    esac
    rm -rf "${work:?}/$mode"
    /usr/bin/time -f "%e %U %S" -o "$work/time" "${cmd[@]}" >/dev/null
    read -r wall user sys <"$work/time"
    echo "$mode run $rep: wall $wall s, cpu $(echo "$user + $sys" | bc) s"
    times[$mode]="${times[$mode]:-} $wall"
  done
done
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | sed -n 2p; }
m1=$(median "${times[jobs1]}")
m2=$(median "${times[jobs2]}")
echo "median wall: --jobs 1 $m1 s, --jobs 2 $m2 s, ratio $(echo "scale=3; $m2 / $m1" | bc) (target <= 0.55)"
if [ -n "${times[mpi2]:-}" ]; then
  mm=$(median "${times[mpi2]}")
  echo "median wall: mpirun -n 2 $mm s, ratio to --jobs 1 $(echo "scale=3; $mm / $m1" | bc)"
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
# What --jobs 2 would give without other work on the machine, from the serial
# run's own costs (bench/sweep/schedule.py says how).
/usr/bin/time -f "%e" -o "$work/check_time" "$gradflow" check "$spec" >/dev/null
/usr/bin/python3 bench/sweep/schedule.py "$work/jobs1" "$m1" "$(cat "$work/check_time")" 2 4
for mode in jobs2 mpi2; do
  if [ -d "$work/$mode" ]; then
    /usr/bin/python3 scripts/compare_outputs.py "$work/jobs1" "$work/$mode" | tail -1
  fi
done
