#!/usr/bin/env bash
# The include rules of docs/architecture.md: models and integrators meet only
# through src/core; core includes nothing of ours above it; io only core.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
refuse() {  # refuse FOLDER PATTERN WHY
  local hits
  hits=$(git grep -n -E "#include \"($2)/" -- "$1" || true)
  if [ -n "$hits" ]; then
    echo "check_layers: $1 may not include ${2//|//, }/ ($3):" >&2
    echo "$hits" >&2
    status=1
  fi
}
refuse src/core 'models|integrators|io|cli' 'the core depends on Eigen, Boost, fmt and Spectra only'
refuse models 'integrators|io|cli' 'models meet integrators only through src/core'
refuse integrators 'models|io|cli' 'integrators meet models only through src/core'
refuse src/io 'models|integrators|cli' 'io depends on the core only'
[ $status -eq 0 ] && echo "check_layers: include rules hold"
exit $status
