#!/usr/bin/env bash
# The ReLU network on threads (model.threads): the width-10 000 GD step on 1
# and 2 threads against dgemm of the step's shapes (Eigen in the same program,
# numpy's BLAS right after it), and relu_windows at width 100 000 on the
# course data to t = 5 on 1 and 2 threads (windows_100k.json), whose files
# must be the same bits. Prints the machine's load before and after.
# Usage: bash bench/relu/run_threads.sh [BUILD_DIR]
#   (default build/release; build/native after `cmake --preset native`)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/build/release}"
cmake --build "$build" -j2 --target gradflow bench_relu_threads >/dev/null
echo "build: $build; load: $(uptime)"
"$build/bench/bench_relu_threads" 1 2
/usr/bin/python3 "$root/bench/relu/gemm_shapes.py"
# OpenBLAS beside it when installed (apt-get install libopenblas0-pthread),
# whether or not it is the system's libblas.so.3.
openblas=/usr/lib/x86_64-linux-gnu/openblas-pthread
if [ -e "$openblas/libblas.so.3" ]; then
  LD_LIBRARY_PATH="$openblas" /usr/bin/python3 "$root/bench/relu/gemm_shapes.py"
fi
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$build/gradflow" run "$root/bench/relu/windows_100k.json" --out "$out" --jobs 1 -q
/usr/bin/python3 - "$out" <<'PY'
import filecmp, json, os, sys
out = sys.argv[1]
walls = {}
for e in ("threads1", "threads2"):
    meta = json.load(open(os.path.join(out, e, "meta.json")))
    run = meta["runs"][0]
    walls[e] = run["wall_seconds"]
    print(f"relu_windows, width 100 000, t = 5, {e[-1]} thread(s): {run['wall_seconds']:.2f} s, "
          f"{run['counters'].get('windows', '?')} windows, {run['counters'].get('crossings', '?')} crossings")
files = [f for f in os.listdir(os.path.join(out, "threads1")) if f != "meta.json"]
same = all(filecmp.cmp(os.path.join(out, "threads1", f), os.path.join(out, "threads2", f), shallow=False)
           for f in files)
print(f"speed-up {walls['threads1'] / walls['threads2']:.2f}x; files ({', '.join(sorted(files))}) "
      f"{'the same bits' if same else 'DIFFER'}")
sys.exit(0 if same else 1)
PY
echo "load: $(uptime)"
