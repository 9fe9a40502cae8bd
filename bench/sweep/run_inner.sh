#!/usr/bin/env bash
# The runs of ONE experiment on the --jobs threads (docs/spec.md, "Sweeps"):
# an η-sweep of 8 step sizes with their modified flows (eta_sweep_8.json, 17
# runs) and an ensemble of 32 SGD members (ensemble_32.json), each with
# --jobs 1 and --jobs 2, alternating, 3 times each. Prints each wall time, the
# medians and their ratio, the CPU a second busy process gets on this machine
# now, and the load average before and after (other work on the machine slows
# the threaded run more than the serial one: read the ratio with the load). It
# checks that both folders hold the same files (scripts/compare_outputs.py)
# and predicts --jobs 2 on an idle machine (bench/sweep/schedule_runs.py).
# Give several gradflow executables (e.g. one built before a change) to time
# each of them the same way, side by side in one run.
#
# Usage: bash bench/sweep/run_inner.sh [GRADFLOW ...]   (default build/release/gradflow)
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -gt 0 ] || set -- build/release/gradflow
work=$(mktemp -d "${TMPDIR:-/tmp}/gradflow-inner.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
/usr/bin/python3 bench/sweep/cpu_share.py  # when 2 busy processes get no more than 1, threads cannot help
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | sed -n 2p; }
declare -A times last
for spec in bench/sweep/eta_sweep_8.json bench/sweep/ensemble_32.json; do
  name=$(basename "$spec" .json)
  for rep in 1 2 3; do
    b=0
    for gradflow in "$@"; do
      b=$((b + 1))
      for jobs in 1 2; do
        out="$work/$name.$b.jobs$jobs"
        rm -rf "$out"
        /usr/bin/time -f "%e %U %S" -o "$work/time" "$gradflow" run "$spec" --out "$out" -q \
          --jobs "$jobs" >/dev/null
        read -r wall user sys <"$work/time"
        echo "$name gradflow#$b --jobs $jobs run $rep: wall $wall s, cpu $(echo "$user + $sys" | bc) s"
        times[$name.$b.$jobs]="${times[$name.$b.$jobs]:-} $wall"
        last[$name.$b.$jobs]=$wall  # of the folder kept: the last run's
      done
    done
  done
done
for spec in eta_sweep_8 ensemble_32; do
  b=0
  for gradflow in "$@"; do
    b=$((b + 1))
    m1=$(median "${times[$spec.$b.1]}")
    m2=$(median "${times[$spec.$b.2]}")
    echo "$spec gradflow#$b ($gradflow): median wall --jobs 1 $m1 s, --jobs 2 $m2 s," \
      "ratio $(echo "scale=3; $m2 / $m1" | bc)"
    /usr/bin/python3 scripts/compare_outputs.py "$work/$spec.$b.jobs1" "$work/$spec.$b.jobs2" | tail -1
    # What --jobs 2 would give on an idle machine, from the serial run's costs.
    /usr/bin/python3 bench/sweep/schedule_runs.py "$work/$spec.$b.jobs1/$spec" "${last[$spec.$b.1]}" 2
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
