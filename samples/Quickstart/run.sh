#!/usr/bin/env bash
# The main job: runs the quickstart mission on the embedded default model.
# The labelled attribute sets are built from public registries on first use (they cannot all be redistributed; see
# docs/data.md) into ~/.cache/diffusionsteering/data; later runs reuse them.
# Usage: bash samples/Quickstart/run.sh [--quick] [--out DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CACHE="${DS_DATA_CACHE:-$HOME/.cache/diffusionsteering/data}"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"   # idle OpenMP threads must not spin against the BLAS threads

if [ ! -s "$CACHE/built/sets/sentiment/test.tsv" ]; then
  echo "quickstart: building the labelled sets (first run only)"
  DS_DATA_INSTALL_R="${DS_DATA_INSTALL_R:-0}" bash "$ROOT/samples/EmbeddedModel/data/fetch-data.sh"
  python3 "$ROOT/samples/EmbeddedModel/data/build_data.py"
fi
dotnet build -c Release -v q -nologo "$ROOT/samples/Quickstart" >/dev/null
cd "$ROOT"
exec dotnet samples/Quickstart/bin/Release/net10.0/Quickstart.dll --sets "$CACHE/built/sets" "$@"
