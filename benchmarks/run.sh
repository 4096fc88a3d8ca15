#!/usr/bin/env bash
# Runs a benchmark through the binding and its plain-PyTorch reference under the same environment.
# Usage: benchmarks/run.sh matmul [--n 2048 --threads 2]
# Set OMP_WAIT_POLICY / OPENBLAS_CORETYPE before calling to compare tuned environments (see docs/performance.md).
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?benchmark name}; shift
dotnet build benchmarks/Benchmarks -c Release -v q -nologo >/dev/null
echo "== DiffusionSteering (C#)"
dotnet benchmarks/Benchmarks/bin/Release/net10.0/Benchmarks.dll "$name" "$@"
if [ -f "benchmarks/reference/$name.py" ]; then
  echo "== reference (Python PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)'))"
  /usr/bin/python3 "benchmarks/reference/$name.py" "$@"
fi
